// The judgement every metric provider shares: a Reading against the gate's conditions and
// `compare` limits. Providers only read; what the numbers mean is decided here, in one place.
#include <fmt/format.h>

#include <cmath>
#include <map>
#include <mutex>
#include <regex>

#include "gates/gate.hpp"
#include "plan/expression.hpp"

namespace rollout::gates {

namespace {

std::string number(double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "+Inf" : "-Inf";
  return fmt::format("{:g}", x);
}

std::string describe_values(const std::vector<double>& xs) {
  if (xs.empty()) return "no data";
  if (xs.size() == 1) return number(xs.front());
  std::string out = "[";
  for (size_t i = 0; i < xs.size(); ++i) out += (i ? ", " : "") + number(xs[i]);
  return out + "]";
}

plan::Value as_value(const std::vector<double>& xs) {
  if (xs.size() == 1) return plan::Value(xs.front());
  return plan::Value(xs);
}

// A condition is parsed once per text; plans are few and their conditions fixed, so the cache
// only grows by the conditions a process ever judges.
Result<plan::Expression> parsed(const std::string& text) {
  static std::mutex mutex;
  static std::map<std::string, Result<plan::Expression>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(text);
  if (it == cache.end()) it = cache.emplace(text, plan::parse_expression(text)).first;
  return it->second;
}

// "result 0.034 >= 0.01" for a false `result < 0.01` with one value; "" for anything less simple.
std::string why_false(const std::string& text, const std::vector<double>& values) {
  static const std::regex simple(R"(^\s*result\s*(<=|>=|==|!=|<|>)\s*([-+0-9.eE]+)\s*$)");
  static const std::map<std::string, std::string> negation{{"<", ">="}, {"<=", ">"},  {">", "<="},
                                                           {">=", "<"}, {"==", "!="}, {"!=", "=="}};
  std::smatch m;
  if (values.size() != 1 || !std::regex_match(text, m, simple)) return "";
  return fmt::format("result {} {} {}", number(values.front()), negation.at(m[1].str()), m[2].str());
}

struct Outcome {
  Verdict verdict;
  std::string message;
};

bool all_nan(const std::vector<double>& xs) {
  if (xs.empty()) return false;
  for (double x : xs)
    if (!std::isnan(x)) return false;
  return true;
}

// A NaN reading (0/0: no requests in the window) is no data unless the condition is true for it
// (`isNaN(result) or ...`, `default(result, 0) < 0.01`): a false comparison with NaN says
// nothing about the canary, so the condition is judged as it would be with no data.
Result<plan::Truth> truth_of(const plan::Expression& e, std::map<std::string, plan::Value> env,
                             const Reading& reading) {
  auto truth = plan::evaluate(e, env);
  if (!truth.ok() || *truth == plan::Truth::yes || !all_nan(reading.values)) return truth;
  env.insert_or_assign("result", plan::Value(std::vector<double>{}));
  return plan::evaluate(e, env);
}

// One condition: Truth, or an error naming it. `fails_when` is the Truth that fails the gate.
Outcome condition(const char* key, const std::string& text, plan::Truth fails_when,
                  const std::map<std::string, plan::Value>& env, const Reading& reading) {
  auto e = parsed(text);
  if (!e.ok()) return {Verdict::error, fmt::format("{} \"{}\": {}", key, text, e.error().message)};
  auto truth = truth_of(*e, env, reading);
  if (!truth.ok()) return {Verdict::error, fmt::format("{} \"{}\": {}", key, text, truth.error().message)};
  const std::string shown = fmt::format("{} \"{}\" is {}", key, text, plan::to_string(*truth));
  const std::string result = "result " + describe_values(reading.values);
  if (*truth == plan::Truth::inconclusive) return {Verdict::inconclusive, result + " (" + shown + ")"};
  if (*truth != fails_when) return {Verdict::successful, result + " (" + shown + ")"};
  const std::string why = *truth == plan::Truth::no ? why_false(text, reading.values) : "";
  return {Verdict::failed, (why.empty() ? result : why) + " (" + shown + ")"};
}

// The `compare` limits on one canary value against one baseline value.
Outcome compare(const plan::Compare& c, const Reading& reading) {
  if (!reading.baseline) return {Verdict::inconclusive, "no baseline reading to compare with"};
  const auto& b = *reading.baseline;
  if (reading.values.size() != 1 || b.size() != 1)
    return {Verdict::inconclusive, fmt::format("compare needs one value each: canary {} vs {} {}",
                                               describe_values(reading.values), c.baseline, describe_values(b))};
  const double canary = reading.values.front(), base = b.front();
  const std::string head = fmt::format("canary {} vs {} {}", number(canary), c.baseline, number(base));
  if (std::isnan(canary) || std::isnan(base)) return {Verdict::inconclusive, head + ": NaN cannot be compared"};
  if (c.max_increase && canary - base > *c.max_increase)
    return {Verdict::failed,
            fmt::format("{}: increase {} > maxIncrease {}", head, number(canary - base), number(*c.max_increase))};
  if (!c.max_ratio && !c.min_ratio) return {Verdict::successful, head};
  if (base == 0 && canary == 0) return {Verdict::successful, head};
  if (base == 0) return {Verdict::inconclusive, head + ": no ratio to a baseline of 0"};
  const double ratio = canary / base;
  if (c.max_ratio && ratio > *c.max_ratio)
    return {Verdict::failed, fmt::format("{}: ratio {:.3g} > maxRatio {}", head, ratio, number(*c.max_ratio))};
  if (c.min_ratio && ratio < *c.min_ratio)
    return {Verdict::failed, fmt::format("{}: ratio {:.3g} < minRatio {}", head, ratio, number(*c.min_ratio))};
  return {Verdict::successful, fmt::format("{}: ratio {:.3g}", head, ratio)};
}

bool has_data(const std::vector<double>& xs) {
  if (xs.empty()) return false;
  for (double x : xs)
    if (std::isnan(x)) return false;
  return true;
}

// Error, then Failed, then Inconclusive, then Successful: the worst outcome decides.
int severity(Verdict v) {
  switch (v) {
    case Verdict::error: return 3;
    case Verdict::failed: return 2;
    case Verdict::inconclusive: return 1;
    case Verdict::successful: return 0;
  }
  return 3;
}

}  // namespace

Measurement judge(const plan::Gate& gate, const Reading& reading) {
  std::map<std::string, plan::Value> env{{"result", as_value(reading.values)}};
  if (reading.baseline) env.emplace("baseline", as_value(*reading.baseline));
  std::vector<Outcome> outcomes;
  // A true failureCondition fails the gate whatever successCondition says.
  if (gate.failure_condition)
    outcomes.push_back(condition("failureCondition", *gate.failure_condition, plan::Truth::yes, env, reading));
  if (gate.success_condition)
    outcomes.push_back(condition("successCondition", *gate.success_condition, plan::Truth::no, env, reading));
  if (gate.compare) outcomes.push_back(compare(*gate.compare, reading));
  if (outcomes.empty())
    outcomes.push_back(has_data(reading.values)
                           ? Outcome{Verdict::successful, "result " + describe_values(reading.values)}
                           : Outcome{Verdict::inconclusive, "result " + describe_values(reading.values)});
  const Outcome* worst = &outcomes.front();
  for (const auto& o : outcomes)
    if (severity(o.verdict) > severity(worst->verdict)) worst = &o;
  // A failure names what failed; a pass shows every check that passed.
  std::string message = worst->message;
  if (worst->verdict == Verdict::successful)
    for (const auto& o : outcomes)
      if (&o != worst) message += "; " + o.message;
  if (!reading.detail.empty()) message += ": " + reading.detail;
  std::optional<double> value;
  if (!reading.values.empty()) value = reading.values.front();
  return {worst->verdict, value, message};
}

}  // namespace rollout::gates
