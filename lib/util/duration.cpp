#include "util/duration.hpp"

#include <cctype>
#include <cstdint>
#include <limits>

namespace rollout {

namespace {

// Milliseconds per unit; nullopt for an unknown unit.
std::optional<int64_t> unit_ms(std::string_view unit) {
  if (unit == "ms") return 1;
  if (unit == "s") return 1000;
  if (unit == "m") return 60 * 1000;
  if (unit == "h") return 60 * 60 * 1000;
  return std::nullopt;
}

std::optional<Duration> fail(std::string* why, std::string reason) {
  if (why) *why = std::move(reason);
  return std::nullopt;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text, std::string* why) {
  if (text.empty()) return fail(why, "empty duration");
  const int64_t max_ms = int64_t{365} * 24 * 3600 * 1000;  // a year is more than any rollout needs
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t digits_start = i;
    int64_t number = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      number = number * 10 + (text[i] - '0');
      if (number > max_ms) return fail(why, "duration is too long (at most 8760h)");
      ++i;
    }
    if (i == digits_start) {
      return fail(why, "expected a number at \"" + std::string(text.substr(i)) + "\"");
    }
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    if (unit.empty()) return fail(why, "missing unit after " + std::to_string(number) + " (use ms, s, m or h)");
    auto per = unit_ms(unit);
    if (!per) return fail(why, "unknown unit \"" + std::string(unit) + "\" (use ms, s, m or h)");
    total += number * *per;
    if (total > max_ms) return fail(why, "duration is too long (at most 8760h)");
  }
  return Duration(total);
}

std::string format_duration(Duration d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  const int64_t h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60, rest = ms % 1000;
  if (h) out += std::to_string(h) + "h";
  if (m) out += std::to_string(m) + "m";
  if (s) out += std::to_string(s) + "s";
  if (rest) out += std::to_string(rest) + "ms";
  return out;
}

}  // namespace rollout
