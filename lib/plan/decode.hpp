// Internal to plan/: decoders from the YAML tree to plan types, one per block of the format.
// Each reports its problems to the context and returns what it could read.
#pragma once

#include <string>

#include "plan/plan.hpp"
#include "plan/reader.hpp"

namespace rollout::plan {

// Which parts of the plan could be read, so that semantic checks skip what is missing.
struct Decoded {
  bool strategy = false;
  bool target = false;
};

// Decodes one YAML document into `plan`; semantic checks follow in validate_plan().
Decoded decode_plan(ReadContext& ctx, const YamlNodePtr& root, Plan& plan);

// Cross-field checks (strategy vs target vs steps, gate references, weights); plan/validate.cpp.
void validate_plan(ReadContext& ctx, const Plan& plan, const Decoded& decoded);

// One entry of spec.gates; nullopt when it is not a mapping (already reported). plan/decode_gate.cpp.
std::optional<Gate> decode_gate(ReadContext& ctx, const YamlNodePtr& node, const std::string& path);

// Returns nullopt when no usable target block is present (already reported).
std::optional<Target> decode_target(ReadContext& ctx, const YamlNodePtr& node, const std::string& path);

// Reads `key` of `r` as a list whose items are decoded by `item(node, item_path)`.
template <typename F>
void for_each_item(ObjectReader& r, std::string_view key, F item) {
  auto v = r.raw(key);
  if (!v) return;
  const std::string path = r.child_path(key);
  if (!v->is_sequence()) {
    r.context().diags.add(v->pos, path + ": expected a list, got " + describe_value(*v));
    return;
  }
  for (size_t i = 0; i < v->items.size(); ++i) {
    std::string item_path = path + "[" + std::to_string(i) + "]";
    r.context().positions.emplace(item_path, v->items[i]->pos);
    item(v->items[i], item_path);
  }
}

// A gate condition parses, is true or false, and reads `baseline` only when the gate compares;
// problems are reported at their column inside the condition when the YAML allows it.
void check_condition(ReadContext& ctx, const YamlNode& node, const std::string& path, const std::string& text,
                     bool compares);

// Placeholders allowed in local replica command templates.
bool check_placeholders(ReadContext& ctx, const YamlNodePtr& node, const std::string& path,
                        const std::vector<std::string>& argv, bool model_known);

}  // namespace rollout::plan
