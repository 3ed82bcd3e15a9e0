// The line level of the exposition formats: comments and metadata, samples, and which family each
// sample belongs to. Tokens come from exposition_lex.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "gates/exposition.hpp"
#include "gates/exposition_lex.hpp"

namespace rollout::gates {
namespace {

using detail::excerpt;
using detail::LineReader;

struct TypeRule {
  std::string_view type;
  std::vector<std::string_view> suffixes;  // the sample names a family of this type may hold
  bool text;                               // a type of format 0.0.4
  bool openmetrics;                        // a type of OpenMetrics
};

const std::vector<TypeRule>& type_rules() {
  static const std::vector<TypeRule> rules = {
      {"counter", {"_total", "_created"}, true, true},
      {"gauge", {""}, true, true},
      {"histogram", {"_bucket", "_sum", "_count", "_created"}, true, true},
      {"summary", {"", "_sum", "_count", "_created"}, true, true},
      {"untyped", {""}, true, false},
      {"unknown", {""}, false, true},
      {"gaugehistogram", {"_bucket", "_gsum", "_gcount"}, false, true},
      {"stateset", {""}, false, true},
      {"info", {"_info"}, false, true},
  };
  return rules;
}

const TypeRule* find_rule(std::string_view type, Format format) {
  for (const TypeRule& r : type_rules())
    if (r.type == type && (format == Format::openmetrics ? r.openmetrics : r.text)) return &r;
  return nullptr;
}

// Whether a sample named `sample` belongs to `family`. 0.0.4 also lets any family hold its bare
// name: clients there name counters `x_total` in the TYPE line and write `x_total` samples.
bool fits(const MetricFamily& family, std::string_view sample, Format format) {
  if (sample.substr(0, family.name.size()) != family.name) return false;
  const std::string_view suffix = sample.substr(family.name.size());
  if (format == Format::text_0_0_4 && suffix.empty()) return true;
  const TypeRule* rule = find_rule(family.type, format);
  if (rule == nullptr) return false;
  for (std::string_view s : rule->suffixes)
    if (s == suffix) return true;
  return false;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

struct FamilyState {
  bool help = false, type = false, unit = false, samples = false;
};

constexpr size_t kNone = static_cast<size_t>(-1);

class Parser {
 public:
  Parser(Format format, const ParseLimits& limits) : format_(format), limits_(limits) {}
  Status line(std::string_view text, size_t lineno);
  Result<Exposition> finish(size_t lines);

 private:
  Status comment(LineReader& in);
  Status metadata(LineReader& in, std::string_view keyword);
  Status help(LineReader& in, MetricFamily& family);
  Status type(LineReader& in, MetricFamily& family);
  Status unit(LineReader& in, MetricFamily& family);
  Result<size_t> family_for_metadata(LineReader& in, size_t at, const std::string& name, std::string_view keyword);
  Status sample(LineReader& in);
  Status sample_tail(LineReader& in, Sample& sample);
  Status exemplar(LineReader& in, Sample& sample);
  Result<size_t> family_for_sample(const LineReader& in, const std::string& name);
  Status check_sample(const LineReader& in, const MetricFamily& family, const Sample& sample);
  Status check_unique(const LineReader& in, const Sample& sample);
  size_t open_family(const std::string& name);
  bool blank(LineReader& in) { return format_ == Format::openmetrics ? in.eat(' ') : in.skip_blanks() > 0; }

  Format format_;
  ParseLimits limits_;
  Exposition out_;
  std::vector<FamilyState> state_;
  std::unordered_map<std::string, size_t> by_name_;
  std::unordered_set<std::string> series_;
  size_t current_ = kNone;
  size_t samples_ = 0;
  bool eof_ = false;
};

Status Parser::line(std::string_view text, size_t lineno) {
  LineReader in{text, lineno};
  if (eof_) return in.error("text after \"# EOF\"");
  if (format_ == Format::text_0_0_4) {
    in.skip_blanks();
    if (in.done()) return ok_status();
  } else if (in.done()) {
    return in.error("empty line (OpenMetrics allows none)");
  }
  if (in.peek() == '#') return comment(in);
  return sample(in);
}

// 0.0.4 ignores comments other than HELP and TYPE; OpenMetrics knows HELP, TYPE, UNIT and EOF only.
Status Parser::comment(LineReader& in) {
  if (format_ == Format::openmetrics) {
    if (in.line == "# EOF") {
      eof_ = true;
      return ok_status();
    }
    for (std::string_view keyword : {"HELP", "TYPE", "UNIT"})
      if (in.eat(fmt::format("# {} ", keyword))) return metadata(in, keyword);
    return in.error("unknown comment: OpenMetrics allows only # HELP, # TYPE, # UNIT and # EOF");
  }
  in.eat('#');
  if (in.skip_blanks() == 0) return ok_status();
  const std::string_view keyword = detail::read_token(in);
  if ((keyword != "HELP" && keyword != "TYPE") || in.skip_blanks() == 0) return ok_status();
  return metadata(in, keyword);
}

Status Parser::metadata(LineReader& in, std::string_view keyword) {
  const size_t at = in.pos;
  auto name = detail::read_metric_name(in);
  if (!name) return name.error();
  auto index = family_for_metadata(in, at, *name, keyword);
  if (!index) return index.error();
  MetricFamily& family = out_.families[*index];
  FamilyState& state = state_[*index];
  bool& seen = keyword == "HELP" ? state.help : keyword == "TYPE" ? state.type : state.unit;
  if (seen) return in.error_at(at, fmt::format("second {} line for {}", keyword, excerpt(*name)));
  seen = true;
  if (!in.done() && !blank(in)) return in.error(fmt::format("expected a blank after the metric name in {}", keyword));
  if (keyword == "HELP") return help(in, family);
  if (keyword == "TYPE") return type(in, family);
  return unit(in, family);
}

// Metadata comes before a family's samples; OpenMetrics also wants each family in one piece.
Result<size_t> Parser::family_for_metadata(LineReader& in, size_t at, const std::string& name,
                                           std::string_view keyword) {
  const auto it = by_name_.find(name);
  if (it == by_name_.end()) return current_ = open_family(name);
  if (state_[it->second].samples)
    return in.error_at(at, fmt::format("{} line for {} after its samples", keyword, excerpt(name)));
  if (it->second != current_ && format_ == Format::openmetrics)
    return in.error_at(at, fmt::format("{} line for {} apart from the family's other lines", keyword, excerpt(name)));
  return current_ = it->second;
}

Status Parser::help(LineReader& in, MetricFamily& family) {
  auto text = detail::read_help_text(in, format_);
  if (!text) return text.error();
  family.help = std::move(*text);
  return ok_status();
}

Status Parser::type(LineReader& in, MetricFamily& family) {
  const size_t at = in.pos;
  const std::string_view word = detail::read_token(in);
  if (format_ == Format::text_0_0_4) in.skip_blanks();
  if (!in.done()) return in.error("unexpected text after the metric type");
  if (find_rule(word, format_) == nullptr) {
    const char* known = format_ == Format::openmetrics
                            ? "counter, gauge, histogram, gaugehistogram, stateset, info, summary or unknown"
                            : "counter, gauge, histogram, summary or untyped";
    return in.error_at(at, fmt::format("unknown metric type {} (expected {})", excerpt(word), known));
  }
  family.type = std::string(word);
  return ok_status();
}

// OpenMetrics: a family with a unit is named after it (`request_latency_seconds` has unit `seconds`).
Status Parser::unit(LineReader& in, MetricFamily& family) {
  const std::string_view unit = in.rest();
  for (size_t i = 0; i < unit.size(); ++i)
    if (!detail::is_name_char(unit[i])) return in.error_at(in.pos + i, "invalid character in unit");
  if (!unit.empty() && !ends_with(family.name, fmt::format("_{}", unit)))
    return in.error(fmt::format("unit {} is not a suffix of the metric name {}", excerpt(unit), excerpt(family.name)));
  family.unit = std::string(unit);
  return ok_status();
}

size_t Parser::open_family(const std::string& name) {
  MetricFamily family;
  family.name = name;
  family.type = format_ == Format::openmetrics ? "unknown" : "untyped";
  out_.families.push_back(std::move(family));
  state_.emplace_back();
  by_name_[name] = out_.families.size() - 1;
  return out_.families.size() - 1;
}

Status Parser::sample(LineReader& in) {
  if (++samples_ > limits_.max_samples) return in.error(fmt::format("more than {} samples", limits_.max_samples));
  Sample s;
  auto name = detail::read_metric_name(in);
  if (!name) return name.error();
  s.name = std::move(*name);
  bool blanks = format_ == Format::text_0_0_4 && in.skip_blanks() > 0;
  if (in.peek() == '{') {
    auto labels = detail::read_label_set(in, format_);
    if (!labels) return labels.error();
    s.labels = std::move(*labels);
    blanks = false;
  }
  if (!blank(in) && !blanks) {
    if (in.done()) return in.error("expected a value after the metric name and labels");
    return in.error(fmt::format("expected a blank before the value, found {}", detail::describe_char(in.peek())));
  }
  auto value = detail::read_value(in, "sample value");
  if (!value) return value.error();
  s.value = *value;
  if (auto st = sample_tail(in, s); !st) return st.error();
  auto family = family_for_sample(in, s.name);
  if (!family) return family.error();
  if (auto st = check_sample(in, out_.families[*family], s); !st) return st.error();
  if (auto st = check_unique(in, s); !st) return st.error();
  state_[*family].samples = true;
  out_.families[*family].samples.push_back(std::move(s));
  return ok_status();
}

// After the value: [timestamp] in 0.0.4; [timestamp] [# exemplar] in OpenMetrics.
Status Parser::sample_tail(LineReader& in, Sample& s) {
  if (format_ == Format::text_0_0_4) {
    if (in.skip_blanks() > 0 && !in.done()) {
      auto ts = detail::read_timestamp(in, format_);
      if (!ts) return ts.error();
      s.timestamp_ms = *ts;
      in.skip_blanks();
    }
    if (!in.done()) return in.error("unexpected text after the sample");
    return ok_status();
  }
  if (in.done()) return ok_status();
  if (!in.eat(' ')) return in.error(fmt::format("unexpected {} after the value", detail::describe_char(in.peek())));
  if (in.peek() != '#') {
    auto ts = detail::read_timestamp(in, format_);
    if (!ts) return ts.error();
    s.timestamp_ms = *ts;
    if (in.done()) return ok_status();
    if (!in.eat(' '))
      return in.error(fmt::format("unexpected {} after the timestamp", detail::describe_char(in.peek())));
  }
  return exemplar(in, s);
}

// ` # {labels} value [timestamp]`; the labels hold at most 128 characters (OpenMetrics 1.0).
Status Parser::exemplar(LineReader& in, Sample& s) {
  if (!in.eat("# ")) return in.error("expected \"# \" to start an exemplar");
  if (in.peek() != '{') return in.error("expected '{' to start the exemplar's labels");
  const size_t at = in.pos;
  auto labels = detail::read_label_set(in, format_);
  if (!labels) return labels.error();
  size_t chars = 0;
  for (const auto& [k, v] : *labels) chars += detail::utf8_length(k) + detail::utf8_length(v);
  if (chars > 128) return in.error_at(at, fmt::format("exemplar labels have {} characters, more than 128", chars));
  if (!in.eat(' ')) return in.error("expected a blank before the exemplar's value");
  auto value = detail::read_value(in, "exemplar value");
  if (!value) return value.error();
  Exemplar e{std::move(*labels), *value, std::nullopt};
  if (in.eat(' ')) {
    auto ts = detail::read_timestamp(in, format_);
    if (!ts) return ts.error();
    e.timestamp_ms = *ts;
  }
  if (!in.done()) return in.error("unexpected text after the exemplar");
  s.exemplar = std::move(e);
  return ok_status();
}

// The current family if the name fits it; else an earlier one (0.0.4 merges, OpenMetrics refuses
// a family split in two); else a new family named after the sample, without a type.
Result<size_t> Parser::family_for_sample(const LineReader& in, const std::string& name) {
  if (current_ != kNone && fits(out_.families[current_], name, format_)) return current_;
  for (const TypeRule& rule : type_rules()) {
    for (std::string_view suffix : rule.suffixes) {
      if (!ends_with(name, suffix)) continue;
      const auto it = by_name_.find(name.substr(0, name.size() - suffix.size()));
      if (it == by_name_.end() || !fits(out_.families[it->second], name, format_)) continue;
      if (format_ == Format::text_0_0_4) return it->second;
      return in.error_at(
          0, fmt::format("sample {} apart from the other lines of its family {}", excerpt(name), excerpt(it->first)));
    }
  }
  if (const auto it = by_name_.find(name); it != by_name_.end())
    return in.error_at(0, fmt::format("sample name {} does not fit the {} family of that name", excerpt(name),
                                      out_.families[it->second].type));
  return current_ = open_family(name);
}

Status Parser::check_sample(const LineReader& in, const MetricFamily& f, const Sample& s) {
  const bool histogram = f.type == "histogram" || f.type == "gaugehistogram";
  const auto number_label = [&](const char* label) -> Status {
    const auto it = s.labels.find(label);
    if (it == s.labels.end()) return in.error_at(0, fmt::format("{} sample without a \"{}\" label", f.type, label));
    const auto v = detail::parse_float(it->second);
    if (!v || std::isnan(*v))
      return in.error_at(0, fmt::format("\"{}\" label {} is not a number", label, excerpt(it->second)));
    return ok_status();
  };
  const bool bucket = histogram && s.name == f.name + "_bucket";
  if (s.exemplar && !bucket && !(f.type == "counter" && ends_with(s.name, "_total")))
    return in.error_at(0, "exemplar on a sample that is neither a counter total nor a histogram bucket");
  if (bucket) return number_label("le");
  if (f.type == "summary" && s.name == f.name) return number_label("quantile");
  if (format_ == Format::openmetrics && f.type == "stateset" &&
      (!s.labels.count(f.name) || (s.value != 0 && s.value != 1)))
    return in.error_at(0, "stateset sample needs a label named after its family and the value 0 or 1");
  if (format_ == Format::openmetrics && f.type == "info" && s.value != 1)
    return in.error_at(0, "info sample with a value other than 1");
  return ok_status();
}

// Two samples of one series in one scrape would make every window computation ambiguous.
Status Parser::check_unique(const LineReader& in, const Sample& s) {
  std::string key = s.name;
  for (const auto& [k, v] : s.labels) key += fmt::format("\x01{}={}:{}", k, v.size(), v);
  if (!series_.insert(std::move(key)).second)
    return in.error_at(0, fmt::format("second sample of the series {} with the same labels", excerpt(s.name)));
  return ok_status();
}

Result<Exposition> Parser::finish(size_t lines) {
  if (format_ == Format::openmetrics && !eof_)
    return make_error(ErrorKind::invalid, fmt::format("line {}: the exposition does not end with \"# EOF\"", lines));
  return std::move(out_);
}

}  // namespace

Result<Exposition> parse_exposition(std::string_view text, Format format, const ParseLimits& limits) {
  if (text.size() > limits.max_bytes)
    return make_error(ErrorKind::invalid, fmt::format("line 1: the exposition is {} bytes, more than the limit of {}",
                                                      text.size(), limits.max_bytes));
  Parser parser(format, limits);
  size_t lineno = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    ++lineno;
    if (end - start > limits.max_line_bytes)
      return make_error(ErrorKind::invalid,
                        fmt::format("line {}: longer than the limit of {} bytes", lineno, limits.max_line_bytes));
    if (auto s = parser.line(text.substr(start, end - start), lineno); !s) return s.error();
    start = end + 1;
  }
  return parser.finish(std::max<size_t>(lineno, 1));
}

Result<Exposition> parse_exposition(std::string_view text, std::string_view content_type, const ParseLimits& limits) {
  return parse_exposition(text, format_from_content_type(content_type), limits);
}

}  // namespace rollout::gates
