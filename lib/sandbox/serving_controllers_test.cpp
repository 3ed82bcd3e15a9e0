#include "sandbox/serving_controllers.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "sandbox/workload_controllers.hpp"

using namespace rollout::sandbox;
using nlohmann::json;

namespace {

// The store with two managers, so that a test can look between the workload controllers' pass and
// the pod controller's (pods start at once: startup 0s).
struct Cluster {
  TypeRegistry types;
  ObjectStore store{types};
  std::chrono::system_clock::time_point now{std::chrono::seconds(1700000000)};
  ControllerManager workloads{store, types, [this] { return now; }};
  ControllerManager pods{store, types, [this] { return now; }};

  Cluster() {
    workloads.add(make_model_serving_controller());
    workloads.add(make_model_infer_controller());
    workloads.add(make_leader_worker_set_controller());
    pods.add(make_pod_controller(std::make_shared<PodRuntimes>()));
  }
  void step() {
    workloads.run_once();
    pods.run_once();
    now += std::chrono::seconds(1);
  }
  void settle() {
    for (int i = 0; i < 3; ++i) step();
  }
  ResourceType kind(const char* group, const char* version, const char* plural) {
    return *types.find(group, version, plural);
  }
  void patch(const ResourceType& t, const json& p) {
    REQUIRE(store.patch(t, "default", "llama", PatchType::merge, p, {}).ok());
  }
  json status(const ResourceType& t) { return store.get(t, "default", "llama")->value("status", json::object()); }
  std::vector<json> all_pods() {
    return (*store.list(*types.find("", "v1", "pods"), "default", {}))["items"].get<std::vector<json>>();
  }
  // ordinal -> revision of its pods ("mixed" if they differ), from `group_label`.
  std::map<int, std::string> revisions(const std::string& group_label, const std::string& revision_label) {
    std::map<int, std::string> out;
    for (const auto& p : all_pods()) {
      const json labels = p["metadata"]["labels"];
      std::string g = labels.value(group_label, "");
      const int ordinal = std::stoi(g.substr(g.rfind('-') == std::string::npos ? 0 : g.rfind('-') + 1));
      const std::string rev = labels.value(revision_label, "");
      out[ordinal] = out.count(ordinal) && out[ordinal] != rev ? "mixed" : rev;
    }
    return out;
  }
  // Groups with a pod that is not Ready.
  std::set<int> unready(const std::string& group_label) {
    std::set<int> out;
    for (const auto& p : all_pods()) {
      std::string g = p["metadata"]["labels"].value(group_label, "");
      if (!pod_ready(p)) out.insert(std::stoi(g.substr(g.rfind('-') + 1)));
    }
    return out;
  }
};

json pod_template(const std::string& image) {
  return {{"metadata", {{"labels", {{"app", "llama"}}}, {"annotations", {{"sandbox.rollout.dev/startup", "0s"}}}}},
          {"spec", {{"containers", {{{"name", "vllm"}, {"image", image}}}}}}};
}

json model_serving(const std::string& api_version, const std::string& kind, int partition, int max_unavailable) {
  json role = {{"name", "server"},
               {"replicas", 1},
               {"entryTemplate", pod_template("vllm/vllm-openai:v1")},
               {"workerReplicas", 1},
               {"workerTemplate", pod_template("vllm/vllm-openai:v1")}};
  return {{"apiVersion", api_version},
          {"kind", kind},
          {"metadata", {{"name", "llama"}}},
          {"spec",
           {{"replicas", 4},
            {"rolloutStrategy",
             {{"rollingUpdateConfiguration", {{"partition", partition}, {"maxUnavailable", max_unavailable}}}}},
            {"template", {{"roles", {role}}}}}}};
}

json new_image_patch(int partition) {
  json role = {{"name", "server"},
               {"entryTemplate", pod_template("vllm/vllm-openai:v2")},
               {"workerReplicas", 1},
               {"workerTemplate", pod_template("vllm/vllm-openai:v2")}};
  return {{"spec",
           {{"template", {{"roles", {role}}}},
            {"rolloutStrategy", {{"rollingUpdateConfiguration", {{"partition", partition}}}}}}}};
}

const std::string kGroup = "modelserving.volcano.sh/group-name", kRevision = "modelserving.volcano.sh/revision";

// Passes of the workload controllers, then of the pods; returns the groups in the order they
// were replaced, checking on the way that no more than one group is ever down.
std::vector<int> roll_one_group_per_pass(Cluster& c, const ResourceType& ms, const std::string& current) {
  std::vector<int> order;
  for (int pass = 0; pass < 10; ++pass) {
    auto before = c.revisions(kGroup, kRevision);
    c.workloads.run_once();
    c.workloads.run_once();  // a second pass before pods are Ready replaces nothing more
    for (auto& [o, r] : c.revisions(kGroup, kRevision))
      if (before[o] != r) order.push_back(o);
    CHECK(c.unready(kGroup).size() <= 1);
    if (pass == 0 || pass == 2) CHECK(c.status(ms)["conditions"][2]["status"] == "True");  // UpdateInProgress
    if (pass == 2) CHECK(c.status(ms)["currentRevision"] == current);                      // until group 0 is Ready
    c.pods.run_once();
  }
  return order;
}

}  // namespace

TEST_CASE("ModelServing rolls groups past the partition, highest ordinal first, one Ready group at a time",
          "[sandbox][serving]") {
  Cluster c;
  const auto ms = c.kind("workload.serving.volcano.sh", "v1alpha1", "modelservings");
  REQUIRE(c.store.create(ms, "default", model_serving("workload.serving.volcano.sh/v1alpha1", "ModelServing", 0, 1), {})
              .ok());
  c.settle();
  auto revs = c.revisions(kGroup, kRevision);
  REQUIRE(revs.size() == 4);
  const std::string a = revs[0];
  for (auto& [o, r] : revs) CHECK(r == a);
  CHECK(c.all_pods().size() == 8);
  CHECK(c.store.get(*c.types.find("", "v1", "pods"), "default", "llama-3-server-0-1").ok());
  json st = c.status(ms);
  CHECK(st["availableReplicas"] == 4);
  CHECK(st["currentRevision"] == a);
  CHECK(st["updateRevision"] == a);
  CHECK(st["labelSelector"] == "modelserving.volcano.sh/name=llama");

  // A new template behind partition 4 replaces nothing.
  c.patch(ms, new_image_patch(4));
  c.settle();
  for (auto& [o, r] : c.revisions(kGroup, kRevision)) CHECK(r == a);
  st = c.status(ms);
  CHECK(st["observedGeneration"] == 2);
  CHECK_FALSE(st.contains("updatedReplicas"));
  CHECK(st["currentReplicas"] == 4);
  CHECK(st["currentRevision"] == a);
  const std::string b = st["updateRevision"];
  CHECK(b != a);

  // Partition 3: exactly group 3.
  c.patch(ms, {{"spec", {{"rolloutStrategy", {{"rollingUpdateConfiguration", {{"partition", 3}}}}}}}});
  c.settle();
  revs = c.revisions(kGroup, kRevision);
  CHECK(revs == std::map<int, std::string>{{0, a}, {1, a}, {2, a}, {3, b}});
  st = c.status(ms);
  CHECK(st["updatedReplicas"] == 1);
  CHECK(st["currentReplicas"] == 3);
  CHECK(st["availableReplicas"] == 4);
  CHECK(st["currentRevision"] == a);
  CHECK(st["updateRevision"] == b);
  CHECK(st["conditions"][0]["status"] == "True");  // Available: the partition's step is done

  // Partition 0: 2, then 1, then 0, each only once the one before is Ready.
  c.patch(ms, {{"spec", {{"rolloutStrategy", {{"rollingUpdateConfiguration", {{"partition", 0}}}}}}}});
  const std::vector<int> order = roll_one_group_per_pass(c, ms, a);
  CHECK(order == std::vector<int>{2, 1, 0});
  c.settle();
  st = c.status(ms);
  CHECK(st["currentRevision"] == b);
  CHECK(st["updateRevision"] == b);
  CHECK(st["currentReplicas"] == 4);
  CHECK(st["updatedReplicas"] == 4);
  CHECK(st["availableReplicas"] == 4);
  CHECK(st["conditions"][0]["type"] == "Available");
  CHECK(st["conditions"][0]["status"] == "True");
}

TEST_CASE("ModelServing takes down at most maxUnavailable groups at once", "[sandbox][serving]") {
  Cluster c;
  const auto ms = c.kind("workload.serving.volcano.sh", "v1alpha1", "modelservings");
  REQUIRE(c.store.create(ms, "default", model_serving("workload.serving.volcano.sh/v1alpha1", "ModelServing", 0, 2), {})
              .ok());
  c.settle();
  const std::string a = c.revisions(kGroup, kRevision)[0];
  c.patch(ms, new_image_patch(0));
  c.workloads.run_once();
  auto revs = c.revisions(kGroup, kRevision);
  CHECK(revs[0] == a);
  CHECK(revs[1] == a);
  CHECK(revs[2] != a);
  CHECK(revs[3] != a);
  CHECK(c.unready(kGroup) == std::set<int>{2, 3});
  c.workloads.run_once();
  CHECK(c.revisions(kGroup, kRevision)[1] == a);
  c.pods.run_once();
  c.workloads.run_once();
  for (auto& [o, r] : c.revisions(kGroup, kRevision)) CHECK(r != a);
}

TEST_CASE("ModelServing recreates a lost pod on its group's revision below the partition", "[sandbox][serving]") {
  Cluster c;
  const auto ms = c.kind("workload.serving.volcano.sh", "v1alpha1", "modelservings");
  const auto pod = c.kind("", "v1", "pods");
  REQUIRE(c.store.create(ms, "default", model_serving("workload.serving.volcano.sh/v1alpha1", "ModelServing", 0, 1), {})
              .ok());
  c.settle();
  const std::string a = c.revisions(kGroup, kRevision)[0];
  c.patch(ms, new_image_patch(2));
  c.settle();
  c.settle();
  REQUIRE(c.store.remove(pod, "default", "llama-0-server-0-1", {}).ok());
  c.step();
  REQUIRE(c.store.get(pod, "default", "llama-0-server-0-1").ok());
  auto revs = c.revisions(kGroup, kRevision);
  CHECK(revs[0] == a);
  CHECK(revs[1] == a);
  CHECK(revs[2] != a);
  CHECK(revs[3] != a);

  // Scaling down removes the highest groups.
  c.patch(ms, {{"spec", {{"replicas", 2}}}});
  c.step();
  CHECK(c.revisions(kGroup, kRevision).size() == 2);
  CHECK(c.status(ms)["replicas"] == 2);
}

TEST_CASE("a ModelServing template without roles is one pod per group", "[sandbox][serving]") {
  Cluster c;
  const auto ms = c.kind("workload.serving.volcano.sh", "v1alpha1", "modelservings");
  json obj = model_serving("workload.serving.volcano.sh/v1alpha1", "ModelServing", 0, 1);
  obj["spec"]["replicas"] = 2;
  obj["spec"]["template"] = pod_template("vllm/vllm-openai:v1");
  REQUIRE(c.store.create(ms, "default", obj, {}).ok());
  c.settle();
  std::vector<std::string> names;
  for (const auto& p : c.all_pods()) names.push_back(p["metadata"]["name"]);
  CHECK(names == std::vector<std::string>{"llama-0-main-0-0", "llama-1-main-0-0"});
  const json pod = c.all_pods()[0];
  CHECK(pod["metadata"]["labels"]["app"] == "llama");
  CHECK(pod["metadata"]["labels"]["modelserving.volcano.sh/entry"] == "true");
  CHECK(pod["metadata"]["ownerReferences"][0]["kind"] == "ModelServing");
  CHECK(pod["metadata"]["ownerReferences"][0]["controller"] == true);
  CHECK(c.status(ms)["availableReplicas"] == 2);
}

TEST_CASE("ModelInfer uses matrixinfer labels and has no revisions in status", "[sandbox][serving]") {
  Cluster c;
  const auto mi = c.kind("workload.matrixinfer.ai", "v1alpha1", "modelinfers");
  REQUIRE(
      c.store.create(mi, "default", model_serving("workload.matrixinfer.ai/v1alpha1", "ModelInfer", 3, 1), {}).ok());
  c.settle();
  const auto g = "modelinfer.matrixinfer.ai/group-name", r = "modelinfer.matrixinfer.ai/revision";
  const std::string a = c.revisions(g, r)[0];
  c.patch(mi, new_image_patch(3));
  c.settle();
  auto revs = c.revisions(g, r);
  CHECK(revs[2] == a);
  CHECK(revs[3] != a);
  json st = c.status(mi);
  CHECK(st["updatedReplicas"] == 1);
  CHECK(st["currentReplicas"] == 3);
  CHECK_FALSE(st.contains("currentRevision"));
  CHECK_FALSE(st.contains("updateRevision"));
}

namespace {

json leader_worker_set(const std::string& image, int partition, int max_unavailable, int max_surge) {
  return {{"apiVersion", "leaderworkerset.x-k8s.io/v1"},
          {"kind", "LeaderWorkerSet"},
          {"metadata", {{"name", "llama"}}},
          {"spec",
           {{"replicas", 3},
            {"leaderWorkerTemplate", {{"size", 2}, {"workerTemplate", pod_template(image)}}},
            {"rolloutStrategy",
             {{"type", "RollingUpdate"},
              {"rollingUpdateConfiguration",
               {{"partition", partition}, {"maxUnavailable", max_unavailable}, {"maxSurge", max_surge}}}}}}}};
}

const std::string kLwsGroup = "leaderworkerset.sigs.k8s.io/group-index",
                  kLwsRevision = "leaderworkerset.sigs.k8s.io/template-revision-hash";

}  // namespace

TEST_CASE("LeaderWorkerSet rolls groups past the partition, highest first", "[sandbox][serving][lws]") {
  Cluster c;
  const auto lws = c.kind("leaderworkerset.x-k8s.io", "v1", "leaderworkersets");
  const auto pod = c.kind("", "v1", "pods");
  REQUIRE(c.store.create(lws, "default", leader_worker_set("vllm:v1", 1, 1, 0), {}).ok());
  c.settle();
  const auto leader = c.store.get(pod, "default", "llama-2");
  REQUIRE(leader.ok());
  CHECK((*leader)["metadata"]["labels"]["leaderworkerset.sigs.k8s.io/worker-index"] == "0");
  CHECK(c.store.get(pod, "default", "llama-2-1").ok());
  CHECK(c.status(lws)["readyReplicas"] == 3);
  const std::string a = c.revisions(kLwsGroup, kLwsRevision)[0];

  c.patch(lws, {{"spec", {{"leaderWorkerTemplate", {{"workerTemplate", pod_template("vllm:v2")}}}}}});
  c.workloads.run_once();
  auto revs = c.revisions(kLwsGroup, kLwsRevision);
  CHECK(revs[2] != a);
  CHECK(revs[1] == a);
  c.workloads.run_once();
  CHECK(c.revisions(kLwsGroup, kLwsRevision)[1] == a);  // group 2 is not Ready yet
  c.settle();
  revs = c.revisions(kLwsGroup, kLwsRevision);
  CHECK(revs[0] == a);
  CHECK(revs[1] == revs[2]);
  json st = c.status(lws);
  CHECK(st["replicas"] == 3);
  CHECK(st["readyReplicas"] == 3);
  CHECK(st["updatedReplicas"] == 2);
  CHECK(st["hpaPodSelector"] == "leaderworkerset.sigs.k8s.io/name=llama,leaderworkerset.sigs.k8s.io/worker-index=0");
}

TEST_CASE("LeaderWorkerSet with maxSurge adds a group while it replaces, then removes it", "[sandbox][serving][lws]") {
  Cluster c;
  const auto lws = c.kind("leaderworkerset.x-k8s.io", "v1", "leaderworkersets");
  REQUIRE(c.store.create(lws, "default", leader_worker_set("vllm:v1", 0, 0, 1), {}).ok());
  c.settle();
  CHECK(c.revisions(kLwsGroup, kLwsRevision).size() == 3);
  const std::string a = c.revisions(kLwsGroup, kLwsRevision)[0];
  c.patch(lws, {{"spec", {{"leaderWorkerTemplate", {{"workerTemplate", pod_template("vllm:v2")}}}}}});
  c.workloads.run_once();
  auto revs = c.revisions(kLwsGroup, kLwsRevision);
  REQUIRE(revs.size() == 4);  // the surge group comes first, nothing is taken down yet
  CHECK(revs[3] != a);
  CHECK(revs[2] == a);
  for (int i = 0; i < 12; ++i) {
    c.workloads.run_once();
    CHECK(c.unready(kLwsGroup).size() <= 1);
    c.pods.run_once();
  }
  revs = c.revisions(kLwsGroup, kLwsRevision);
  CHECK(revs.size() == 3);
  for (auto& [o, r] : revs) CHECK(r != a);
  json st = c.status(lws);
  CHECK(st["updatedReplicas"] == 3);
  CHECK(st["conditions"][0]["status"] == "True");
}
