#include "sandbox/patch.hpp"

#include <catch2/catch.hpp>

using namespace rollout::sandbox;
using nlohmann::json;

TEST_CASE("strategic merge merges containers by name and honours directives", "[sandbox][patch]") {
  json live = json::parse(R"({"spec":{"template":{"spec":{"containers":[
      {"name":"a","image":"a:1","env":[{"name":"X","value":"1"}]},{"name":"b","image":"b:1"}]}}}})");
  json patch = json::parse(R"({"spec":{"template":{"spec":{
      "$setElementOrder/containers":[{"name":"b"},{"name":"a"}],
      "containers":[{"name":"a","image":"a:2","env":[{"name":"Y","value":"2"}]},{"name":"b","$patch":"delete"}]}}}})");
  json out = strategic_merge(live, patch);
  const auto& c = out["spec"]["template"]["spec"]["containers"];
  REQUIRE(c.size() == 1);
  CHECK(c[0]["image"] == "a:2");
  CHECK(c[0]["env"].size() == 2);
}

TEST_CASE("strategic merge deletes with null and replaces unkeyed lists", "[sandbox][patch]") {
  json live = json::parse(R"({"data":{"a":"1","b":"2"},"args":["x","y"]})");
  json out = strategic_merge(live, json::parse(R"({"data":{"a":null},"args":["z"]})"));
  CHECK_FALSE(out["data"].contains("a"));
  CHECK(out["args"] == json::parse(R"(["z"])"));
}

TEST_CASE("service ports merge by port, container ports by containerPort", "[sandbox][patch]") {
  json svc = json::parse(R"({"spec":{"ports":[{"port":80,"name":"http"}]}})");
  json out = strategic_merge(svc, json::parse(R"({"spec":{"ports":[{"port":443,"name":"https"}]}})"));
  CHECK(out["spec"]["ports"].size() == 2);
}

TEST_CASE("a failed JSON patch test is a 422", "[sandbox][patch]") {
  json live = json::parse(R"({"metadata":{"resourceVersion":"5"}})");
  auto r = apply_patch(live, PatchType::json,
                       json::parse(R"([{"op":"test","path":"/metadata/resourceVersion","value":"4"}])"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == 422);
}

// Found by tests/fuzz/sandbox_patch_fuzz: directives of the wrong type threw nlohmann's
// type_error out of the API handler (a dropped connection) instead of the API server's answer.
TEST_CASE("strategic merge directives of the wrong type are refused, not thrown", "[sandbox][patch][fuzz]") {
  const json live = json::parse(R"({"spec":{"containers":[{"name":"a"}]}})");
  auto code = [&](const char* patch) {
    auto r = apply_patch(live, PatchType::strategic, json::parse(patch));
    return r.ok() ? 200 : r.error().code;
  };
  CHECK(code(R"({"$patch":1})") == 500);
  CHECK(code(R"({"spec":{"containers":[{"name":"a","$patch":[]}]}})") == 500);
  CHECK(code(R"({"spec":{"$retainKeys":[1]}})") == 400);
  CHECK(code(R"({"spec":{"$retainKeys":"containers"}})") == 400);
  CHECK(code(R"({"spec":{"$setElementOrder/containers":{}}})") == 400);
  CHECK(code(R"({"metadata":{"$deleteFromPrimitiveList/finalizers":"a"}})") == 400);
  CHECK(code(R"({"spec":{"$retainKeys":["containers"],"containers":[{"name":"a","$patch":"delete"}]}})") == 200);
}
