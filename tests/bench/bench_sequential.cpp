// Prints how the sequential judge does on simulated traffic: its false failures on identical
// versions (0.5% errors each, canary at 10% of traffic, 20 000 requests per run, judged every 100)
// and how many canary requests it needs to fail a canary with 5% errors against 0.5%.
// A benchmark that reports figures; it asserts nothing about them.
// `--compare` prints instead, as tab-separated lines for tests/bench/run.sh, the blast radius of
// the sequential judge next to fixed-interval threshold analysis as Flagger and Argo Rollouts do
// it, on the same simulated traffic (10 requests/s, canary at 10%), and the false rollbacks of
// each on two identical versions.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sequential_sim.hpp"

using rollout::gates::SequentialConfig;
using namespace rollout::sim;

namespace {

constexpr double kRate = 10;                  // requests per second, both versions
constexpr long long kBadRunRequests = 200000;  // a bad canary is followed this long (5.5 h at kRate)
constexpr long long kSameRunRequests = 20000;  // identical versions: one analysis of 33 min at kRate

// One row: label, canary requests served before the rollback (median, p90, max), the median in
// seconds at kRate with the canary at 10%, and the false rollbacks on identical versions.
void row(const char* method, const char* config, const Summary& bad, const Summary& same) {
  const double canary_rate = kRate * 0.10;
  std::printf("%s\t%s\t%d/%d\t%lld\t%lld\t%lld\t%.0f\t%d/%d\n", method, config, bad.failed, bad.runs,
              bad.quantile(0.5), bad.quantile(0.9), bad.quantile(1.0), static_cast<double>(bad.quantile(0.5)) / canary_rate,
              same.failed, same.runs);
}

void compare(int runs) {
  const Conditions bad{0.10, 0.05, 0.005}, same{0.10, 0.005, 0.005};
  for (double alpha : {0.01, 0.05}) {
    const SequentialConfig config{alpha, 2.0, 100, {}};
    // Fed every 100 requests: a gate interval of 10 s at kRate.
    const std::string label = "alpha " + std::to_string(alpha).substr(0, 4) + ", maxRatio 2, minRequests 100, every 10s";
    row("sequential judge", label.c_str(), simulate(config, constant(bad, kBadRunRequests), runs, 21),
        simulate(config, constant(same, kSameRunRequests), runs, 22));
  }
  struct Threshold {
    const char* method;
    const char* label;
    ThresholdConfig config;
  };
  const auto per = [](double seconds) { return static_cast<long long>(seconds * kRate); };
  // Flagger: docs/gitbook/how-it-works.md (interval 1m, threshold 10; tutorials use 5), the
  // built-in request-success-rate check with thresholdRange min 99 over the interval.
  // Argo Rollouts: docs/features/analysis.md (interval 5m, failureLimit 3, successCondition
  // result[0] >= 0.95), and the same with Flagger's 99%.
  const Threshold thresholds[] = {
      {"Flagger threshold", "interval 1m, threshold 10, success >= 99%", {per(60), 0.01, 10, false}},
      {"Flagger threshold", "interval 1m, threshold 5, success >= 99%", {per(60), 0.01, 5, false}},
      {"Argo Rollouts failureLimit", "interval 5m, failureLimit 3, success >= 95%", {per(300), 0.05, 3, true}},
      {"Argo Rollouts failureLimit", "interval 5m, failureLimit 3, success >= 99%", {per(300), 0.01, 3, true}},
  };
  uint64_t seed = 31;
  for (const Threshold& t : thresholds) {
    row(t.method, t.label, simulate_threshold(t.config, constant(bad, kBadRunRequests), runs, seed),
        simulate_threshold(t.config, constant(same, kSameRunRequests), runs, seed + 1));
    seed += 2;
  }
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 2000;
  bool comparison = false;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--runs" && i + 1 < argc) runs = std::atoi(argv[++i]);
    else if (std::string(argv[i]) == "--compare") comparison = true;
    else runs = 0;
  }
  if (runs < 1) {
    std::fprintf(stderr, "usage: bench_sequential [--runs N] [--compare]  (N >= 1, default 2000)\n");
    return 2;
  }
  if (comparison) {
    compare(runs);
    return 0;
  }
  // The defaults at two alphas, then without the minRequests floor to show the test's own speed.
  const SequentialConfig configs[] = {{0.01, 2.0, 100, {}}, {0.05, 2.0, 100, {}}, {0.01, 2.0, 0, {}}};
  for (const SequentialConfig& config : configs) {
    const Summary same = simulate(config, constant({0.10, 0.005, 0.005}), runs, 11);
    const Summary bad = simulate(config, constant({0.10, 0.05, 0.005}), runs, 12);
    std::printf(
        "sequential judge: alpha=%g maxRatio=%g minRequests=%lld false failures %d/%d (%.2f%%); 5%% vs 0.5%% at 10%% "
        "traffic: failed %d/%d, canary requests to fail median %lld, p90 %lld, max %lld\n",
        config.alpha, config.max_ratio, config.min_requests, same.failed, runs, 100.0 * same.failed / runs, bad.failed,
        runs, bad.quantile(0.5), bad.quantile(0.9), bad.quantile(1.0));
  }
  return 0;
}
