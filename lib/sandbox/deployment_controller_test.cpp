// The Deployment and ReplicaSet controllers together on the in-process store, in the sequences a
// rollout drives them through (see deployment_util_test.cpp for the ported upstream tables).
#include "sandbox/deployment_controller.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "sandbox/deployment_sync.hpp"
#include "sandbox/replicaset_controller.hpp"
#include "sandbox/scale_subresource.hpp"
#include "sandbox/workload_controllers.hpp"

using namespace rollout::sandbox;
using nlohmann::json;

namespace {

// Deployment and ReplicaSet controllers in one manager, pods in another: a test can look between
// the controllers' pass and the pods becoming Ready (startup 0s: at the pod pass).
struct Cluster {
  TypeRegistry types;
  ObjectStore store{types};
  std::chrono::system_clock::time_point now{std::chrono::seconds(1700000000)};
  ControllerManager workloads{store, types, [this] { return now; }};
  ControllerManager pods{store, types, [this] { return now; }};
  ResourceType deploy_t = *types.find("apps", "v1", "deployments");
  ResourceType rs_t = *types.find("apps", "v1", "replicasets");
  ResourceType pod_t = *types.find("", "v1", "pods");

  Cluster() {
    workloads.add(make_deployment_controller());
    workloads.add(make_replica_set_controller());
    pods.add(make_pod_controller(std::make_shared<PodRuntimes>()));
  }
  void step() {
    workloads.run_once();
    pods.run_once();
    now += std::chrono::seconds(1);
  }
  void settle(int n = 12) {
    for (int i = 0; i < n; ++i) step();
  }
  json get() { return *store.get(deploy_t, "default", "llama"); }
  void patch(const json& p) { REQUIRE(store.patch(deploy_t, "default", "llama", PatchType::merge, p, {}).ok()); }
  std::vector<json> list(const ResourceType& t) {
    return (*store.list(t, "default", {}))["items"].get<std::vector<json>>();
  }
  std::map<std::string, int> rs_sizes() {
    std::map<std::string, int> out;
    for (const auto& r : list(rs_t)) out[r["metadata"]["name"]] = r["spec"]["replicas"];
    return out;
  }
  json rs_named(const std::string& name) { return *store.get(rs_t, "default", name); }
  // uid -> owning ReplicaSet name
  std::map<std::string, std::string> pod_owners() {
    std::map<std::string, std::string> out;
    for (const auto& p : list(pod_t)) out[p["metadata"]["uid"]] = p["metadata"]["ownerReferences"][0]["name"];
    return out;
  }
  bool complete() {
    const json d = get();
    return deploy::deployment_complete(d, d["status"]);
  }
};

json pod_template(const std::string& image) {
  return {{"metadata", {{"labels", {{"app", "llama"}}}, {"annotations", {{"sandbox.rollout.dev/startup", "0s"}}}}},
          {"spec", {{"containers", {{{"name", "vllm"}, {"image", image}}}}}}};
}

json deployment(int replicas, json strategy = nullptr) {
  json d = {{"apiVersion", "apps/v1"},
            {"kind", "Deployment"},
            {"metadata", {{"name", "llama"}}},
            {"spec",
             {{"replicas", replicas},
              {"selector", {{"matchLabels", {{"app", "llama"}}}}},
              {"template", pod_template("vllm:v1")}}}};
  if (!strategy.is_null()) d["spec"]["strategy"] = strategy;
  return d;
}

json rolling(json surge, json unavailable) {
  return {{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxSurge", surge}, {"maxUnavailable", unavailable}}}};
}

// The ReplicaSet an outside driver creates for a new template, as the engine's gated batches do.
json external_rs(const json& d, const std::string& image, int replicas) {
  json tmpl = pod_template(image);
  tmpl["metadata"]["labels"]["pod-template-hash"] = "ext";
  return {{"metadata",
           {{"name", "llama-ext"},
            {"labels", tmpl["metadata"]["labels"]},
            {"ownerReferences",
             {{{"apiVersion", "apps/v1"},
               {"kind", "Deployment"},
               {"name", "llama"},
               {"uid", d["metadata"]["uid"]},
               {"controller", true}}}}}},
          {"spec",
           {{"replicas", replicas},
            {"selector", {{"matchLabels", {{"app", "llama"}, {"pod-template-hash", "ext"}}}}},
            {"template", tmpl}}}};
}

std::string old_rs_name(Cluster& c) {
  return c.list(c.rs_t).at(0)["metadata"]["name"];
}

}  // namespace

TEST_CASE("a Deployment runs its pods through a ReplicaSet named after its template hash", "[sandbox][deployment]") {
  Cluster c;
  REQUIRE(c.store.create(c.deploy_t, "default", deployment(3), {}).ok());
  const json created = c.get();
  CHECK(created["spec"]["strategy"] == rolling("25%", "25%"));  // API defaults
  CHECK(created["spec"]["revisionHistoryLimit"] == 10);
  CHECK(created["spec"]["progressDeadlineSeconds"] == 600);
  c.settle();
  const auto rss = c.list(c.rs_t);
  REQUIRE(rss.size() == 1);
  const json rs = rss[0];
  const std::string hash = rs["metadata"]["labels"]["pod-template-hash"];
  CHECK(rs["metadata"]["name"] == "llama-" + hash);
  CHECK(rs["spec"]["selector"]["matchLabels"] == json{{"app", "llama"}, {"pod-template-hash", hash}});
  CHECK(rs["metadata"]["ownerReferences"][0]["kind"] == "Deployment");
  CHECK(rs["metadata"]["annotations"][deploy::kRevision] == "1");
  CHECK(rs["metadata"]["annotations"][deploy::kDesiredReplicas] == "3");
  CHECK(rs["status"]["readyReplicas"] == 3);
  for (const auto& p : c.list(c.pod_t)) {
    CHECK(p["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet");
    CHECK(p["metadata"]["labels"]["pod-template-hash"] == hash);
    const std::string name = p["metadata"]["name"];
    CHECK(name.rfind("llama-" + hash + "-", 0) == 0);
    CHECK(name.size() == ("llama-" + hash + "-").size() + 5);
  }
  const json d = c.get();
  CHECK(d["metadata"]["annotations"][deploy::kRevision] == "1");
  CHECK(c.complete());
  CHECK(deploy::get_condition(d["status"], "Progressing")->at("reason") == "NewReplicaSetAvailable");
  CHECK(deploy::get_condition(d["status"], "Available")->at("reason") == "MinimumReplicasAvailable");
}

TEST_CASE("a template change rolls within maxSurge and maxUnavailable; undoing it reuses the old ReplicaSet",
          "[sandbox][deployment]") {
  Cluster c;
  REQUIRE(c.store.create(c.deploy_t, "default", deployment(4, rolling(1, 1)), {}).ok());
  c.settle();
  const std::string v1 = old_rs_name(c);
  c.patch({{"spec", {{"template", pod_template("vllm:v2")}}}});
  for (int i = 0; i < 30 && !c.complete(); ++i) {
    c.workloads.run_once();
    CHECK(c.list(c.pod_t).size() <= 5);  // replicas + maxSurge
    int ready = 0;
    for (const auto& p : c.list(c.pod_t)) ready += pod_ready(p);
    CHECK(ready >= 3);  // replicas - maxUnavailable
    c.pods.run_once();
    c.now += std::chrono::seconds(1);
  }
  REQUIRE(c.complete());
  auto sizes = c.rs_sizes();
  REQUIRE(sizes.size() == 2);
  CHECK(sizes[v1] == 0);
  CHECK(c.get()["metadata"]["annotations"][deploy::kRevision] == "2");

  // kubectl rollout undo: the old template back; its ReplicaSet becomes revision 3.
  c.patch({{"spec", {{"template", pod_template("vllm:v1")}}}});
  c.settle(20);
  CHECK(c.complete());
  const json back = c.rs_named(v1);
  CHECK(back["spec"]["replicas"] == 4);
  CHECK(back["metadata"]["annotations"][deploy::kRevision] == "3");
  CHECK(back["metadata"]["annotations"][deploy::kRevisionHistory] == "1");
  CHECK(c.rs_sizes().size() == 2);
}

TEST_CASE("paused with Recreate, an outside ReplicaSet's batches stand; resumed, the controller adopts it and "
          "finishes without restarting its pods",
          "[sandbox][deployment]") {
  Cluster c;
  const int n = 4, k = 1;
  REQUIRE(c.store.create(c.deploy_t, "default", deployment(n), {}).ok());
  c.settle();
  const std::string v1 = old_rs_name(c);
  // One write: paused, Recreate, the new template.
  c.patch({{"spec", {{"paused", true}, {"strategy", {{"type", "Recreate"}, {"rollingUpdate", nullptr}}},
                     {"template", pod_template("vllm:v2")}}}});
  c.settle(3);
  CHECK(c.rs_sizes() == std::map<std::string, int>{{v1, n}});  // paused: no new ReplicaSet
  CHECK(deploy::get_condition(c.get()["status"], "Progressing")->at("reason") == "DeploymentPaused");
  REQUIRE(c.store.create(c.rs_t, "default", external_rs(c.get(), "vllm:v2", k), {}).ok());
  json old_rs = c.rs_named(v1);
  old_rs["spec"]["replicas"] = n - k;
  REQUIRE(c.store.update(c.rs_t, "default", v1, old_rs, {}).ok());
  c.settle(6);
  CHECK(c.rs_sizes() == std::map<std::string, int>{{v1, n - k}, {"llama-ext", k}});  // the controller does not fight
  std::set<std::string> batch;
  for (const auto& [uid, owner] : c.pod_owners())
    if (owner == "llama-ext") batch.insert(uid);
  REQUIRE(batch.size() == static_cast<size_t>(k));
  CHECK(c.rs_named("llama-ext")["metadata"]["annotations"][deploy::kRevision] == "2");  // found as the new one

  // Restore RollingUpdate and resume.
  c.patch({{"spec", {{"paused", false}, {"strategy", rolling("25%", "25%")}}}});
  for (int i = 0; i < 30 && !c.complete(); ++i) c.step();
  REQUIRE(c.complete());
  CHECK(c.rs_sizes() == std::map<std::string, int>{{v1, 0}, {"llama-ext", n}});
  const auto owners = c.pod_owners();
  for (const auto& uid : batch) CHECK(owners.count(uid) == 1);  // the batch's pods never restarted
  CHECK(c.get()["metadata"]["annotations"][deploy::kRevision] == "2");
  CHECK(deploy::get_condition(c.get()["status"], "Progressing")->at("reason") == "NewReplicaSetAvailable");
}

TEST_CASE("paused with RollingUpdate, hand-set batch sizes are resized by proportional scaling",
          "[sandbox][deployment]") {
  // Why the engine switches to Recreate: scale() spreads replicas+maxSurge over active ReplicaSets.
  Cluster c;
  REQUIRE(c.store.create(c.deploy_t, "default", deployment(8, rolling(2, 0)), {}).ok());
  c.settle();
  const std::string v1 = old_rs_name(c);
  c.patch({{"spec", {{"paused", true}, {"template", pod_template("vllm:v2")}}}});
  c.settle(2);
  REQUIRE(c.store.create(c.rs_t, "default", external_rs(c.get(), "vllm:v2", 1), {}).ok());
  c.settle(3);
  CHECK(c.rs_sizes() == std::map<std::string, int>{{v1, 9}, {"llama-ext", 1}});
}

TEST_CASE("Recreate scales the old ReplicaSet to zero and waits for its pods before the new one",
          "[sandbox][deployment]") {
  Cluster c;
  REQUIRE(c.store.create(c.deploy_t, "default", deployment(3, {{"type", "Recreate"}}), {}).ok());
  c.settle();
  const std::string v1 = old_rs_name(c);
  c.patch({{"spec", {{"template", pod_template("vllm:v2")}}}});
  c.workloads.run_once();
  CHECK(c.rs_sizes() == std::map<std::string, int>{{v1, 0}});
  c.settle();
  CHECK(c.complete());
  CHECK(c.rs_sizes().size() == 2);
}

TEST_CASE("scaling events, scale subresource, history limit and garbage collection", "[sandbox][deployment]") {
  Cluster c;
  json d = deployment(2);
  d["spec"]["revisionHistoryLimit"] = 1;
  REQUIRE(c.store.create(c.deploy_t, "default", d, {}).ok());
  c.settle();
  auto scale = scale_of(c.deploy_t, c.get());
  CHECK(scale["spec"]["replicas"] == 2);
  CHECK(scale["status"]["selector"] == "app=llama");
  scale["spec"]["replicas"] = 5;
  REQUIRE(c.store.update(c.deploy_t, "default", "llama", *apply_scale(c.deploy_t, c.get(), scale), {}).ok());
  c.settle();
  CHECK(c.list(c.pod_t).size() == 5);
  for (const char* image : {"vllm:v2", "vllm:v3", "vllm:v4"}) {
    c.patch({{"spec", {{"template", pod_template(image)}}}});
    c.settle(25);
  }
  CHECK(c.complete());
  CHECK(c.rs_sizes().size() == 2);  // the new one and revisionHistoryLimit old ones
  REQUIRE(c.store.remove(c.deploy_t, "default", "llama", {}).ok());
  c.settle(3);
  CHECK(c.list(c.rs_t).empty());
  CHECK(c.list(c.pod_t).empty());
}

TEST_CASE("the API server defaults and validates apps/v1 workloads, and starts their status empty",
          "[sandbox][deployment]") {
  Cluster c;
  auto created = c.store.create(c.deploy_t, "default", deployment(1), {});
  REQUIRE(created.ok());
  CHECK((*created)["status"] == json::object());
  json bad = deployment(1, {{"type", "Recreate"}, {"rollingUpdate", {{"maxSurge", 1}}}});
  bad["metadata"]["name"] = "bad";
  auto refused = c.store.create(c.deploy_t, "default", bad, {});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == 422);
  CHECK(refused.error().message.find("may not be specified when strategy `type` is 'Recreate'") != std::string::npos);
  auto zero = c.store.patch(c.deploy_t, "default", "llama", PatchType::merge,
                            {{"spec", {{"strategy", rolling(0, 0)}}}}, {});
  REQUIRE_FALSE(zero.ok());
  CHECK(zero.error().message.find("may not be 0 when `maxSurge` is 0") != std::string::npos);
  auto selector = c.store.patch(c.deploy_t, "default", "llama", PatchType::merge,
                                {{"spec", {{"selector", {{"matchLabels", {{"app", "other"}}}}}}}}, {});
  REQUIRE_FALSE(selector.ok());
}
