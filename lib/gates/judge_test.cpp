#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "gates/gate.hpp"

using namespace rollout;
using namespace rollout::gates;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

plan::Gate gate(std::optional<std::string> success, std::optional<std::string> failure = std::nullopt) {
  plan::Gate g;
  g.name = "error-rate";
  g.provider = plan::PrometheusQuery{"http://prom", "q", {}, {}, false};
  g.success_condition = std::move(success);
  g.failure_condition = std::move(failure);
  return g;
}

plan::Gate comparing(plan::Compare c, std::optional<std::string> success = std::nullopt) {
  plan::Gate g = gate(std::move(success));
  g.compare = c;
  return g;
}

Reading reading(std::vector<double> values, std::optional<std::vector<double>> baseline = std::nullopt) {
  return Reading{std::move(values), std::move(baseline), ""};
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("judge: successCondition decides") {
  auto g = gate("result < 0.01");
  auto pass = judge(g, reading({0.001}));
  CHECK(pass.verdict == Verdict::successful);
  REQUIRE(pass.value);
  CHECK(*pass.value == Approx(0.001));
  auto fail = judge(g, reading({0.034}));
  CHECK(fail.verdict == Verdict::failed);
  CHECK(fail.message == "result 0.034 >= 0.01 (successCondition \"result < 0.01\" is false)");
}

TEST_CASE("judge: failureCondition decides and takes precedence") {
  CHECK(judge(gate(std::nullopt, "result > 0.05"), reading({0.01})).verdict == Verdict::successful);
  auto failed = judge(gate(std::nullopt, "result > 0.05"), reading({0.2}));
  CHECK(failed.verdict == Verdict::failed);
  CHECK(contains(failed.message, "failureCondition \"result > 0.05\" is true"));
  // Both: the failure condition wins over a passing success condition.
  CHECK(judge(gate("result < 1", "result > 0.05"), reading({0.2})).verdict == Verdict::failed);
  CHECK(judge(gate("result < 1", "result > 0.05"), reading({0.01})).verdict == Verdict::successful);
}

TEST_CASE("judge: no data is inconclusive") {
  CHECK(judge(gate("result < 0.01"), reading({})).verdict == Verdict::inconclusive);
  CHECK(judge(gate(std::nullopt, "result > 0.05"), reading({})).verdict == Verdict::inconclusive);
  auto none = judge(gate(std::nullopt), reading({}));
  CHECK(none.verdict == Verdict::inconclusive);
  CHECK_FALSE(none.value);
  CHECK(contains(none.message, "no data"));
}

TEST_CASE("judge: a NaN reading is no data unless a condition is true for it") {
  CHECK(judge(gate(std::nullopt), reading({kNaN})).verdict == Verdict::inconclusive);
  CHECK(judge(gate(std::nullopt), reading({1.0})).verdict == Verdict::successful);
  // 0/0 (no requests yet): a false comparison with NaN says nothing about the canary.
  auto nan = judge(gate("result < 0.01"), reading({kNaN}));
  CHECK(nan.verdict == Verdict::inconclusive);
  CHECK(contains(nan.message, "result NaN"));
  CHECK(judge(gate(std::nullopt, "result > 20"), reading({kNaN})).verdict == Verdict::inconclusive);
  // A condition that says what NaN means decides.
  CHECK(judge(gate("default(result, 0) < 0.01"), reading({kNaN})).verdict == Verdict::successful);
  CHECK(judge(gate("isNaN(result) or result < 0.01"), reading({kNaN})).verdict == Verdict::successful);
  CHECK(judge(gate(std::nullopt, "isNaN(result)"), reading({kNaN})).verdict == Verdict::failed);
  CHECK(judge(gate("len(result) > 0 and result < 1"), reading({kNaN})).verdict == Verdict::failed);
  // One NaN among numbers is a value like any other.
  CHECK(judge(gate("max(result) < 1"), reading({0.5, kNaN})).verdict == Verdict::failed);
}

TEST_CASE("judge: several values are a vector") {
  CHECK(judge(gate("max(result) < 1"), reading({0.1, 0.5})).verdict == Verdict::successful);
  CHECK(judge(gate("max(result) < 1"), reading({0.1, 2.0})).verdict == Verdict::failed);
  CHECK(judge(gate("len(result) == 3"), reading({1, 2, 3})).verdict == Verdict::successful);
  auto fail = judge(gate("result[1] < 1"), reading({0.1, 2.0}));
  CHECK(contains(fail.message, "result [0.1, 2]"));
}

TEST_CASE("judge: an evaluation error is an error naming the condition") {
  auto m = judge(gate("result < 1"), reading({1, 2}));  // a vector of two must be reduced
  CHECK(m.verdict == Verdict::error);
  CHECK(contains(m.message, "successCondition \"result < 1\""));
  CHECK(judge(gate("result <"), reading({1})).verdict == Verdict::error);
}

TEST_CASE("judge: the parse cache keeps judgements independent") {
  auto g = gate("result < 0.5");
  for (int i = 0; i < 3; ++i) {
    CHECK(judge(g, reading({0.1})).verdict == Verdict::successful);
    CHECK(judge(g, reading({0.9})).verdict == Verdict::failed);
  }
}

TEST_CASE("judge: compare maxRatio") {
  plan::Compare c;
  c.max_ratio = 1.25;
  auto fail = judge(comparing(c), reading({1.9}, std::vector<double>{1.2}));
  CHECK(fail.verdict == Verdict::failed);
  CHECK(fail.message == "canary 1.9 vs stable 1.2: ratio 1.58 > maxRatio 1.25");
  CHECK(judge(comparing(c), reading({1.3}, std::vector<double>{1.2})).verdict == Verdict::successful);
}

TEST_CASE("judge: compare maxIncrease and minRatio") {
  plan::Compare inc;
  inc.max_increase = 0.02;
  CHECK(judge(comparing(inc), reading({0.05}, std::vector<double>{0.01})).verdict == Verdict::failed);
  CHECK(judge(comparing(inc), reading({0.02}, std::vector<double>{0.01})).verdict == Verdict::successful);
  // A baseline of 0 is fine for an increase.
  CHECK(judge(comparing(inc), reading({0.01}, std::vector<double>{0})).verdict == Verdict::successful);
  plan::Compare min;
  min.min_ratio = 0.8;
  auto slow = judge(comparing(min), reading({50}, std::vector<double>{100}));
  CHECK(slow.verdict == Verdict::failed);
  CHECK(contains(slow.message, "ratio 0.5 < minRatio 0.8"));
  CHECK(judge(comparing(min), reading({90}, std::vector<double>{100})).verdict == Verdict::successful);
}

TEST_CASE("judge: compare with a zero, NaN or missing baseline") {
  plan::Compare c;
  c.max_ratio = 1.5;
  CHECK(judge(comparing(c), reading({0}, std::vector<double>{0})).verdict == Verdict::successful);
  CHECK(judge(comparing(c), reading({0.1}, std::vector<double>{0})).verdict == Verdict::inconclusive);
  CHECK(judge(comparing(c), reading({0.1}, std::vector<double>{kNaN})).verdict == Verdict::inconclusive);
  CHECK(judge(comparing(c), reading({kNaN}, std::vector<double>{1})).verdict == Verdict::inconclusive);
  CHECK(judge(comparing(c), reading({0.1})).verdict == Verdict::inconclusive);
  CHECK(judge(comparing(c), reading({}, std::vector<double>{1})).verdict == Verdict::inconclusive);
}

TEST_CASE("judge: conditions and compare must both pass") {
  plan::Compare c;
  c.max_ratio = 1.25;
  auto g = comparing(c, "result < 2");
  auto pass = judge(g, reading({1.0}, std::vector<double>{1.0}));
  CHECK(pass.verdict == Verdict::successful);
  CHECK(contains(pass.message, "successCondition \"result < 2\" is true"));
  CHECK(contains(pass.message, "canary 1 vs stable 1: ratio 1"));
  CHECK(judge(g, reading({1.9}, std::vector<double>{1.0})).verdict == Verdict::failed);  // ratio
  CHECK(judge(g, reading({2.5}, std::vector<double>{2.4})).verdict == Verdict::failed);  // condition
}

TEST_CASE("judge: conditions read the baseline") {
  plan::Compare c;
  c.max_increase = 100;
  auto g = comparing(c, "result <= baseline * 1.2");
  CHECK(judge(g, reading({1.1}, std::vector<double>{1.0})).verdict == Verdict::successful);
  CHECK(judge(g, reading({1.3}, std::vector<double>{1.0})).verdict == Verdict::failed);
}

TEST_CASE("judge: the reading's detail ends the message") {
  Reading r = reading({0.5});
  r.detail = "query sum(x)";
  auto m = judge(gate("result < 1"), r);
  CHECK(contains(m.message, ": query sum(x)"));
}
