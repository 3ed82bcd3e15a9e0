// The sequential judge under simulated traffic: identical versions are failed no more often
// than its alpha allows although it looks every 100 requests, and a clearly bad canary is failed.
#include <catch2/catch.hpp>

#include "bench/sequential_sim.hpp"

using rollout::gates::SequentialConfig;
using namespace rollout::sim;

namespace {

constexpr int kRuns = 2000;

void check_false_failures(const SequentialConfig& config, const Scenario& s, uint64_t seed) {
  Summary sum = simulate(config, s, kRuns, seed);
  const double bound = false_failure_bound(config.alpha, kRuns);
  INFO("alpha " << config.alpha << ": " << sum.failed << " of " << kRuns << " runs of identical versions failed; "
                << "the bound is alpha * runs + 3 sigma = " << bound);
  CHECK(sum.failed <= bound);
}

}  // namespace

TEST_CASE("identical versions are failed at most alpha of the time, peeking every 100 requests", "[sequential]") {
  const Scenario same = constant({0.10, 0.005, 0.005});
  SECTION("alpha 0.01") {
    check_false_failures(SequentialConfig{0.01, 2.0, 100, {}}, same, 1);
  }
  SECTION("alpha 0.05") {
    check_false_failures(SequentialConfig{0.05, 2.0, 100, {}}, same, 2);
  }
  SECTION("no minimum sample") {
    check_false_failures(SequentialConfig{0.05, 2.0, 0, {}}, same, 3);
  }
}

TEST_CASE("the bound holds while traffic shifts and the shared error rate changes", "[sequential]") {
  // Weights step 5% -> 10% -> 25% -> 50%, and both versions suffer error bursts of 5% (a
  // backend outage) between quiet stretches of 0.2%: only the per-interval share keeps this fair.
  Scenario shifting{20000, 100, [](long long at) {
                      const double share = at < 5000 ? 0.05 : at < 10000 ? 0.10 : at < 15000 ? 0.25 : 0.50;
                      const double err = (at / 1000) % 4 == 3 ? 0.05 : 0.002;
                      return Conditions{share, err, err};
                    }};
  check_false_failures(SequentialConfig{0.05, 2.0, 100, {}}, shifting, 4);
}

TEST_CASE("a canary better than stable is failed at most alpha of the time", "[sequential]") {
  check_false_failures(SequentialConfig{0.05, 2.0, 100, {}}, constant({0.10, 0.003, 0.005}), 5);
}

TEST_CASE("a canary with 5% errors against 0.5% at 10% traffic is failed", "[sequential]") {
  const double alpha = GENERATE(0.01, 0.05);
  Summary sum = simulate(SequentialConfig{alpha, 2.0, 100, {}}, constant({0.10, 0.05, 0.005}), kRuns, 6);
  INFO("alpha " << alpha << ": failed " << sum.failed << " of " << kRuns << " bad canaries; canary requests to fail "
                << "median " << sum.quantile(0.5) << ", p90 " << sum.quantile(0.9) << ", max " << sum.quantile(1.0));
  CHECK(sum.failed >= 0.99 * kRuns);
}
