// Internal to plan/expression*: the syntax tree of a condition, shared by the parser and the
// evaluator. Every node keeps the column of its token for error messages.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace rollout::plan::expr {

enum class Op { or_, and_, not_, eq, ne, lt, le, gt, ge, add, sub, mul, div, neg };

struct Node {
  enum class Kind { number, boolean, variable, unary, binary, index, call };
  Kind kind = Kind::number;
  int column = 1;     // 1-based column of the token that made this node
  double number = 0;  // number literals
  bool boolean = false;
  Op op = Op::add;                          // unary and binary operators
  std::string name;                         // variable or function name; an operator as written ("and" or "&&")
  std::vector<std::unique_ptr<Node>> args;  // operands, [base, index], or call arguments
};

using NodePtr = std::unique_ptr<Node>;

}  // namespace rollout::plan::expr
