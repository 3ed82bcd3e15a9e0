#include "gates/gate.hpp"

namespace rollout::gates {

// Placeholder until conditions and compare are wired (gates issue): a reading with data passes,
// no data is inconclusive.
Measurement judge(const plan::Gate&, const Reading& reading) {
  if (reading.values.empty()) return {Verdict::inconclusive, std::nullopt, "no data: " + reading.detail};
  return {Verdict::successful, reading.values.front(), reading.detail};
}

}  // namespace rollout::gates
