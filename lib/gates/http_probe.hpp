// The HTTP gate: every ready pod behind the canary (or stable, or both) answers PATH with the
// expected status, optionally a body containing a string, or a /v1/models list naming a model
// or adapter. Reached through the API server's pod proxy, as a user's kubectl would.
#pragma once

#include "gates/gate.hpp"

namespace rollout::gates {

class HttpProbeProvider : public MetricProvider {
 public:
  explicit HttpProbeProvider(plan::HttpProbe probe) : probe_(std::move(probe)) {}
  std::string kind() const override { return "http"; }
  Measurement measure(k8s::Client& client, const GateTargets& targets) override;
  // The pods behind the probed pools can be listed (the pool exists).
  Status online(k8s::Client& client, const GateTargets& targets) override;

 private:
  plan::HttpProbe probe_;
};

}  // namespace rollout::gates
