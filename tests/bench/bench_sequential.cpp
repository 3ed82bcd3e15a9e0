// Prints how the sequential judge does on simulated traffic: its false failures on identical
// versions (0.5% errors each, canary at 10% of traffic, 20 000 requests per run, judged every 100)
// and how many canary requests it needs to fail a canary with 5% errors against 0.5%.
// A benchmark that reports figures; it asserts nothing about them.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sequential_sim.hpp"

using rollout::gates::SequentialConfig;
using namespace rollout::sim;

int main(int argc, char** argv) {
  int runs = 2000;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--runs") runs = std::atoi(argv[i + 1]);
  if (runs < 1) {
    std::fprintf(stderr, "usage: bench_sequential [--runs N]  (N >= 1, default 2000)\n");
    return 2;
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
