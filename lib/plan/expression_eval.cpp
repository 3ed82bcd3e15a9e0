// The condition evaluator: IEEE arithmetic, three-valued booleans (an empty vector makes a
// comparison inconclusive; and/or decide without it when they can), errors with columns.
#include <cmath>
#include <sstream>
#include <vector>

#include "plan/expression.hpp"
#include "plan/expression_ast.hpp"
#include "plan/expression_functions.hpp"
#include "util/text.hpp"

namespace rollout::plan {

namespace {

using expr::Node;
using expr::Op;
using expr::Val;

Error error_at(const Node& n, const std::string& message) {
  return make_error(ErrorKind::invalid, "col " + std::to_string(n.column) + ": " + message);
}

std::string op_name(const Node& n) {
  return quote(n.name);
}

Truth truth_of(bool b) {
  return b ? Truth::yes : Truth::no;
}

Truth negate(Truth t) {
  return t == Truth::inconclusive ? t : (t == Truth::yes ? Truth::no : Truth::yes);
}

bool is_comparison(Op op) {
  return op == Op::eq || op == Op::ne || op == Op::lt || op == Op::le || op == Op::gt || op == Op::ge;
}

bool compare(Op op, double a, double b) {
  switch (op) {
    case Op::eq: return a == b;
    case Op::ne: return a != b;
    case Op::lt: return a < b;
    case Op::le: return a <= b;
    case Op::gt: return a > b;
    default: return a >= b;
  }
}

double arithmetic(Op op, double a, double b) {
  switch (op) {
    case Op::add: return a + b;
    case Op::sub: return a - b;
    case Op::mul: return a * b;
    default: return a / b;
  }
}

class Evaluator {
 public:
  explicit Evaluator(const std::map<std::string, Value>& env) : env_(env) {}
  Result<Val> eval(const Node& n);

 private:
  Result<Val> variable(const Node& n);
  Result<Val> unary(const Node& n);
  Result<Val> spine(const Node& top);
  Result<Val> logical(const Node& n, Val left);
  Result<Val> binary(const Node& n, Val a);
  Result<Val> numeric(const Node& n, const Val& a, const Val& b);
  Result<Val> index(const Node& n, Val base);
  Result<Val> call(const Node& n);

  const std::map<std::string, Value>& env_;
};

Result<Val> Evaluator::eval(const Node& n) {
  switch (n.kind) {
    case Node::Kind::number: return Val(n.number);
    case Node::Kind::boolean: return Val(truth_of(n.boolean));
    case Node::Kind::variable: return variable(n);
    case Node::Kind::unary: return unary(n);
    case Node::Kind::binary:
    case Node::Kind::index: return spine(n);
    case Node::Kind::call: return call(n);
  }
  return error_at(n, "unknown expression node");
}

Result<Val> Evaluator::variable(const Node& n) {
  auto it = env_.find(n.name);
  if (it == env_.end()) return error_at(n, n.name + " has no value here");
  return std::visit(
      [](const auto& v) -> Val {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, bool>)
          return truth_of(v);
        else
          return v;
      },
      it->second.v);
}

Result<Val> Evaluator::unary(const Node& n) {
  auto operand = eval(*n.args[0]);
  if (!operand) return operand;
  if (n.op == Op::not_) {
    if (auto* t = std::get_if<Truth>(&*operand)) return Val(negate(*t));
    return error_at(n, op_name(n) + " needs a boolean, got " + expr::type_name(*operand));
  }
  auto x = expr::to_scalar(*operand, op_name(n));
  if (!x) return error_at(n, x.error().message);
  return *x ? Val(-**x) : Val(std::vector<double>{});
}

// A chain the parser nests to the left ("1 + 1 + ... + 1", "a and b and c", "v[0][1]"), as deep
// as the expression is long (a flat chain is not nesting, which the parser limits): walked down in
// a loop and folded back up, left operand first as always, so that its length never becomes
// recursion depth. Recursing on it overflowed the stack of the ASan build at ~2000 operators.
Result<Val> Evaluator::spine(const Node& top) {
  std::vector<const Node*> chain;
  const Node* at = &top;
  for (; at->kind == Node::Kind::binary || at->kind == Node::Kind::index; at = at->args[0].get()) chain.push_back(at);
  auto acc = eval(*at);
  for (auto it = chain.rbegin(); it != chain.rend() && acc; ++it) {
    const Node& n = **it;
    if (n.kind == Node::Kind::index)
      acc = index(n, std::move(*acc));
    else if (n.op == Op::and_ || n.op == Op::or_)
      acc = logical(n, std::move(*acc));
    else
      acc = binary(n, std::move(*acc));
  }
  return acc;
}

// and/or: the left side decides alone when it can, so "len(result) > 0 and result[0] < 1" is safe.
Result<Val> Evaluator::logical(const Node& n, Val left) {
  const Truth decisive = n.op == Op::and_ ? Truth::no : Truth::yes;
  Truth sides[2] = {Truth::inconclusive, Truth::inconclusive};
  for (int i = 0; i < 2; ++i) {
    auto v = i == 0 ? Result<Val>(std::move(left)) : eval(*n.args[1]);
    if (!v) return v;
    auto* t = std::get_if<Truth>(&*v);
    if (!t)
      return error_at(
          n, op_name(n) + " needs booleans, got " + expr::type_name(*v) + " on the " + (i == 0 ? "left" : "right"));
    if (*t == decisive) return Val(decisive);
    sides[i] = *t;
  }
  const bool unknown = sides[0] == Truth::inconclusive || sides[1] == Truth::inconclusive;
  return Val(unknown ? Truth::inconclusive : negate(decisive));
}

Result<Val> Evaluator::binary(const Node& n, Val left) {
  const Val* a = &left;
  auto b = eval(*n.args[1]);
  if (!b) return b;
  const bool a_bool = std::holds_alternative<Truth>(*a), b_bool = std::holds_alternative<Truth>(*b);
  if (a_bool && b_bool && (n.op == Op::eq || n.op == Op::ne)) {
    const Truth x = std::get<Truth>(*a), y = std::get<Truth>(*b);
    if (x == Truth::inconclusive || y == Truth::inconclusive) return Val(Truth::inconclusive);
    return Val(truth_of((x == y) == (n.op == Op::eq)));
  }
  if (a_bool || b_bool)
    return error_at(n, op_name(n) + " needs numbers, got " + expr::type_name(*a) + " and " + expr::type_name(*b));
  return numeric(n, *a, *b);
}

Result<Val> Evaluator::numeric(const Node& n, const Val& a, const Val& b) {
  auto x = expr::to_scalar(a, op_name(n));
  if (!x) return error_at(n, x.error().message);
  auto y = expr::to_scalar(b, op_name(n));
  if (!y) return error_at(n, y.error().message);
  if (is_comparison(n.op)) {
    if (!*x || !*y) return Val(Truth::inconclusive);
    return Val(truth_of(compare(n.op, **x, **y)));
  }
  if (!*x || !*y) return Val(std::vector<double>{});
  return Val(arithmetic(n.op, **x, **y));
}

// v[i]: a number is a one-element vector; past the end is "no data", not an error.
Result<Val> Evaluator::index(const Node& n, Val value) {
  const Val* base = &value;
  auto i = eval(*n.args[1]);
  if (!i) return i;
  if (std::holds_alternative<Truth>(*base)) return error_at(n, "cannot index a boolean");
  auto at = expr::to_scalar(*i, "an index");
  if (!at) return error_at(n, at.error().message);
  if (!*at) return Val(std::vector<double>{});
  const double k = **at;
  if (!(k >= 0) || std::floor(k) != k) {
    std::ostringstream s;
    s << k;
    return error_at(n, "an index must be a whole number from 0, got " + s.str());
  }
  std::vector<double> xs;
  if (auto* x = std::get_if<double>(&*base)) xs = {*x};
  if (auto* v = std::get_if<std::vector<double>>(&*base)) xs = *v;
  if (k >= static_cast<double>(xs.size())) return Val(std::vector<double>{});
  return Val(xs[static_cast<size_t>(k)]);
}

Result<Val> Evaluator::call(const Node& n) {
  const expr::Function* f = expr::find_function(n.name);
  if (!f) return error_at(n, "unknown function " + n.name);
  std::vector<Val> args;
  for (const auto& a : n.args) {
    auto v = eval(*a);
    if (!v) return v;
    args.push_back(std::move(*v));
  }
  auto r = f->apply(args);
  if (!r) return error_at(n, r.error().message);
  return r;
}

}  // namespace

const char* to_string(Truth truth) {
  switch (truth) {
    case Truth::yes: return "true";
    case Truth::no: return "false";
    case Truth::inconclusive: return "inconclusive";
  }
  return "?";
}

std::string describe(const Value& value) {
  std::ostringstream s;
  if (auto* x = std::get_if<double>(&value.v)) s << "the number " << *x;
  if (auto* b = std::get_if<bool>(&value.v)) s << "the boolean " << (*b ? "true" : "false");
  if (auto* xs = std::get_if<std::vector<double>>(&value.v)) {
    s << "the vector [";
    for (size_t i = 0; i < xs->size(); ++i) s << (i ? ", " : "") << (*xs)[i];
    s << "]";
  }
  return s.str();
}

Result<Truth> evaluate(const Expression& e, const std::map<std::string, Value>& env) {
  auto v = Evaluator(env).eval(e.root());
  if (!v) return v.error();
  if (auto* t = std::get_if<Truth>(&*v)) return *t;
  return make_error(ErrorKind::invalid, "col 1: a condition must be true or false, got " + expr::type_name(*v) +
                                            " (compare it, as in result < 0.01)");
}

}  // namespace rollout::plan
