// Gateway API HTTPRoute (gateway.networking.k8s.io/v1): traffic between two backends of one rule
// by weight, plus an optional header rule and RequestMirror filter toward the canary. Owns
// /spec/rules; verified by the gateway's status at the new observedGeneration.
#pragma once

#include "actuators/actuator.hpp"

namespace rollout::actuators {

class HttpRouteActuator : public Actuator {
 public:
  explicit HttpRouteActuator(plan::HttpRouteTarget target) : target_(std::move(target)) {}

  std::string name() const override { return "httpRoute"; }
  Result<std::vector<ObjectRef>> resolve(k8s::Client& client, const std::string& ns) const override;
  Status check(k8s::Client& client, const nlohmann::json& live) const override;
  // The rules of every route, then the canary backend once per namespace (not once per route).
  Status check_all(k8s::Client& client, const std::vector<nlohmann::json>& lives) const override;
  std::vector<std::string> managed_fields() const override { return {"/spec/rules"}; }
  Result<nlohmann::json> desired(const nlohmann::json& original, const Position& position) const override;
  Status verify(k8s::Client& client, const nlohmann::json& written, const Position& position,
                const Wait& wait) const override;
  Status verify_all(k8s::Client& client, const std::vector<nlohmann::json>& written,
                    const std::vector<nlohmann::json>& originals, const Position& position,
                    const Wait& wait) const override;
  std::optional<BackendPool> backend(const nlohmann::json& original, Role role) const override;
  std::string side_name(Role role) const override {
    return role == Role::stable ? target_.stable.name : target_.canary.name;
  }
  std::optional<ObjectRef> stable_backend_object(const nlohmann::json& original) const override;

  // The index of the rule this rollout moves: `rule` if given, else the first one holding stable.
  Result<size_t> managed_rule(const nlohmann::json& route) const;

 private:
  // check() without the canary lookup: the managed rule and its backendRefs. Returns where the
  // canary would be added ("HTTPRoute x: spec.rules[0].backendRefs"), for check_canary's message.
  Result<std::string> check_rule(const nlohmann::json& live) const;
  Status check_canary(k8s::Client& client, const std::string& ns, const std::string& where) const;

  plan::HttpRouteTarget target_;
};

// Is this backendRef that backend (name, kind and group, with Gateway API's defaults)?
bool same_backend(const nlohmann::json& ref, const plan::BackendRef& backend);

// "" when every status.parents[] entry has Accepted and ResolvedRefs True at metadata.generation;
// else which condition is not, with its reason and message.
std::string route_not_programmed(const nlohmann::json& route);

}  // namespace rollout::actuators
