// The condition parser: a hand-written lexer, then precedence climbing over binary operators
// with `not` and unary minus as prefixes. Nesting is bounded, so no input can overflow the stack.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include "plan/expression.hpp"
#include "plan/expression_ast.hpp"
#include "plan/expression_functions.hpp"
#include "util/text.hpp"

namespace rollout::plan {

namespace {

using expr::Node;
using expr::NodePtr;
using expr::Op;

struct Token {
  enum class Kind { number, ident, punct, end };
  Kind kind = Kind::end;
  std::string_view text;
  int column = 1;
  double number = 0;
};

Error error_at(int column, const std::string& message) {
  return make_error(ErrorKind::invalid, "col " + std::to_string(column) + ": " + message);
}

std::string describe(const Token& t) {
  return t.kind == Token::Kind::end ? "the end of the expression" : quote(t.text);
}

bool is_ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool is_ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// A number's extent: digits, dots, letters (so "1.2.3" and "5ms" are one malformed token) and a
// sign right after an exponent.
size_t number_end(std::string_view s, size_t i) {
  while (i < s.size()) {
    const char c = s[i];
    const bool sign = (c == '+' || c == '-') && (s[i - 1] == 'e' || s[i - 1] == 'E');
    if (!is_ident_char(c) && c != '.' && !sign) break;
    ++i;
  }
  return i;
}

Result<Token> lex_number(std::string_view s, size_t i) {
  const size_t end = number_end(s, i);
  Token t{Token::Kind::number, s.substr(i, end - i), static_cast<int>(i) + 1, 0};
  const bool digits_only = t.text.find_first_not_of("0123456789.eE+-") == std::string_view::npos;
  auto [ptr, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), t.number);
  if (!digits_only || ptr != t.text.data() + t.text.size() ||
      (ec != std::errc() && ec != std::errc::result_out_of_range))
    return error_at(t.column, "malformed number " + quote(t.text));
  if (ec == std::errc::result_out_of_range) t.number = std::strtod(std::string(t.text).c_str(), nullptr);
  return t;
}

// Characters that are not tokens but look like a slip of the hand get a hint.
std::string stray_character_hint(char c) {
  switch (c) {
    case '=': return " (did you mean \"==\"?)";
    case '&': return " (did you mean \"&&\"?)";
    case '|': return " (did you mean \"||\"?)";
    case '%': return " (write percentages as fractions: 0.05 for 5%)";
    default: return "";
  }
}

Result<Token> lex_punct(std::string_view s, size_t i) {
  static constexpr std::string_view kTwo[] = {"==", "!=", "<=", ">=", "&&", "||"};
  const int column = static_cast<int>(i) + 1;
  for (auto op : kTwo)
    if (s.substr(i, 2) == op) return Token{Token::Kind::punct, s.substr(i, 2), column, 0};
  if (std::string_view("()[],+-*/<>!").find(s[i]) != std::string_view::npos)
    return Token{Token::Kind::punct, s.substr(i, 1), column, 0};
  const char c = s[i];
  if (!std::isprint(static_cast<unsigned char>(c))) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(c));
    return error_at(column, std::string("unexpected byte ") + hex + " (conditions are plain ASCII)");
  }
  return error_at(column, "unexpected character " + quote(std::string_view(&c, 1)) + stray_character_hint(c));
}

Result<std::vector<Token>> lex(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      auto t = lex_number(s, i);
      if (!t) return t.error();
      i += t->text.size();
      out.push_back(*t);
    } else if (is_ident_start(c)) {
      size_t end = i;
      while (end < s.size() && is_ident_char(s[end])) ++end;
      out.push_back({Token::Kind::ident, s.substr(i, end - i), static_cast<int>(i) + 1, 0});
      i = end;
    } else {
      auto t = lex_punct(s, i);
      if (!t) return t.error();
      i += t->text.size();
      out.push_back(*t);
    }
  }
  out.push_back({Token::Kind::end, {}, static_cast<int>(s.size()) + 1, 0});
  return out;
}

// ---- parser ---------------------------------------------------------------------------------

constexpr int kNotPrecedence = 3;
constexpr int kComparePrecedence = 4;
constexpr int kNegPrecedence = 7;

struct BinaryOp {
  Op op;
  int precedence;
};

std::optional<BinaryOp> binary_op(const Token& t) {
  static const std::pair<std::string_view, BinaryOp> kOps[] = {
      {"or", {Op::or_, 1}}, {"||", {Op::or_, 1}}, {"and", {Op::and_, 2}}, {"&&", {Op::and_, 2}}, {"==", {Op::eq, 4}},
      {"!=", {Op::ne, 4}},  {"<", {Op::lt, 4}},   {"<=", {Op::le, 4}},    {">", {Op::gt, 4}},    {">=", {Op::ge, 4}},
      {"+", {Op::add, 5}},  {"-", {Op::sub, 5}},  {"*", {Op::mul, 6}},    {"/", {Op::div, 6}}};
  if (t.kind == Token::Kind::end || t.kind == Token::Kind::number) return std::nullopt;
  for (const auto& [text, op] : kOps)
    if (t.text == text) return op;
  return std::nullopt;
}

NodePtr make_node(Node::Kind kind, int column) {
  auto n = std::make_unique<Node>();
  n->kind = kind;
  n->column = column;
  return n;
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, const std::vector<std::string>& variables)
      : tokens_(std::move(tokens)), allowed_(variables) {}

  Result<NodePtr> parse() {
    auto root = expression(0);
    if (!root) return root;
    if (peek().kind != Token::Kind::end)
      return error_at(peek().column, "unexpected " + describe(peek()) + ": expected an operator or the end");
    return root;
  }
  std::vector<std::string> used() { return std::move(used_); }
  std::vector<int> used_columns() { return std::move(used_columns_); }

 private:
  const Token& peek() const { return tokens_[pos_]; }
  const Token& next() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  bool at(std::string_view text) const { return peek().kind != Token::Kind::number && peek().text == text; }

  // Counts one level of nesting for as long as it lives.
  struct Nest {
    explicit Nest(int& d) : depth(++d) {}
    ~Nest() { --depth; }
    int& depth;
  };
  std::optional<Error> too_deep(int column) const {
    if (depth_ <= kMaxExpressionNesting) return std::nullopt;
    return error_at(column, "expression nests deeper than " + std::to_string(kMaxExpressionNesting) + " levels");
  }

  Result<NodePtr> expression(int min_precedence);
  Result<NodePtr> prefix(int min_precedence);
  Result<NodePtr> primary();
  Result<NodePtr> postfix(NodePtr base);
  Result<NodePtr> call(const Token& name);
  Result<NodePtr> variable(const Token& name);
  Result<NodePtr> parenthesized();

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
  const std::vector<std::string>& allowed_;
  std::vector<std::string> used_;
  std::vector<int> used_columns_;
};

Result<NodePtr> Parser::expression(int min_precedence) {
  auto lhs = prefix(min_precedence);
  if (!lhs) return lhs;
  bool compared = false;  // comparisons do not chain: "a < b < c" is an error
  for (auto op = binary_op(peek()); op && op->precedence >= min_precedence; op = binary_op(peek())) {
    const Token& t = next();
    if (op->precedence == kComparePrecedence && compared)
      return error_at(t.column, "comparisons do not chain: use \"and\", as in a < b and b < c");
    compared = op->precedence == kComparePrecedence;
    auto rhs = expression(op->precedence + 1);
    if (!rhs) return rhs;
    auto n = make_node(Node::Kind::binary, t.column);
    n->op = op->op;
    n->name = std::string(t.text);
    n->args.push_back(std::move(*lhs));
    n->args.push_back(std::move(*rhs));
    lhs = std::move(n);
  }
  return lhs;
}

Result<NodePtr> Parser::prefix(int min_precedence) {
  const bool negate = at("not") || at("!");
  if (!negate && !at("-")) return primary();
  const Token& t = next();
  if (negate && min_precedence > kNotPrecedence)
    return error_at(t.column,
                    "put " + describe(t) +
                        " and its operand in parentheses here: it binds more loosely than comparisons and arithmetic");
  Nest nest(depth_);
  if (auto e = too_deep(t.column)) return *e;
  auto operand = expression(negate ? kNotPrecedence : kNegPrecedence);
  if (!operand) return operand;
  auto n = make_node(Node::Kind::unary, t.column);
  n->op = negate ? Op::not_ : Op::neg;
  n->name = std::string(t.text);
  n->args.push_back(std::move(*operand));
  return n;
}

Result<NodePtr> Parser::primary() {
  const Token& t = next();
  NodePtr n;
  if (t.kind == Token::Kind::number) {
    n = make_node(Node::Kind::number, t.column);
    n->number = t.number;
  } else if (t.kind == Token::Kind::ident && (t.text == "true" || t.text == "false")) {
    n = make_node(Node::Kind::boolean, t.column);
    n->boolean = t.text == "true";
  } else if (t.kind == Token::Kind::ident && (t.text == "NaN" || t.text == "Inf")) {
    n = make_node(Node::Kind::number, t.column);
    n->number = t.text == "NaN" ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  } else if (t.kind == Token::Kind::ident && t.text != "and" && t.text != "or" && t.text != "not") {
    auto r = at("(") ? call(t) : variable(t);
    if (!r) return r;
    n = std::move(*r);
  } else if (t.kind == Token::Kind::punct && t.text == "(") {
    --pos_;
    auto r = parenthesized();
    if (!r) return r;
    n = std::move(*r);
  } else {
    return error_at(t.column, "expected a value, found " + describe(t));
  }
  return postfix(std::move(n));
}

Result<NodePtr> Parser::parenthesized() {
  const Token& open = next();
  Nest nest(depth_);
  if (auto e = too_deep(open.column)) return *e;
  auto inner = expression(0);
  if (!inner) return inner;
  if (!at(")"))
    return error_at(peek().column, "expected \")\" to close the \"(\" at col " + std::to_string(open.column) +
                                       ", found " + describe(peek()));
  next();
  return inner;
}

Result<NodePtr> Parser::postfix(NodePtr base) {
  while (at("[")) {
    const Token& open = next();
    Nest nest(depth_);
    if (auto e = too_deep(open.column)) return *e;
    auto index = expression(0);
    if (!index) return index;
    if (!at("]"))
      return error_at(peek().column, "expected \"]\" to close the \"[\" at col " + std::to_string(open.column) +
                                         ", found " + describe(peek()));
    next();
    auto n = make_node(Node::Kind::index, open.column);
    n->args.push_back(std::move(base));
    n->args.push_back(std::move(*index));
    base = std::move(n);
  }
  return base;
}

Result<NodePtr> Parser::call(const Token& name) {
  const std::string fname(name.text);
  const expr::Function* f = expr::find_function(fname);
  if (!f) {
    std::string msg = "unknown function " + fname;
    std::string s = closest_match(fname, expr::function_names());
    msg += s.empty() ? " (known: " + expr::function_list() + ")" : " (did you mean " + s + "?)";
    return error_at(name.column, msg);
  }
  next();  // "("
  Nest nest(depth_);
  if (auto e = too_deep(name.column)) return *e;
  auto n = make_node(Node::Kind::call, name.column);
  n->name = fname;
  while (!at(")")) {
    if (!n->args.empty() && !at(","))
      return error_at(peek().column,
                      "expected \",\" or \")\" in the arguments of " + fname + ", found " + describe(peek()));
    if (!n->args.empty()) next();
    auto arg = expression(0);
    if (!arg) return arg;
    n->args.push_back(std::move(*arg));
  }
  next();
  if (auto arity = expr::check_arity(*f, n->args.size())) return error_at(name.column, *arity);
  return n;
}

Result<NodePtr> Parser::variable(const Token& name) {
  const std::string v(name.text);
  for (const auto& a : allowed_) {
    if (a != v) continue;
    if (std::find(used_.begin(), used_.end(), v) == used_.end()) {
      used_.push_back(v);
      used_columns_.push_back(name.column);
    }
    auto n = make_node(Node::Kind::variable, name.column);
    n->name = v;
    return n;
  }
  if (expr::find_function(v)) return error_at(name.column, v + " is a function: call it as " + v + "(...)");
  std::vector<std::string> candidates = allowed_;
  for (const char* literal : {"true", "false", "NaN", "Inf"}) candidates.push_back(literal);
  std::string s = closest_match(v, candidates);
  std::string known;
  for (const auto& a : allowed_) known += (known.empty() ? "" : ", ") + a;
  return error_at(name.column, "unknown variable " + v +
                                   (s.empty() ? " (known: " + (known.empty() ? "none" : known) + ")"
                                              : " (did you mean " + s + "?)"));
}

}  // namespace

Expression::Expression(std::string text, std::shared_ptr<const expr::Node> root, std::vector<std::string> variables,
                       std::vector<int> columns)
    : text_(std::move(text)), root_(std::move(root)), variables_(std::move(variables)), columns_(std::move(columns)) {}

int Expression::column_of(std::string_view variable) const {
  for (size_t i = 0; i < variables_.size(); ++i)
    if (variables_[i] == variable) return columns_[i];
  return 0;
}

Result<Expression> parse_expression(std::string_view text, const std::vector<std::string>& variables) {
  if (text.size() > kMaxExpressionLength)
    return error_at(1, "expression is longer than " + std::to_string(kMaxExpressionLength) + " characters");
  auto tokens = lex(text);
  if (!tokens) return tokens.error();
  if (tokens->size() == 1) return error_at(1, "empty expression");
  Parser parser(std::move(*tokens), variables);
  auto root = parser.parse();
  if (!root) return root.error();
  return Expression(std::string(text), std::shared_ptr<const Node>(std::move(*root)), parser.used(),
                    parser.used_columns());
}

int error_column(const Error& error) {
  const std::string_view m = error.message;
  if (!starts_with(m, "col ")) return 0;
  int column = 0;
  auto [ptr, ec] = std::from_chars(m.data() + 4, m.data() + m.size(), column);
  return ec == std::errc() && ptr < m.data() + m.size() && *ptr == ':' ? column : 0;
}

}  // namespace rollout::plan
