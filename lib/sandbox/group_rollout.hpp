// Rolling updates of workloads made of ordinal-numbered groups of pods (Kthena ServingGroups,
// LeaderWorkerSet groups): which groups to create, replace or remove in one pass. Pure, so that
// the rules (partition, highest ordinal first, maxUnavailable, maxSurge) are tested without a store.
#pragma once

#include <string>
#include <vector>

namespace rollout::sandbox {

// One group as its pods show it.
struct GroupState {
  int ordinal = 0;
  std::string revision;
  bool ready = false;  // every pod it should have exists and is Ready
};

struct GroupRollout {
  int replicas = 1;
  int partition = 0;        // groups with ordinal >= partition go to update_revision
  int max_unavailable = 1;  // groups not ready at a time (0 only together with max_surge > 0)
  int max_surge = 0;        // extra groups on update_revision while groups are being replaced
  std::string update_revision;
  std::string current_revision;  // what groups below the partition are created on
};

struct GroupAction {
  int ordinal = 0;
  std::string revision;
};

struct GroupRolloutPlan {
  std::vector<GroupAction> create;   // missing groups
  std::vector<GroupAction> replace;  // groups whose pods are deleted and created again on `revision`
  std::vector<int> remove;           // groups past replicas (scale-down, surge no longer needed)
};

// Groups with ordinal >= partition that are not on update_revision are replaced, highest ordinal
// first; not-ready ones first, as they cost no availability; ready ones while fewer than
// max_unavailable (plus ready surge groups) groups are unavailable.
GroupRolloutPlan plan_group_rollout(const GroupRollout& spec, const std::vector<GroupState>& groups);

// What status reports about the groups.
struct GroupCounts {
  int replicas = 0;  // groups that exist (updated or not, ready or not)
  int current = 0;   // on current_revision
  int updated = 0;   // on update_revision, ready or not
  int ready = 0;
  std::vector<int> progressing;  // ordinals below replicas that are missing or not ready
  std::vector<int> updated_ordinals;
  bool updating = false;  // the update has groups left to replace or to become ready
};

GroupCounts count_groups(const GroupRollout& spec, const std::vector<GroupState>& groups);

}  // namespace rollout::sandbox
