// The simulated gateway (and its endpoint pickers): accepts Gateways, HTTPRoutes and
// InferencePools and reports it in their status as a Gateway API implementation does, with
// observedGeneration, so that a rollout can wait for "programmed at the new generation".
#pragma once

#include <memory>

#include "sandbox/controller.hpp"

namespace rollout::sandbox {

inline constexpr const char* kGatewayControllerName = "sandbox.rollout.dev/gateway";

std::unique_ptr<Controller> make_gateway_controller();

}  // namespace rollout::sandbox
