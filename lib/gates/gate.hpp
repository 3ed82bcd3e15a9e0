// A gate asks one question of the running versions and answers with a Measurement. "How to
// ask" (a MetricProvider: HTTP probe, Prometheus, direct scrape) is kept apart from "what to
// decide" (gates/evaluation: limits, conditions), as Flagger keeps providers from observers.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/duration.hpp"
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

// One server a gate can ask: a pod through the API server's pod proxy (`base` is
// "/api/v1/namespaces/NS/pods/POD:PORT/proxy") or a process on this machine ("http://127.0.0.1:8001").
// The target says which; gates only append paths to `base`.
struct Endpoint {
  std::string name;  // the pod or replica, for messages and per-server windows
  std::string base;
  bool ready = false;
};

enum class Side { canary, stable };

// What a provider may ask about: the rollout's namespace, the canary's and the stable's names
// (pools, adapters or replica sets) and, from the target, the servers behind each side.
struct GateTargets {
  std::string ns;
  std::string canary;
  std::string stable;
  std::string rollout;  // the plan's metadata.name
  // Every server of that side, ready or not (asked at each measurement: pods come and go).
  // ErrorKind::not_found when the side does not exist; empty function: the target has no servers.
  std::function<Result<std::vector<Endpoint>>(Side)> endpoints;
  bool same_servers = false;  // both sides are the same servers (a LoRA canary: adapters on one pool)
};

// GET base + path on one server, without retries (a 5xx is the server's own answer).
Result<k8s::HttpResult> get_endpoint(k8s::Client& client, const Endpoint& endpoint, const std::string& path,
                                     Duration timeout);

class MetricProvider {
 public:
  virtual ~MetricProvider() = default;
  virtual std::string kind() const = 0;  // "http", "prometheus", "scrape"
  // One measurement. Transport problems are Verdict::error (counted against
  // consecutiveErrorLimit), not a failed Result.
  virtual Measurement measure(k8s::Client& client, const GateTargets& targets) = 0;
  // The gate starts (or restarts) measuring: a windowed provider takes its baseline now, so that
  // the first measurement judges a whole interval.
  virtual void begin(k8s::Client&, const GateTargets&) {}
  // Whether begin() takes a baseline that the first measurement's window starts from.
  virtual bool windowed() const { return false; }
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
