#include "gates/presets.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace rollout::gates {

namespace {

using A = Arithmetic;

Preset errors(std::string engine, std::string total, std::string error, std::string matcher, bool per_model = true) {
  return {std::move(engine), "error-rate", A::error_ratio, {std::move(total)}, std::move(error), std::move(matcher), 0,
          per_model};
}
Preset quantile(std::string engine, std::string metric, double q, std::vector<std::string> names,
                bool per_model = true) {
  return {std::move(engine), std::move(metric), A::quantile, std::move(names), "", "", q, per_model};
}
Preset simple(std::string engine, std::string metric, A arithmetic, std::vector<std::string> names,
              bool per_model = true) {
  return {std::move(engine), std::move(metric), arithmetic, std::move(names), "", "", 0, per_model};
}

// The one table. Error rates count finished_reason="error" only: "abort" is a client that went
// away or a server shutting down (vLLM aborts in-flight requests on SIGTERM), not a bad version.
// SGLang has no error reason, only aborted requests; TGI counts failures by `err`.
// vLLM's and SGLang's scheduler gauges are engine-wide (labelled with the base model), so they
// are not filtered by model_name for LoRA adapters; TGI labels nothing by model.
const std::vector<Preset>& table() {
  static const std::vector<Preset> presets = {
      errors("vllm", "vllm:request_success_total", "vllm:request_success_total", "finished_reason=\"error\""),
      quantile("vllm", "ttft-p50", 0.5, {"vllm:time_to_first_token_seconds"}),
      quantile("vllm", "ttft-p95", 0.95, {"vllm:time_to_first_token_seconds"}),
      quantile("vllm", "ttft-p99", 0.99, {"vllm:time_to_first_token_seconds"}),
      quantile("vllm", "itl-p99", 0.99, {"vllm:inter_token_latency_seconds", "vllm:time_per_output_token_seconds"}),
      quantile("vllm", "e2e-p99", 0.99, {"vllm:e2e_request_latency_seconds"}),
      simple("vllm", "queue-depth", A::gauge_sum, {"vllm:num_requests_waiting"}, false),
      simple("vllm", "kv-cache-usage", A::gauge_avg, {"vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"}, false),
      simple("vllm", "throughput", A::counter_rate, {"vllm:generation_tokens_total"}),

      errors("sglang", "sglang:num_requests_total", "sglang:num_aborted_requests_total", ""),
      quantile("sglang", "ttft-p50", 0.5, {"sglang:time_to_first_token_seconds"}),
      quantile("sglang", "ttft-p95", 0.95, {"sglang:time_to_first_token_seconds"}),
      quantile("sglang", "ttft-p99", 0.99, {"sglang:time_to_first_token_seconds"}),
      quantile("sglang", "itl-p99", 0.99,
               {"sglang:inter_token_latency_seconds", "sglang:time_per_output_token_seconds"}),
      quantile("sglang", "e2e-p99", 0.99, {"sglang:e2e_request_latency_seconds"}),
      simple("sglang", "queue-depth", A::gauge_sum, {"sglang:num_queue_reqs"}, false),
      simple("sglang", "kv-cache-usage", A::gauge_avg, {"sglang:token_usage"}, false),
      simple("sglang", "throughput", A::counter_rate, {"sglang:generation_tokens_total"}),

      errors("tgi", "tgi_request_count", "tgi_request_failure", "", false),
      quantile("tgi", "itl-p99", 0.99, {"tgi_request_mean_time_per_token_duration"}, false),
      quantile("tgi", "e2e-p99", 0.99, {"tgi_request_duration"}, false),
      simple("tgi", "queue-depth", A::gauge_sum, {"tgi_queue_size"}, false),
      simple("tgi", "throughput", A::counter_rate, {"tgi_request_generated_tokens_sum"}, false),
  };
  return presets;
}

bool known(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string join_matchers(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a);
  return fmt::format("{}, {}", a, b);
}

// `f(name{sel}[w]) or f(older{sel}[w])`, one term per name.
std::string each_name(const std::vector<std::string>& names, std::string_view suffix, std::string_view selector,
                      std::string_view window, std::string_view fn) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += " or ";
    std::string series = fmt::format("{}{}{{{}}}", n, suffix, selector);
    out += window.empty() ? series : fmt::format("{}({}[{}])", fn, series, window);
  }
  return out;
}

}  // namespace

const std::vector<std::string>& preset_metrics() {
  static const std::vector<std::string> m = {"error-rate", "ttft-p50",    "ttft-p95",       "ttft-p99",  "itl-p99",
                                             "e2e-p99",    "queue-depth", "kv-cache-usage", "throughput"};
  return m;
}

const std::vector<std::string>& preset_engines() {
  static const std::vector<std::string> e = {"vllm", "sglang", "tgi"};
  return e;
}

Result<Preset> find_preset(std::string_view engine, std::string_view metric) {
  if (!known(preset_engines(), engine))
    return make_error(ErrorKind::invalid, fmt::format("unknown preset {} (known: vllm, sglang, tgi)", engine));
  if (!known(preset_metrics(), metric)) return make_error(ErrorKind::invalid, fmt::format("unknown metric {}", metric));
  for (const auto& p : table())
    if (p.engine == engine && p.metric == metric) return p;
  return make_error(ErrorKind::invalid,
                    fmt::format("preset {} has no metric {}: {} does not expose it", engine, metric, engine));
}

std::string render_promql(const Preset& p, std::string_view selector, std::string_view window) {
  const std::string sel(selector);
  switch (p.arithmetic) {
    case A::error_ratio: {
      const std::string errors = join_matchers(sel, p.error_matcher);
      return fmt::format("sum(rate({}{{{}}}[{}]))\n/\nsum(rate({}{{{}}}[{}]))", p.error_name, errors, window,
                         p.names.front(), sel, window);
    }
    case A::quantile:
      return fmt::format("histogram_quantile({}, sum by (le) ({}))", p.quantile,
                         each_name(p.names, "_bucket", sel, window, "rate"));
    // One engine per pod: the per-pod sum the scrape provider averages is the series itself.
    case A::gauge_sum:
    case A::gauge_avg: return fmt::format("avg({})", each_name(p.names, "", sel, "", ""));
    case A::counter_rate: return fmt::format("sum({})", each_name(p.names, "", sel, window, "rate"));
  }
  return "";
}

Result<std::string> render_promql(std::string_view engine, std::string_view metric, std::string_view selector,
                                  std::string_view window) {
  auto p = find_preset(engine, metric);
  if (!p.ok()) return p.error();
  return render_promql(*p, selector, window);
}

}  // namespace rollout::gates
