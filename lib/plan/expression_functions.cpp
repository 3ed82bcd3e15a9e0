#include "plan/expression_functions.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace rollout::plan::expr {

namespace {

Error fail(std::string message) {
  return make_error(ErrorKind::invalid, std::move(message));
}

// isNaN and isInf: "no data" is inconclusive.
template <bool (*Test)(double)>
Result<Val> classify(const std::string& name, const Val& arg) {
  auto x = to_scalar(arg, name);
  if (!x) return x.error();
  if (!*x) return Val(Truth::inconclusive);
  return Val(Test(**x) ? Truth::yes : Truth::no);
}
bool nan_test(double x) {
  return std::isnan(x);
}
bool inf_test(double x) {
  return std::isinf(x);
}
Result<Val> is_nan(const std::vector<Val>& args) {
  return classify<nan_test>("isNaN", args[0]);
}
Result<Val> is_inf(const std::vector<Val>& args) {
  return classify<inf_test>("isInf", args[0]);
}

Result<Val> len(const std::vector<Val>& args) {
  const Val& arg = args[0];
  if (std::holds_alternative<Truth>(arg)) return fail("len needs a number or a vector, got a boolean");
  if (auto* xs = std::get_if<std::vector<double>>(&arg)) return Val(static_cast<double>(xs->size()));
  return Val(1.0);
}

Result<Val> absolute(const std::vector<Val>& args) {
  auto x = to_scalar(args[0], "abs");
  if (!x) return x.error();
  return *x ? Val(std::fabs(**x)) : Val(std::vector<double>{});
}

// min/max over every number of every argument; no numbers at all is "no data"; NaN wins.
template <bool Min>
Result<Val> extreme(const std::vector<Val>& args) {
  std::vector<double> all;
  for (const auto& a : args) {
    if (std::holds_alternative<Truth>(a))
      return fail(std::string(Min ? "min" : "max") + " needs numbers, got a boolean");
    if (auto* x = std::get_if<double>(&a)) all.push_back(*x);
    if (auto* xs = std::get_if<std::vector<double>>(&a)) all.insert(all.end(), xs->begin(), xs->end());
  }
  if (all.empty()) return Val(std::vector<double>{});
  if (std::any_of(all.begin(), all.end(), [](double x) { return std::isnan(x); })) return Val(NAN);
  return Val(Min ? *std::min_element(all.begin(), all.end()) : *std::max_element(all.begin(), all.end()));
}

// default(x, d): x unless it is NaN or "no data".
Result<Val> fallback(const std::vector<Val>& args) {
  for (const auto& a : args)
    if (std::holds_alternative<Truth>(a)) return fail("default needs numbers, got a boolean");
  const Val& x = args[0];
  bool missing = false;
  if (auto* n = std::get_if<double>(&x)) missing = std::isnan(*n);
  if (auto* xs = std::get_if<std::vector<double>>(&x))
    missing = xs->empty() || (xs->size() == 1 && std::isnan((*xs)[0]));
  return missing ? args[1] : x;
}

constexpr Function kFunctions[] = {
    {"isNaN", 1, 1, is_nan},
    {"isInf", 1, 1, is_inf},
    {"len", 1, 1, len},
    {"abs", 1, 1, absolute},
    {"min", 1, SIZE_MAX, extreme<true>},
    {"max", 1, SIZE_MAX, extreme<false>},
    {"default", 2, 2, fallback},
};

}  // namespace

std::string type_name(const Val& v) {
  if (std::holds_alternative<double>(v)) return "a number";
  if (std::holds_alternative<Truth>(v)) return "a boolean";
  const auto& xs = std::get<std::vector<double>>(v);
  if (xs.empty()) return "an empty vector";
  return xs.size() == 1 ? "a vector of 1 number" : "a vector of " + std::to_string(xs.size()) + " numbers";
}

Result<std::optional<double>> to_scalar(const Val& v, const std::string& who) {
  if (auto* x = std::get_if<double>(&v)) return std::optional<double>(*x);
  if (std::holds_alternative<Truth>(v)) return fail(who + " needs a number, got a boolean");
  const auto& xs = std::get<std::vector<double>>(v);
  if (xs.empty()) return std::optional<double>();
  if (xs.size() == 1) return std::optional<double>(xs[0]);
  return fail(who + " needs a single number, got " + type_name(v) +
              ": pick one with [i] or reduce them with min(), max() or len()");
}

const Function* find_function(std::string_view name) {
  for (const auto& f : kFunctions)
    if (f.name == name) return &f;
  return nullptr;
}

std::vector<std::string> function_names() {
  std::vector<std::string> out;
  for (const auto& f : kFunctions) out.emplace_back(f.name);
  return out;
}

std::string function_list() {
  std::string out;
  for (const auto& f : kFunctions) out += (out.empty() ? "" : ", ") + std::string(f.name);
  return out;
}

std::optional<std::string> check_arity(const Function& f, size_t count) {
  if (count >= f.min_args && count <= f.max_args) return std::nullopt;
  const auto plural = [](size_t n) { return std::to_string(n) + (n == 1 ? " argument" : " arguments"); };
  std::string want = f.min_args == f.max_args ? plural(f.min_args) : "at least " + plural(f.min_args);
  return std::string(f.name) + " takes " + want + ", got " + std::to_string(count);
}

}  // namespace rollout::plan::expr
