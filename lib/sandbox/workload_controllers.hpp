// Simulated workload controllers: Deployments roll pods with maxSurge/maxUnavailable and keep the
// status fields `kubectl rollout status` reads; pods become Ready after their startup delay
// (knob annotations, see pod_knobs.hpp); pods whose owner is gone are garbage-collected.
#pragma once

#include <memory>

#include "sandbox/controller.hpp"
#include "sandbox/pod_runtime.hpp"

namespace rollout::sandbox {

std::unique_ptr<Controller> make_deployment_controller();
// Pods run a simulated model server each (in `runtimes`); Ready follows its /health.
std::unique_ptr<Controller> make_pod_controller(std::shared_ptr<PodRuntimes> runtimes);

}  // namespace rollout::sandbox
