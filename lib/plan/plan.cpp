#include "plan/plan.hpp"

namespace rollout::plan {

const char* to_string(Strategy s) {
  switch (s) {
    case Strategy::rolling: return "rolling";
    case Strategy::blueGreen: return "blueGreen";
    case Strategy::loraCanary: return "loraCanary";
  }
  return "?";
}

const char* target_key(const Target& t) {
  static const char* keys[] = {
      "httpRoute", "inferenceModel", "inferenceModelRewrite", "modelServing", "deployment", "leaderWorkerSet", "local", "modelRoute"};
  static_assert(std::variant_size_v<Target> == std::size(keys));
  return keys[t.index()];
}

const char* step_key(const Step& s) {
  static const char* keys[] = {"setWeight", "setHeaderRoute", "setMirror", "pause", "analysis", "updateReplicas"};
  static_assert(std::variant_size_v<decltype(s.action)> == std::size(keys));
  return keys[s.action.index()];
}

const Gate* Plan::find_gate(const std::string& gate_name) const {
  for (const auto& g : gates)
    if (g.name == gate_name) return &g;
  return nullptr;
}

}  // namespace rollout::plan
