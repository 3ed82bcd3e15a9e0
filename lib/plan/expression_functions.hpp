// Internal to plan/expression*: values during evaluation and the built-in functions, in one
// table that the parser (names, arity) and the evaluator (behaviour) share.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "plan/expression.hpp"

namespace rollout::plan::expr {

// A value while evaluating: a number, a three-valued boolean, or a vector of numbers.
using Val = std::variant<double, Truth, std::vector<double>>;

// "a number", "a boolean", "an empty vector", "a vector of 3 numbers".
std::string type_name(const Val& v);

// A number, a one-element vector's number, nullopt for an empty vector ("no data"); an error
// naming `who` for a boolean or a longer vector.
Result<std::optional<double>> to_scalar(const Val& v, const std::string& who);

struct Function {
  std::string_view name;
  size_t min_args;
  size_t max_args;  // SIZE_MAX: any number
  // Applies the function to evaluated arguments (arity already checked); errors carry no column.
  Result<Val> (*apply)(const std::vector<Val>& args);
};

const Function* find_function(std::string_view name);
std::vector<std::string> function_names();
std::string function_list();  // "isNaN, isInf, len, ..." for messages
// nullopt when `count` arguments fit, else the message ("isNaN takes 1 argument, got 2").
std::optional<std::string> check_arity(const Function& f, size_t count);

}  // namespace rollout::plan::expr
