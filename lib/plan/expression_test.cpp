#include "plan/expression.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using rollout::plan::error_column;
using rollout::plan::evaluate;
using rollout::plan::parse_expression;
using rollout::plan::Truth;
using rollout::plan::Value;
using Env = std::map<std::string, Value>;

namespace {

const Env kDefaultEnv = {{"result", 0.5}, {"baseline", 1.0}};

Truth eval(std::string_view text, const Env& env = kDefaultEnv) {
  auto e = parse_expression(text);
  INFO(text << ": " << (e ? "" : e.error().message));
  REQUIRE(e.ok());
  auto t = evaluate(*e, env);
  INFO(text << ": " << (t ? "" : t.error().message));
  REQUIRE(t.ok());
  return *t;
}

std::string parse_error(std::string_view text) {
  auto e = parse_expression(text);
  INFO(text);
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().kind == rollout::ErrorKind::invalid);
  return e.error().message;
}

std::string eval_error(std::string_view text, const Env& env = kDefaultEnv) {
  auto e = parse_expression(text);
  INFO(text << ": " << (e ? "" : e.error().message));
  REQUIRE(e.ok());
  auto t = evaluate(*e, env);
  REQUIRE_FALSE(t.ok());
  return t.error().message;
}

const double kNaN = std::nan("");
const double kInf = INFINITY;

}  // namespace

TEST_CASE("precedence and associativity", "[expression]") {
  struct Case {
    const char* text;
    Truth expected;
  };
  const Case cases[] = {
      {"1 + 2 * 3 == 7", Truth::yes},            // * before +
      {"(1 + 2) * 3 == 9", Truth::yes},          // parentheses
      {"8 - 4 - 2 == 2", Truth::yes},            // - is left-associative
      {"8 / 4 / 2 == 1", Truth::yes},            // / is left-associative
      {"2 * 3 / 6 == 1", Truth::yes},            // * and / share a level
      {"1 - 2 + 3 == 2", Truth::yes},            // + and - share a level
      {"-2 * 3 == -6", Truth::yes},              // unary minus binds tightest
      {"- 2 - 3 == -5", Truth::yes},             // (-2) - 3
      {"2 * -3 == -6", Truth::yes},              // unary minus after an operator
      {"1 - -1 == 2", Truth::yes},               // double minus
      {"--2 == 2", Truth::yes},                  // minus of minus
      {"-result[0] == -0.5", Truth::yes},        // indexing binds tighter than minus
      {"true or true and false", Truth::yes},    // and before or
      {"false and false or true", Truth::yes},   // (false and false) or true
      {"not false and false", Truth::no},        // (not false) and false
      {"not 1 < 2", Truth::no},                  // not (1 < 2)
      {"!true || true", Truth::yes},             // (!true) || true
      {"! (true || true)", Truth::no},           // parentheses
      {"not not true", Truth::yes},              // not nests
      {"1 < 2 and 3 < 4", Truth::yes},           // comparisons before and
      {"1 + 1 == 2 * 1", Truth::yes},            // arithmetic before comparisons
      {"true == (1 < 2)", Truth::yes},           // boolean equality
      {"(1 < 2) != (2 < 1)", Truth::yes},        // boolean inequality
      {"result < 1 && result > 0", Truth::yes},  // && is and
      {"result > 1 || result < 0", Truth::no},   // || is or
      {"false or false or true", Truth::yes},    // or chains
      {"true and true and false", Truth::no},    // and chains
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(eval(c.text) == c.expected);
  }
}

TEST_CASE("operators and literals", "[expression]") {
  CHECK(eval("result < 0.01") == Truth::no);
  CHECK(eval("result <= 0.5") == Truth::yes);
  CHECK(eval("result > 0.4") == Truth::yes);
  CHECK(eval("result >= 0.6") == Truth::no);
  CHECK(eval("result == 0.5") == Truth::yes);
  CHECK(eval("result != 0.5") == Truth::no);
  CHECK(eval("result <= baseline * 1.2") == Truth::yes);
  CHECK(eval("baseline - result == .5") == Truth::yes);
  CHECK(eval("1e-3 == 0.001") == Truth::yes);
  CHECK(eval("2.5E+2 == 250") == Truth::yes);
  CHECK(eval("true") == Truth::yes);
  CHECK(eval("false") == Truth::no);
  CHECK(eval("\tresult\n< 1 ") == Truth::yes);
  CHECK(eval("Inf > 1e308") == Truth::yes);
  CHECK(eval("-Inf < -1e308") == Truth::yes);
  CHECK(eval("isNaN(NaN)") == Truth::yes);
  CHECK(eval("1e999 == Inf") == Truth::yes);  // out of range reads as infinity
}

TEST_CASE("functions", "[expression]") {
  const Env v = {{"result", std::vector<double>{3, 1, 2}}, {"baseline", 1.5}};
  CHECK(eval("min(result) == 1", v) == Truth::yes);
  CHECK(eval("max(result) == 3", v) == Truth::yes);
  CHECK(eval("max(result, 10) == 10", v) == Truth::yes);
  CHECK(eval("min(result, baseline, 0.5) == 0.5", v) == Truth::yes);
  CHECK(eval("min(2, NaN) < 3") == Truth::no);  // NaN wins
  CHECK(eval("len(result) == 3", v) == Truth::yes);
  CHECK(eval("len(baseline) == 1", v) == Truth::yes);
  CHECK(eval("result[2] == 2", v) == Truth::yes);
  CHECK(eval("abs(-2) == 2") == Truth::yes);
  CHECK(eval("abs(result - baseline) == 0.5") == Truth::yes);
  CHECK(eval("isNaN(result)") == Truth::no);
  CHECK(eval("isInf(1 / 0)") == Truth::yes);
  CHECK(eval("isInf(result)") == Truth::no);
  CHECK(eval("default(NaN, 2) == 2") == Truth::yes);
  CHECK(eval("default(1, 2) == 1") == Truth::yes);
  CHECK(eval("default(result, 2) == 3", {{"result", std::vector<double>{}}}) == Truth::no);
  CHECK(eval("default(result, 2) == 2", {{"result", std::vector<double>{}}}) == Truth::yes);
  CHECK(eval("default(result, 2) == 2", {{"result", std::vector<double>{kNaN}}}) == Truth::yes);
  CHECK(eval("len(default(result, 0)) == 3", v) == Truth::yes);
}

TEST_CASE("NaN and Inf follow IEEE 754", "[expression]") {
  const Env nan = {{"result", kNaN}};
  CHECK(eval("result < 1", nan) == Truth::no);
  CHECK(eval("result > 1", nan) == Truth::no);
  CHECK(eval("result == result", nan) == Truth::no);
  CHECK(eval("result != result", nan) == Truth::yes);
  CHECK(eval("isNaN(result)", nan) == Truth::yes);
  CHECK(eval("default(result, 0) < 1", nan) == Truth::yes);
  CHECK(eval("result[0] < 2 and not isNaN(result)", nan) == Truth::no);
  const Env inf = {{"result", kInf}};
  CHECK(eval("isInf(result) and result > 1e308", inf) == Truth::yes);
  CHECK(eval("1 / 0 == Inf") == Truth::yes);
  CHECK(eval("-1 / 0 == -Inf") == Truth::yes);
  CHECK(eval("isNaN(0 / 0)") == Truth::yes);
  CHECK(eval("isNaN(Inf - Inf)") == Truth::yes);
}

TEST_CASE("an empty vector makes comparisons inconclusive", "[expression]") {
  const Env none = {{"result", std::vector<double>{}}, {"baseline", 1.0}};
  CHECK(eval("result < 1", none) == Truth::inconclusive);
  CHECK(eval("result * 2 + 1 < 1", none) == Truth::inconclusive);
  CHECK(eval("-result < 1", none) == Truth::inconclusive);
  CHECK(eval("abs(result) < 1", none) == Truth::inconclusive);
  CHECK(eval("min(result) < 1", none) == Truth::inconclusive);
  CHECK(eval("result[0] < 1", none) == Truth::inconclusive);
  CHECK(eval("baseline[result] < 2", none) == Truth::inconclusive);
  CHECK(eval("isNaN(result)", none) == Truth::inconclusive);
  CHECK(eval("not (result < 1)", none) == Truth::inconclusive);
  CHECK(eval("(result < 1) == true", none) == Truth::inconclusive);
  CHECK(eval("result < 1 and true", none) == Truth::inconclusive);
  CHECK(eval("result < 1 and false", none) == Truth::no);  // and/or decide without it
  CHECK(eval("result < 1 or true", none) == Truth::yes);
  CHECK(eval("result < 1 or false", none) == Truth::inconclusive);
  CHECK(eval("len(result) == 0", none) == Truth::yes);
  CHECK(eval("len(result) > 0 && result <= baseline * 1.2", none) == Truth::no);
  const Env one = {{"result", std::vector<double>{0.5}}};
  CHECK(eval("result < 1", one) == Truth::yes);  // one element acts as its number
  CHECK(eval("result[0] + 1 == 1.5", one) == Truth::yes);
  CHECK(eval("result[1] < 1", one) == Truth::inconclusive);  // past the end is no data
}

TEST_CASE("parse errors name the column", "[expression]") {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"isNan(result)", "col 1: unknown function isNan (did you mean isNaN?)"},
      {"result[0] < 2 and not isNan(result)", "col 23: unknown function isNan (did you mean isNaN?)"},
      {"foo(1)", "col 1: unknown function foo (known: isNaN, isInf, len, abs, min, max, default)"},
      {"reslt < 1", "col 1: unknown variable reslt (did you mean result?)"},
      {"result < baselin", "col 10: unknown variable baselin (did you mean baseline?)"},
      {"nan > 1", "col 1: unknown variable nan (did you mean NaN?)"},
      {"x > 1", "col 1: unknown variable x (known: result, baseline)"},
      {"len < 1", "col 1: len is a function: call it as len(...)"},
      {"result = 1", "col 8: unexpected character \"=\" (did you mean \"==\"?)"},
      {"result < 1 & true", "col 12: unexpected character \"&\" (did you mean \"&&\"?)"},
      {"result < 1 | true", "col 12: unexpected character \"|\" (did you mean \"||\"?)"},
      {"result < 5%", "col 11: unexpected character \"%\" (write percentages as fractions: 0.05 for 5%)"},
      {"", "col 1: empty expression"},
      {"   ", "col 1: empty expression"},
      {"result <", "col 9: expected a value, found the end of the expression"},
      {"result < and", "col 10: expected a value, found \"and\""},
      {"(result < 1", "col 12: expected \")\" to close the \"(\" at col 1, found the end of the expression"},
      {"result < 1)", "col 11: unexpected \")\": expected an operator or the end"},
      {"result < 1 2", "col 12: unexpected \"2\": expected an operator or the end"},
      {"result[0 < 1", "col 13: expected \"]\" to close the \"[\" at col 7, found the end of the expression"},
      {"1 < 2 < 3", "col 7: comparisons do not chain: use \"and\", as in a < b and b < c"},
      {"isNaN(1, 2)", "col 1: isNaN takes 1 argument, got 2"},
      {"default(1) > 0", "col 1: default takes 2 arguments, got 1"},
      {"min() > 0", "col 1: min takes at least 1 argument, got 0"},
      {"min(1 2) > 0", "col 7: expected \",\" or \")\" in the arguments of min, found \"2\""},
      {"1.2.3 > 0", "col 1: malformed number \"1.2.3\""},
      {"result > 1e", "col 10: malformed number \"1e\""},
      {"result > 5ms", "col 10: malformed number \"5ms\""},
      {"result < not true",
       "col 10: put \"not\" and its operand in parentheses here: it binds more loosely than comparisons and "
       "arithmetic"},
  };
  for (const auto& c : cases) CHECK(parse_error(c.text) == c.message);
  CHECK(parse_error("rate > 1 and result < 1").find("unknown variable rate") != std::string::npos);
  CHECK(parse_expression("rate > 1", {"rate"}).ok());
}

TEST_CASE("evaluation errors name the operator and the types", "[expression]") {
  CHECK(eval_error("true + 1") == "col 6: \"+\" needs numbers, got a boolean and a number");
  CHECK(eval_error("true < false") == "col 6: \"<\" needs numbers, got a boolean and a boolean");
  CHECK(eval_error("result and true") == "col 8: \"and\" needs booleans, got a number on the left");
  CHECK(eval_error("false || result") == "col 7: \"||\" needs booleans, got a number on the right");
  CHECK(eval_error("not result") == "col 1: \"not\" needs a boolean, got a number");
  CHECK(eval_error("-(1 < 2) < 0") == "col 1: \"-\" needs a number, got a boolean");
  CHECK(eval_error("result") ==
        "col 1: a condition must be true or false, got a number (compare it, as in result < 0.01)");
  CHECK(eval_error("result < 1", {{"result", std::vector<double>{1, 2, 3}}}) ==
        "col 8: \"<\" needs a single number, got a vector of 3 numbers: pick one with [i] or reduce them with min(), "
        "max() or len()");
  CHECK(eval_error("result[0.5] < 1") == "col 7: an index must be a whole number from 0, got 0.5");
  CHECK(eval_error("result[-1] < 1") == "col 7: an index must be a whole number from 0, got -1");
  CHECK(eval_error("(1 < 2)[0]") == "col 8: cannot index a boolean");
  CHECK(eval_error("baseline > 1", {{"result", 1.0}}) == "col 1: baseline has no value here");
  CHECK(eval_error("isNaN(true)") == "col 1: isNaN needs a number, got a boolean");
  CHECK(eval_error("len(true) > 0") == "col 1: len needs a number or a vector, got a boolean");
  CHECK(eval_error("max(1, true) > 0") == "col 1: max needs numbers, got a boolean");
  CHECK(eval_error("default(true, 1) > 0") == "col 1: default needs numbers, got a boolean");
}

TEST_CASE("the caller's variables and booleans", "[expression]") {
  auto e = parse_expression("ok and result < limit", {"result", "limit", "ok"});
  REQUIRE(e.ok());
  CHECK(e->text() == "ok and result < limit");
  CHECK(e->variables() == std::vector<std::string>{"ok", "result", "limit"});
  CHECK(e->uses("limit"));
  CHECK_FALSE(e->uses("baseline"));
  CHECK(e->column_of("result") == 8);
  CHECK(e->column_of("baseline") == 0);
  CHECK(*evaluate(*e, {{"ok", true}, {"result", 1}, {"limit", 2}}) == Truth::yes);
  CHECK(*evaluate(*e, {{"ok", false}, {"result", 1}, {"limit", 2}}) == Truth::no);
  CHECK(rollout::plan::describe(Value(std::vector<double>{1, 2.5})) == "the vector [1, 2.5]");
  CHECK(rollout::plan::describe(Value(true)) == "the boolean true");
}

TEST_CASE("limits on length and nesting", "[expression]") {
  CHECK(parse_error(std::string(4097, ' ')) == "col 1: expression is longer than 4096 characters");
  CHECK(parse_expression(std::string(64, '(') + "true" + std::string(64, ')')).ok());
  CHECK(parse_error(std::string(65, '(') + "true" + std::string(65, ')')) ==
        "col 65: expression nests deeper than 64 levels");
  CHECK(parse_error(std::string(2000, '(') + "1" + std::string(2000, ')')).find("nests deeper") != std::string::npos);
  CHECK(parse_error(std::string(4000, '-') + "1 < 0").find("nests deeper") != std::string::npos);
  std::string nots;
  for (int i = 0; i < 1000; ++i) nots += "not ";
  CHECK(parse_error(nots + "true").find("nests deeper") != std::string::npos);
  std::string sum = "1";
  for (int i = 0; i < 2040; ++i) sum += "+1";  // a long flat chain is fine
  CHECK(eval(sum + " > 2000") == Truth::yes);
  // The longest chains 4096 characters allow, of each kind the parser nests to the left: evaluated
  // in a loop (recursion on them overflowed the stack of the ASan build).
  sum = "1";
  while (sum.size() + 2 + 7 <= 4096) sum += "+1";
  CHECK(eval(sum + " > 2000") == Truth::yes);
  std::string ors = "false";
  while (ors.size() + 9 + 8 <= 4096) ors += " or false";
  CHECK(eval(ors + " or true") == Truth::yes);
  CHECK(eval(ors) == Truth::no);
  std::string indexed = "7";
  while (indexed.size() + 3 + 7 <= 4096) indexed += "[0]";
  CHECK(eval(indexed + " == 7") == Truth::yes);
  CHECK(eval(indexed + "[1] > 0") == Truth::inconclusive);  // past the end: no data
}

TEST_CASE("error_column reads the column of a message", "[expression]") {
  CHECK(error_column(rollout::make_error(rollout::ErrorKind::invalid, "col 12: x")) == 12);
  CHECK(error_column(rollout::make_error(rollout::ErrorKind::invalid, "column 12: x")) == 0);
  CHECK(error_column(rollout::make_error(rollout::ErrorKind::invalid, "col x: y")) == 0);
}
