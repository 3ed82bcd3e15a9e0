#include "util/timestamp.hpp"

#include <catch2/catch.hpp>

using namespace rollout;
using namespace std::chrono;

namespace {
TimePoint utc(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  return TimePoint(sys_days(year{y} / month{mo} / day{d}) + hours(h) + minutes(mi) + seconds(s));
}
}  // namespace

TEST_CASE("RFC 3339 times parse in UTC and with offsets", "[timestamp]") {
  CHECK(parse_rfc3339("2024-05-01T12:00:00Z").value() == utc(2024, 5, 1, 12, 0, 0));
  CHECK(parse_rfc3339("2024-05-01T14:30:00+02:30").value() == utc(2024, 5, 1, 12, 0, 0));
  CHECK(parse_rfc3339("2018-03-05T17:30:20-08:00").value() == utc(2018, 3, 6, 1, 30, 20));
  CHECK(parse_rfc3339("2024-02-29t00:00:00z").value() == utc(2024, 2, 29, 0, 0, 0));
  CHECK(parse_rfc3339("2024-05-01T12:00:00.250Z").value() == utc(2024, 5, 1, 12, 0, 0) + milliseconds(250));
  CHECK(parse_rfc3339("2024-05-01T12:00:00.123456789Z").value() ==
        utc(2024, 5, 1, 12, 0, 0) + duration_cast<system_clock::duration>(nanoseconds(123456789)));
}

TEST_CASE("malformed RFC 3339 times are rejected with a reason", "[timestamp]") {
  CHECK(parse_rfc3339("2024-05-01 12:00:00Z").error().message ==
        "\"2024-05-01 12:00:00Z\" is not an RFC 3339 time (expected a time like 2024-05-01T12:00:00Z)");
  CHECK(parse_rfc3339("2023-02-29T00:00:00Z").error().message ==
        "\"2023-02-29T00:00:00Z\" is not an RFC 3339 time (no such date)");
  CHECK(parse_rfc3339("2024-05-01T24:00:00Z").error().message ==
        "\"2024-05-01T24:00:00Z\" is not an RFC 3339 time (no such time of day)");
  CHECK_FALSE(parse_rfc3339("2024-05-01T12:00:00").ok());
  CHECK_FALSE(parse_rfc3339("2024-05-01T12:00:00.Z").ok());
  CHECK_FALSE(parse_rfc3339("2024-05-01T12:00:00+0200").ok());
  CHECK_FALSE(parse_rfc3339("2024-05-01T12:00:00Zjunk").ok());
  CHECK_FALSE(parse_rfc3339("").ok());
}

TEST_CASE("RFC 3339 times format in UTC", "[timestamp]") {
  CHECK(format_rfc3339(utc(2024, 5, 1, 12, 0, 7)) == "2024-05-01T12:00:07Z");
  CHECK(format_rfc3339(parse_rfc3339("2018-03-05T17:30:20-08:00").value()) == "2018-03-06T01:30:20Z");
}
