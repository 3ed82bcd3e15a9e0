// Crash safety of every strategy: a Run stopped after its k-th write (state saves, history, control
// and API writes, adapter loads through the pod proxy), as if the process had been killed there,
// then a fresh Run on the same state. For every k from 0 to past the last write: the state read
// after the stop parses, and the fresh run ends with the objects as the plan's end says, the state
// Succeeded and the run recorded once in the history. Each GENERATE value is its own run of a case,
// so a case covers a few k and stays quick; the first chunk also counts a clean run's writes and
// checks the chunks reach past them.
#include <nlohmann/json.hpp>

#include "engine/run_adapters_fixture.hpp"
#include "engine/run_crash_fixture.hpp"

using namespace rollout;
using namespace rollout::engine;
using namespace rollout::engine::testing;
using nlohmann::json;

namespace {

// ---- blue-green HTTPRoute -----------------------------------------------------------------------

// The plan without its analysis and timed pause: setWeight 10, pause until promoted, setWeight 50.
struct BlueGreenRun : RunFixture {
  BlueGreenRun() {
    plan.steps = {plan.steps[0], plan.steps[2], plan.steps[3]};
  }
};

// ---- LoRA canary, adapters through vLLM's runtime API ---------------------------------------------

// The gates answer from the script (Successful): what is judged here is where the adapters end.
struct LoraCrashRun : LoraRun {
  LoraCrashRun() {
    seams.make_provider = [this](const plan::Gate& g) -> Result<std::unique_ptr<gates::MetricProvider>> {
      return std::unique_ptr<gates::MetricProvider>(std::make_unique<ScriptedProvider>(g.name, script));
    };
  }
};

void lora_finished(RunFixture& f) {
  const json im = f.cluster.get("inference.networking.x-k8s.io/v1alpha2", "InferenceModel", "food-review");
  CHECK(im["spec"]["targetModels"] == json::parse(R"([{"name":"food-review-2","weight":100}])"));
  const auto pods = ready_pods(f.cluster);
  CHECK(pods.size() == 2);
  for (const auto& pod : pods) CHECK_THAT(models(f.cluster, pod), Catch::Contains("\"food-review-2\""));
}

// ---- rolling: ModelServing and Deployment --------------------------------------------------------

constexpr const char* kOldImage = "vllm/vllm-openai:v0.9.2";
constexpr const char* kNewImage = "vllm/vllm-openai:v0.10.2";

// A pod template of the sandbox's simulated vLLM on `image`, Ready 50 ms after it starts.
json pod_template(const std::string& app, const std::string& image) {
  return {{"metadata",
           {{"labels", {{"app", app}}}, {"annotations", {{"sandbox.rollout.dev/startup", "50ms"}}}}},
          {"spec",
           {{"containers",
             json::array({{{"name", "vllm"},
                           {"image", image},
                           {"args", {"--model", "meta-llama/Llama-3.1-8B-Instruct", "--port", "8000"}},
                           {"ports", json::array({{{"containerPort", 8000}}})},
                           {"readinessProbe", {{"httpGet", {{"path", "/health"}, {"port", 8000}}}}}}})},
            {"terminationGracePeriodSeconds", 1}}}};
}

json serving_template(const std::string& image) {
  return {{"roles",
           json::array({{{"name", "server"},
                         {"replicas", 1},
                         {"workerReplicas", 0},
                         {"entryTemplate", pod_template("ms", image)}}})}};
}

// Images of the pods (not being deleted) that carry `label`, Ready or not.
std::vector<std::string> pod_images(actuators::testing::SandboxCluster& c, const std::string& label, bool ready_only) {
  auto api = c.client->resource("v1", "Pod");
  REQUIRE(api.ok());
  auto pods = c.client->list(*api, c.ns, label);
  REQUIRE(pods.ok());
  std::vector<std::string> out;
  for (const auto& p : (*pods)["items"]) {
    if (p["metadata"].contains("deletionTimestamp")) continue;
    bool ready = false;
    for (const auto& cond : p.value("status", json::object()).value("conditions", json::array()))
      ready |= cond.value("type", "") == "Ready" && cond.value("status", "") == "True";
    if (ready || !ready_only) out.push_back(p["spec"]["containers"][0]["image"].get<std::string>());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool all_on(actuators::testing::SandboxCluster& c, const std::string& label, size_t n, const std::string& image) {
  const auto all = pod_images(c, label, false);
  const auto ready = pod_images(c, label, true);
  return ready.size() == n && all.size() == n && std::all_of(all.begin(), all.end(), [&](auto& i) { return i == image; });
}

struct ModelServingRun : RunFixture {
  ModelServingRun() {
    json ms = {{"apiVersion", "workload.serving.volcano.sh/v1alpha1"},
               {"kind", "ModelServing"},
               {"metadata", {{"name", "ms"}}},
               {"spec",
                {{"replicas", 2},
                 {"rolloutStrategy",
                  {{"type", "ServingGroupRollingUpdate"}, {"rollingUpdateConfiguration", {{"maxUnavailable", 1}}}}},
                 {"template", serving_template(kOldImage)}}}};
    cluster.create(ms);
    plan = rolling_plan("{modelServing: {name: ms, template: " + serving_template(kNewImage).dump() + "}}");
    REQUIRE(actuators::testing::eventually([&] { return all_on(cluster, "app=ms", 2, kOldImage); },
                                           std::chrono::seconds(20)));
  }
};

void modelserving_finished(RunFixture& f) {
  const json ms = f.cluster.get("workload.serving.volcano.sh/v1alpha1", "ModelServing", "ms");
  CHECK(ms["spec"]["template"] == serving_template(kNewImage));
  CHECK(ms["spec"]["rolloutStrategy"] ==
        json({{"type", "ServingGroupRollingUpdate"}, {"rollingUpdateConfiguration", {{"maxUnavailable", 1}}}}));
  CHECK(actuators::testing::eventually([&] { return all_on(f.cluster, "app=ms", 2, kNewImage); },
                                       std::chrono::seconds(20)));
}

json deployment_strategy() {
  return {{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxSurge", "25%"}, {"maxUnavailable", "25%"}}}};
}

struct DeploymentRun : RunFixture {
  DeploymentRun() {
    json d = {{"apiVersion", "apps/v1"},
              {"kind", "Deployment"},
              {"metadata", {{"name", "dep"}}},
              {"spec",
               {{"replicas", 2},
                {"selector", {{"matchLabels", {{"app", "dep"}}}}},
                {"strategy", deployment_strategy()},
                {"template", pod_template("dep", kOldImage)}}}};
    cluster.create(d);
    plan = rolling_plan("{deployment: {name: dep, template: " + pod_template("dep", kNewImage).dump() + "}}");
    REQUIRE(actuators::testing::eventually([&] { return all_on(cluster, "app=dep", 2, kOldImage); },
                                           std::chrono::seconds(20)));
  }
};

void deployment_finished(RunFixture& f) {
  const json d = f.cluster.get("apps/v1", "Deployment", "dep");
  CHECK(d["spec"]["template"]["spec"]["containers"][0]["image"] == kNewImage);
  CHECK(d["spec"]["strategy"] == deployment_strategy());
  CHECK_FALSE(d["spec"].value("paused", false));
  CHECK(actuators::testing::eventually([&] { return all_on(f.cluster, "app=dep", 2, kNewImage); },
                                       std::chrono::seconds(20)));
}

}  // namespace

TEST_CASE("Run: blue-green stopped after any write, a fresh run finishes the rollout", "[run][crash]") {
  const int first = GENERATE(range(0, 28, 4));
  crash_at_every_write<BlueGreenRun>(first, 4, 7, [](RunFixture& f) {
    CHECK(f.weights() == kFinished);
    CHECK(f.commands.back() == std::vector<std::string>{"echo", "finalized"});
  });
}

TEST_CASE("Run: LoRA canary through vLLM's runtime API stopped after any write, a fresh run finishes it",
          "[run][crash][vllm-lora]") {
  const int first = GENERATE(range(0, 40, 5));
  crash_at_every_write<LoraCrashRun>(first, 5, 8, lora_finished);
}

TEST_CASE("Run: ModelServing rolling update stopped after any write, a fresh run finishes it", "[run][crash]") {
  const int first = GENERATE(range(0, 40, 5));
  crash_at_every_write<ModelServingRun>(first, 5, 8, modelserving_finished);
}

TEST_CASE("Run: Deployment rolling update stopped after any write, a fresh run finishes it", "[run][crash]") {
  const int first = GENERATE(range(0, 40, 5));
  crash_at_every_write<DeploymentRun>(first, 5, 8, deployment_finished);
}
