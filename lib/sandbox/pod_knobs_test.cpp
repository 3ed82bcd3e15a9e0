#include "sandbox/pod_knobs.hpp"

#include <catch2/catch.hpp>

using nlohmann::json;
using rollout::sandbox::knobs_of;

namespace {

json pod_with_env(const json& env, const json& annotations = json::object()) {
  return {{"metadata", {{"annotations", annotations}}},
          {"spec",
           {{"containers", json::array({{{"name", "vllm"}, {"image", "vllm/vllm-openai:v0.8.5"}, {"env", env}}})}}}};
}

}  // namespace

TEST_CASE("runtime LoRA routes exist only with VLLM_ALLOW_RUNTIME_LORA_UPDATING as vLLM parses it",
          "[sandbox][knobs]") {
  CHECK_FALSE(knobs_of(pod_with_env(json::array())).runtime_lora);
  for (const char* yes : {"True", "true", "1", " TRUE "})
    CHECK(knobs_of(pod_with_env({{{"name", "VLLM_ALLOW_RUNTIME_LORA_UPDATING"}, {"value", yes}}})).runtime_lora);
  for (const char* no : {"False", "0", "yes", ""})
    CHECK_FALSE(knobs_of(pod_with_env({{{"name", "VLLM_ALLOW_RUNTIME_LORA_UPDATING"}, {"value", no}}})).runtime_lora);
}

TEST_CASE("per-adapter error rates come from one annotation", "[sandbox][knobs]") {
  auto k = knobs_of(
      pod_with_env(json::array(), {{"sandbox.rollout.dev/adapter-error-rate", "food-review-2=0.5,x=0.1,bad"}}));
  CHECK(k.adapter_error_rate.size() == 2);
  CHECK(k.adapter_error_rate["food-review-2"] == 0.5);
  CHECK(k.adapter_error_rate["x"] == 0.1);
}

TEST_CASE("a pod serves its --lora-modules adapters from the start", "[sandbox][knobs]") {
  json pod = pod_with_env(json::array());
  pod["spec"]["containers"][0]["args"] = {
      "--model", "m", "--lora-modules", "a=/adapters/a", R"({"name": "b", "path": "/adapters/b"})", "--port", "8000"};
  auto k = knobs_of(pod);
  REQUIRE(k.lora_modules.size() == 2);
  CHECK(k.lora_modules[0] == std::pair<std::string, std::string>{"a", "/adapters/a"});
  CHECK(k.lora_modules[1] == std::pair<std::string, std::string>{"b", "/adapters/b"});
  CHECK(k.model == "m");
}

TEST_CASE("GET /version reports vLLM's package version, not the image tag", "[sandbox][knobs]") {
  auto k = knobs_of(pod_with_env(json::array()));  // vllm/vllm-openai:v0.8.5
  CHECK(k.version == "v0.8.5");                     // the version label stays the tag
  CHECK(k.server_version == "0.8.5");
  k = knobs_of(pod_with_env(json::array(), {{"sandbox.rollout.dev/version", "v2"}}));
  CHECK(k.version == "v2");
  CHECK(k.server_version.empty());  // an explicit label is what /version says
}
