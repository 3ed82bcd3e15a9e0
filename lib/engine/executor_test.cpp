#include "engine/executor.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <thread>

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


namespace {

// Restores that take a while, recording how many run at once and in which order kinds come.
class SlowRestoreExecutor : public ObjectExecutor {
 public:
  bool mutates() const override { return true; }
  Result<json> read(const actuators::ObjectRef&) override { return json::object(); }
  Result<json> write(const actuators::ObjectRef&, const json&, const json&, const std::vector<std::string>&) override {
    return json::object();
  }
  Status remove(const actuators::ObjectRef&) override { return ok_status(); }
  Result<json> restore(const actuators::ObjectRef& ref, const FieldValues& original) override {
    {
      std::lock_guard g(mu);
      max_in_flight = std::max(max_in_flight, ++in_flight);
      kinds.push_back(ref.kind);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    json out = json::object();
    for (const auto& [pointer, v] : original)
      if (v.present) out[json::json_pointer(pointer)] = v.value;
    std::lock_guard g(mu);
    --in_flight;
    return out;
  }
  std::mutex mu;
  int in_flight = 0, max_in_flight = 0;
  std::vector<std::string> kinds;
};

}  // namespace

// A rollback of 1000 label-selected routes restored them one by one (tests/bench/bench_latency.sh).
TEST_CASE("restore_originals restores a fleet of one kind concurrently, kinds in reverse order", "[engine][rollback]") {
  RolloutState state;
  ManagedObject cm;  // an adapter's ConfigMap: recorded first, so restored last
  cm.ref = {"v1", "ConfigMap", "default", "adapters"};
  cm.original = read_fields(json{{"data", {{"k", "v1"}}}}, {"/data/k"});
  state.objects.push_back(cm);
  for (int i = 0; i < 64; ++i) {
    ManagedObject route;
    route.ref = {"gateway.networking.k8s.io/v1", "HTTPRoute", "default", "tenant-" + std::to_string(i)};
    route.original = read_fields(json{{"spec", {{"w", 100}}}}, {"/spec/w"});
    state.objects.push_back(route);
  }
  SlowRestoreExecutor exec;
  auto took = restore_originals(exec, state);
  REQUIRE(took.ok());
  CHECK(exec.max_in_flight > 1);
  CHECK(exec.max_in_flight <= 16);
  REQUIRE(exec.kinds.size() == 65);
  CHECK(exec.kinds.back() == "ConfigMap");  // after every route
  for (const auto& o : state.objects) CHECK(o.written == o.original);
}

}  // namespace rollout::engine
