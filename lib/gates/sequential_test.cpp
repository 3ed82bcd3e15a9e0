#include "gates/sequential.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace rollout::gates;

namespace {

SequentialJudge judge(SequentialConfig c = {}) {
  auto j = SequentialJudge::make(c);
  REQUIRE(j.ok());
  return *j;
}

// Cumulative counts from requests and failures per version.
ErrorCounts counts(long long canary, long long canary_failed, long long stable, long long stable_failed) {
  return {canary - canary_failed, canary_failed, stable - stable_failed, stable_failed};
}

}  // namespace

TEST_CASE("the configuration is checked", "[sequential]") {
  CHECK(check_config({}).ok());
  CHECK_FALSE(check_config({0, 2, 100, {}}).ok());
  CHECK_FALSE(check_config({0.6, 2, 100, {}}).ok());
  CHECK(check_config({0.5, 2, 100, {}}).ok());
  CHECK_FALSE(check_config({0.01, 1, 100, {}}).ok());
  CHECK_FALSE(check_config({0.01, 2, -1, {}}).ok());
  auto bad = check_config({0.01, 2, 100, 100});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "sequential judge: maxRequests 100 must be greater than minRequests 100");
  CHECK_FALSE(SequentialJudge::make({0.01, 0.5, 100, {}}).ok());
}

TEST_CASE("a plan's sequential block becomes the judge's configuration", "[sequential]") {
  rollout::plan::Sequential block;
  block.alpha = 0.05;
  block.max_ratio = 3;
  block.min_requests = 50;
  block.max_requests = 4000;
  SequentialConfig c = sequential_config(block);
  CHECK(c.alpha == 0.05);
  CHECK(c.max_ratio == 3);
  CHECK(c.min_requests == 50);
  CHECK(c.max_requests == 4000);
}

TEST_CASE("the first counts only set the origin", "[sequential]") {
  auto j = judge();
  REQUIRE(j.update(counts(5000, 400, 45000, 200)).ok());
  auto v = j.decide();
  CHECK(v.decision == SequentialDecision::continue_);
  CHECK(v.canary_requests == 0);
  CHECK(v.log_likelihood_ratio == 0);
  CHECK(v.message ==
        "canary error rate 0% vs stable 0% after 0 canary requests: waiting for 100 canary requests before judging "
        "(log-likelihood ratio 0.00, threshold 4.61 (alpha 0.01))");
}

TEST_CASE("a clearly worse canary fails with the statistic in the message", "[sequential]") {
  auto j = judge();
  REQUIRE(j.update({}).ok());
  // 10% canary traffic; per 1000 requests the canary fails 5 of 100, stable 4-5 of 900.
  long long step = 0;
  while (j.decide().decision == SequentialDecision::continue_ && step < 20) {
    ++step;
    REQUIRE(j.update(counts(100 * step, 5 * step, 900 * step, 9 * step / 2)).ok());
  }
  auto v = j.decide();
  REQUIRE(v.decision == SequentialDecision::fail);
  CHECK(v.log_likelihood_ratio >= v.threshold);
  CHECK(v.threshold == Approx(std::log(100.0)));
  CHECK(v.canary_error_rate == Approx(0.05));
  CHECK(v.message ==
        "canary error rate 5.0% vs stable 0.44% after 100 canary requests: log-likelihood ratio 5.03 > threshold 4.61 "
        "(alpha 0.01)");
  // The verdict is final: later counts do not change it.
  REQUIRE(j.update(counts(100000, 0, 900000, 0)).ok());
  CHECK(j.decide().decision == SequentialDecision::fail);
  CHECK(j.decide().canary_requests == v.canary_requests);
}

TEST_CASE("equal error rates do not build up evidence", "[sequential]") {
  auto j = judge();
  REQUIRE(j.update({}).ok());
  for (long long k = 1; k <= 50; ++k) REQUIRE(j.update(counts(100 * k, k / 2, 900 * k, 9 * k / 2)).ok());
  auto v = j.decide();
  CHECK(v.decision == SequentialDecision::continue_);
  CHECK(v.log_likelihood_ratio < 0);
  CHECK(v.message.find("after 5000 canary requests: log-likelihood ratio -") != std::string::npos);
  CHECK(v.message.find(" < threshold 4.61 (alpha 0.01)") != std::string::npos);
}

TEST_CASE("the judge waits for minRequests before failing", "[sequential]") {
  auto j = judge({0.01, 2, 500, {}});
  REQUIRE(j.update({}).ok());
  REQUIRE(j.update(counts(200, 40, 1800, 2)).ok());  // overwhelming evidence, too few requests
  CHECK(j.decide().decision == SequentialDecision::continue_);
  CHECK(j.decide().log_likelihood_ratio > j.decide().threshold);
  REQUIRE(j.update(counts(500, 60, 4500, 5)).ok());
  CHECK(j.decide().decision == SequentialDecision::fail);
}

TEST_CASE("an unfailed canary passes at maxRequests", "[sequential]") {
  auto j = judge({0.01, 2, 100, 1000});
  REQUIRE(j.update({}).ok());
  REQUIRE(j.update(counts(600, 3, 5400, 27)).ok());
  CHECK(j.decide().decision == SequentialDecision::continue_);
  REQUIRE(j.update(counts(1000, 5, 9000, 45)).ok());
  auto v = j.decide();
  CHECK(v.decision == SequentialDecision::pass);
  CHECK(v.message.find("stayed below threshold 4.61 (alpha 0.01) up to maxRequests 1000") != std::string::npos);
}

TEST_CASE("a counter that goes down starts a new interval", "[sequential]") {
  auto j = judge();
  REQUIRE(j.update(counts(100, 1, 900, 4)).ok());
  REQUIRE(j.update(counts(200, 2, 1800, 9)).ok());
  REQUIRE(j.update(counts(50, 0, 1900, 10)).ok());  // a canary server restarted
  REQUIRE(j.update(counts(150, 1, 2800, 14)).ok());
  auto v = j.decide();
  CHECK(v.counter_resets == 1);
  CHECK(v.canary_requests == 200);  // 100 before the restart, 100 after
  CHECK(v.stable_requests == 1800);
}

TEST_CASE("negative counts are an error", "[sequential]") {
  auto j = judge();
  auto s = j.update({-1, 0, 0, 0});
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().kind == rollout::ErrorKind::invalid);
}

TEST_CASE("intervals where one version served nothing carry no evidence", "[sequential]") {
  auto j = judge({0.01, 2, 0, {}});
  REQUIRE(j.update({}).ok());
  REQUIRE(j.update(counts(500, 100, 0, 0)).ok());
  CHECK(j.decide().log_likelihood_ratio == 0);
  CHECK(j.decide().decision == SequentialDecision::continue_);
}
