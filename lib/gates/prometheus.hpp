// The Prometheus gate: what to ask (the plan's PromQL with its placeholders rendered by one pure
// function) apart from how to ask (gates/prometheus_client). For a gate with `compare`, the same
// query with {{canary}} standing for the stable version is the baseline.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "gates/gate.hpp"
#include "gates/prometheus_client.hpp"

namespace rollout::gates {

// Replaces {{canary}}, {{stable}}, {{namespace}}, {{interval}}, {{rollout}} (spaces inside the
// braces allowed) with vars' values; any other {{...}} is left as written.
std::string render_query(std::string_view text, const std::map<std::string, std::string>& vars);

// The placeholders' values for one gate: `canary_as` is the name {{canary}} stands for.
std::map<std::string, std::string> query_vars(const plan::Gate& gate, const GateTargets& targets,
                                              const std::string& canary_as);

class PrometheusProvider : public MetricProvider {
 public:
  PrometheusProvider(plan::Gate gate, std::shared_ptr<PrometheusTransport> transport);
  std::string kind() const override { return "prometheus"; }
  Measurement measure(k8s::Client& client, const GateTargets& targets) override;
  // Prometheus is ready (else unavailable, exit 6) and accepts the rendered query (a query that
  // does not parse is invalid, exit 2).
  Status online(k8s::Client& client, const GateTargets& targets) override;

 private:
  Result<QueryAnswer> ask(const GateTargets& targets, const std::string& canary_as, std::string* rendered);
  plan::Gate gate_;
  plan::PrometheusQuery query_;
  PrometheusClient client_;
};

}  // namespace rollout::gates
