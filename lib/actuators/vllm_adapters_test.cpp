// Adapters loaded through vLLM's runtime API: what the pods should hold at each position, the
// pre-flight probe, loading on every ready pod and on pods that join later, unloading, dry runs.
#include "actuators/vllm_adapters.hpp"

#include <algorithm>

#include "actuators/sandbox_fixture.hpp"
#include "actuators/vllm_lora_api.hpp"

using namespace rollout;
using namespace rollout::actuators;
using nlohmann::json;

namespace {

const char* kSource = "Kawon/llama3.1-food-finetune_v14_r8";
const char* kPool = "vllm-llama3-8b-instruct";

plan::Adapters vllm_adapters() {
  plan::Adapters a;
  a.vllm_pool = kPool;
  a.load = {{"food-review-2", kSource, std::nullopt}};
  a.unload_on_success = {"food-review-1"};
  a.verify_pool = kPool;
  a.verify_timeout = Duration(20000);
  return a;
}

Position at(bool loaded, bool finished = false) {
  Position p;
  p.adapters_loaded = loaded;
  p.finished = finished;
  return p;
}

std::vector<std::string> ids(const std::vector<plan::AdapterLoad>& loads) {
  std::vector<std::string> out;
  for (const auto& l : loads) out.push_back(l.id);
  return out;
}

// The example pools and their Deployments without the syncer's ConfigMap: nothing loads
// adapters but rollout. `env` replaces the vLLM container's env.
void start_pool(testing::SandboxCluster& c, const json& env) {
  c.apply_example("inferencepools.yaml");
  for (json d : testing::example("deployments.yaml")) {
    d["spec"]["replicas"] = 2;
    d["spec"]["template"]["spec"]["containers"][0]["env"] = env;
    d["spec"]["template"]["metadata"]["annotations"]["sandbox.rollout.dev/startup"] = "100ms";
    c.create(d);
  }
}

std::vector<Endpoint> ready_pods(testing::SandboxCluster& c, size_t n) {
  std::vector<Endpoint> ready;
  REQUIRE(testing::eventually(
      [&] {
        auto eps = pool_endpoints(*c.client, c.ns, {kPool});
        ready.clear();
        if (eps.ok())
          for (const auto& e : *eps)
            if (e.ready) ready.push_back(e);
        return eps.ok() && eps->size() == n && ready.size() == n;
      },
      std::chrono::seconds(20)));
  return ready;
}

std::map<std::string, std::string> models_of(testing::SandboxCluster& c, const Endpoint& ep) {
  auto listed = listed_models(*c.client, c.ns, ep);
  REQUIRE(listed.ok());
  return *listed;
}

const json kRuntimeEnv = json::array({{{"name", "VLLM_ALLOW_RUNTIME_LORA_UPDATING"}, {"value", "True"}}});

}  // namespace

TEST_CASE("vLLM adapters: what the pods hold at each position", "[actuators][vllm-lora]") {
  VllmAdaptersActuator a(vllm_adapters());
  CHECK(ids(a.wanted(at(false)).loaded).empty());
  CHECK(a.wanted(at(false)).unloaded == std::vector<std::string>{"food-review-2"});  // a rollback unloads the canary
  CHECK(ids(a.wanted(at(true)).loaded) == std::vector<std::string>{"food-review-2"});
  CHECK(a.wanted(at(true)).unloaded.empty());
  CHECK(ids(a.wanted(at(true, true)).loaded) == std::vector<std::string>{"food-review-2"});
  CHECK(a.wanted(at(true, true)).unloaded == std::vector<std::string>{"food-review-1"});
  CHECK(a.managed_fields().empty());
  CHECK(a.name() == "vllm");
  CHECK_FALSE(a.backend(json::object(), Role::canary));
}

TEST_CASE("vLLM adapters: a dry run says what it would load and unload, without asking the pods",
          "[actuators][vllm-lora]") {
  auto client = testing::offline_client();  // any request would fail
  VllmAdaptersActuator a(vllm_adapters());
  const json pool = {{"apiVersion", "inference.networking.k8s.io/v1"},
                     {"kind", "InferencePool"},
                     {"metadata", {{"name", kPool}, {"namespace", "default"}}}};
  std::vector<std::string> notes;
  Converge how;
  how.dry = true;
  how.note = [&](const std::string& n) { notes.push_back(n); };
  how.from = at(false);
  REQUIRE(a.converge(*client, {pool}, at(true), how).ok());
  how.from = at(true);
  REQUIRE(a.converge(*client, {pool}, at(true), how).ok());  // a weight step: nothing changes on the pods
  how.from = at(true);
  REQUIRE(a.converge(*client, {pool}, at(true, true), how).ok());
  CHECK(notes == std::vector<std::string>{
                     "would load adapter food-review-2 (Kawon/llama3.1-food-finetune_v14_r8) on every ready pod of "
                     "InferencePool vllm-llama3-8b-instruct: POST /v1/load_lora_adapter",
                     "would unload adapter food-review-1 from every ready pod of InferencePool "
                     "vllm-llama3-8b-instruct: POST /v1/unload_lora_adapter"});
}

TEST_CASE("vLLM adapters in a sandbox: loaded on every pod, on a replacement pod, unloaded at the end and on rollback",
          "[actuators][vllm-lora]") {
  testing::SandboxCluster c;
  start_pool(c, kRuntimeEnv);
  VllmAdaptersActuator a(vllm_adapters());
  auto refs = a.resolve(*c.client, c.ns);
  REQUIRE(refs.ok());
  CHECK(*refs == std::vector<ObjectRef>{{"inference.networking.k8s.io/v1", "InferencePool", "default", kPool}});
  auto pods = ready_pods(c, 2);
  for (const auto& ep : pods) REQUIRE(load_adapter(*c.client, c.ns, ep, "food-review-1", "/adapters/1").ok());
  const json pool = c.get("inference.networking.k8s.io/v1", "InferencePool", kPool);
  REQUIRE(a.check(*c.client, pool).ok());

  std::vector<std::string> notes;
  Converge how;
  how.note = [&](const std::string& n) { notes.push_back(n); };
  REQUIRE(a.converge(*c.client, {pool}, at(true), how).ok());
  CHECK(notes.size() == 2);
  for (const auto& ep : pods) {
    CHECK(std::find(notes.begin(), notes.end(), "loaded food-review-2 on pod " + ep.pod) != notes.end());
    CHECK(models_of(c, ep).at("food-review-2") == kSource);
  }
  Wait wait;
  wait.poll = Duration(100);
  wait.note = how.note;
  REQUIRE(a.verify(*c.client, pool, at(true), wait).ok());
  // Loading again is vLLM's 400 "already loaded": loaded, not an error.
  CHECK(load_adapter(*c.client, c.ns, pods[0], "food-review-2", kSource).ok());

  // A pod replaced mid-rollout has none of the runtime loads; the next pass loads them there only.
  auto pods_api = c.client->resource("v1", "Pod");
  REQUIRE(pods_api.ok());
  REQUIRE(c.client->remove(*pods_api, c.ns, pods[0].pod).ok());
  std::vector<Endpoint> now;
  REQUIRE(testing::eventually(
      [&] {
        now = ready_pods(c, 2);
        return std::none_of(now.begin(), now.end(), [&](const Endpoint& e) { return e.pod == pods[0].pod; });
      },
      std::chrono::seconds(20)));
  const auto fresh = std::find_if(now.begin(), now.end(), [&](const Endpoint& e) { return e.pod != pods[1].pod; });
  REQUIRE(fresh != now.end());
  CHECK_FALSE(models_of(c, *fresh).count("food-review-2"));
  notes.clear();
  REQUIRE(a.converge(*c.client, {pool}, at(true), how).ok());
  CHECK(notes == std::vector<std::string>{"loaded food-review-2 on new pod " + fresh->pod});
  CHECK(models_of(c, *fresh).count("food-review-2"));

  // Finished: food-review-1 unloaded wherever it is (the new pod never had it: 404 is fine).
  notes.clear();
  REQUIRE(a.verify(*c.client, pool, at(true, true), wait).ok());
  CHECK(notes == std::vector<std::string>{"unloaded food-review-1 on pod " + pods[1].pod});
  for (const auto& ep : now) CHECK_FALSE(models_of(c, ep).count("food-review-1"));
  CHECK(unload_adapter(*c.client, c.ns, now[0], "food-review-1").ok());  // 404: already unloaded

  // Rollback: the canary adapter goes from every ready pod.
  REQUIRE(a.converge(*c.client, {pool}, at(false), how).ok());
  for (const auto& ep : now) CHECK_FALSE(models_of(c, ep).count("food-review-2"));
}

TEST_CASE("vLLM adapters in a sandbox: pods without the runtime API fail the pre-flight with the hint",
          "[actuators][vllm-lora]") {
  testing::SandboxCluster c;
  start_pool(c, json::array());
  auto pods = ready_pods(c, 2);
  VllmAdaptersActuator a(vllm_adapters());
  const json pool = c.get("inference.networking.k8s.io/v1", "InferencePool", kPool);
  auto checked = a.check(*c.client, pool);
  REQUIRE_FALSE(checked.ok());
  CHECK(checked.error().kind == ErrorKind::invalid);
  CHECK_THAT(
      checked.error().message,
      Catch::StartsWith("InferencePool vllm-llama3-8b-instruct (adapters.vllm.pool): pod vllm-llama3-8b-instruct-") &&
          Catch::Contains("does not serve vLLM's runtime LoRA API (GET /v1/load_lora_adapter answered 404") &&
          Catch::Contains("VLLM_ALLOW_RUNTIME_LORA_UPDATING=True"));
  auto api = runtime_lora_api(*c.client, c.ns, pods[0]);
  REQUIRE(api.ok());
  CHECK_FALSE(*api);
  auto missing = VllmAdaptersActuator([] {
                   auto x = vllm_adapters();
                   x.vllm_pool = "no-such-pool";
                   return x;
                 }())
                     .resolve(*c.client, c.ns);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message == "InferencePool no-such-pool not found in namespace default (adapters.vllm.pool)");
}

TEST_CASE("vLLM adapters in a sandbox: a refused load fails like a gate, with vLLM's message",
          "[actuators][vllm-lora]") {
  testing::SandboxCluster c;
  start_pool(c, kRuntimeEnv);
  auto pods = ready_pods(c, 2);
  auto bad = vllm_adapters();
  bad.load = {{"food-review-2", "", std::nullopt}};  // vLLM: 400 "Both 'lora_name' and 'lora_path' must be provided."
  VllmAdaptersActuator a(bad);
  const json pool = c.get("inference.networking.k8s.io/v1", "InferencePool", kPool);
  auto s = a.converge(*c.client, {pool}, at(true), Converge{});
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().kind == ErrorKind::gate_failed);
  CHECK_THAT(s.error().message,
             Catch::Contains("POST /v1/load_lora_adapter food-review-2 answered 400: Both 'lora_name' and 'lora_path' "
                             "must be provided."));
  // A pod already serving the id from another path is a clash found before anything changes.
  REQUIRE(load_adapter(*c.client, c.ns, pods[0], "food-review-2", "/elsewhere").ok());
  auto clash = VllmAdaptersActuator(vllm_adapters()).check(*c.client, pool);
  REQUIRE_FALSE(clash.ok());
  CHECK_THAT(clash.error().message, Catch::Contains("already serves food-review-2 from /elsewhere, but the plan loads "
                                                    "it from Kawon/llama3.1-food-finetune_v14_r8"));
}
