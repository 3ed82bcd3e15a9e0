#include "engine/executor.hpp"

#include <catch2/catch.hpp>

#include "actuators/sandbox_fixture.hpp"

namespace rollout::engine {

using nlohmann::json;

TEST_CASE("field_patch replaces, adds and removes only the owned fields", "[engine]") {
  const json live = {{"metadata", {{"name", "r"}}}, {"spec", {{"a", 1}, {"b", 2}, {"c", 3}}}};
  json desired = live;
  desired["spec"]["a"] = 10;
  desired["spec"]["c"] = 30;  // not owned: ignored
  desired["spec"].erase("b");
  desired["spec"]["d"] = 4;
  const json ops = field_patch(live, desired, {"/spec/a", "/spec/b", "/spec/d"});
  CHECK(ops == json::parse(R"([{"op":"replace","path":"/spec/a","value":10},{"op":"remove","path":"/spec/b"},
                              {"op":"add","path":"/spec/d","value":4}])"));
  CHECK(field_patch(live, live, {"/spec/a"}).empty());
}

TEST_CASE("restore_patch puts the recorded values back, absent ones removed", "[engine]") {
  const json original = {{"data", {{"k", "v1"}}}};
  const FieldValues recorded = read_fields(original, {"/data/k", "/data/extra"});
  CHECK(recorded.at("/data/k").present);
  CHECK(!recorded.at("/data/extra").present);
  json live = {{"data", {{"k", "v2"}, {"extra", "x"}}}};
  const json restored = live.patch(restore_patch(live, recorded));
  CHECK(restored == original);
  CHECK(restore_patch(original, recorded).empty());
}

TEST_CASE("field_path writes pointers the way kubectl users read fields", "[engine]") {
  CHECK(field_path("/spec/rules/0/backendRefs/1/weight") == "spec.rules[0].backendRefs[1].weight");
  CHECK(field_path("/data/configmap.yaml") == "data.configmap.yaml");
  CHECK(field_path("/metadata/annotations/a~1b") == "metadata.annotations.a/b");
}

TEST_CASE("read_all reads a fleet of objects with one LIST, in the order asked", "[engine]") {
  actuators::testing::SandboxCluster c;
  std::vector<actuators::ObjectRef> refs;
  for (const char* name : {"c", "a", "b", "d"}) {
    c.create({{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}}}, {"data", {{"k", name}}}});
    refs.push_back({"v1", "ConfigMap", "default", name});
  }
  auto exec = make_executor(ExecMode::apply, *c.client);
  const int before = c.client->stats().requests;
  auto lives = exec->read_all(refs);
  REQUIRE(lives.ok());
  CHECK(c.client->stats().requests - before == 1);
  REQUIRE(lives->size() == 4);
  for (size_t i = 0; i < refs.size(); ++i) {
    CHECK((*lives)[i]["metadata"]["name"] == refs[i].name);
    CHECK((*lives)[i]["data"]["k"] == refs[i].name);
    CHECK((*lives)[i]["kind"] == "ConfigMap");  // as a GET returns it
  }
  refs.push_back({"v1", "ConfigMap", "default", "gone"});
  auto missing = exec->read_all(refs);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::not_found);
  CHECK(missing.error().message == "ConfigMap gone not found in namespace default");
}

}  // namespace rollout::engine
