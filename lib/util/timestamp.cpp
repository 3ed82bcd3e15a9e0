#include "util/timestamp.hpp"

#include <cstdio>

#include "util/text.hpp"

namespace rollout {

namespace {

// Reads exactly `width` digits at `pos`; false if they are not all digits.
bool read_digits(std::string_view s, size_t pos, size_t width, int& out) {
  if (pos + width > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

bool expect(std::string_view s, size_t pos, std::string_view chars) {
  return pos < s.size() && chars.find(s[pos]) != std::string_view::npos;
}

// The fraction after the seconds (".123456789"), as nanoseconds; advances `pos`.
bool read_fraction(std::string_view s, size_t& pos, std::chrono::nanoseconds& out) {
  out = {};
  if (pos >= s.size() || s[pos] != '.') return true;
  ++pos;
  const size_t start = pos;
  long long ns = 0;
  for (int scale = 100000000; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos, scale /= 10)
    ns += scale * (s[pos] - '0');
  out = std::chrono::nanoseconds(ns);
  return pos > start;
}

// "Z" or "+hh:mm"/"-hh:mm" at `pos`, to the end of the text; the offset east of UTC.
bool read_offset(std::string_view s, size_t pos, std::chrono::minutes& out) {
  if (expect(s, pos, "Zz")) {
    out = {};
    return pos + 1 == s.size();
  }
  int h = 0, m = 0;
  if (!expect(s, pos, "+-") || !read_digits(s, pos + 1, 2, h) || !expect(s, pos + 3, ":") ||
      !read_digits(s, pos + 4, 2, m) || pos + 6 != s.size() || h > 23 || m > 59)
    return false;
  out = std::chrono::minutes((s[pos] == '-' ? -1 : 1) * (h * 60 + m));
  return true;
}

}  // namespace

Result<TimePoint> parse_rfc3339(std::string_view text) {
  using namespace std::chrono;
  const auto bad = [&](std::string why) {
    return make_error(ErrorKind::invalid, quote(text) + " is not an RFC 3339 time (" + why + ")");
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!read_digits(text, 0, 4, y) || !expect(text, 4, "-") || !read_digits(text, 5, 2, mo) || !expect(text, 7, "-") ||
      !read_digits(text, 8, 2, d) || !expect(text, 10, "Tt") || !read_digits(text, 11, 2, h) ||
      !expect(text, 13, ":") || !read_digits(text, 14, 2, mi) || !expect(text, 16, ":") ||
      !read_digits(text, 17, 2, sec))
    return bad("expected a time like 2024-05-01T12:00:00Z");
  const year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!date.ok()) return bad("no such date");
  if (h > 23 || mi > 59 || sec > 59) return bad("no such time of day");
  size_t pos = 19;
  nanoseconds fraction{};
  if (!read_fraction(text, pos, fraction)) return bad("expected digits after the decimal point");
  minutes offset{};
  if (!read_offset(text, pos, offset)) return bad("expected Z or an offset like +02:00 at the end");
  const auto local = sys_days(date) + hours(h) + minutes(mi) + seconds(sec) + fraction;
  return time_point_cast<system_clock::duration>(local - offset);
}

std::string format_rfc3339(TimePoint t) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  const auto days = floor<std::chrono::days>(secs);
  const year_month_day date{days};
  const hh_mm_ss tod{secs - days};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
                static_cast<int>(tod.seconds().count()));
  return buf;
}

}  // namespace rollout
