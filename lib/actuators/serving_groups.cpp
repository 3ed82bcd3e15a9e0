#include "actuators/serving_groups.hpp"

#include <fmt/format.h>

#include "actuators/endpoints.hpp"
#include "actuators/live.hpp"

namespace rollout::actuators {

using nlohmann::json;

namespace {

const json::json_pointer kPartition("/spec/rolloutStrategy/rollingUpdateConfiguration/partition");

int replicas_of(const json& obj) {
  const json spec = obj.value("spec", json::object());
  const auto it = spec.find("replicas");
  return it != spec.end() && it->is_number_integer() ? it->get<int>() : 1;
}

// The partition as a number of groups; a percentage rounds up, as intstr.GetScaledValueFromIntOrPercent.
std::optional<int> partition_of(const json& obj, int replicas) {
  if (!obj.contains(kPartition)) return std::nullopt;
  const json& v = obj.at(kPartition);
  if (v.is_number_integer()) return v.get<int>();
  if (v.is_string() && !v.get<std::string>().empty() && v.get<std::string>().back() == '%')
    return (std::atoi(v.get<std::string>().c_str()) * replicas + 99) / 100;
  if (v.is_string()) return std::atoi(v.get<std::string>().c_str());
  return std::nullopt;
}

std::string label(const json& pod, const std::string& key) {
  return pod.value("metadata", json::object()).value("labels", json::object()).value(key, "");
}

std::optional<int> ordinal_of(const GroupKind& kind, const json& obj, const json& pod) {
  const std::string name = object_name(obj);
  if (label(pod, kind.name_label) != name) return std::nullopt;
  std::string group = label(pod, kind.group_label);
  if (!kind.group_label_is_index) {
    if (group.rfind(name + "-", 0) != 0) return std::nullopt;
    group = group.substr(name.size() + 1);
  }
  if (group.empty() || group.size() > 9 || group.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::stoi(group);
}

// Pods per group, from the template: Kthena roles x (entry + workers); LWS `size`.
int group_size(const GroupKind& kind, const json& obj) {
  const json::json_pointer at(kind.template_field);
  const json tmpl = obj.contains(at) ? obj.at(at) : json::object();
  if (kind.template_field == "/spec/leaderWorkerTemplate") return std::max(1, tmpl.value("size", 1));
  const json roles = tmpl.value("roles", json::array());
  if (!roles.is_array() || roles.empty()) return 1;
  int n = 0;
  for (const auto& r : roles)
    if (r.is_object()) n += std::max(0, r.value("replicas", 1)) * (1 + std::max(0, r.value("workerReplicas", 0)));
  return std::max(1, n);
}

using Groups = std::map<int, std::vector<json>>;

Groups groups_of(const GroupKind& kind, const json& obj, const std::vector<json>& pods) {
  Groups g;
  for (const auto& p : pods)
    if (auto o = ordinal_of(kind, obj, p)) g[*o].push_back(p);
  return g;
}

std::string group_revision(const GroupKind& kind, const Groups& groups, int ordinal) {
  auto it = groups.find(ordinal);
  return it == groups.end() || it->second.empty() ? "" : label(it->second.front(), kind.revision_label);
}

int status_int(const json& obj, const char* key) {
  const json status = obj.value("status", json::object());
  const auto it = status.find(key);
  return it != status.end() && it->is_number_integer() ? it->get<int>() : 0;  // omitempty: absent is 0
}

// The revision the groups move to: status.updateRevision where the kind reports it, else the
// revision of the group released first (the highest), or of group 0 when none is released.
std::string new_revision(const GroupKind& kind, const json& obj, const Groups& groups, int released) {
  if (kind.status_has_update_revision) {
    const std::string r = obj.value("status", json::object()).value("updateRevision", "");
    if (!r.empty()) return r;
  }
  return group_revision(kind, groups, released > 0 ? replicas_of(obj) - 1 : 0);
}

}  // namespace

const GroupKind& model_serving_kind() {
  static const GroupKind k{"modelServing", "workload.serving.volcano.sh/v1alpha1", "ModelServing", "/spec/template",
                           "modelserving.volcano.sh/name", "modelserving.volcano.sh/group-name", false,
                           "modelserving.volcano.sh/revision", "modelserving.volcano.sh/entry", "true", true};
  return k;
}

const GroupKind& model_infer_kind() {
  static const GroupKind k{"modelServing", "workload.matrixinfer.ai/v1alpha1", "ModelInfer", "/spec/template",
                           "modelinfer.matrixinfer.ai/name", "modelinfer.matrixinfer.ai/group-name", false,
                           "modelinfer.matrixinfer.ai/revision", "modelinfer.matrixinfer.ai/entry", "true", false};
  return k;
}

const GroupKind& leader_worker_set_kind() {
  static const GroupKind k{"leaderWorkerSet", "leaderworkerset.x-k8s.io/v1", "LeaderWorkerSet",
                           "/spec/leaderWorkerTemplate", "leaderworkerset.sigs.k8s.io/name",
                           "leaderworkerset.sigs.k8s.io/group-index", true,
                           "leaderworkerset.sigs.k8s.io/template-revision-hash", "leaderworkerset.sigs.k8s.io/worker-index",
                           "0", false};
  return k;
}

Result<std::string> assess_groups(const GroupKind& kind, const json& obj, const std::vector<json>& pods,
                                  const Position& position) {
  const json meta = obj.value("metadata", json::object());
  const json status = obj.value("status", json::object());
  if (status.contains("observedGeneration") && status.value("observedGeneration", int64_t{0}) < meta.value("generation", int64_t{0}))
    return fmt::format("the controller has not seen generation {} yet", meta.value("generation", int64_t{0}));
  const int n = replicas_of(obj);
  if (position.template_in_place && !position.finished && position.updated == 0) return std::string();  // frozen
  const int released = !position.template_in_place ? 0 : position.finished ? n : std::min(position.updated, n);
  const Groups groups = groups_of(kind, obj, pods);
  const std::string rev = new_revision(kind, obj, groups, released);
  const int size = group_size(kind, obj);
  // Released groups, highest first (all of them once settled back on one revision).
  for (int o = n - 1; o >= (released == 0 ? 0 : n - released); --o) {
    auto it = groups.find(o);
    const std::vector<json> none;
    const std::vector<json>& members = it == groups.end() ? none : it->second;
    int on_rev = 0, ready = 0;
    for (const auto& p : members) {
      if (label(p, kind.revision_label) != rev) continue;
      ++on_rev;
      ready += pod_ready(p);
      if (position.template_in_place)
        if (const std::string why = pod_failure(p); !why.empty())
          return make_error(ErrorKind::gate_failed,
                            fmt::format("{} {}: pod {} of group {} runs the new revision and fails ({})", kind.kind,
                                        object_name(obj), object_name(p), o, why));
    }
    if (ready < size || on_rev != static_cast<int>(members.size()))
      return fmt::format("group {}: {}/{} pods Ready on the {} revision", o, ready, size,
                         released == 0 ? "recorded" : "new");
  }
  if (!kind.status_has_update_revision && released > 0) {
    if (released < n && group_revision(kind, groups, 0) == rev)
      return fmt::format("group {}: not replaced yet (it runs the old revision)", n - 1);
    if (status_int(obj, "updatedReplicas") < released)
      return fmt::format("status.updatedReplicas is {} of {}", status_int(obj, "updatedReplicas"), released);
  }
  return std::string();
}

std::map<std::string, Role> pod_roles(const GroupKind& kind, const json& obj, const std::vector<json>& pods) {
  const Groups groups = groups_of(kind, obj, pods);
  const int n = replicas_of(obj);
  std::string canary;
  if (kind.status_has_update_revision) {
    canary = obj.value("status", json::object()).value("updateRevision", "");
  } else {
    const std::string high = group_revision(kind, groups, n - 1), low = group_revision(kind, groups, 0);
    if (high != low || status_int(obj, "updatedReplicas") >= n) canary = high;
  }
  std::map<std::string, Role> roles;
  for (const auto& p : pods)
    if (ordinal_of(kind, obj, p))
      roles[object_name(p)] = !canary.empty() && label(p, kind.revision_label) == canary ? Role::canary : Role::stable;
  return roles;
}

Result<std::vector<ObjectRef>> ServingGroupsActuator::resolve(k8s::Client&, const std::string& ns) const {
  return std::vector<ObjectRef>{{kind_.api_version, kind_.kind, ns, name_}};
}

Status ServingGroupsActuator::check(k8s::Client&, const json& live) const {
  const std::string what = kind_.kind + " " + object_name(live);
  const std::string type = live.value("spec", json::object()).value("rolloutStrategy", json::object()).value("type", "");
  if (type == "RoleRollingUpdate")
    return make_error(ErrorKind::invalid,
                      what + ": spec.rolloutStrategy.type is RoleRollingUpdate (a partition per role); rollout "
                             "releases whole serving groups: use ServingGroupRollingUpdate (the default) for this "
                             "rollout, or update the roles by hand");
  if (!type.empty() && type != "ServingGroupRollingUpdate" && type != "InferGroupRollingUpdate" && type != "RollingUpdate")
    return make_error(ErrorKind::invalid, what + ": spec.rolloutStrategy.type " + type + " is not a rolling update");
  const int n = replicas_of(live);
  if (n < 1) return make_error(ErrorKind::invalid, what + ": spec.replicas is 0: nothing to roll");
  const auto p = partition_of(live, n);
  if (p && *p > 0 && *p < n)
    return make_error(ErrorKind::invalid,
                      fmt::format("{}: spec.rolloutStrategy.rollingUpdateConfiguration.partition is {} of {} "
                                  "replicas: an update is partly released; finish or undo it first",
                                  what, *p, n));
  return ok_status();
}

Result<json> ServingGroupsActuator::desired(const json& original, const Position& position) const {
  json d = original;
  if (!position.template_in_place) return d;
  if (template_) d[json::json_pointer(kind_.template_field)] = *template_;
  const int n = replicas_of(original);
  const auto recorded = partition_of(original, n);
  if (position.finished && (!recorded || *recorded < n)) {
    // The recorded strategy back as it was: no partition, or 0.
    if (original.value("spec", json::object()).contains("rolloutStrategy"))
      d["spec"]["rolloutStrategy"] = original["spec"]["rolloutStrategy"];
    else
      d["spec"].erase("rolloutStrategy");
    return d;
  }
  d[kPartition] = position.finished ? 0 : n - std::min(position.updated, n);
  return d;
}

Result<std::vector<json>> ServingGroupsActuator::pods_of(k8s::Client& client, const std::string& ns) const {
  auto api = client.resource("v1", "Pod");
  if (!api.ok()) return api.error();
  auto list = client.list(*api, ns, label_selector({{kind_.name_label, name_}}));
  if (!list.ok()) return list.error();
  std::vector<json> pods;
  for (const auto& p : list->value("items", json::array())) pods.push_back(p);
  return pods;
}

Status ServingGroupsActuator::verify(k8s::Client& client, const json& written, const Position& position,
                                     const Wait& wait) const {
  const std::string ns = object_namespace(written, client);
  Wait w = wait;
  w.timeout = ready_timeout_;
  w.poll = std::min(w.poll, Duration(500));
  const std::string what = kind_.kind + " " + name_;
  return poll_noting(w, what, [&]() -> Result<std::string> {
    auto obj = get_object(client, kind_.api_version, kind_.kind, ns, name_);
    if (!obj.ok()) return obj.error();
    auto pods = pods_of(client, ns);
    if (!pods.ok()) return pods.error();
    return assess_groups(kind_, *obj, *pods, position);
  });
}

Result<std::vector<Endpoint>> ServingGroupsActuator::endpoints(k8s::Client& client, const std::string& ns,
                                                               const json& original, Role role) const {
  auto obj = get_object(client, kind_.api_version, kind_.kind, ns, name_);
  if (!obj.ok()) return obj.error();
  auto pods = pods_of(client, ns);
  if (!pods.ok()) return pods.error();
  const json::json_pointer at(kind_.template_field);
  // Until the plan's template is in place every pod is on the old version.
  const bool introduced = !template_ || !obj->contains(at) || !original.contains(at) || obj->at(at) != original.at(at);
  const auto roles = pod_roles(kind_, *obj, *pods);
  std::vector<Endpoint> out;
  for (const auto& p : *pods) {
    auto it = roles.find(object_name(p));
    if (it == roles.end() || label(p, kind_.serving_label) != kind_.serving_value) continue;
    if ((introduced ? it->second : Role::stable) != role) continue;
    out.push_back(pod_endpoint(ns, p, serving_port(p)));
  }
  return out;
}

std::optional<int> ServingGroupsActuator::replicas(const json& obj) const {
  if (!obj.is_object()) return std::nullopt;
  return replicas_of(obj);
}

}  // namespace rollout::actuators
