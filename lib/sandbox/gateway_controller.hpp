// The simulated gateway (and its endpoint pickers): accepts Gateways, HTTPRoutes and
// InferencePools and reports it in their status as a Gateway API implementation does, with
// observedGeneration, so that a rollout can wait for "programmed at the new generation". Each
// Gateway gets its own loopback address (gateway_address.hpp) where its data plane serves the
// HTTP listeners; a Gateway is Programmed only when they are bound there.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sandbox/controller.hpp"
#include "sandbox/route_match.hpp"

namespace rollout::sandbox {

inline constexpr const char* kGatewayControllerName = "sandbox.rollout.dev/gateway";

enum class BindOutcome { bound, in_use, denied, failed };

// What serving one listener port gave.
struct ListenerBind {
  BindOutcome outcome = BindOutcome::bound;
  int port = 0;       // the port served (the listener's, or the one --gateway-port maps it to)
  std::string error;  // why not, with the flag that helps
};

// Where the Gateways' listeners are served (the seam between the controller and the sockets;
// gateway_listeners.hpp serves them over HTTP).
class GatewayDataPlane {
 public:
  virtual ~GatewayDataPlane() = default;
  // Serves exactly `listeners` (HTTP) of the Gateway `key` ("namespace/name") on `address`: ports
  // no longer listed stop, a new address moves them all. Returns each listener port's outcome.
  virtual std::map<int, ListenerBind> program(const std::string& key, const std::string& address,
                                              const std::vector<ListenerRef>& listeners) = 0;
  // The outcome the controller settled on (program may have been tried at other addresses first).
  virtual void report(const std::string& /*key*/, const std::string& /*address*/,
                      const std::map<int, ListenerBind>& /*binds*/) {}
  virtual void remove(const std::string& key) = 0;
};

// Without a data plane (the in-process sandbox of unit tests) every HTTP listener counts as bound.
std::unique_ptr<Controller> make_gateway_controller(std::shared_ptr<GatewayDataPlane> plane = nullptr);

}  // namespace rollout::sandbox
