// The data model's lookups, format detection and the writer (the parser is exposition_parse.cpp).
#include "gates/exposition.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace rollout::gates {

const char* to_string(Format format) {
  return format == Format::openmetrics ? "OpenMetrics 1.0" : "text format 0.0.4";
}

Format format_from_content_type(std::string_view content_type) {
  std::string media;
  for (char c : content_type.substr(0, content_type.find(';')))
    if (c != ' ' && c != '\t') media += static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
  return media == "application/openmetrics-text" ? Format::openmetrics : Format::text_0_0_4;
}

const MetricFamily* Exposition::family(std::string_view name) const {
  for (const MetricFamily& f : families)
    if (f.name == name) return &f;
  return nullptr;
}

std::vector<const Sample*> Exposition::samples(std::string_view sample_name) const {
  std::vector<const Sample*> out;
  for (const MetricFamily& f : families)
    for (const Sample& s : f.samples)
      if (s.name == sample_name) out.push_back(&s);
  return out;
}

const Sample* Exposition::find(std::string_view sample_name, const Labels& labels) const {
  for (const MetricFamily& f : families)
    for (const Sample& s : f.samples)
      if (s.name == sample_name && s.labels == labels) return &s;
  return nullptr;
}

size_t Exposition::sample_count() const {
  size_t n = 0;
  for (const MetricFamily& f : families) n += f.samples.size();
  return n;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);  // shortest digits that read back to the same double
}

namespace {

std::string escape(std::string_view text, bool quotes) {
  std::string out;
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && quotes)
      out += "\\\"";
    else
      out += c;
  }
  return out;
}

std::string label_text(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (const auto& [k, v] : labels) out += (out.size() > 1 ? "," : "") + k + "=\"" + escape(v, true) + "\"";
  return out + "}";
}

std::string timestamp_text(int64_t ms, Format format) {
  if (format == Format::text_0_0_4) return fmt::format("{}", ms);
  const uint64_t magnitude = ms < 0 ? 0 - static_cast<uint64_t>(ms) : static_cast<uint64_t>(ms);
  return fmt::format("{}{}.{:03}", ms < 0 ? "-" : "", magnitude / 1000, magnitude % 1000);
}

void write_sample(std::string& out, const Sample& s, Format format) {
  out += s.name + label_text(s.labels) + " " + format_value(s.value);
  if (s.timestamp_ms) out += " " + timestamp_text(*s.timestamp_ms, format);
  if (s.exemplar && format == Format::openmetrics) {
    out += " # " + (s.exemplar->labels.empty() ? "{}" : label_text(s.exemplar->labels)) + " " +
           format_value(s.exemplar->value);
    if (s.exemplar->timestamp_ms) out += " " + timestamp_text(*s.exemplar->timestamp_ms, format);
  }
  out += '\n';
}

std::string type_text(const std::string& type, Format format) {
  if (format == Format::openmetrics && type == "untyped") return "unknown";
  if (format == Format::text_0_0_4 && type == "unknown") return "untyped";
  return type;
}

// 0.0.4 counters hold samples under the family's own name (`x_total`, or `x`); OpenMetrics names
// the family `x` and its samples `x_total`, as Prometheus' own OpenMetrics output does.
MetricFamily openmetrics_counter(const MetricFamily& f) {
  MetricFamily out = f;
  const std::string_view total = "_total";
  const bool named_total =
      f.name.size() > total.size() && f.name.compare(f.name.size() - total.size(), total.size(), total) == 0;
  if (named_total) out.name.resize(f.name.size() - total.size());
  for (Sample& s : out.samples)
    if (s.name == f.name && !named_total) s.name += total;
  return out;
}

void write_family(std::string& out, const MetricFamily& f, Format format) {
  const bool om = format == Format::openmetrics;
  if (!f.help.empty()) out += "# HELP " + f.name + " " + escape(f.help, om) + "\n";
  if (!f.type.empty()) out += "# TYPE " + f.name + " " + type_text(f.type, format) + "\n";
  if (!f.unit.empty() && om) out += "# UNIT " + f.name + " " + f.unit + "\n";
  for (const Sample& s : f.samples) write_sample(out, s, format);
}

}  // namespace

std::string write_exposition(const Exposition& exposition, Format format) {
  const bool om = format == Format::openmetrics;
  std::string out;
  for (const MetricFamily& f : exposition.families) {
    const bool bare_counter =
        om && f.type == "counter" &&
        std::any_of(f.samples.begin(), f.samples.end(), [&](const Sample& s) { return s.name == f.name; });
    write_family(out, bare_counter ? openmetrics_counter(f) : f, format);
  }
  if (om) out += "# EOF\n";
  return out;
}

}  // namespace rollout::gates
