#include "gates/gate.hpp"

#include "gates/http_probe.hpp"
#include "gates/prometheus.hpp"
#include "gates/scrape.hpp"

namespace rollout::gates {

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::successful: return "Successful";
    case Verdict::failed: return "Failed";
    case Verdict::inconclusive: return "Inconclusive";
    case Verdict::error: return "Error";
  }
  return "Error";
}

namespace {

template <class... Ts>
struct overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

}  // namespace

Result<std::unique_ptr<MetricProvider>> make_provider(const plan::Gate& gate) {
  return std::visit(overloaded{[](const plan::HttpProbe& p) -> Result<std::unique_ptr<MetricProvider>> {
                                 return std::unique_ptr<MetricProvider>(std::make_unique<HttpProbeProvider>(p));
                               },
                               [&](const plan::PrometheusQuery&) -> Result<std::unique_ptr<MetricProvider>> {
                                 return std::unique_ptr<MetricProvider>(
                                     std::make_unique<PrometheusProvider>(gate, curl_prometheus_transport()));
                               },
                               [&](const plan::ScrapeQuery&) -> Result<std::unique_ptr<MetricProvider>> {
                                 return ScrapeProvider::make(gate);
                               }},
                    gate.provider);
}

}  // namespace rollout::gates
