// Durations as plans write them: "90s", "5m", "1h30m", "250ms" (Go's syntax without fractions).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace rollout {

using Duration = std::chrono::milliseconds;

// Parses a duration; on failure returns nullopt and, if `why` is given, the reason.
std::optional<Duration> parse_duration(std::string_view text, std::string* why = nullptr);

// Formats a duration the way it is parsed, e.g. 5400000ms -> "1h30m".
std::string format_duration(Duration d);

}  // namespace rollout
