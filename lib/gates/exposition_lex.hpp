// The token level of the exposition formats, shared by the parser and its tests: names, label
// sets, values and timestamps read from one line, each failure naming the line and column.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gates/exposition.hpp"

namespace rollout::gates::detail {

// A cursor over one line; columns are 1-based byte offsets, as editors show them for ASCII.
struct LineReader {
  std::string_view line;
  size_t lineno = 0;
  size_t pos = 0;

  bool done() const { return pos >= line.size(); }
  char peek() const { return done() ? '\0' : line[pos]; }
  bool eat(char c);
  bool eat(std::string_view text);
  size_t skip_blanks();  // spaces and tabs; returns how many
  std::string_view rest() const { return line.substr(pos < line.size() ? pos : line.size()); }
  Error error(std::string_view what) const { return error_at(pos, what); }
  Error error_at(size_t at, std::string_view what) const;
};

bool is_name_start(char c);
bool is_name_char(char c);  // metric names also allow ':'; label names do not
bool is_label_name_start(char c);
bool is_label_name_char(char c);

Result<std::string> read_metric_name(LineReader& in);
Result<std::string> read_label_name(LineReader& in);
// At the opening quote, up to the closing one. 0.0.4 keeps unknown escapes verbatim, as
// Prometheus' own parser does; OpenMetrics allows only \\, \" and \n.
Result<std::string> read_label_value(LineReader& in, Format format);
// At '{': the whole set up to and including '}'. 0.0.4 tolerates blanks between tokens.
Result<Labels> read_label_set(LineReader& in, Format format);
// The next token up to a blank or the end of the line (empty when there is none).
std::string_view read_token(LineReader& in);
// A sample value: decimal floats with optional exponent, NaN, [+-]Inf(inity) in any case; no hex.
Result<double> read_value(LineReader& in, std::string_view what);
// 0.0.4: integer milliseconds; OpenMetrics: float seconds, rounded to milliseconds.
Result<int64_t> read_timestamp(LineReader& in, Format format);

// The rest of a HELP line, unescaped: both formats know \\ and \n; OpenMetrics also \" and
// refuses anything else, 0.0.4 keeps other backslashes.
Result<std::string> read_help_text(const LineReader& in, Format format);

std::optional<double> parse_float(std::string_view token);
bool valid_utf8(std::string_view text);
size_t utf8_length(std::string_view text);
// `c` as a message shows it: 'x', or '\x00' for bytes that are not printable.
std::string describe_char(char c);
// A token for an error message: quoted, cut short when it is long.
std::string excerpt(std::string_view token);

}  // namespace rollout::gates::detail
