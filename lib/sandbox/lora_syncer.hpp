// The LoRA syncer sidecar, simulated: every few seconds it reads each ConfigMap holding a
// `configmap.yaml` with vLLMLoRAConfig (REFERENCE.md) and, on every ready pod that mounts that
// ConfigMap as a volume, loads the adapters of ensureExist and unloads those of ensureNotExist
// through the pod's vLLM API (an id in both lists is skipped). Like the real one, it writes
// nothing back to Kubernetes: loading is observed through GET /v1/models.
#pragma once

#include <memory>

#include "sandbox/controller.hpp"
#include "sandbox/pod_runtime.hpp"

namespace rollout::sandbox {

std::unique_ptr<Controller> make_lora_syncer(std::shared_ptr<PodRuntimes> runtimes,
                                             std::chrono::milliseconds period = std::chrono::seconds(2));

}  // namespace rollout::sandbox
