// Simulated workload controllers: Deployments roll pods with maxSurge/maxUnavailable and keep the
// status fields `kubectl rollout status` reads; pods become Ready after their startup delay
// (knob annotations, see pod_knobs.hpp); pods whose owner is gone are garbage-collected.
#pragma once

#include <memory>

#include "sandbox/controller.hpp"

namespace rollout::sandbox {

std::unique_ptr<Controller> make_deployment_controller();
std::unique_ptr<Controller> make_pod_controller();

}  // namespace rollout::sandbox
