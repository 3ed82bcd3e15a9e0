// The gate-condition language: parse, then evaluate against `result` and `baseline` taken from
// the first bytes (a number, NaN, Inf, a vector or "no data"). Errors are fine; crashes, hangs
// and an error without a column are not.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

#include "plan/expression.hpp"

using namespace rollout::plan;

namespace {

Value value_of(uint8_t b) {
  switch (b % 8) {
    case 0: return Value(std::numeric_limits<double>::quiet_NaN());
    case 1: return Value(b & 0x80 ? INFINITY : -INFINITY);
    case 2: return Value(std::vector<double>{});
    case 3: return Value(std::vector<double>{0.5, -1, 1e300});
    case 4: return Value(b & 0x80);
    case 5: return Value(-0.0);
    default: return Value(static_cast<double>(b) / 7.0 - 10);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2 || size > 2 * kMaxExpressionLength) return -1;
  const std::string_view text(reinterpret_cast<const char*>(data + 2), size - 2);
  auto parsed = parse_expression(text);
  if (!parsed.ok()) {
    if (error_column(parsed.error()) <= 0 && !text.empty() && text.size() <= kMaxExpressionLength) __builtin_trap();
    return 0;
  }
  (void)evaluate(*parsed, {{"result", value_of(data[0])}, {"baseline", value_of(data[1])}});
  (void)evaluate(*parsed, {});  // unbound variables: an error, never a crash
  return 0;
}
