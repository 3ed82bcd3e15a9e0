#include "sandbox/deployment_sync.hpp"

#include <algorithm>
#include <map>

namespace rollout::sandbox::deploy {

namespace {

json object_at(const json& o, const char* key) {
  if (!o.is_object()) return json::object();
  auto it = o.find(key);
  return it != o.end() && it->is_object() ? *it : json::object();
}

std::optional<int> spec_int(const json& d, const char* key) {
  const json spec = object_at(d, "spec");
  auto it = spec.find(key);
  if (it == spec.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int>();
}

std::time_t parse_time(const std::string& s) {
  std::tm tm{};
  if (s.empty() || !strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm)) return 0;
  return timegm(&tm);
}

// HasProgressDeadline: set and not MaxInt32.
bool has_progress_deadline(const json& d) {
  auto p = spec_int(d, "progressDeadlineSeconds");
  return p && *p != 2147483647;
}

// The rolling-update branch of scale(): proportions toward replicas + maxSurge.
std::vector<ScaleAction> plan_proportional(const json& d, const std::optional<json>& new_rs, const RSList& old) {
  RSList all = old;
  if (new_rs) all.push_back(*new_rs);
  all = filter_active(all);
  const int allowed = spec_replicas(d) > 0 ? spec_replicas(d) + max_surge(d) : 0;
  const int to_add = allowed - replica_count(all);
  // Scaling up, newer ReplicaSets first among equal sizes; scaling down, older ones first.
  if (to_add > 0) sort_by_size_newer(all);
  if (to_add < 0) sort_by_size_older(all);
  int added = 0;
  std::vector<ScaleAction> out;
  for (const auto& rs : all) {
    int size = spec_replicas(rs);
    if (to_add != 0) {
      const int proportion = get_proportion(rs, d, to_add, added);
      size += proportion;
      added += proportion;
    }
    out.push_back({rs, size});
  }
  if (!out.empty() && to_add != 0) out[0].replicas = std::max(0, out[0].replicas + to_add - added);  // leftover
  return out;
}

}  // namespace

std::vector<ScaleAction> plan_scale(const json& d, const std::optional<json>& new_rs, const RSList& old) {
  if (auto one = find_active_or_latest(new_rs, old)) {
    if (spec_replicas(*one) == spec_replicas(d)) return {};
    return {{*one, spec_replicas(d)}};
  }
  // Adoption during a saturated new ReplicaSet: old ones go to 0.
  if (is_saturated(d, new_rs)) {
    std::vector<ScaleAction> out;
    for (const auto& rs : filter_active(old)) out.push_back({rs, 0});
    return out;
  }
  if (is_rolling_update(d)) return plan_proportional(d, new_rs, old);
  return {};
}

std::optional<int> plan_new_replica_set(const json& d, const RSList& all, const json& new_rs) {
  if (spec_replicas(new_rs) == spec_replicas(d)) return std::nullopt;
  if (spec_replicas(new_rs) > spec_replicas(d)) return spec_replicas(d);  // scale down
  const int n = new_rs_new_replicas(d, all, new_rs);
  if (n == spec_replicas(new_rs)) return std::nullopt;
  return n;
}

std::vector<ScaleAction> plan_old_replica_sets(const json& d, const RSList& all, RSList old, const json& new_rs) {
  if (replica_count(old) == 0) return {};  // cannot scale down further
  const int min_available = spec_replicas(d) - max_unavailable(d);
  const int new_unavailable = spec_replicas(new_rs) - status_int(new_rs, "availableReplicas");
  const int max_scaled_down = replica_count(all) - min_available - new_unavailable;
  if (max_scaled_down <= 0) return {};
  std::map<std::string, int> target;  // name -> replicas after this step
  // cleanupUnhealthyReplicas: unavailable old pods go first; they cost no availability.
  sort_by_creation(old);
  const RSList read = old;  // as read: the actions scale these
  int cleaned = 0;
  for (auto& rs : old) {
    if (cleaned >= max_scaled_down) break;
    const int replicas = spec_replicas(rs), available = status_int(rs, "availableReplicas");
    if (replicas == 0 || replicas == available) continue;
    const int down = std::min(max_scaled_down - cleaned, replicas - available);
    target[name_of(rs)] = replicas - down;
    rs["spec"]["replicas"] = replicas - down;
    cleaned += down;
  }
  // scaleDownOldReplicaSetsForRollingUpdate: available pods above minAvailable, oldest first.
  const int available = available_count(all);
  if (available > min_available) {
    const int total = available - min_available;
    int scaled = 0;
    for (auto& rs : old) {
      if (scaled >= total) break;
      const int replicas = spec_replicas(rs);
      if (replicas == 0) continue;
      const int down = std::min(replicas, total - scaled);
      target[name_of(rs)] = replicas - down;
      rs["spec"]["replicas"] = replicas - down;
      scaled += down;
    }
  }
  std::vector<ScaleAction> out;
  for (const auto& rs : read)
    if (target.count(name_of(rs))) out.push_back({rs, target[name_of(rs)]});
  return out;
}

std::vector<std::string> plan_cleanup(const json& d, RSList old) {
  const int limit = spec_int(d, "revisionHistoryLimit").value_or(10);
  if (limit == 2147483647) return {};  // HasRevisionHistoryLimit: MaxInt32 keeps everything
  std::erase_if(old, [](const json& rs) { return object_at(rs, "metadata").contains("deletionTimestamp"); });
  const int diff = static_cast<int>(old.size()) - limit;
  if (diff <= 0) return {};
  sort_by_creation(old);
  std::vector<std::string> out;
  for (int i = 0; i < diff; ++i) {
    const json& rs = old[i];
    const auto meta = object_at(rs, "metadata");
    // Never one that still has pods, or whose scale-down its controller has not observed yet.
    if (status_int(rs, "replicas") != 0 || spec_replicas(rs) != 0 ||
        meta.value("generation", int64_t{0}) > object_at(rs, "status").value("observedGeneration", int64_t{0}))
      continue;
    out.push_back(name_of(rs));
  }
  return out;
}

json new_condition(const std::string& type, const std::string& status, const std::string& reason,
                   const std::string& message, const std::string& now) {
  return {{"type", type},     {"status", status},          {"lastUpdateTime", now},
          {"reason", reason}, {"lastTransitionTime", now}, {"message", message}};
}

std::optional<json> get_condition(const json& status, const std::string& type) {
  for (const auto& c : status.value("conditions", json::array()))
    if (c.value("type", "") == type) return c;
  return std::nullopt;
}

void remove_condition(json& status, const std::string& type) {
  if (!status.contains("conditions")) return;
  json kept = json::array();
  for (const auto& c : status["conditions"])
    if (c.value("type", "") != type) kept.push_back(c);
  if (kept.empty())
    status.erase("conditions");
  else
    status["conditions"] = kept;
}

void set_condition(json& status, json cond) {
  const auto current = get_condition(status, cond.value("type", ""));
  if (current && current->value("status", "") == cond.value("status", "") &&
      current->value("reason", "") == cond.value("reason", ""))
    return;
  if (current && current->value("status", "") == cond.value("status", ""))
    cond["lastTransitionTime"] = current->value("lastTransitionTime", "");
  remove_condition(status, cond.value("type", ""));
  status["conditions"].push_back(std::move(cond));
}

json calculate_status(const RSList& all, const std::optional<json>& new_rs, const json& d, const std::string& now) {
  const int available = available_count(all);
  json s = json::object();
  auto put = [&s](const char* key, int n) {  // omitempty
    if (n != 0) s[key] = n;
  };
  const int64_t gen = object_at(d, "metadata").value("generation", int64_t{0});
  if (gen != 0) s["observedGeneration"] = gen;
  put("replicas", actual_count(all));
  put("updatedReplicas", new_rs ? status_int(*new_rs, "replicas") : 0);
  put("readyReplicas", ready_count(all));
  put("availableReplicas", available);
  put("unavailableReplicas", std::max(0, replica_count(all) - available));
  const json old = object_at(d, "status");
  if (old.contains("collisionCount")) s["collisionCount"] = old["collisionCount"];
  if (old.contains("conditions")) s["conditions"] = old["conditions"];
  if (available >= spec_replicas(d) - max_unavailable(d))
    set_condition(s, new_condition("Available", "True", "MinimumReplicasAvailable",
                                   "Deployment has minimum availability.", now));
  else
    set_condition(s, new_condition("Available", "False", "MinimumReplicasUnavailable",
                                   "Deployment does not have minimum availability.", now));
  return s;
}

json rollout_status(const RSList& all, const std::optional<json>& new_rs, const json& d, const std::string& now,
                    std::time_t now_seconds) {
  json s = calculate_status(all, new_rs, d, now);
  if (!has_progress_deadline(d)) {
    remove_condition(s, "Progressing");
    return s;
  }
  const auto current = get_condition(object_at(d, "status"), "Progressing");
  // A resync of a finished rollout: no progress to estimate.
  if (s.value("replicas", 0) == s.value("updatedReplicas", 0) && current &&
      current->value("reason", "") == "NewReplicaSetAvailable")
    return s;
  const std::string what = new_rs ? "ReplicaSet \"" + name_of(*new_rs) + "\"" : "Deployment \"" + name_of(d) + "\"";
  if (deployment_complete(d, s)) {
    set_condition(s, new_condition("Progressing", "True", "NewReplicaSetAvailable", what + " has successfully progressed.",
                                   now));
  } else if (deployment_progressing(d, s)) {
    // Progress refreshes lastUpdateTime even with the same reason, unlike set_condition.
    json cond = new_condition("Progressing", "True", "ReplicaSetUpdated", what + " is progressing.", now);
    if (current) {
      if (current->value("status", "") == "True") cond["lastTransitionTime"] = current->value("lastTransitionTime", now);
      remove_condition(s, "Progressing");
    }
    set_condition(s, cond);
  } else if (const auto c = get_condition(s, "Progressing");
             c && c->value("reason", "") != "NewReplicaSetAvailable" &&
             (c->value("reason", "") == "ProgressDeadlineExceeded" ||
              parse_time(c->value("lastUpdateTime", "")) + *spec_int(d, "progressDeadlineSeconds") < now_seconds)) {
    // DeploymentTimedOut: no progress reported within progressDeadlineSeconds.
    set_condition(s, new_condition("Progressing", "False", "ProgressDeadlineExceeded",
                                   what + " has timed out progressing.", now));
  }
  return s;
}

std::optional<json> paused_condition_status(const json& d, const std::string& now) {
  if (!has_progress_deadline(d)) return std::nullopt;
  json s = object_at(d, "status");
  const auto cond = get_condition(s, "Progressing");
  if (cond && cond->value("reason", "") == "ProgressDeadlineExceeded") return std::nullopt;
  const bool paused_cond = cond && cond->value("reason", "") == "DeploymentPaused";
  if (paused(d) && !paused_cond)
    set_condition(s, new_condition("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused", now));
  else if (!paused(d) && paused_cond)
    set_condition(s, new_condition("Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed", now));
  else
    return std::nullopt;
  return s;
}

}  // namespace rollout::sandbox::deploy
