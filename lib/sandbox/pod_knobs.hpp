// Per-version quality knobs of a simulated model server, read from pod (template) annotations so
// that a plan can roll to a deliberately bad version:
//   sandbox.rollout.dev/startup: 5s        time before the pod is Ready (default 1s)
//   sandbox.rollout.dev/crash-on-start: "true"
//   sandbox.rollout.dev/error-rate: "0.05"  share of requests that fail
//   sandbox.rollout.dev/ttft: 80ms          median time to first token
//   sandbox.rollout.dev/itl: 15ms           median inter-token latency
//   sandbox.rollout.dev/model: NAME         served base model (default: the pod's --model arg or "sandbox-model")
//   sandbox.rollout.dev/version: v2         version label (default: the container image tag)
#pragma once

#include <nlohmann/json.hpp>
#include <string>

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
};

// Knobs from a pod object (its annotations, then its first container's image and args).
PodKnobs knobs_of(const nlohmann::json& pod);

}  // namespace rollout::sandbox
