// The LoRA syncer ConfigMap actuator on the seed's ConfigMap, and verify() against a sandbox whose
// simulated syncer loads adapters on the pool's pods.
#include "actuators/lora_syncer.hpp"

#include <algorithm>

#include "actuators/endpoints.hpp"
#include "actuators/sandbox_fixture.hpp"

using namespace rollout;
using namespace rollout::actuators;
using nlohmann::json;

namespace {

const char* kSource = "Kawon/llama3.1-food-finetune_v14_r8";

plan::Adapters seed_adapters() {
  plan::Adapters a;
  a.lora_syncer_config_map = "vllm-llama3-8b-instruct-adapters";
  a.load = {{"food-review-2", kSource, std::nullopt}};
  a.unload_on_success = {"food-review-1"};
  a.verify_pool = "vllm-llama3-8b-instruct";
  a.verify_timeout = Duration(20000);
  return a;
}

json seed_configmap() {
  return testing::example("configmap-lora-adapters.yaml").at(0);
}

json config_of(const json& cm) {
  auto j = parse_yaml_as_json(cm["data"]["configmap.yaml"].get<std::string>());
  REQUIRE(j.ok());
  return *j;
}

Position loaded(bool finished = false) {
  Position p;
  p.adapters_loaded = true;
  p.finished = finished;
  p.weight = finished ? 100 : 0;
  return p;
}

// The seed's ConfigMaps: after "Load the new adapter version" and after "Unload the older versions".
const char* kSeedLoaded = R"(
vLLMLoRAConfig:
  name: vllm-llama3-8b-instruct-adapters
  port: 8000
  defaultBaseModel: meta-llama/Llama-3.1-8B-Instruct
  ensureExist:
    models:
    - id: food-review-1
      source: Kawon/llama3.1-food-finetune_v14_r8
    - id: food-review-2
      source: Kawon/llama3.1-food-finetune_v14_r8
)";
const char* kSeedFinished = R"(
vLLMLoRAConfig:
  name: vllm-llama3-8b-instruct-adapters
  port: 8000
  defaultBaseModel: meta-llama/Llama-3.1-8B-Instruct
  ensureExist:
    models:
    - id: food-review-2
      source: Kawon/llama3.1-food-finetune_v14_r8
  ensureNotExist:
    models:
    - id: food-review-1
      source: Kawon/llama3.1-food-finetune_v14_r8
)";

}  // namespace

TEST_CASE("LoRA syncer: desired at each position is the seed's ConfigMap", "[actuators][lora]") {
  LoraSyncerActuator a(seed_adapters());
  const json original = seed_configmap();
  Position before;
  before.weight = 0;
  CHECK(*a.desired(original, before) == original);  // byte for byte
  auto load = a.desired(original, loaded());
  REQUIRE(load.ok());
  CHECK(config_of(*load) == testing::yaml(kSeedLoaded));
  Position ten = loaded();
  ten.weight = 10;
  CHECK(*a.desired(original, ten) == *load);
  auto finish = a.desired(original, loaded(true));
  REQUIRE(finish.ok());
  CHECK(config_of(*finish) == testing::yaml(kSeedFinished));
  json rest = *finish;
  rest["data"].erase("configmap.yaml");
  json orig_rest = original;
  orig_rest["data"].erase("configmap.yaml");
  CHECK(rest == orig_rest);
  // already loaded: nothing to change, the text stays as written
  CHECK(*a.desired(*load, loaded()) == *load);
  json by_hand = original;
  by_hand["data"]["configmap.yaml"] =
      by_hand["data"]["configmap.yaml"].get<std::string>() + "    - id: food-review-2\n      source: " + kSource + "\n";
  CHECK(*a.desired(by_hand, loaded()) == by_hand);
}

TEST_CASE("LoRA syncer: an id in ensureNotExist is moved back; base-model is written", "[actuators][lora]") {
  auto adapters = seed_adapters();
  adapters.load[0].base_model = "meta-llama/Llama-3.1-8B-Instruct";
  LoraSyncerActuator a(adapters);
  json original = seed_configmap();
  original["data"]["configmap.yaml"] = original["data"]["configmap.yaml"].get<std::string>() +
                                       "  ensureNotExist:\n    models:\n    - id: food-review-2\n      source: x\n";
  auto client = testing::offline_client();
  CHECK(a.check(*client, original).ok());
  const json config = config_of(*a.desired(original, loaded()))["vLLMLoRAConfig"];
  CHECK(config["ensureExist"]["models"][1] ==
        json{{"id", "food-review-2"}, {"source", kSource}, {"base-model", "meta-llama/Llama-3.1-8B-Instruct"}});
  CHECK(config["ensureNotExist"]["models"] == json::array());
}

TEST_CASE("LoRA syncer: check() names the ConfigMap, the id and both sources", "[actuators][lora]") {
  auto client = testing::offline_client();
  auto adapters = seed_adapters();
  adapters.load = {{"food-review-1", "someone/else", std::nullopt}};
  LoraSyncerActuator clash(adapters);
  auto status = clash.check(*client, seed_configmap());
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().kind == ErrorKind::invalid);
  CHECK(status.error().message ==
        "ConfigMap vllm-llama3-8b-instruct-adapters: data.configmap.yaml: adapter food-review-1 is already in "
        "ensureExist with source Kawon/llama3.1-food-finetune_v14_r8, but the plan loads it from someone/else");
  LoraSyncerActuator a(seed_adapters());
  CHECK(a.check(*client, seed_configmap()).ok());
  json no_key = seed_configmap();
  no_key["data"] = {{"other", "x"}};
  CHECK(a.check(*client, no_key).error().message ==
        "ConfigMap vllm-llama3-8b-instruct-adapters: data.configmap.yaml is missing: the LoRA syncer reads its "
        "adapters from it");
  json bad = seed_configmap();
  bad["data"]["configmap.yaml"] = "vLLMLoRAConfig: [";
  CHECK_THAT(a.check(*client, bad).error().message,
             Catch::StartsWith("ConfigMap vllm-llama3-8b-instruct-adapters: data.configmap.yaml: line "));
  CHECK_FALSE(a.desired(bad, loaded()).ok());
  CHECK(a.name() == "loraSyncer");
  CHECK(a.managed_fields() == std::vector<std::string>{"/data/configmap.yaml"});
  CHECK_FALSE(a.backend(seed_configmap(), Role::canary));
}

TEST_CASE("LoRA syncer in a sandbox: the adapter is listed by every ready pod", "[actuators][lora]") {
  testing::SandboxCluster c;
  for (const char* f : {"configmap-lora-adapters.yaml", "inferencepools.yaml", "deployments.yaml"}) c.apply_example(f);
  LoraSyncerActuator a(seed_adapters());
  auto refs = a.resolve(*c.client, c.ns);
  REQUIRE(refs.ok());
  CHECK(*refs == std::vector<ObjectRef>{{"v1", "ConfigMap", "default", "vllm-llama3-8b-instruct-adapters"}});
  const json live = c.get("v1", "ConfigMap", "vllm-llama3-8b-instruct-adapters");
  REQUIRE(a.check(*c.client, live).ok());
  auto d = a.desired(live, loaded());
  REQUIRE(d.ok());
  const json written = c.update(*d);
  Wait wait;
  wait.poll = Duration(200);
  auto verified = a.verify(*c.client, written, loaded(), wait);
  INFO((verified.ok() ? "" : verified.error().message));
  REQUIRE(verified.ok());
  auto endpoints = pool_endpoints(*c.client, c.ns, {"vllm-llama3-8b-instruct"});
  REQUIRE(endpoints.ok());
  int ready = 0;
  for (const auto& ep : *endpoints) {
    if (!ep.ready) continue;
    ++ready;
    auto models = proxy_get(*c.client, c.ns, ep, "/v1/models", Duration(5000));
    REQUIRE(models.ok());
    CHECK_THAT(models->body, Catch::Contains("\"food-review-2\""));
  }
  CHECK(ready > 0);
}

TEST_CASE("LoRA syncer in a sandbox: verify times out naming the pods", "[actuators][lora]") {
  testing::SandboxCluster c;
  for (const char* f : {"configmap-lora-adapters.yaml", "inferencepools.yaml", "deployments.yaml"}) c.apply_example(f);
  auto adapters = seed_adapters();
  adapters.verify_timeout = Duration(1000);
  LoraSyncerActuator a(adapters);
  REQUIRE(testing::eventually(
      [&] {
        auto eps = pool_endpoints(*c.client, c.ns, {"vllm-llama3-8b-instruct"});
        return eps.ok() && eps->size() == 3 &&
               std::all_of(eps->begin(), eps->end(), [](const Endpoint& e) { return e.ready; });
      },
      std::chrono::seconds(15)));
  // The ConfigMap was never changed: no pod lists food-review-2.
  const json live = c.get("v1", "ConfigMap", "vllm-llama3-8b-instruct-adapters");
  Wait wait;
  wait.poll = Duration(200);
  auto verified = a.verify(*c.client, live, loaded(), wait);
  REQUIRE_FALSE(verified.ok());
  CHECK(verified.error().kind == ErrorKind::timeout);
  CHECK_THAT(verified.error().message,
             Catch::StartsWith("adapters food-review-2 were not loaded by every ready pod of InferencePool "
                               "vllm-llama3-8b-instruct within 1s: pod vllm-llama3-8b-instruct-") &&
                 Catch::Contains("does not list food-review-2"));
  // Nothing to verify before loading, once finished, or without a pool.
  CHECK(a.verify(*c.client, live, Position{}, wait).ok());
  CHECK(a.verify(*c.client, live, loaded(true), wait).ok());
  adapters.verify_pool.reset();
  CHECK(LoraSyncerActuator(adapters).verify(*c.client, live, loaded(), wait).ok());
  adapters.verify_pool = "no-such-pool";
  auto missing = LoraSyncerActuator(adapters).verify(*c.client, live, loaded(), wait);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::not_found);
  CHECK(missing.error().message == "InferencePool no-such-pool not found in namespace default (adapters.verify.pool)");
}
