// Decoders for the plan document: metadata, spec, adapters, steps, finalize (gates: decode_gate.cpp).
#include <regex>
#include <set>

#include "plan/decode.hpp"
#include "util/text.hpp"

namespace rollout::plan {

namespace {

// metadata.name becomes part of ConfigMap "rollout-<name>" and Lease names: a DNS label.
void check_dns_label(ObjectReader& r, std::string_view key, const std::string& value, size_t max_len) {
  static const std::regex label("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  if (!std::regex_match(value, label))
    r.error_at(
        key,
        quote(value) +
            " is not a valid name: use lower-case letters, digits and '-', starting and ending with a letter or digit");
  else if (value.size() > max_len)
    r.error_at(key, quote(value) + " is longer than " + std::to_string(max_len) + " characters");
}

void decode_metadata(ReadContext& ctx, const YamlNodePtr& node, Plan& plan) {
  ObjectReader r(ctx, node, "metadata", "Metadata");
  if (auto v = r.string("name")) {
    plan.name = *v;
    check_dns_label(r, "name", *v, 55);  // "rollout-" + name must fit in 63
  }
  if (auto v = r.string("namespace")) {
    plan.namespace_ = *v;
    check_dns_label(r, "namespace", *v, 63);
  }
  (void)r.string_map("labels");
  (void)r.string_map("annotations");
}

Adapters decode_adapters(ReadContext& ctx, const YamlNodePtr& node, const std::string& path) {
  Adapters a;
  ObjectReader r(ctx, node, path, "Adapters");
  if (r.valid() && r.has("loraSyncer") == r.has("vllm"))
    r.error(r.has("vllm") ? "give exactly one of \"loraSyncer\" (the syncer's ConfigMap) or \"vllm\" (vLLM's runtime "
                            "API), not both"
                          : "give exactly one of \"loraSyncer\" (the syncer's ConfigMap) or \"vllm\" (vLLM's runtime "
                            "API): who loads the adapters");
  if (auto s = r.raw("loraSyncer")) {
    ObjectReader sr(ctx, s, r.child_path("loraSyncer"), "LoraSyncer");
    if (auto v = sr.string("configMap")) a.lora_syncer_config_map = *v;
  }
  if (auto s = r.raw("vllm")) {
    ObjectReader vr(ctx, s, r.child_path("vllm"), "VllmRuntime");
    if (auto v = vr.string("pool")) a.vllm_pool = *v;
  }
  std::set<std::string> ids;
  for_each_item(r, "load", [&](const YamlNodePtr& item, const std::string& item_path) {
    AdapterLoad l;
    ObjectReader lr(ctx, item, item_path, "AdapterLoad");
    if (auto v = lr.string("id")) l.id = *v;
    if (auto v = lr.string("source")) l.source = *v;
    if (auto v = lr.string("baseModel")) l.base_model = *v;
    if (!l.id.empty() && !ids.insert(l.id).second) lr.error_at("id", "adapter " + quote(l.id) + " is listed twice");
    a.load.push_back(l);
  });
  if (auto v = r.strings("unloadOnSuccess")) {
    a.unload_on_success = *v;
    for (size_t i = 0; i < v->size(); ++i) {
      if (ids.count((*v)[i])) {
        std::string p = r.child_path("unloadOnSuccess") + "[" + std::to_string(i) + "]";
        ctx.diags.add(ctx.positions[p], p + ": adapter " + quote((*v)[i]) + " is both loaded and unloaded");
      }
    }
  }
  if (auto v = r.raw("verify")) {
    ObjectReader vr(ctx, v, r.child_path("verify"), "AdapterVerify");
    if (auto p = vr.string("pool")) a.verify_pool = *p;
    if (auto t = vr.duration("timeout")) a.verify_timeout = *t;
    // Only vllm names a pool to default to; the syncer's ConfigMap does not say which pods read it.
    if (vr.valid() && !vr.has("pool") && r.has("loraSyncer") && !r.has("vllm"))
      vr.error("missing required field \"pool\" (with loraSyncer: the InferencePool whose pods must list the adapters)");
  }
  if (!a.verify_pool && !a.vllm_pool.empty()) a.verify_pool = a.vllm_pool;  // verify.pool defaults to vllm.pool
  return a;
}

std::optional<UpdateReplicas> decode_update_replicas(ReadContext& ctx, const YamlNode& node, const std::string& path) {
  static const std::regex percent("([0-9]+)%");
  std::smatch m;
  if (node.is_scalar() && std::regex_match(node.scalar, m, percent)) {
    int p = m[1].str().size() > 3 ? 1000 : std::stoi(m[1].str());
    if (p < 1 || p > 100) {
      ctx.diags.add(node.pos, path + ": " + node.scalar + " is out of range: must be between 1% and 100%");
      return std::nullopt;
    }
    return UpdateReplicas{p, true};
  }
  if (node.is_scalar() && scalar_kind(node) == ScalarKind::integer) {
    auto v = read_integer(ctx, node, path, 1, 100000);
    if (!v) return std::nullopt;
    return UpdateReplicas{static_cast<int>(*v), false};
  }
  ctx.diags.add(node.pos,
                path + ": expected a replica count or a percentage such as \"25%\", got " + describe_value(node));
  return std::nullopt;
}

std::optional<Step> decode_step(ReadContext& ctx, const YamlNodePtr& node, const std::string& path) {
  ObjectReader r(ctx, node, path, "Step");
  if (!r.valid()) return std::nullopt;
  auto keys = r.present_keys();
  if (keys.size() != 1) {
    if (keys.empty() && node->entries.empty())
      r.error(
          "empty step: expected one of \"setWeight\", \"setHeaderRoute\", \"setMirror\", \"pause\", \"analysis\" or "
          "\"updateReplicas\"");
    else if (keys.size() > 1)
      r.error_near(keys[1], "a step has exactly one action, found " + quote(keys[0]) + " and " + quote(keys[1]));
    if (keys.empty()) return std::nullopt;
  }
  const std::string& key = keys[0];
  const std::string sub = r.child_path(key);
  Step step;
  step.pos = node->pos;
  step.path = path;
  if (key == "setWeight") {
    auto v = r.integer("setWeight", 0, 100);
    if (!v) return std::nullopt;
    step.action = SetWeight{*v};
  } else if (key == "setMirror") {
    ObjectReader m(ctx, r.raw(key), sub, "SetMirror");
    auto v = m.integer("percent", 0, 100);
    if (!v) return std::nullopt;
    step.action = SetMirror{*v};
  } else if (key == "setHeaderRoute") {
    ObjectReader h(ctx, r.raw(key), sub, "SetHeaderRoute");
    SetHeaderRoute s;
    auto name = h.string("name");
    auto value = h.string("value");
    if (auto t = h.one_of("type", {"Exact", "RegularExpression"})) s.match = *t;
    if (!name || !value) return std::nullopt;
    s.name = *name;
    s.value = *value;
    step.action = s;
  } else if (key == "pause") {
    if (r.raw(key)->is_null()) {
      step.action = Pause{};
    } else {
      ObjectReader p(ctx, r.raw(key), sub, "Pause");
      if (!p.valid()) return std::nullopt;
      step.action = Pause{p.duration("duration")};
    }
  } else if (key == "analysis") {
    ObjectReader a(ctx, r.raw(key), sub, "Analysis");
    Analysis an;
    if (auto g = a.strings("gates", false)) an.gates = *g;
    an.duration = a.duration("duration");
    if (!a.valid()) return std::nullopt;
    step.action = an;
  } else {
    auto v = decode_update_replicas(ctx, *r.raw(key), sub);
    if (!v) return std::nullopt;
    step.action = *v;
  }
  return step;
}

Finalize decode_finalize(ReadContext& ctx, const YamlNodePtr& node) {
  Finalize f;
  ObjectReader r(ctx, node, "spec.finalize", "Finalize");
  for_each_item(r, "run", [&](const YamlNodePtr& item, const std::string& item_path) {
    if (!item->is_sequence() || item->items.empty()) {
      ctx.diags.add(item->pos,
                    item_path + ": expected a command as a non-empty list of strings, e.g. [helm, uninstall, NAME]");
      return;
    }
    std::vector<std::string> argv;
    for (size_t i = 0; i < item->items.size(); ++i)
      if (auto s = read_string(ctx, *item->items[i], item_path + "[" + std::to_string(i) + "]")) argv.push_back(*s);
    f.run.push_back(argv);
  });
  if (auto v = r.boolean("deleteStable")) f.delete_stable = *v;
  return f;
}

void decode_spec(ReadContext& ctx, const YamlNodePtr& node, Plan& plan, Decoded& decoded) {
  ObjectReader r(ctx, node, "spec", "Spec");
  if (auto v = r.one_of("strategy", {"rolling", "blueGreen", "loraCanary"})) {
    plan.strategy = *v == "rolling"     ? Strategy::rolling
                    : *v == "blueGreen" ? Strategy::blueGreen
                                        : Strategy::loraCanary;
    decoded.strategy = true;
  }
  if (auto t = r.raw("target")) {
    if (auto target = decode_target(ctx, t, "spec.target")) {
      plan.target = *target;
      decoded.target = true;
    }
  }
  if (auto a = r.raw("adapters")) plan.adapters = decode_adapters(ctx, a, "spec.adapters");
  for_each_item(r, "steps", [&](const YamlNodePtr& item, const std::string& item_path) {
    if (auto s = decode_step(ctx, item, item_path)) plan.steps.push_back(*s);
  });
  for_each_item(r, "gates", [&](const YamlNodePtr& item, const std::string& item_path) {
    if (auto g = decode_gate(ctx, item, item_path)) plan.gates.push_back(*g);
  });
  if (auto v = r.strings("background")) plan.background = *v;
  if (auto v = r.one_of("onFailure", {"rollback", "pause"}))
    plan.on_failure = *v == "pause" ? OnFailure::pause : OnFailure::rollback;
  plan.progress_deadline = r.duration("progressDeadline");
  if (auto f = r.raw("finalize")) plan.finalize = decode_finalize(ctx, f);
}

}  // namespace

Decoded decode_plan(ReadContext& ctx, const YamlNodePtr& root, Plan& plan) {
  Decoded decoded;
  ObjectReader r(ctx, root, "", "RolloutPlan");
  if (!r.valid()) return decoded;
  if (auto v = r.string("apiVersion"); v && *v != "rollout/v1alpha1")
    r.error_at("apiVersion", quote(*v) + " is not supported (expected \"rollout/v1alpha1\")");
  if (auto v = r.string("kind"); v && *v != "RolloutPlan")
    r.error_at("kind", quote(*v) + " is not a rollout plan (expected \"RolloutPlan\")");
  if (auto m = r.raw("metadata")) decode_metadata(ctx, m, plan);
  if (auto s = r.raw("spec")) decode_spec(ctx, s, plan, decoded);
  return decoded;
}

}  // namespace rollout::plan
