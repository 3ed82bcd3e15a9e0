// A gate asks one question of the running versions and answers with a Measurement. "How to
// ask" (a MetricProvider: HTTP probe, Prometheus, direct scrape) is kept apart from "what to
// decide" (gates/evaluation: limits, conditions), as Flagger keeps providers from observers.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actuators/endpoints.hpp"
#include "k8s/client.hpp"
#include "plan/plan.hpp"

namespace rollout::gates {

enum class Verdict { successful, failed, inconclusive, error };
const char* to_string(Verdict v);

struct Measurement {
  Verdict verdict = Verdict::inconclusive;
  std::optional<double> value;
  std::string message;
};

// What a provider may ask about: the rollout's namespace, the canary's and the stable's names
// (pools or adapters) and the pods behind them.
struct GateTargets {
  std::string ns;
  std::string canary;
  std::string stable;
  std::optional<actuators::BackendPool> canary_pool;
  std::optional<actuators::BackendPool> stable_pool;
};

class MetricProvider {
 public:
  virtual ~MetricProvider() = default;
  virtual std::string kind() const = 0;  // "http", "prometheus", "scrape"
  // One measurement. Transport problems are Verdict::error (counted against
  // consecutiveErrorLimit), not a failed Result.
  virtual Measurement measure(k8s::Client& client, const GateTargets& targets) = 0;
};

// The provider a gate names, from one table; a provider that has not landed is
// ErrorKind::unimplemented naming the gate.
Result<std::unique_ptr<MetricProvider>> make_provider(const plan::Gate& gate);

}  // namespace rollout::gates
