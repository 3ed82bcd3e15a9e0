// vLLM's Prometheus metrics for one simulated replica, rendered as vLLM's prometheus_client renders
// them (text format 0.0.4): same names, types, labels, bucket boundaries and `_created` gauges, so
// gates and dashboards written against vLLM work unchanged against the simulation.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace rollout::sandbox {

// vLLM's bucket boundaries (vllm/v1/metrics/loggers.py).
extern const std::vector<double> kTtftBuckets;  // vllm:time_to_first_token_seconds
extern const std::vector<double> kItlBuckets;   // vllm:inter_token_latency_seconds
extern const std::vector<double> kE2eBuckets;   // vllm:e2e_request_latency_seconds

// vLLM's FinishReason values: every model series has one request_success_total sample for each.
extern const std::vector<std::string> kFinishReasons;

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value, uint64_t times = 1);
  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative counts: one per bound, then the +Inf bucket (== count()).
  std::vector<uint64_t> cumulative() const;
  double sum() const { return sum_; }
  uint64_t count() const { return count_; }

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket (not cumulative), the last one for +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

// The traffic of one model_name: the base model, or a LoRA adapter requested by name.
struct ModelTraffic {
  explicit ModelTraffic(double created_at) : created(created_at) {}
  double created;                            // Unix time the series appeared (the `_created` gauges)
  std::map<std::string, uint64_t> finished;  // by finished_reason
  uint64_t prompt_tokens = 0;
  uint64_t generation_tokens = 0;
  Histogram ttft{kTtftBuckets};
  Histogram itl{kItlBuckets};
  Histogram e2e{kE2eBuckets};
};

// Scheduler state, engine-wide as in vLLM (labelled with the base model), sampled at scrape time.
struct EngineGauges {
  int running = 0;
  int waiting = 0;
  double kv_cache_usage = 0;  // 0..1
};

class VllmMetrics {
 public:
  VllmMetrics(std::string base_model, double created);
  // The series of `model_name`, created at `created` on first use (vLLM creates its series up front;
  // here an adapter's appear when it is loaded or first requested).
  ModelTraffic& traffic(const std::string& model_name, double created);
  const ModelTraffic* find(const std::string& model_name) const;
  std::string render(const EngineGauges& gauges) const;

 private:
  std::string base_model_;
  std::deque<std::pair<std::string, ModelTraffic>> models_;  // the base model first; stable references
};

// A sample value as prometheus_client writes it (Python's repr, Go-style exponents): 1.0, 0.25, +Inf,
// 1.7e+09.
std::string prom_float(double value);

}  // namespace rollout::sandbox
