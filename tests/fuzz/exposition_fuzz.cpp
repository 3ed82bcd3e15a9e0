// The Prometheus text 0.0.4 / OpenMetrics parser the scrape gates read replicas' /metrics with.
// First byte: the format. A page that parses is written back and must parse again to the same
// number of samples (the writer and the parser agree).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gates/exposition.hpp"

using namespace rollout::gates;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 64 * 1024) return -1;
  const Format format = (data[0] & 1) ? Format::openmetrics : Format::text_0_0_4;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  ParseLimits limits;
  limits.max_samples = 10'000;
  auto parsed = parse_exposition(text, format, limits);
  if (!parsed.ok()) return 0;
  for (const auto& family : parsed->families)
    for (const auto& sample : family.samples) (void)parsed->find(sample.name, sample.labels);
  const std::string written = write_exposition(*parsed, format);
  auto again = parse_exposition(written, format);
  if (!again.ok() || again->sample_count() != parsed->sample_count()) __builtin_trap();
  return 0;
}
