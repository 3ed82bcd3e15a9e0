// Serving-group rollouts (ModelServing, ModelInfer, LeaderWorkerSet): the partition at each
// position, what counts as a released group being done, and a real walk on the sandbox's
// Kthena controller from freeze to finish and back.
#include "actuators/serving_groups.hpp"

#include "actuators/sandbox_fixture.hpp"

using namespace rollout;
using namespace rollout::actuators;
using nlohmann::json;

namespace {

const char* kRev = "modelserving.volcano.sh/revision";

json pod(const std::string& group, const std::string& revision, bool ready, const std::string& waiting = "") {
  json p = {{"metadata",
             {{"name", group + "-server-0-0"},
              {"labels",
               {{"modelserving.volcano.sh/name", "llama"},
                {"modelserving.volcano.sh/group-name", group},
                {"modelserving.volcano.sh/entry", "true"},
                {kRev, revision}}}}},
            {"status",
             {{"conditions", {{{"type", "Ready"}, {"status", ready ? "True" : "False"}}}},
              {"containerStatuses", json::array()}}}};
  if (!waiting.empty())
    p["status"]["containerStatuses"] = {{{"name", "vllm"}, {"restartCount", 2}, {"state", {{"waiting", {{"reason", waiting}}}}}}};
  return p;
}

json serving(int partition, const std::string& update_revision) {
  return {{"metadata", {{"name", "llama"}, {"generation", 3}}},
          {"spec", {{"replicas", 4}, {"rolloutStrategy", {{"rollingUpdateConfiguration", {{"partition", partition}}}}}}},
          {"status", {{"observedGeneration", 3}, {"updateRevision", update_revision}}}};
}

Position at(int updated) {
  Position p;
  p.template_in_place = true;
  p.updated = updated;
  return p;
}

}  // namespace

TEST_CASE("ModelServing: freeze, release highest first, finish restores the recorded strategy", "[actuators][groups]") {
  ServingGroupsActuator a(model_serving_kind(), "llama", json{{"roles", json::array()}}, Duration(60000));
  const json original = serving(0, "old");
  CHECK(*a.desired(original, Position{}) == original);
  CHECK(a.desired(original, at(0))->at(json::json_pointer("/spec/rolloutStrategy/rollingUpdateConfiguration/partition")) == 4);
  CHECK(a.desired(original, at(1))->at(json::json_pointer("/spec/rolloutStrategy/rollingUpdateConfiguration/partition")) == 3);
  CHECK(a.desired(original, at(1))->at("spec").at("template") == json{{"roles", json::array()}});
  Position done = at(4);
  done.finished = true;
  CHECK(a.desired(original, done)->at("spec").at("rolloutStrategy") == original["spec"]["rolloutStrategy"]);
  // Frozen by hand (partition = replicas): finishing releases everything.
  CHECK(a.desired(serving(4, "x"), done)->at(json::json_pointer("/spec/rolloutStrategy/rollingUpdateConfiguration/partition")) == 0);
}

TEST_CASE("a released group is done only when all its pods are Ready on the new revision", "[actuators][groups]") {
  const auto& k = model_serving_kind();
  const json obj = serving(3, "new");
  std::vector<json> pods = {pod("llama-0", "old", true), pod("llama-1", "old", true), pod("llama-2", "old", true),
                            pod("llama-3", "new", false)};
  CHECK(*assess_groups(k, obj, pods, at(1)) == "group 3: 0/1 pods Ready on the new revision");
  pods[3] = pod("llama-3", "old", true);  // not replaced yet
  CHECK(*assess_groups(k, obj, pods, at(1)) == "group 3: 0/1 pods Ready on the new revision");
  pods[3] = pod("llama-3", "new", true);
  CHECK(assess_groups(k, obj, pods, at(1))->empty());
  // A generation the controller has not seen yet is not judged.
  json stale = obj;
  stale["status"]["observedGeneration"] = 2;
  CHECK(*assess_groups(k, stale, pods, at(1)) == "the controller has not seen generation 3 yet");
}

TEST_CASE("a crash-looping pod of a released group fails the step at once", "[actuators][groups]") {
  const std::vector<json> pods = {pod("llama-0", "old", true), pod("llama-1", "old", true), pod("llama-2", "old", true),
                                  pod("llama-3", "new", false, "CrashLoopBackOff")};
  auto r = assess_groups(model_serving_kind(), serving(3, "new"), pods, at(1));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::gate_failed);
  CHECK_THAT(r.error().message, Catch::Contains("llama-3-server-0-0") && Catch::Contains("CrashLoopBackOff"));
  // While rolling back, the same pod is being replaced: waited for, not failed.
  CHECK(assess_groups(model_serving_kind(), serving(0, "old"), pods, Position{}).ok());
}

TEST_CASE("pods split into canary and stable by the update revision", "[actuators][groups]") {
  const std::vector<json> pods = {pod("llama-0", "old", true), pod("llama-3", "new", true)};
  const auto roles = pod_roles(model_serving_kind(), serving(3, "new"), pods);
  CHECK(roles.at("llama-0-server-0-0") == Role::stable);
  CHECK(roles.at("llama-3-server-0-0") == Role::canary);
}

TEST_CASE("a RoleRollingUpdate strategy and a partly released object are refused before any change", "[actuators][groups]") {
  ServingGroupsActuator a(model_serving_kind(), "llama", std::nullopt, Duration(60000));
  auto client = testing::offline_client();
  json role = serving(0, "x");
  role["spec"]["rolloutStrategy"]["type"] = "RoleRollingUpdate";
  auto s = a.check(*client, role);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.error().message, Catch::Contains("RoleRollingUpdate"));
  auto partly = a.check(*client, serving(2, "x"));
  REQUIRE_FALSE(partly.ok());
  CHECK_THAT(partly.error().message, Catch::Contains("partition is 2 of 4"));
  CHECK(a.check(*client, serving(4, "x")).ok());  // frozen by hand: the plan takes over
}

namespace {

// `want` written over the live object, as the engine writes: the sandbox's ModelServing
// controller updates the status between our read and our write now and then, and a 409 is
// answered by reading again (what made this test fail under load).
void write_over_live(testing::SandboxCluster& cluster, json want) {
  auto api = cluster.client->resource("workload.serving.volcano.sh/v1alpha1", "ModelServing");
  REQUIRE(api.ok());
  for (int attempt = 0;; ++attempt) {
    json live = cluster.get("workload.serving.volcano.sh/v1alpha1", "ModelServing", "llama3-8b-instruct");
    want["metadata"] = live["metadata"];
    auto written = cluster.client->update(*api, cluster.ns, want);
    if (written.ok()) return;
    INFO(written.error().message);
    REQUIRE(written.error().kind == ErrorKind::conflict);
    REQUIRE(attempt < 20);
  }
}

}  // namespace

TEST_CASE("ModelServing on the sandbox: one group released, verified Ready, then rolled back", "[actuators][groups][sandbox]") {
  testing::SandboxCluster cluster;
  cluster.apply_example("modelserving-llama3-8b-instruct.yaml");
  json original = cluster.get("workload.serving.volcano.sh/v1alpha1", "ModelServing", "llama3-8b-instruct");
  json tmpl = original["spec"]["template"];
  tmpl["roles"][0]["entryTemplate"]["spec"]["containers"][0]["image"] = "vllm/vllm-openai:v0.10.2";
  ServingGroupsActuator a(model_serving_kind(), "llama3-8b-instruct", tmpl, Duration(30000));
  Wait wait;
  wait.timeout = Duration(30000);
  // Everything Ready on one revision first.
  REQUIRE(a.verify(*cluster.client, original, Position{}, wait).ok());
  auto write = [&](const Position& p) {
    json want = *a.desired(original, p);
    write_over_live(cluster, want);
    return a.verify(*cluster.client, want, p, wait);
  };
  REQUIRE(write(at(0)).ok());
  REQUIRE(write(at(1)).ok());
  auto pods_api = cluster.client->resource("v1", "Pod");
  REQUIRE(pods_api.ok());
  auto pods = cluster.client->list(*pods_api, "default", "modelserving.volcano.sh/name=llama3-8b-instruct");
  REQUIRE(pods.ok());
  std::vector<json> items(pods->at("items").begin(), pods->at("items").end());
  const auto roles = pod_roles(model_serving_kind(),
                               cluster.get("workload.serving.volcano.sh/v1alpha1", "ModelServing", "llama3-8b-instruct"),
                               items);
  int canary = 0;
  for (const auto& [name, role] : roles) canary += role == Role::canary;
  CHECK(canary == 1);
  CHECK(roles.at("llama3-8b-instruct-3-server-0-0") == Role::canary);
  // Back to the recorded object: group 3 returns to the old revision.
  write_over_live(cluster, original);
  REQUIRE(a.verify(*cluster.client, original, Position{}, wait).ok());
}
