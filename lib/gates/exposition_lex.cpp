#include "gates/exposition_lex.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>

namespace rollout::gates::detail {

bool LineReader::eat(char c) {
  if (done() || line[pos] != c) return false;
  ++pos;
  return true;
}

bool LineReader::eat(std::string_view text) {
  if (rest().substr(0, text.size()) != text) return false;
  pos += text.size();
  return true;
}

size_t LineReader::skip_blanks() {
  const size_t start = pos;
  while (!done() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
  return pos - start;
}

Error LineReader::error_at(size_t at, std::string_view what) const {
  return make_error(ErrorKind::invalid, fmt::format("line {}, column {}: {}", lineno, at + 1, what));
}

bool is_label_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_label_name_char(char c) {
  return is_label_name_start(c) || (c >= '0' && c <= '9');
}
bool is_name_start(char c) {
  return is_label_name_start(c) || c == ':';
}
bool is_name_char(char c) {
  return is_label_name_char(c) || c == ':';
}

std::string describe_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return fmt::format("'{}'", c);
  return fmt::format("'\\x{:02x}'", u);
}

std::string excerpt(std::string_view token) {
  constexpr size_t kMax = 40;
  std::string out;
  for (char c : token.substr(0, kMax)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? std::string(1, c) : fmt::format("\\x{:02x}", u);
  }
  return "\"" + out + (token.size() > kMax ? "...\"" : "\"");
}

namespace {

Result<std::string> read_name(LineReader& in, bool (*start)(char), bool (*rest)(char), const char* what) {
  if (!start(in.peek())) {
    if (in.done()) return in.error(fmt::format("expected {}, found the end of the line", what));
    return in.error(fmt::format("expected {}, found {}", what, describe_char(in.peek())));
  }
  const size_t begin = in.pos;
  while (!in.done() && rest(in.peek())) ++in.pos;
  return std::string(in.line.substr(begin, in.pos - begin));
}

}  // namespace

Result<std::string> read_label_value(LineReader& in, Format format) {
  const size_t open = in.pos++;
  std::string value;
  while (!in.done()) {
    const char c = in.line[in.pos++];
    if (c == '"') {
      if (!valid_utf8(value)) return in.error_at(open, "label value is not valid UTF-8");
      return value;
    }
    if (c != '\\') {
      value += c;
      continue;
    }
    if (in.done()) break;
    const char e = in.line[in.pos++];
    if (e == '\\' || e == '"') {
      value += e;
    } else if (e == 'n') {
      value += '\n';
    } else if (format == Format::openmetrics) {
      return in.error_at(in.pos - 2, fmt::format("unknown escape '\\{}' in label value", describe_char(e)));
    } else {
      value += '\\';
      value += e;
    }
  }
  return in.error_at(open, "label value not terminated");
}

namespace {

Status read_label(LineReader& in, Format format, Labels& labels) {
  const bool lax = format == Format::text_0_0_4;
  const size_t at = in.pos;
  auto name = read_name(in, is_label_name_start, is_label_name_char, "a label name");
  if (!name) return name.error();
  if (lax) in.skip_blanks();
  if (!in.eat('=')) return in.error(fmt::format("expected '=' after label name {}", excerpt(*name)));
  if (lax) in.skip_blanks();
  if (in.peek() != '"') return in.error(fmt::format("expected '\"' to start the value of label {}", excerpt(*name)));
  auto value = read_label_value(in, format);
  if (!value) return value.error();
  if (!labels.emplace(std::move(*name), std::move(*value)).second)
    return in.error_at(at, fmt::format("duplicate label {}", excerpt(labels.find(*name)->first)));
  return ok_status();
}

}  // namespace

Result<std::string> read_metric_name(LineReader& in) {
  return read_name(in, is_name_start, is_name_char, "a metric name");
}

Result<std::string> read_label_name(LineReader& in) {
  return read_name(in, is_label_name_start, is_label_name_char, "a label name");
}

// Labels end at '}'; a trailing comma before it is allowed by both formats.
Result<Labels> read_label_set(LineReader& in, Format format) {
  const bool lax = format == Format::text_0_0_4;
  const size_t open = in.pos++;
  Labels labels;
  while (true) {
    if (lax) in.skip_blanks();
    if (in.eat('}')) return labels;
    if (in.done()) return in.error_at(open, "label set not terminated");
    if (auto s = read_label(in, format, labels); !s) return s.error();
    if (lax) in.skip_blanks();
    if (in.eat('}')) return labels;
    if (in.done()) return in.error_at(open, "label set not terminated");
    if (!in.eat(','))
      return in.error(fmt::format("expected ',' or '}}' after a label, found {}", describe_char(in.peek())));
  }
}

std::string_view read_token(LineReader& in) {
  const size_t begin = in.pos;
  while (!in.done() && in.peek() != ' ' && in.peek() != '\t') ++in.pos;
  return in.line.substr(begin, in.pos - begin);
}

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if ((a[i] | 0x20) != b[i]) return false;
  return true;
}

// [digits][.digits][(e|E)[+-]digits] with at least one mantissa digit: Go's ParseFloat grammar
// without hex, underscores or the special words.
bool decimal_syntax(std::string_view s) {
  size_t i = 0, digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  if (i < s.size() && s[i] == '.')
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) ++digits;
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

}  // namespace

std::optional<double> parse_float(std::string_view token) {
  bool negative = false;
  std::string_view s = token;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.size() == token.size() && iequals(s, "nan")) return std::numeric_limits<double>::quiet_NaN();
  double value = 0;
  if (iequals(s, "inf") || iequals(s, "infinity")) {
    value = std::numeric_limits<double>::infinity();
  } else {
    if (!decimal_syntax(s)) return std::nullopt;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  }
  return negative ? -value : value;
}

Result<double> read_value(LineReader& in, std::string_view what) {
  const size_t at = in.pos;
  const std::string_view token = read_token(in);
  if (token.empty()) return in.error_at(at, fmt::format("expected {}", what));
  if (auto v = parse_float(token)) return *v;
  return in.error_at(at, fmt::format("{} {} is not a number (or out of range)", what, excerpt(token)));
}

namespace {

Result<int64_t> millis_from_seconds(LineReader& in, size_t at, std::string_view token) {
  const auto seconds = parse_float(token);
  if (!seconds || !std::isfinite(*seconds))
    return in.error_at(at, fmt::format("timestamp {} is not a finite number of seconds", excerpt(token)));
  const double ms = std::round(*seconds * 1000);
  if (std::fabs(ms) >= 9.2e18) return in.error_at(at, fmt::format("timestamp {} is out of range", excerpt(token)));
  return static_cast<int64_t>(ms);
}

}  // namespace

Result<int64_t> read_timestamp(LineReader& in, Format format) {
  const size_t at = in.pos;
  const std::string_view token = read_token(in);
  if (format == Format::openmetrics) return millis_from_seconds(in, at, token);
  std::string_view digits = token;
  if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);  // from_chars takes '-' only
  int64_t ms = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), ms);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
    return in.error_at(at, fmt::format("timestamp {} is not an integer number of milliseconds", excerpt(token)));
  return ms;
}

Result<std::string> read_help_text(const LineReader& in, Format format) {
  const std::string_view text = in.rest();
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    const char e = i + 1 < text.size() ? text[i + 1] : '\0';
    if (e == '\\' || e == 'n' || (e == '"' && format == Format::openmetrics)) {
      out += e == 'n' ? '\n' : e;
      ++i;
    } else if (format == Format::openmetrics) {
      return in.error_at(in.pos + i, "unknown escape in HELP text");
    } else {
      out += '\\';
    }
  }
  if (!valid_utf8(out)) return in.error("HELP text is not valid UTF-8");
  return out;
}

bool valid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xe ? 2 : (c >> 3) == 0x1e ? 3 : 9;
    if (extra == 9 || i + extra >= text.size()) return false;
    uint32_t cp = extra == 0 ? c : c & (0x3f >> extra);
    for (size_t k = 1; k <= extra; ++k) {
      const auto d = static_cast<unsigned char>(text[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return false;
    i += extra + 1;
  }
  return true;
}

size_t utf8_length(std::string_view text) {
  size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  return n;
}

}  // namespace rollout::gates::detail
