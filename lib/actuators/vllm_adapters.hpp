// LoRA adapters loaded by `rollout` itself through vLLM's runtime API (plan `adapters.vllm`), now
// that GIE has removed the LoRA syncer sidecar: POST /v1/load_lora_adapter on every ready pod of
// the InferencePool (through the pod proxy), GET /v1/models to confirm, /v1/unload_lora_adapter
// for unloadOnSuccess at the end and for the canary adapters after a rollback. Runtime loads live
// in each vLLM process only: a pod that joins the pool during the rollout (scale-up, a replacement,
// a restarted container) has none, so converge() loads them there before the gates judge it.
// Its object is the InferencePool, read and checked but never written: nothing in it changes.
#pragma once

#include <map>
#include <mutex>

#include "actuators/actuator.hpp"
#include "actuators/endpoints.hpp"

namespace rollout::actuators {

class VllmAdaptersActuator : public Actuator {
 public:
  explicit VllmAdaptersActuator(plan::Adapters adapters) : adapters_(std::move(adapters)) {}

  std::string name() const override { return "vllm"; }
  // The InferencePool adapters.vllm.pool (inference.networking.k8s.io/v1, else the v1alpha2 group).
  Result<std::vector<ObjectRef>> resolve(k8s::Client& client, const std::string& ns) const override;
  // Pre-flight: every ready pod has the runtime API (VLLM_ALLOW_RUNTIME_LORA_UPDATING), and none
  // serves a `load` id from another path.
  Status check(k8s::Client& client, const nlohmann::json& live) const override;
  std::vector<std::string> managed_fields() const override { return {}; }
  Result<nlohmann::json> desired(const nlohmann::json& original, const Position&) const override { return original; }
  // Every ready pod lists each load id (and, once finished, none of unloadOnSuccess), loading
  // where missing while it waits, within adapters.verify.timeout.
  Status verify(k8s::Client& client, const nlohmann::json& written, const Position& position,
                const Wait& wait) const override;
  Status converge(k8s::Client& client, const std::vector<nlohmann::json>& objects, const Position& position,
                  const Converge& how) const override;
  std::optional<BackendPool> backend(const nlohmann::json&, Role) const override { return std::nullopt; }

  // What the pods should hold at `position`: the load entries once loaded; unloadOnSuccess gone
  // once finished; the load ids gone again before (a rollback).
  struct Wanted {
    std::vector<plan::AdapterLoad> loaded;
    std::vector<std::string> unloaded;
  };
  Wanted wanted(const Position& position) const;

 private:
  BackendPool pool_of(const nlohmann::json& pool) const;
  // One pass over the ready pods: each pod not yet as wanted is brought there and checked in
  // /v1/models. "" when every ready pod is; else what is outstanding. A refusal is an error; a pod
  // that does not answer is outstanding (`strict`: an error).
  Result<std::string> converge_once(k8s::Client& client, const std::string& ns, const BackendPool& pool,
                                    const Position& position, const Converge& how, bool strict) const;
  Result<bool> converge_pod(k8s::Client& client, const std::string& ns, const Endpoint& ep, const Wanted& want,
                            const std::string& joined, const Converge& how) const;

  plan::Adapters adapters_;
  // Pods (uid#restarts) already brought to a wanted state (its signature), so that the pass before
  // each gate measurement only talks to pods that are new since.
  mutable std::mutex mu_;
  mutable std::map<std::string, std::string> converged_;
};

}  // namespace rollout::actuators
