// The executor reaches every object through actuators::Hosts: a target whose state is not a
// Kubernetes object registers a host for its own API group and gets the same writes (guarded by
// resourceVersion), dry runs and rollback as objects in the cluster.
#include <catch2/catch.hpp>

#include "actuators/object_host.hpp"
#include "actuators/sandbox_fixture.hpp"
#include "engine/executor.hpp"

namespace rollout::engine {

using nlohmann::json;

namespace {

// State kept in memory, as a local target keeps an upstream file or process table.
class MemoryHost : public actuators::ObjectHost {
 public:
  std::map<std::string, json> objects;
  int patches = 0;

  Result<json> get(const actuators::ObjectRef& ref) override {
    auto it = objects.find(ref.name);
    if (it == objects.end()) return make_error(ErrorKind::not_found, ref.key() + " not found");
    return it->second;
  }
  Result<std::vector<json>> list(const actuators::ObjectRef&) override {
    std::vector<json> out;
    for (const auto& [name, o] : objects) out.push_back(o);
    return out;
  }
  Result<json> patch(const actuators::ObjectRef& ref, const json& ops, const std::string& if_rv,
                     k8s::DryRun dry) override {
    auto it = objects.find(ref.name);
    if (it == objects.end()) return make_error(ErrorKind::not_found, ref.key() + " not found");
    const std::string rv = it->second["metadata"]["resourceVersion"];
    if (!if_rv.empty() && if_rv != rv) return make_error(ErrorKind::conflict, ref.key() + " changed");
    json out = it->second.patch(ops);
    out["metadata"]["resourceVersion"] = std::to_string(std::stoi(rv) + 1);
    if (dry == k8s::DryRun::none) {
      it->second = out;
      ++patches;
    }
    return out;
  }
  Status remove(const actuators::ObjectRef& ref, k8s::DryRun dry) override {
    if (dry == k8s::DryRun::none) objects.erase(ref.name);
    return ok_status();
  }
};

const actuators::ObjectRef kLocal{"local.rollout.dev/v1alpha1", "ReplicaSet", "default", "llama"};
const actuators::ObjectRef kRoute{"gateway.networking.k8s.io/v1", "HTTPRoute", "default", "llm-route"};

}  // namespace

TEST_CASE("hosts: objects of a registered group go to its host, the rest to the cluster", "[engine][hosts]") {
  auto offline = actuators::testing::offline_client();
  actuators::Hosts hosts(*offline);
  auto local = std::make_unique<MemoryHost>();
  MemoryHost& mem = *local;
  mem.objects["llama"] = {{"apiVersion", kLocal.api_version}, {"kind", kLocal.kind},
                          {"metadata", {{"name", "llama"}, {"resourceVersion", "1"}}},
                          {"spec", {{"updated", 0}, {"replicas", 4}}}};
  hosts.add("local.rollout.dev", std::move(local));
  auto exec = make_executor(ExecMode::apply, hosts);

  auto live = exec->read(kLocal);
  REQUIRE(live.ok());
  const FieldValues original = read_fields(*live, {"/spec/updated"});
  json desired = *live;
  desired["spec"]["updated"] = 2;
  auto written = exec->write(kLocal, *live, desired, {"/spec/updated"});
  REQUIRE(written.ok());
  CHECK(mem.objects["llama"]["spec"]["updated"] == 2);

  // A write from a stale read is refused, as the API server refuses it.
  desired["spec"]["updated"] = 3;
  auto stale = exec->write(kLocal, *live, desired, {"/spec/updated"});
  REQUIRE(!stale.ok());
  CHECK(stale.error().kind == ErrorKind::conflict);
  CHECK(mem.objects["llama"]["spec"]["updated"] == 2);

  // Rollback puts the recorded value back through the same host.
  REQUIRE(exec->restore(kLocal, original).ok());
  CHECK(mem.objects["llama"]["spec"]["updated"] == 0);
  CHECK(mem.objects["llama"]["spec"]["replicas"] == 4);  // fields it does not own are untouched

  // Everything else is the cluster's (offline here).
  auto route = exec->read(kRoute);
  REQUIRE(!route.ok());
  CHECK_THAT(route.error().message, Catch::Contains("offline"));
}

TEST_CASE("hosts: a server dry run asks the host and changes nothing", "[engine][hosts]") {
  auto offline = actuators::testing::offline_client();
  actuators::Hosts hosts(*offline);
  auto local = std::make_unique<MemoryHost>();
  MemoryHost& mem = *local;
  mem.objects["llama"] = {{"metadata", {{"name", "llama"}, {"resourceVersion", "7"}}}, {"spec", {{"updated", 0}}}};
  hosts.add("local.rollout.dev", std::move(local));
  auto exec = make_executor(ExecMode::dry_run_server, hosts);
  auto live = exec->read(kLocal);
  REQUIRE(live.ok());
  json desired = *live;
  desired["spec"]["updated"] = 1;
  REQUIRE(exec->write(kLocal, *live, desired, {"/spec/updated"}).ok());
  CHECK(mem.patches == 0);
  CHECK(mem.objects["llama"]["spec"]["updated"] == 0);
  auto seen = exec->read(kLocal);  // later steps of the dry run see the simulated object
  REQUIRE(seen.ok());
  CHECK((*seen)["spec"]["updated"] == 1);
}

}  // namespace rollout::engine
