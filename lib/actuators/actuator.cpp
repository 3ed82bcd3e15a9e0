// ObjectRef as JSON (the engine records refs in its state), and the one table from a plan's target
// kind to its actuator.
#include "actuators/actuator.hpp"

#include "actuators/deployment.hpp"
#include "actuators/endpoints.hpp"
#include "actuators/http_route.hpp"
#include "actuators/inference_model.hpp"
#include "actuators/inference_model_rewrite.hpp"
#include "actuators/local_replicas.hpp"
#include "actuators/lora_syncer.hpp"
#include "actuators/model_route.hpp"
#include "actuators/serving_groups.hpp"
#include "actuators/vllm_adapters.hpp"

namespace rollout::actuators {

using nlohmann::json;

json to_json(const ObjectRef& r) {
  return {{"apiVersion", r.api_version}, {"kind", r.kind}, {"namespace", r.namespace_}, {"name", r.name}};
}

ObjectRef object_ref_from_json(const json& j) {
  if (!j.is_object()) return {};
  return {j.value("apiVersion", ""), j.value("kind", ""), j.value("namespace", ""), j.value("name", "")};
}

Status Actuator::check_all(k8s::Client& client, const std::vector<json>& lives) const {
  for (const auto& live : lives)
    if (auto s = check(client, live); !s.ok()) return s;
  return ok_status();
}

Status Actuator::verify_all(k8s::Client& client, const std::vector<json>& written, const std::vector<json>&,
                            const Position& position, const Wait& wait) const {
  for (const auto& w : written)
    if (auto s = verify(client, w, position, wait); !s.ok()) return s;
  return ok_status();
}

Result<std::vector<Endpoint>> Actuator::endpoints(k8s::Client& client, const std::string& ns, const json& original,
                                                  Role role) const {
  auto pool = backend(original, role);
  if (!pool) return std::vector<Endpoint>{};
  return pool_endpoints(client, ns, *pool);
}

namespace {

using Make = std::unique_ptr<Actuator> (*)(const plan::Target&);

template <typename A, typename T>
std::unique_ptr<Actuator> make(const plan::Target& target) {
  return std::make_unique<A>(std::get<T>(target));
}

std::unique_ptr<Actuator> make_model_serving(const plan::Target& target) {
  const auto& t = std::get<plan::ModelServingTarget>(target);
  const GroupKind& kind = t.api_version == model_infer_kind().api_version ? model_infer_kind() : model_serving_kind();
  return std::make_unique<ServingGroupsActuator>(kind, t.name, t.template_, t.ready_timeout);
}

std::unique_ptr<Actuator> make_leader_worker_set(const plan::Target& target) {
  const auto& t = std::get<plan::LeaderWorkerSetTarget>(target);
  return std::make_unique<ServingGroupsActuator>(leader_worker_set_kind(), t.name, t.template_, t.ready_timeout);
}

struct ActuatorKind {
  const char* target;  // the plan's target key
  Make make;
};

const ActuatorKind kActuatorKinds[] = {
    {"httpRoute", make<HttpRouteActuator, plan::HttpRouteTarget>},
    {"inferenceModel", make<InferenceModelActuator, plan::InferenceModelTarget>},
    {"inferenceModelRewrite", make<InferenceModelRewriteActuator, plan::InferenceModelRewriteTarget>},
    {"modelRoute", make<ModelRouteActuator, plan::ModelRouteTarget>},
    {"modelServing", make_model_serving},
    {"deployment", make<DeploymentActuator, plan::DeploymentTarget>},
    {"leaderWorkerSet", make_leader_worker_set},
    {"local", make<LocalReplicasActuator, plan::LocalTarget>},
};

}  // namespace

Result<std::vector<std::unique_ptr<Actuator>>> actuators_for(const plan::Plan& plan) {
  const std::string key = plan::target_key(plan.target);
  const ActuatorKind* kind = nullptr;
  for (const auto& k : kActuatorKinds)
    if (key == k.target) kind = &k;
  if (!kind) return make_error(ErrorKind::unimplemented, "the " + key + " target is not supported by plan apply yet");
  std::vector<std::unique_ptr<Actuator>> out;
  if (plan.adapters) {  // adapters before traffic
    if (!plan.adapters->vllm_pool.empty())
      out.push_back(std::make_unique<VllmAdaptersActuator>(*plan.adapters));
    else
      out.push_back(std::make_unique<LoraSyncerActuator>(*plan.adapters));
  }
  out.push_back(kind->make(plan.target));
  return out;
}

}  // namespace rollout::actuators
