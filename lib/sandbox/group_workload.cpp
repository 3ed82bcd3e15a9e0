#include "sandbox/group_workload.hpp"

#include <algorithm>
#include <set>

#include "sandbox/workload_controllers.hpp"

namespace rollout::sandbox {

using nlohmann::json;

namespace {

std::string label_of(const json& pod, const std::string& key) {
  return pod["metadata"].value("labels", json::object()).value(key, "");
}

// Like Go's %v of a []int: "[0 1 2]".
std::string ordinals_text(const std::vector<int>& ordinals) {
  std::string out = "[";
  for (size_t i = 0; i < ordinals.size(); ++i) out += (i ? " " : "") + std::to_string(ordinals[i]);
  return out + "]";
}

// The update is over: currentRevision becomes updateRevision (only once the last replaced group is
// Ready, so that UpdateInProgress lasts until then).
bool all_updated(const GroupRollout& spec, const std::vector<GroupState>& states) {
  int updated = 0;
  for (const auto& s : states) updated += s.ordinal < spec.replicas && s.revision == spec.update_revision && s.ready;
  return updated == spec.replicas;
}

}  // namespace

void GroupWorkloadController::reconcile(ControllerContext& ctx) {
  for (const auto& obj : ctx.all(api_version(), kind())) {
    try {
      reconcile_one(ctx, obj);
    } catch (const nlohmann::json::exception&) {
      // A spec of an unexpected shape (nothing validates it here) must not stop the simulation.
    }
  }
}

void GroupWorkloadController::reconcile_one(ControllerContext& ctx, const json& obj) {
  const json tmpl = template_of(obj);
  GroupRollout spec = rollout_of(obj);
  spec.update_revision = template_hash(tmpl);
  templates_[spec.update_revision] = tmpl;
  const Groups before = groups_of(ctx, obj);
  const std::vector<GroupState> states = states_of(obj, before);
  spec.current_revision = current_revision(obj, states, spec.update_revision);
  apply(ctx, obj, plan_group_rollout(spec, states), before, spec.update_revision);

  const std::vector<GroupState> after = states_of(obj, groups_of(ctx, obj));
  if (all_updated(spec, after)) spec.current_revision = spec.update_revision;
  current_[obj["metadata"].value("uid", "")] = spec.current_revision;
  ctx.set_status(obj, status_of(obj, spec, count_groups(spec, after), ctx.timestamp()));
}

GroupWorkloadController::Groups GroupWorkloadController::groups_of(ControllerContext& ctx, const json& obj) const {
  Groups groups;
  for (auto& pod : owned_pods(ctx, obj))
    if (auto ordinal = ordinal_of(obj, pod)) groups[*ordinal].push_back(std::move(pod));
  return groups;
}

std::vector<GroupState> GroupWorkloadController::states_of(const json& obj, const Groups& groups) const {
  std::vector<GroupState> states;
  for (const auto& [ordinal, pods] : groups) {
    GroupState s{ordinal, label_of(pods.front(), revision_label()), true};
    for (const auto& p : pods) {
      if (label_of(p, revision_label()) != s.revision) s.revision.clear();  // mixed: replace it
      s.ready = s.ready && pod_ready(p);
    }
    auto t = templates_.find(s.revision);
    if (t != templates_.end() && group_pods(obj, t->second, ordinal, s.revision).size() > pods.size()) s.ready = false;
    states.push_back(s);
  }
  return states;
}

// Remembered, else from status (it survives a restart), else the lowest group's revision.
std::string GroupWorkloadController::current_revision(const json& obj, const std::vector<GroupState>& states,
                                                      const std::string& update) const {
  auto it = current_.find(obj["metadata"].value("uid", ""));
  if (it != current_.end()) return it->second;
  const std::string stored = obj.value("status", json::object()).value("currentRevision", "");
  if (!stored.empty()) return stored;
  for (const auto& s : states)
    if (!s.revision.empty()) return s.revision;
  return update;
}

void GroupWorkloadController::apply(ControllerContext& ctx, const json& obj, const GroupRolloutPlan& plan,
                                    const Groups& groups, const std::string& update) {
  std::set<int> touched;
  for (int ordinal : plan.remove) {
    delete_group(ctx, groups.at(ordinal));
    touched.insert(ordinal);
  }
  for (const auto& a : plan.replace) {
    delete_group(ctx, groups.at(a.ordinal));
    ensure_group(ctx, obj, a.ordinal, a.revision, {});
    touched.insert(a.ordinal);
  }
  for (const auto& a : plan.create) {
    // A group below the partition goes back to the current revision, if its template is known.
    ensure_group(ctx, obj, a.ordinal, templates_.count(a.revision) ? a.revision : update, {});
  }
  for (const auto& [ordinal, pods] : groups) {
    const std::string revision = label_of(pods.front(), revision_label());
    if (!touched.count(ordinal) && templates_.count(revision)) ensure_group(ctx, obj, ordinal, revision, pods);
  }
}

void GroupWorkloadController::ensure_group(ControllerContext& ctx, const json& obj, int ordinal,
                                           const std::string& revision, const std::vector<json>& existing) {
  std::set<std::string> names;
  for (const auto& p : existing) names.insert(p["metadata"].value("name", ""));
  const json owner = {{"apiVersion", api_version()},   {"kind", kind()},     {"name", obj["metadata"]["name"]},
                      {"uid", obj["metadata"]["uid"]}, {"controller", true}, {"blockOwnerDeletion", true}};
  const auto pod_type = ctx.type("v1", "Pod");
  for (json pod : group_pods(obj, templates_.at(revision), ordinal, revision)) {
    if (names.count(pod["metadata"].value("name", ""))) continue;
    pod["apiVersion"] = "v1";
    pod["kind"] = "Pod";
    pod["metadata"]["ownerReferences"] = json::array({owner});
    (void)ctx.store.create(*pod_type, obj["metadata"].value("namespace", ""), pod, {});
  }
}

void GroupWorkloadController::delete_group(ControllerContext& ctx, const std::vector<json>& pods) {
  const auto pod_type = ctx.type("v1", "Pod");
  for (const auto& p : pods)
    (void)ctx.store.remove(*pod_type, p["metadata"].value("namespace", ""), p["metadata"].value("name", ""), {});
}

json group_conditions(const GroupCounts& counts, const std::string& progressing_reason, const std::string& now) {
  const bool updating = counts.updating;
  const bool progressing = !updating && !counts.progressing.empty();
  const bool available = !updating && !progressing;
  const std::string down = "Some groups are progressing: " + ordinals_text(counts.progressing);
  json conds = {
      condition("Available", available, available ? "AllGroupsReady" : "GroupsNotReady",
                available ? "All groups are ready" : down, 0, now),
      condition("Progressing", progressing, progressing_reason, progressing ? down : "No group is progressing", 0, now),
      condition(
          "UpdateInProgress", updating, "GroupsUpdating",
          updating ? down + ", updated groups are: " + ordinals_text(counts.updated_ordinals) : "No update in progress",
          0, now)};
  for (auto& c : conds) c.erase("observedGeneration");
  return conds;
}

}  // namespace rollout::sandbox
