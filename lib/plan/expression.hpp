// Gate conditions (`successCondition`, `failureCondition`): a small expression language over a
// measured `result`, e.g. "result < 0.01" or "len(result) > 0 && result <= baseline * 1.2".
// It lives in plan/ because validating a plan parses its conditions; gates/ evaluates them.
// The language is documented in docs/plan-reference.md ("Conditions").
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "util/result.hpp"

namespace rollout::plan {

// A number (NaN and Inf allowed), a boolean, or a vector of numbers (a Prometheus vector
// result). A one-element vector acts as its number; an empty one means "no data".
struct Value {
  std::variant<double, bool, std::vector<double>> v;

  Value(double n) : v(n) {}
  Value(int n) : v(static_cast<double>(n)) {}
  Value(bool b) : v(b) {}
  Value(std::vector<double> xs) : v(std::move(xs)) {}
};

// "the number 0.5", "the boolean true", "a vector of 3 numbers": for messages.
std::string describe(const Value& value);

namespace expr {
struct Node;
}

// A parsed condition. Copies share the immutable tree.
class Expression {
 public:
  Expression(std::string text, std::shared_ptr<const expr::Node> root, std::vector<std::string> variables,
             std::vector<int> columns);

  const std::string& text() const { return text_; }
  const expr::Node& root() const { return *root_; }
  // The variables it reads, each once, in order of first use.
  const std::vector<std::string>& variables() const { return variables_; }
  bool uses(std::string_view variable) const { return column_of(variable) > 0; }
  // The column where `variable` is first read, or 0 if it is not.
  int column_of(std::string_view variable) const;

 private:
  std::string text_;
  std::shared_ptr<const expr::Node> root_;
  std::vector<std::string> variables_;
  std::vector<int> columns_;  // of each variable's first use
};

inline constexpr size_t kMaxExpressionLength = 4096;
inline constexpr int kMaxExpressionNesting = 64;

// Errors are ErrorKind::invalid with the message "col N: ..." (1-based column in `text`), e.g.
// "col 8: unknown function isNan (did you mean isNaN?)". `variables` are the names it may read.
Result<Expression> parse_expression(std::string_view text,
                                    const std::vector<std::string>& variables = {"result", "baseline"});

enum class Truth { yes, no, inconclusive };
const char* to_string(Truth truth);

// Evaluates a condition: the whole expression must be a boolean. A comparison with an empty
// vector makes it inconclusive (unless and/or decide without it). Type errors and unbound
// variables are ErrorKind::invalid errors with the column of the operator, "col N: ...".
Result<Truth> evaluate(const Expression& e, const std::map<std::string, Value>& env);

// The N of an error message that starts with "col N: ", or 0.
int error_column(const Error& error);

}  // namespace rollout::plan
