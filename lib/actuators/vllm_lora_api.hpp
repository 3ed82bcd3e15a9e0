// vLLM's runtime LoRA API on one pod, reached through the API server's pod proxy: what GET
// /v1/models lists, POST /v1/load_lora_adapter and /v1/unload_lora_adapter with their error
// statuses read as what they mean, and whether the routes exist at all. The statuses follow
// vllm/entrypoints/openai/models/serving.py (OpenAIServingModels.load_lora_adapter: 400 when the
// name is already loaded; unload_lora_adapter: 404 when it is not), and the routes are registered
// only with VLLM_ALLOW_RUNTIME_LORA_UPDATING (vllm/entrypoints/serve/lora/api_router.py,
// attach_router): without it any method gets FastAPI's 404, with it a GET gets 405.
#pragma once

#include <map>
#include <string>

#include "actuators/endpoints.hpp"

namespace rollout::actuators {

// The models a pod serves: id -> root (the base model's path, or an adapter's lora_path).
Result<std::map<std::string, std::string>> listed_models(k8s::Client& client, const std::string& ns,
                                                         const Endpoint& ep);

// The load and unload routes exist (GET answers 405); false when the route is not registered
// (404). Anything else (no answer, 5xx) is an error naming the pod.
Result<bool> runtime_lora_api(k8s::Client& client, const std::string& ns, const Endpoint& ep);

// POST /v1/load_lora_adapter {lora_name, lora_path}. A 400 saying the name is already loaded is
// success (the caller checks /v1/models for what is loaded). vLLM refusing the adapter (any other
// 4xx, 5xx) is ErrorKind::gate_failed with vLLM's message; no answer is ErrorKind::unavailable.
Status load_adapter(k8s::Client& client, const std::string& ns, const Endpoint& ep, const std::string& name,
                    const std::string& path);

// POST /v1/unload_lora_adapter {lora_name}: true when unloaded, false when the pod did not have it
// (404: already unloaded). Errors as load_adapter.
Result<bool> unload_adapter(k8s::Client& client, const std::string& ns, const Endpoint& ep, const std::string& name);

}  // namespace rollout::actuators
