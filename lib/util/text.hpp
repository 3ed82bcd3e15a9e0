// Small string helpers shared by every layer (no domain knowledge here).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rollout {

// Edit distance, for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if it is close enough to be a likely typo; empty otherwise.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

// "a", "b" or "c" -> "\"a\", \"b\" or \"c\"".
std::string quoted_list(const std::vector<std::string>& items, std::string_view last_joiner = "or");

// JSON-style quoting for messages: "x" with quotes and control characters escaped.
std::string quote(std::string_view s);

bool starts_with(std::string_view s, std::string_view prefix);

}  // namespace rollout
