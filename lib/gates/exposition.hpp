// What a model server's /metrics page says, as data: a parser for the Prometheus text exposition
// format 0.0.4 and OpenMetrics 1.0 text, and a writer back. Scrape gates read replicas directly
// (without a Prometheus server), so the parser is strict where the formats are, never crashes on
// what a broken exporter sends, and says where a page is wrong ("line 12, column 7: ...").
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace rollout::gates {

enum class Format {
  text_0_0_4,  // text/plain; version=0.0.4: comments and blank lines allowed, timestamps in ms
  openmetrics  // application/openmetrics-text; version=1.0.0: strict, `# EOF`, timestamps in seconds
};

// The format a scrape's Content-Type names; anything not OpenMetrics is read as 0.0.4, as
// Prometheus does.
Format format_from_content_type(std::string_view content_type);
const char* to_string(Format format);

using Labels = std::map<std::string, std::string>;

// OpenMetrics only: a trace-linked observation attached to a counter or bucket sample.
struct Exemplar {
  Labels labels;
  double value = 0;
  std::optional<int64_t> timestamp_ms;
};

struct Sample {
  std::string name;  // the full sample name: `vllm:e2e_request_latency_seconds_bucket`
  Labels labels;
  double value = 0;
  std::optional<int64_t> timestamp_ms;  // OpenMetrics' float seconds are rounded to ms
  std::optional<Exemplar> exemplar;
};

struct MetricFamily {
  std::string name;  // from the HELP/TYPE/UNIT lines, or the sample name when there were none
  std::string type;  // counter, gauge, histogram, summary, untyped | gaugehistogram, stateset, info, unknown
  std::string help;  // unescaped
  std::string unit;  // OpenMetrics only
  std::vector<Sample> samples;
};

struct Exposition {
  std::vector<MetricFamily> families;

  const MetricFamily* family(std::string_view name) const;
  // Samples by their own name across all families: in 0.0.4, prometheus_client puts a counter's
  // `_created` in a family of its own, in OpenMetrics in the counter's; callers need not care.
  std::vector<const Sample*> samples(std::string_view sample_name) const;
  const Sample* find(std::string_view sample_name, const Labels& labels) const;
  size_t sample_count() const;
};

// Defaults are Prometheus-scale ceilings: a replica's page is kilobytes; anything near these is an
// exporter gone wrong, refused with an error rather than a stalled or exhausted gate.
struct ParseLimits {
  size_t max_bytes = 32u << 20;
  size_t max_line_bytes = 1u << 20;
  size_t max_samples = 1'000'000;
};

// Errors (ErrorKind::invalid) read "line 12, column 7: label value not terminated".
Result<Exposition> parse_exposition(std::string_view text, Format format, const ParseLimits& limits = {});
// The format detected from the response's Content-Type.
Result<Exposition> parse_exposition(std::string_view text, std::string_view content_type,
                                    const ParseLimits& limits = {});

// Writes families as given (types must exist in `format`; `unknown` and `untyped` are swapped).
// 0.0.4 output drops units and exemplars; OpenMetrics output ends with `# EOF`, and renames 0.0.4
// counters (family `x_total` with samples `x_total` becomes family `x`).
std::string write_exposition(const Exposition& exposition, Format format = Format::text_0_0_4);

// A sample value as both formats spell it, exact on the way back: NaN, +Inf, -Inf, shortest digits.
std::string format_value(double value);

}  // namespace rollout::gates
