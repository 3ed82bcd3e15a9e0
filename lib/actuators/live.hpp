// What every actuator reads off live objects (names for messages, gets that say which object is
// missing) and the one polling loop behind verify(): re-check until done, cancelled or out of time.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "actuators/actuator.hpp"

namespace rollout::actuators {

std::string object_name(const nlohmann::json& obj);
std::string object_namespace(const nlohmann::json& obj);
// The object's namespace, or the client's default for an object that does not say.
std::string object_namespace(const nlohmann::json& obj, const k8s::Client& client);
// "HTTPRoute llm-route": how messages name an object.
std::string describe(const nlohmann::json& obj);

// Where a backend object lives: "v1" for a Service, v1 of inference.networking.k8s.io, v1alpha2 of
// inference.networking.x-k8s.io, v1alpha1 of networking.serving.volcano.sh (Kthena's ModelServer).
std::string backend_api_version(const std::string& kind, const std::string& group);

// "app=vllm,tier=a": a label selector for list().
std::string label_selector(const std::map<std::string, std::string>& labels);

// GET one object; a missing one is ErrorKind::not_found "KIND NAME not found in namespace NS".
Result<nlohmann::json> get_object(k8s::Client& client, const std::string& api_version, const std::string& kind,
                                  const std::string& ns, const std::string& name);

// Calls `pending` until it answers "" (done) or an error, sleeping wait.poll in between. What it
// last answered explains the ErrorKind::timeout after wait.timeout: "WHAT within 1m: ANSWER".
// A cancelled wait is ErrorKind::aborted.
Status poll_until(const Wait& wait, const std::string& what, const std::function<Result<std::string>()>& pending);

// A pod's Ready condition (a pod being deleted is not ready).
bool pod_ready(const nlohmann::json& pod);
// Why a pod's new version visibly fails ("container vllm: CrashLoopBackOff, 3 restarts"), or ""
// while it may still become Ready (ContainerCreating, a slow start).
std::string pod_failure(const nlohmann::json& pod);

// Like poll_until, also telling wait.note what is outstanding whenever that changes.
Status poll_noting(const Wait& wait, const std::string& what, const std::function<Result<std::string>()>& pending);

// The entry of `type` in a status.conditions list, or nullptr.
const nlohmann::json* find_condition(const nlohmann::json& conditions, const std::string& type);
const nlohmann::json* find_condition(nlohmann::json&& conditions, const std::string& type) = delete;  // would dangle

}  // namespace rollout::actuators
