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
  std::string rollout;  // the plan's metadata.name
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
  // Pre-flight, before the first step changes anything (Flagger's IsOnline): the backend answers
  // and the question parses. ErrorKind::unavailable (exit 6) or invalid (exit 2) naming the gate.
  virtual Status online(k8s::Client& client, const GateTargets& targets) = 0;
};

// What a metric provider read, before judgement: the canary's value(s) and, for a gate with
// `compare`, the baseline's, measured over the same window.
struct Reading {
  std::vector<double> values;  // empty: no data (inconclusive)
  std::optional<std::vector<double>> baseline;
  std::string detail;  // what was asked, for messages
};

// The verdict of a metric gate on one reading, the same for every provider: successCondition /
// failureCondition over `result` (and `baseline`), `compare` limits; no data or NaN is
// inconclusive unless a condition decides otherwise (gates/judge.cpp).
Measurement judge(const plan::Gate& gate, const Reading& reading);

// The provider a gate names, from one table; a provider that has not landed is
// ErrorKind::unimplemented naming the gate.
Result<std::unique_ptr<MetricProvider>> make_provider(const plan::Gate& gate);

}  // namespace rollout::gates
