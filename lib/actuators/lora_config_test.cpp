// The LoRA syncer's configmap.yaml: edits as the seed (gie-rollout-lora-node-basemodel.md) makes
// them by hand, a stable key order, and strings that stay strings.
#include "actuators/lora_config.hpp"

#include <catch2/catch.hpp>

#include "util/yaml_json.hpp"

using namespace rollout;
using namespace rollout::actuators;

namespace {

const char* kSeedStart = R"(vLLMLoRAConfig:
  name: vllm-llama3-8b-instruct-adapters
  port: 8000
  defaultBaseModel: meta-llama/Llama-3.1-8B-Instruct
  ensureExist:
    models:
    - id: food-review-1
      source: Kawon/llama3.1-food-finetune_v14_r8
)";

LoraConfig parsed(const std::string& text) {
  auto c = LoraConfig::parse(text);
  INFO((c.ok() ? "" : c.error().message));
  REQUIRE(c.ok());
  return *c;
}

nlohmann::json as_json(const std::string& yaml) {
  auto j = parse_yaml_as_json(yaml);
  REQUIRE(j.ok());
  return *j;
}

}  // namespace

TEST_CASE("LoRA config: load appends to ensureExist in block style, keys in a stable order", "[actuators][lora]") {
  LoraConfig c = parsed(kSeedStart);
  c.load({"food-review-2", "Kawon/llama3.1-food-finetune_v14_r8", std::nullopt});
  CHECK(c.emit() == R"(vLLMLoRAConfig:
  name: vllm-llama3-8b-instruct-adapters
  port: 8000
  defaultBaseModel: meta-llama/Llama-3.1-8B-Instruct
  ensureExist:
    models:
      - id: food-review-1
        source: Kawon/llama3.1-food-finetune_v14_r8
      - id: food-review-2
        source: Kawon/llama3.1-food-finetune_v14_r8
)");
  REQUIRE(c.ensure_exist().size() == 2);
  CHECK(c.ensure_not_exist().empty());
}

TEST_CASE("LoRA config: load replaces the same id in place and leaves ensureNotExist", "[actuators][lora]") {
  LoraConfig c = parsed(R"(vLLMLoRAConfig:
  ensureNotExist: {models: [{id: b, source: s/b}, {id: c, source: s/c}]}
  ensureExist: {models: [{id: a, source: s/a}, {id: b, source: old, extra: 1}]}
  port: 8000
  name: x
)");
  c.load({"b", "s/b", "meta-llama/Llama-3.1-8B-Instruct"});
  const auto exist = c.ensure_exist();
  REQUIRE(exist.size() == 2);
  CHECK(exist[1].id == "b");
  CHECK(exist[1].source == "s/b");
  CHECK(exist[1].base_model == "meta-llama/Llama-3.1-8B-Instruct");
  REQUIRE(c.ensure_not_exist().size() == 1);
  CHECK(c.ensure_not_exist()[0].id == "c");
  CHECK(c.emit() == R"(vLLMLoRAConfig:
  name: x
  port: 8000
  ensureExist:
    models:
      - id: a
        source: s/a
      - id: b
        source: s/b
        base-model: meta-llama/Llama-3.1-8B-Instruct
  ensureNotExist:
    models:
      - id: c
        source: s/c
)");
}

TEST_CASE("LoRA config: unload moves an id to ensureNotExist with its source (the seed's finish)",
          "[actuators][lora]") {
  LoraConfig c = parsed(kSeedStart);
  c.load({"food-review-2", "Kawon/llama3.1-food-finetune_v14_r8", std::nullopt});
  c.unload("food-review-1");
  // The seed's "Unload the older versions" ConfigMap.
  CHECK(as_json(c.emit()) == as_json(R"(
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
)"));
  c.unload("food-review-2");
  CHECK(c.ensure_exist().empty());
  CHECK(c.ensure_not_exist().size() == 2);
  CHECK_THAT(c.emit(), Catch::Contains("ensureExist:\n    models: []\n"));
  c.unload("never-loaded");
  CHECK(c.ensure_not_exist().back().id == "never-loaded");
  CHECK(c.ensure_not_exist().back().source == "");
}

TEST_CASE("LoRA config: unknown keys are kept, strings stay strings", "[actuators][lora]") {
  LoraConfig c = parsed(R"(# comment
vLLMLoRAConfig:
  reconcileInterval: 5s
  name: "007"
  port: 8000
  ensureExist:
    models: []
    note: keep me
other: {a: [1, 2]}
)");
  c.load({"2024", "true", std::nullopt});
  const std::string out = c.emit();
  CHECK(out == R"(vLLMLoRAConfig:
  name: "007"
  port: 8000
  ensureExist:
    models:
      - id: "2024"
        source: "true"
    note: keep me
  reconcileInterval: 5s
other:
  a:
    - 1
    - 2
)");
  const auto j = as_json(out);
  CHECK(j["vLLMLoRAConfig"]["name"] == "007");
  CHECK(j["vLLMLoRAConfig"]["port"] == 8000);
  CHECK(j["vLLMLoRAConfig"]["ensureExist"]["models"][0]["id"] == "2024");
  CHECK(j["vLLMLoRAConfig"]["ensureExist"]["models"][0]["source"] == "true");
}

TEST_CASE("LoRA config: bad YAML and wrong shapes", "[actuators][lora]") {
  auto bad = LoraConfig::parse("vLLMLoRAConfig: [unclosed\n");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().kind == ErrorKind::invalid);
  CHECK_THAT(bad.error().message, Catch::StartsWith("line "));
  CHECK(LoraConfig::parse("name: x\n").error().message == "no vLLMLoRAConfig map at the top");
  CHECK(LoraConfig::parse("vLLMLoRAConfig:\n  ensureExist: {models: {id: a}}\n").error().message ==
        "vLLMLoRAConfig.ensureExist.models is not a list");
  CHECK(LoraConfig::parse("vLLMLoRAConfig:\n  ensureNotExist: [a]\n").error().message ==
        "vLLMLoRAConfig.ensureNotExist is not a map");
  CHECK(LoraConfig::parse("vLLMLoRAConfig:\n  ensureExist: {models: [{source: x}]}\n").error().message ==
        "vLLMLoRAConfig.ensureExist.models[0] has no id");
  CHECK(LoraConfig::parse("vLLMLoRAConfig:\n  ensureNotExist:\n").ok());
}
