#include "sandbox/group_rollout.hpp"

#include <algorithm>
#include <map>

namespace rollout::sandbox {

namespace {

using GroupIndex = std::map<int, const GroupState*>;

GroupIndex index_of(const std::vector<GroupState>& groups) {
  GroupIndex out;
  for (const auto& g : groups) out[g.ordinal] = &g;
  return out;
}

int clamped_partition(const GroupRollout& spec) {
  return std::clamp(spec.partition, 0, std::max(0, spec.replicas));
}

// Surge groups exist while groups in the partition's range are outdated, and until the last
// replaced one is Ready.
int surge_of(const GroupRollout& spec, const GroupIndex& groups) {
  const int partition = clamped_partition(spec);
  bool outdated = false, unready = false, surging = false;
  for (const auto& [ordinal, g] : groups) {
    if (ordinal >= spec.replicas) surging = true;
    if (ordinal < partition || ordinal >= spec.replicas) continue;
    outdated |= g->revision != spec.update_revision;
    unready |= !g->ready;
  }
  if (!outdated && !(surging && unready)) return 0;
  return std::max(0, std::min(spec.max_surge, spec.replicas - partition));
}

// How many more ready groups may be taken down now.
int availability_budget(const GroupRollout& spec, const GroupIndex& groups, int limit) {
  int unavailable = 0, surge_ready = 0;
  for (int o = 0; o < spec.replicas; ++o) {
    auto it = groups.find(o);
    unavailable += it == groups.end() || !it->second->ready;
  }
  for (int o = spec.replicas; o < limit; ++o) {
    auto it = groups.find(o);
    surge_ready += it != groups.end() && it->second->ready && it->second->revision == spec.update_revision;
  }
  const int max_unavailable = spec.max_unavailable > 0 || spec.max_surge > 0 ? spec.max_unavailable : 1;
  return max_unavailable + surge_ready - unavailable;
}

}  // namespace

GroupRolloutPlan plan_group_rollout(const GroupRollout& spec, const std::vector<GroupState>& groups) {
  GroupRolloutPlan plan;
  const GroupIndex by = index_of(groups);
  const int partition = clamped_partition(spec);
  const int limit = spec.replicas + surge_of(spec, by);
  for (const auto& [ordinal, g] : by)
    if (ordinal >= limit) plan.remove.push_back(ordinal);
  for (int o = 0; o < limit; ++o)
    if (!by.count(o)) plan.create.push_back({o, o >= partition ? spec.update_revision : spec.current_revision});

  std::vector<const GroupState*> stale;  // highest ordinal first
  for (int o = limit - 1; o >= partition; --o) {
    auto it = by.find(o);
    if (it != by.end() && it->second->revision != spec.update_revision) stale.push_back(it->second);
  }
  // Groups that are down already (or surge groups) cost nothing to replace.
  for (const auto* g : stale)
    if (!g->ready || g->ordinal >= spec.replicas) plan.replace.push_back({g->ordinal, spec.update_revision});
  int budget = availability_budget(spec, by, limit);
  for (const auto* g : stale) {
    if (budget <= 0) break;
    if (!g->ready || g->ordinal >= spec.replicas) continue;
    plan.replace.push_back({g->ordinal, spec.update_revision});
    --budget;
  }
  return plan;
}

GroupCounts count_groups(const GroupRollout& spec, const std::vector<GroupState>& groups) {
  GroupCounts c;
  const GroupIndex by = index_of(groups);
  const int partition = clamped_partition(spec);
  for (const auto& [ordinal, g] : by) {
    ++c.replicas;
    c.current += g->revision == spec.current_revision;
    c.updated += g->revision == spec.update_revision;
    c.ready += g->ready;
    if (g->revision == spec.update_revision) c.updated_ordinals.push_back(ordinal);
  }
  for (int o = 0; o < spec.replicas; ++o) {
    auto it = by.find(o);
    const bool down = it == by.end() || !it->second->ready;
    if (down) c.progressing.push_back(o);
    const bool pending = down || it->second->revision != spec.update_revision;
    if (o >= partition && pending && spec.current_revision != spec.update_revision) c.updating = true;
  }
  return c;
}

}  // namespace rollout::sandbox
