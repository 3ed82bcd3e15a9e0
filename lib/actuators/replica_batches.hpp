// Exact batches of a Deployment's rolling update: how to size its new and old ReplicaSets so that
// exactly `target` pods run the new template and are Ready, moving within the recorded
// maxSurge/maxUnavailable like the deployment controller's rolling step does
// (pkg/controller/deployment/rolling.go: reconcileNewReplicaSet, reconcileOldReplicaSets,
// cleanupUnhealthyReplicas), but stopping at the target instead of at spec.replicas. Pure.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace rollout::actuators {

struct ReplicaSetSize {
  std::string name;
  int replicas = 0;  // spec.replicas
  int pods = 0;      // its pods that are not being deleted
  int ready = 0;     // of those, Ready
};

struct BatchBounds {
  int total = 0;  // the Deployment's spec.replicas
  int max_surge = 0;
  int max_unavailable = 1;
};

struct BatchMove {
  int fresh = 0;          // the new ReplicaSet's replicas to set
  std::vector<int> old;   // each old ReplicaSet's replicas to set (same order as given)
  bool done = false;      // the batch stands: nothing to change, nothing to wait for
  std::string waiting;    // otherwise, what is outstanding
};

// maxSurge and maxUnavailable of a recorded spec.strategy for `replicas`, resolved as
// deployment_util.ResolveFenceposts does (surge rounds up, unavailable down, both 0 -> 1
// unavailable; defaults 25%/25%). A Recreate strategy moves one pod at a time, without surge.
BatchBounds batch_bounds(const nlohmann::json& strategy, int replicas);

// The next sizes on the way to `target` new pods (`old` oldest first: scaled down first, as
// the controller does). Never more than total + maxSurge pods, never fewer Ready than
// total - maxUnavailable on account of a scale-down (not-Ready old pods go first, free), and
// never a lone old ReplicaSet below total (the paused controller would scale it back).
BatchMove next_batch_move(const BatchBounds& bounds, int target, const ReplicaSetSize& fresh,
                          const std::vector<ReplicaSetSize>& old);

}  // namespace rollout::actuators
