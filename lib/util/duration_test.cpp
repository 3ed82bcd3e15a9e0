#include "util/duration.hpp"

#include <catch2/catch.hpp>

using namespace rollout;
using namespace std::chrono_literals;

TEST_CASE("durations parse as plans write them", "[duration]") {
  CHECK(parse_duration("90s") == Duration(90s));
  CHECK(parse_duration("5m") == Duration(5min));
  CHECK(parse_duration("1h30m") == Duration(90min));
  CHECK(parse_duration("250ms") == Duration(250ms));
  CHECK(parse_duration("0s") == Duration(0));
}

TEST_CASE("bad durations are rejected with a reason", "[duration]") {
  std::string why;
  CHECK_FALSE(parse_duration("90", &why));
  CHECK(why == "missing unit after 90 (use ms, s, m or h)");
  CHECK_FALSE(parse_duration("5 minutes", &why));
  CHECK_FALSE(parse_duration("1d", &why));
  CHECK(why == "unknown unit \"d\" (use ms, s, m or h)");
  CHECK_FALSE(parse_duration("", &why));
  CHECK_FALSE(parse_duration("m5", &why));
  CHECK_FALSE(parse_duration("-5m", &why));
  CHECK_FALSE(parse_duration("99999999999999999999h", &why));
  CHECK(why == "duration is too long (at most 8760h)");
}

TEST_CASE("durations format back to their plan form", "[duration]") {
  CHECK(format_duration(Duration(90min)) == "1h30m");
  CHECK(format_duration(Duration(1500ms)) == "1s500ms");
  CHECK(format_duration(Duration(0)) == "0s");
}
