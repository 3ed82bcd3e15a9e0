// A seeded simulation of traffic split between canary and stable, feeding the sequential judge
// cumulative counts every `batch` requests. Shared by the [sequential] simulation test and the
// bench_sequential benchmark so that both measure the same thing.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <stdexcept>
#include <vector>

#include "gates/sequential.hpp"

namespace rollout::sim {

// The conditions of one interval: canary share of traffic and each version's error rate.
struct Conditions {
  double canary_share = 0.10;
  double canary_error = 0.005;
  double stable_error = 0.005;
};

struct Scenario {
  long long total_requests = 20000;  // per run, both versions together
  long long batch = 100;             // requests between two updates of the judge
  // Conditions of the interval that starts at request `at`; constant by default.
  std::function<Conditions(long long at)> conditions;
};

struct RunOutcome {
  bool failed = false;
  long long canary_requests = 0;  // counted by the judge when it failed (or at the end)
};

inline RunOutcome simulate_run(const gates::SequentialConfig& config, const Scenario& s, std::mt19937_64& rng) {
  auto judge = gates::SequentialJudge::make(config);
  if (!judge) throw std::invalid_argument(judge.error().message);
  gates::ErrorCounts counts;
  for (long long at = 0; at < s.total_requests; at += s.batch) {
    const Conditions c = s.conditions(at);
    const long long canary = std::binomial_distribution<long long>(s.batch, c.canary_share)(rng);
    const long long canary_failed = std::binomial_distribution<long long>(canary, c.canary_error)(rng);
    const long long stable_failed = std::binomial_distribution<long long>(s.batch - canary, c.stable_error)(rng);
    counts.canary_failure += canary_failed;
    counts.canary_success += canary - canary_failed;
    counts.stable_failure += stable_failed;
    counts.stable_success += s.batch - canary - stable_failed;
    if (!judge->update(counts)) throw std::logic_error("the simulation produced invalid counts");
    if (judge->decide().decision == gates::SequentialDecision::fail) return {true, judge->decide().canary_requests};
  }
  return {false, judge->decide().canary_requests};
}

struct Summary {
  int runs = 0;
  int failed = 0;
  std::vector<long long> requests_to_fail;  // sorted, one entry per failed run
  long long quantile(double q) const {
    if (requests_to_fail.empty()) return 0;
    size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(requests_to_fail.size()))) - 1;
    return requests_to_fail[std::min(i, requests_to_fail.size() - 1)];
  }
};

inline Summary simulate(const gates::SequentialConfig& config, const Scenario& s, int runs, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Summary sum;
  sum.runs = runs;
  for (int i = 0; i < runs; ++i) {
    RunOutcome o = simulate_run(config, s, rng);
    if (!o.failed) continue;
    ++sum.failed;
    sum.requests_to_fail.push_back(o.canary_requests);
  }
  std::sort(sum.requests_to_fail.begin(), sum.requests_to_fail.end());
  return sum;
}

inline Scenario constant(Conditions c, long long total_requests = 20000) {
  return Scenario{total_requests, 100, [c](long long) { return c; }};
}

// The largest number of false failures in `runs` runs still consistent with a rate of `alpha`:
// alpha * runs plus three binomial standard deviations.
inline double false_failure_bound(double alpha, int runs) {
  return alpha * runs + 3 * std::sqrt(runs * alpha * (1 - alpha));
}

}  // namespace rollout::sim

namespace rollout::sim {

// Fixed-interval threshold analysis as Flagger and Argo Rollouts run it: every `interval_requests`
// requests (both versions: the interval times the request rate) one check computes the canary's
// error rate over that interval and fails when it is above `max_error_rate`; the canary is rolled
// back when the failed checks reach `limit` (Flagger: FailedChecks >= threshold, fluxcd/flagger
// pkg/controller/scheduler.go) or exceed it (Argo Rollouts: failed measurements > failureLimit,
// argoproj/argo-rollouts analysis/analysis.go). Checks of an interval without canary requests are
// skipped (no data). Failed checks are cumulative in both.
struct ThresholdConfig {
  long long interval_requests = 600;
  double max_error_rate = 0.01;
  int limit = 10;
  bool rollback_above_limit = false;  // Argo: > failureLimit; Flagger: >= threshold
};

inline RunOutcome threshold_run(const ThresholdConfig& config, const Scenario& s, std::mt19937_64& rng) {
  long long canary_total = 0;
  int failed_checks = 0;
  for (long long at = 0; at + config.interval_requests <= s.total_requests; at += config.interval_requests) {
    long long canary = 0, errors = 0;
    for (long long b = at; b < at + config.interval_requests; b += s.batch) {
      const Conditions c = s.conditions(b);
      const long long n = std::min(s.batch, at + config.interval_requests - b);
      const long long k = std::binomial_distribution<long long>(n, c.canary_share)(rng);
      canary += k;
      errors += std::binomial_distribution<long long>(k, c.canary_error)(rng);
    }
    canary_total += canary;
    if (canary == 0) continue;
    if (static_cast<double>(errors) / static_cast<double>(canary) > config.max_error_rate) ++failed_checks;
    if (config.rollback_above_limit ? failed_checks > config.limit : failed_checks >= config.limit)
      return {true, canary_total};
  }
  return {false, canary_total};
}

inline Summary simulate_threshold(const ThresholdConfig& config, const Scenario& s, int runs, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Summary sum;
  sum.runs = runs;
  for (int i = 0; i < runs; ++i) {
    RunOutcome o = threshold_run(config, s, rng);
    if (!o.failed) continue;
    ++sum.failed;
    sum.requests_to_fail.push_back(o.canary_requests);
  }
  std::sort(sum.requests_to_fail.begin(), sum.requests_to_fail.end());
  return sum;
}

}  // namespace rollout::sim
