// The sandbox's ReplicaSet controller, after pkg/controller/replicaset/replica_set.go: it claims
// the pods its selector matches, creates pods from its template (<name>-<5 random chars>, owned by
// it) or deletes the least useful ones (getPodsToDelete: not ready before ready, ...) until it has
// spec.replicas, and writes status (replicas, fullyLabeledReplicas, readyReplicas,
// availableReplicas, observedGeneration). ReplicaSets whose controlling Deployment is gone are
// garbage-collected, as the real garbage collector does with cascading deletion.
#pragma once

#include <memory>

#include "sandbox/controller.hpp"

namespace rollout::sandbox {

std::unique_ptr<Controller> make_replica_set_controller();

}  // namespace rollout::sandbox
