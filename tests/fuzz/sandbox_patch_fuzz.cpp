// The sandbox's patch formats (JSON merge patch, JSON patch, strategic merge patch) and its label
// and field selectors, directly: first byte the patch type, then the live object and the patch as
// two JSON texts separated by a NUL byte; the selectors are read from the live object's
// "selector" and "fieldSelector" strings. Errors are values, never crashes or exceptions.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sandbox/patch.hpp"
#include "sandbox/selector.hpp"

using namespace rollout::sandbox;
using nlohmann::json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 16 * 1024) return -1;
  static const PatchType kTypes[] = {PatchType::merge, PatchType::json, PatchType::strategic};
  const PatchType type = kTypes[data[0] % 3];
  const std::string input(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t nul = input.find('\0');
  if (nul == std::string::npos) return -1;
  json live = json::parse(input.substr(0, nul), nullptr, false);
  json patch = json::parse(input.substr(nul + 1), nullptr, false);
  if (live.is_discarded() || patch.is_discarded()) return -1;
  auto patched = apply_patch(live, type, patch);
  if (patched.ok()) (void)patched->dump();
  if (!live.is_object()) return 0;
  std::string error;
  if (auto s = live.find("selector"); s != live.end() && s->is_string()) {
    if (auto selector = LabelSelector::parse(s->get<std::string>(), &error)) (void)selector->matches(labels_of(live));
  }
  if (auto s = live.find("fieldSelector"); s != live.end() && s->is_string()) {
    if (auto selector = FieldSelector::parse(s->get<std::string>(), &error)) (void)selector->matches(live);
  }
  return 0;
}
