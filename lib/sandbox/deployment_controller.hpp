// The sandbox's Deployment controller: kube-controller-manager's syncDeployment
// (pkg/controller/deployment/deployment_controller.go) over ReplicaSets, with its branches:
// ReplicaSet adoption and release, the new ReplicaSet found by template (ignoring
// pod-template-hash) or created as <name>-<hash>, revisions, paused and scaling-event syncs with
// proportional scaling, RollingUpdate and Recreate rollouts, history cleanup and the status and
// conditions `kubectl rollout status` reads. The decisions are pure (deployment_sync.hpp); this
// file reads the store and writes their results, one step per Deployment per pass, as the real
// controller does one step per sync.
#pragma once

#include <memory>

#include "sandbox/controller.hpp"

namespace rollout::sandbox {

std::unique_ptr<Controller> make_deployment_controller();

}  // namespace rollout::sandbox
