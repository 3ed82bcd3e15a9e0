#include "actuators/live.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

namespace rollout::actuators {

using nlohmann::json;

std::string object_name(const json& obj) {
  if (!obj.is_object() || !obj.contains("metadata")) return "";
  return obj["metadata"].value("name", "");
}

std::string object_namespace(const json& obj) {
  if (!obj.is_object() || !obj.contains("metadata")) return "";
  return obj["metadata"].value("namespace", "");
}

std::string object_namespace(const json& obj, const k8s::Client& client) {
  const std::string ns = object_namespace(obj);
  return ns.empty() ? client.default_namespace() : ns;
}

std::string describe(const json& obj) {
  const std::string kind = obj.is_object() ? obj.value("kind", "object") : "object";
  return kind + " " + object_name(obj);
}

std::string backend_api_version(const std::string& kind, const std::string& group) {
  if (kind == "Service" && group.empty()) return "v1";
  if (group == "inference.networking.x-k8s.io") return group + "/v1alpha2";
  if (group == "networking.serving.volcano.sh") return group + "/v1alpha1";  // Kthena's ModelServer
  return group + "/v1";
}

std::string label_selector(const std::map<std::string, std::string>& labels) {
  std::string out;
  for (const auto& [k, v] : labels) out += (out.empty() ? "" : ",") + k + "=" + v;
  return out;
}

Result<json> get_object(k8s::Client& client, const std::string& api_version, const std::string& kind,
                        const std::string& ns, const std::string& name) {
  auto resource = client.resource(api_version, kind);
  if (!resource.ok()) return resource.error();
  auto obj = client.get(*resource, ns, name);
  if (!obj.ok() && obj.error().kind == ErrorKind::not_found)
    return make_error(ErrorKind::not_found, kind + " " + name + " not found in namespace " + ns);
  return obj;
}

Status poll_until(const Wait& wait, const std::string& what, const std::function<Result<std::string>()>& pending) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  Duration slept{0};
  auto sleep = wait.sleep ? wait.sleep : [](Duration d) { std::this_thread::sleep_for(d); };
  for (;;) {
    auto answer = pending();
    if (!answer.ok()) return answer.error();
    if (answer->empty()) return ok_status();
    const auto elapsed = std::max(slept, std::chrono::duration_cast<Duration>(Clock::now() - start));
    if (elapsed >= wait.timeout)
      return make_error(ErrorKind::timeout, what + " within " + format_duration(wait.timeout) + ": " + *answer);
    if (wait.cancelled && wait.cancelled()) return make_error(ErrorKind::aborted, what + ": cancelled while waiting");
    // Effects usually land within milliseconds: look again soon, then back off to wait.poll.
    const Duration backoff = std::min(wait.poll, Duration(10L << std::min<long>(slept.count() / 10, 5)));
    const Duration step = std::min(std::max(backoff, Duration(1)), wait.timeout - elapsed);
    sleep(step);
    slept += step;
  }
}

const json* find_condition(const json& conditions, const std::string& type) {
  if (!conditions.is_array()) return nullptr;
  for (const auto& c : conditions)
    if (c.is_object() && c.value("type", "") == type) return &c;
  return nullptr;
}

}  // namespace rollout::actuators

namespace rollout::actuators {

bool pod_ready(const json& pod) {
  if (pod.value("metadata", json::object()).contains("deletionTimestamp")) return false;
  const json conditions = pod.value("status", json::object()).value("conditions", json::array());
  const json* ready = find_condition(conditions, "Ready");
  return ready && ready->value("status", "") == "True";
}

std::string pod_failure(const json& pod) {
  // The kubelet's waiting reasons that need a change of the pod template to go away
  // (kubelet/images/types.go, kubelet/container/sync_result.go).
  static const char* const kFailing[] = {"CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "InvalidImageName",
                                         "CreateContainerConfigError", "CreateContainerError", "RunContainerError"};
  const json status = pod.value("status", json::object());
  for (const char* list : {"initContainerStatuses", "containerStatuses"})
    for (const auto& c : status.value(list, json::array())) {
      const std::string reason = c.value("state", json::object()).value("waiting", json::object()).value("reason", "");
      for (const char* f : kFailing)
        if (reason == f)
          return "container " + c.value("name", "") + ": " + reason + ", " +
                 std::to_string(c.value("restartCount", 0)) + " restart(s)";
    }
  return "";
}

Status poll_noting(const Wait& wait, const std::string& what, const std::function<Result<std::string>()>& pending) {
  // What settles within a moment (the controller catching up) is not worth a line.
  constexpr Duration kQuiet{500};
  const auto start = std::chrono::steady_clock::now();
  std::string last;
  return poll_until(wait, what, [&]() -> Result<std::string> {
    auto answer = pending();
    if (!answer.ok() || answer->empty() || *answer == last) return answer;
    if (std::chrono::steady_clock::now() - start < kQuiet) return answer;
    last = *answer;
    if (wait.note) wait.note(what + ": " + *answer);
    return answer;
  });
}

}  // namespace rollout::actuators
