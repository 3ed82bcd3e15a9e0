// The plan loader as `rollout plan validate` runs it: YAML text -> decode -> validate, every
// diagnostic formatted. Any input must give plans or diagnostics, never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "plan/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return -1;  // plans are kilobytes; larger inputs only slow the search
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const rollout::plan::PlanFile file = rollout::plan::load_plan_text("fuzz.yaml", text);
  // A file is valid exactly when it has no diagnostics, and a valid file holds at least one plan.
  if (file.ok() && file.plans.empty()) __builtin_trap();
  for (const auto& message : file.messages()) (void)message;
  return 0;
}
