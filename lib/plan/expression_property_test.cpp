// Properties of the condition language: random well-typed trees, printed with as few or as many
// parentheses as precedence allows, evaluate as a direct evaluation of the tree says; mangled
// text never crashes or hangs the parser or the evaluator.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <random>

#include "plan/expression.hpp"

using rollout::plan::evaluate;
using rollout::plan::parse_expression;
using rollout::plan::Truth;
using rollout::plan::Value;

namespace {

// A test-side tree: `op` names the node; numeric nodes evaluate to a number or "no data".
struct Tree {
  std::string op;  // "num", "var", "neg", "+", "<", "and", "not", "abs", "min", "idx0", "true", ...
  double num = 0;
  std::string var;
  std::vector<Tree> kids;
};

struct Num {
  bool empty = false;
  double x = 0;
};

const std::map<std::string, Num> kVars = {{"result", {false, 0.25}}, {"one", {false, -3}}, {"none", {true, 0}}};

class Generator {
 public:
  explicit Generator(unsigned seed) : rng_(seed) {}
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  Tree number(int depth) {
    const int k = depth <= 0 ? pick(2) : pick(9);
    static const double kLiterals[] = {0, 1, 2.5, 0.1, 1e-3, 7, 1e300, -3, NAN, INFINITY, -INFINITY, -0.0};
    static const char* kFunctions[] = {"abs", "min", "max", "default", "len", "idx0", "idx1"};
    switch (k) {
      case 0: return {"num", kLiterals[pick(12)], "", {}};
      case 1: return {"var", 0, pick(3) == 0 ? "none" : (pick(2) ? "result" : "one"), {}};
      case 2: return {"neg", 0, "", {number(depth - 1)}};
      case 3:
      case 4: return {std::string(1, "+-*/"[pick(4)]), 0, "", {number(depth - 1), number(depth - 1)}};
      default: {
        Tree t{kFunctions[pick(7)], 0, "", {number(depth - 1)}};
        const int extra = t.op == "default" ? 1 : (t.op == "min" || t.op == "max") ? pick(3) : 0;
        for (int i = 0; i < extra; ++i) t.kids.push_back(number(depth - 1));
        return t;
      }
    }
  }

  Tree boolean(int depth) {
    static const char* kCompare[] = {"==", "!=", "<", "<=", ">", ">="};
    const int k = depth <= 0 ? 0 : pick(8);
    switch (k) {
      case 0: return {pick(2) ? "true" : "false", 0, "", {}};
      case 1:
      case 2: return {kCompare[pick(6)], 0, "", {number(depth - 1), number(depth - 1)}};
      case 3: return {pick(2) ? "and" : "or", 0, "", {boolean(depth - 1), boolean(depth - 1)}};
      case 4: return {"not", 0, "", {boolean(depth - 1)}};
      case 5: return {pick(2) ? "isNaN" : "isInf", 0, "", {number(depth - 1)}};
      case 6: return {pick(2) ? "beq" : "bne", 0, "", {boolean(depth - 1), boolean(depth - 1)}};
      default: return {pick(2) ? "and" : "or", 0, "", {boolean(depth - 1), boolean(depth - 1)}};
    }
  }

 private:
  std::mt19937 rng_;
};

// ---- direct evaluation -------------------------------------------------------------------

Num eval_num(const Tree& t);

Truth of(bool b) {
  return b ? Truth::yes : Truth::no;
}

Truth eval_bool(const Tree& t) {
  const std::string& op = t.op;
  if (op == "true" || op == "false") return of(op == "true");
  if (op == "not") {
    Truth x = eval_bool(t.kids[0]);
    return x == Truth::inconclusive ? x : of(x == Truth::no);
  }
  if (op == "and" || op == "or") {
    const Truth decisive = op == "and" ? Truth::no : Truth::yes;
    Truth a = eval_bool(t.kids[0]), b = eval_bool(t.kids[1]);
    if (a == decisive || b == decisive) return decisive;
    if (a == Truth::inconclusive || b == Truth::inconclusive) return Truth::inconclusive;
    return op == "and" ? Truth::yes : Truth::no;
  }
  if (op == "beq" || op == "bne") {
    Truth a = eval_bool(t.kids[0]), b = eval_bool(t.kids[1]);
    if (a == Truth::inconclusive || b == Truth::inconclusive) return Truth::inconclusive;
    return of((a == b) == (op == "beq"));
  }
  Num a = eval_num(t.kids[0]);
  if (a.empty) return Truth::inconclusive;
  if (op == "isNaN") return of(std::isnan(a.x));
  if (op == "isInf") return of(std::isinf(a.x));
  Num b = eval_num(t.kids[1]);
  if (b.empty) return Truth::inconclusive;
  if (op == "==") return of(a.x == b.x);
  if (op == "!=") return of(a.x != b.x);
  if (op == "<") return of(a.x < b.x);
  if (op == "<=") return of(a.x <= b.x);
  if (op == ">") return of(a.x > b.x);
  return of(a.x >= b.x);
}

Num extreme(const Tree& t) {
  std::vector<double> all;
  for (const auto& k : t.kids)
    if (Num n = eval_num(k); !n.empty) all.push_back(n.x);
  if (all.empty()) return {true, 0};
  for (double x : all)
    if (std::isnan(x)) return {false, NAN};
  return {false, t.op == "min" ? *std::min_element(all.begin(), all.end()) : *std::max_element(all.begin(), all.end())};
}

Num eval_num(const Tree& t) {
  const std::string& op = t.op;
  if (op == "num") return {false, t.num};
  if (op == "var") return kVars.at(t.var);
  if (op == "min" || op == "max") return extreme(t);
  Num a = eval_num(t.kids[0]);
  if (op == "len") return {false, a.empty ? 0.0 : 1.0};
  if (op == "default") return a.empty || std::isnan(a.x) ? eval_num(t.kids[1]) : a;
  if (op == "idx1" || a.empty) return {true, 0};
  if (op == "idx0") return a;
  if (op == "neg") return {false, -a.x};
  if (op == "abs") return {false, std::fabs(a.x)};
  Num b = eval_num(t.kids[1]);
  if (b.empty) return {true, 0};
  if (op == "+") return {false, a.x + b.x};
  if (op == "-") return {false, a.x - b.x};
  if (op == "*") return {false, a.x * b.x};
  return {false, a.x / b.x};
}

// ---- printing ----------------------------------------------------------------------------

int precedence(const Tree& t) {
  const std::string& op = t.op;
  if (op == "or") return 1;
  if (op == "and") return 2;
  if (op == "not") return 3;
  if (op == "==" || op == "!=" || op == "<" || op == "<=" || op == ">" || op == ">=" || op == "beq" || op == "bne")
    return 4;
  if (op == "+" || op == "-") return 5;
  if (op == "*" || op == "/") return 6;
  if (op == "neg" || (op == "num" && std::signbit(t.num) && !std::isnan(t.num))) return 7;
  return 8;
}

std::string number_text(double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "Inf" : "-Inf";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

class Printer {
 public:
  Printer(Generator& g, bool all_parens) : g_(g), all_parens_(all_parens) {}

  std::string print(const Tree& t) {
    const std::string& op = t.op;
    if (op == "num") return number_text(t.num);
    if (op == "var") return t.var;
    if (op == "true" || op == "false") return op;
    if (op == "neg") return "-" + child(t.kids[0], 7, false);
    if (op == "not") return (g_.pick(2) ? "not " : "!") + child(t.kids[0], 3, false);
    if (op == "idx0" || op == "idx1") return child(t.kids[0], 8, false) + (op == "idx0" ? "[0]" : "[ 1 ]");
    const int p = precedence(t);
    if (p == 8) return call(t);
    std::string spelled = op == "beq" ? "==" : op == "bne" ? "!=" : op;
    if (op == "and" && g_.pick(2)) spelled = "&&";
    if (op == "or" && g_.pick(2)) spelled = "||";
    const char* gap = g_.pick(4) ? " " : (op == "and" || op == "or" ? " " : "");
    return child(t.kids[0], p, p == 4) + gap + spelled + gap + child(t.kids[1], p, true);
  }

 private:
  std::string call(const Tree& t) {
    std::string out = t.op + "(";
    for (size_t i = 0; i < t.kids.size(); ++i) out += (i ? ", " : "") + print(t.kids[i]);
    return out + ")";
  }
  // A child needs parentheses when it binds more loosely than its parent (or as loosely, on the
  // right of a left-associative operator and on either side of a comparison).
  std::string child(const Tree& k, int parent, bool strict) {
    const int p = precedence(k);
    const bool needed = p < parent || (strict && p <= parent);
    return needed || (all_parens_ && p < 8) ? "(" + print(k) + ")" : print(k);
  }

  Generator& g_;
  bool all_parens_;
};

std::map<std::string, Value> env() {
  return {{"result", 0.25}, {"one", std::vector<double>{-3}}, {"none", std::vector<double>{}}};
}

}  // namespace

TEST_CASE("random expressions evaluate as their trees", "[expression]") {
  Generator g(20240611);
  const std::vector<std::string> variables = {"result", "one", "none"};
  for (int i = 0; i < 3000; ++i) {
    Tree t = g.boolean(1 + g.pick(6));
    Printer printer(g, g.pick(3) == 0);
    const std::string text = printer.print(t);
    INFO(text);
    auto e = parse_expression(text, variables);
    INFO((e ? "" : e.error().message));
    REQUIRE(e.ok());
    auto r = evaluate(*e, env());
    INFO((r ? "" : r.error().message));
    REQUIRE(r.ok());
    REQUIRE(*r == eval_bool(t));
  }
}

TEST_CASE("mangled expressions never crash or hang", "[expression]") {
  const std::vector<std::string> seeds = {
      "result < 0.01",
      "result[0] < 2 and not isNaN(result)",
      "len(result) > 0 && result <= baseline * 1.2",
      "default(result, 0) < max(1, baseline) || !(isInf(result))",
      "-(result - baseline) / abs(baseline) >= 1e-3",
      "min(result, 2, baseline)[0] != NaN or Inf == result",
  };
  const std::string alphabet = "()[],+-*/<>=!&|. 0123456789eEresultbaselinNaIfandortmx_\t\"'%#";
  const std::vector<std::map<std::string, Value>> envs = {
      {{"result", 0.5}, {"baseline", 1.0}},
      {{"result", std::vector<double>{}}, {"baseline", NAN}},
      {{"result", std::vector<double>{1, 2, 3}}, {"baseline", INFINITY}},
      {{"result", true}},
  };
  std::mt19937 rng(7);
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s = seeds[pick(seeds.size())];
    for (size_t m = 0, n = 1 + pick(4); m < n; ++m) {
      const size_t at = pick(s.size() + 1);
      switch (pick(5)) {
        case 0: s.insert(at, 1, alphabet[pick(alphabet.size())]); break;
        case 1: s.erase(at, 1 + pick(3)); break;
        case 2: s.insert(at, s.substr(pick(s.size() + 1), pick(8))); break;
        case 3: s.insert(at, 1, static_cast<char>(pick(256))); break;
        default:
          if (!s.empty()) std::swap(s[pick(s.size())], s[pick(s.size())]);
      }
    }
    INFO(s);
    auto e = parse_expression(s);
    if (!e) {
      const int col = rollout::plan::error_column(e.error());
      REQUIRE(col >= 1);
      REQUIRE(col <= static_cast<int>(s.size()) + 1);
      continue;
    }
    ++parsed;
    for (const auto& env : envs) {
      auto r = evaluate(*e, env);
      if (!r) REQUIRE(rollout::plan::error_column(r.error()) >= 1);
    }
  }
  CHECK(parsed > 300);  // the fuzz reaches the evaluator too
}
