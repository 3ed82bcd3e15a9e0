// Per-version quality knobs of a simulated model server, read from pod (template) annotations so
// that a plan can roll to a deliberately bad version:
//   sandbox.rollout.dev/startup: 5s        time before the pod is Ready (default 1s)
//   sandbox.rollout.dev/crash-on-start: "true"
//   sandbox.rollout.dev/error-rate: "0.05"  share of requests that fail
//   sandbox.rollout.dev/ttft: 80ms          median time to first token
//   sandbox.rollout.dev/itl: 15ms           median inter-token latency
//   sandbox.rollout.dev/model: NAME         served base model (default: the pod's --model arg or "sandbox-model")
//   sandbox.rollout.dev/version: v2         version label (default: the container image tag)
//   sandbox.rollout.dev/adapter-error-rate: "food-review-2=0.5,other=0.1"
//                                           share of the requests naming that adapter that fail
// The first container's args as vLLM reads them: --model NAME, --lora-modules name=path ... (or
// {"name": ..., "path": ...}): adapters loaded at start. And, as vLLM reads it from its environment, the first container's env
// VLLM_ALLOW_RUNTIME_LORA_UPDATING ("1"/"true", any case): without it the runtime LoRA routes
// (/v1/load_lora_adapter, /v1/unload_lora_adapter) do not exist.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "util/duration.hpp"

namespace rollout::sandbox {

inline constexpr const char* kKnobPrefix = "sandbox.rollout.dev/";

struct PodKnobs {
  Duration startup{1000};
  bool crash_on_start = false;
  double error_rate = 0;
  Duration ttft{50};
  Duration itl{10};
  std::string model = "sandbox-model";
  std::string version = "v1";
  // What GET /version reports: vLLM's own version string, which its image tags carry with a "v"
  // (vllm/vllm-openai:v0.10.2 answers {"version": "0.10.2"}). Empty: the version label.
  std::string server_version;
  bool runtime_lora = false;
  std::vector<std::pair<std::string, std::string>> lora_modules;
  std::map<std::string, double> adapter_error_rate;
};

// Knobs from a pod object (its annotations, then its first container's image and args).
PodKnobs knobs_of(const nlohmann::json& pod);

}  // namespace rollout::sandbox
