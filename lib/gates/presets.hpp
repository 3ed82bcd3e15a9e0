// What a scrape or Prometheus gate's `preset`/`metric` means: one table naming, per model server
// (vllm, sglang, tgi) and built-in metric, the metric names to read (current first, older
// after) and the arithmetic over them. The direct-scrape provider computes it between two
// scrapes (gates/scrape.cpp); render_promql() spells the same thing as PromQL.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace rollout::gates {

enum class Arithmetic {
  error_ratio,   // increase(errors) / increase(all finished)
  quantile,      // histogram_quantile(q) over the bucket increases
  gauge_sum,     // per pod: sum of the series; over pods: the average (e.g. requests waiting per pod)
  gauge_avg,     // per pod: average of the series; over pods: the average (e.g. KV-cache usage)
  counter_rate,  // increase / seconds, summed over pods (e.g. generated tokens per second)
};

struct Preset {
  std::string engine;  // vllm | sglang | tgi
  std::string metric;  // error-rate, ttft-p99, ...
  Arithmetic arithmetic = Arithmetic::gauge_avg;
  std::vector<std::string> names;  // sample names (histograms: the base name), the first present wins
  std::string error_name;          // error_ratio: the counter of failed requests ...
  std::string error_matcher;       // ... restricted by this PromQL matcher ("" for none)
  double quantile = 0;             // quantile: 0.5, 0.95, 0.99
  bool per_model = true;           // series carry `model_name` (LoRA adapters); false: engine-wide or unlabelled
};

// The known metric names of the `metric` field.
const std::vector<std::string>& preset_metrics();
const std::vector<std::string>& preset_engines();

// The preset for ENGINE and METRIC; ErrorKind::invalid naming both when the engine does not
// expose it (TGI has no time to first token) or a name is unknown.
Result<Preset> find_preset(std::string_view engine, std::string_view metric);

// The preset as one PromQL expression. SELECTOR is PromQL matchers without braces
// (`namespace="ns", app="pool"`, may be empty), WINDOW a range (`2m`). Older metric names are
// joined with `or`, so whichever the server exports is read.
std::string render_promql(const Preset& preset, std::string_view selector, std::string_view window);
Result<std::string> render_promql(std::string_view engine, std::string_view metric, std::string_view selector,
                                  std::string_view window);

}  // namespace rollout::gates
