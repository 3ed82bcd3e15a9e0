// plan new loraCanary: the adapter an InferenceModel or InferenceModelRewrite serves today, the new
// one, and who loads it: the LoRA syncer when the pool's pods mount its ConfigMap, else rollout
// itself through vLLM's runtime API (adapters.vllm), as plans/lora-canary-*.yaml lay them out.
#include "actuators/endpoints.hpp"
#include "actuators/live.hpp"
#include "actuators/lora_config.hpp"
#include "actuators/scaffold_parts.hpp"

namespace rollout::actuators::scaffold {

using nlohmann::json;

namespace {

// What the adapter split lives on, read off the InferenceModel or the rewrite.
struct Split {
  plan::Target target;
  std::string what;    // "InferenceModel food-review"
  std::string stable;  // the adapter serving today
  BackendPool pool;
  std::string model_note;
};

BackendPool pool_of(const json& spec, const std::string& default_group) {
  const json ref = spec.value("poolRef", json::object());
  return BackendPool{ref.value("name", ""), "InferencePool", ref.value("group", default_group)};
}

Result<Split> from_inference_model(k8s::Client& client, const ScaffoldRequest& r) {
  auto im = get_object(client, "inference.networking.x-k8s.io/v1alpha2", "InferenceModel", r.ns, r.inference_model);
  if (!im.ok()) return im.error();
  const json spec = im->value("spec", json::object());
  const auto stable = heaviest(spec.value("targetModels", json::array()));
  if (!stable)
    return make_error(ErrorKind::invalid, "InferenceModel " + r.inference_model +
                                              ": spec.targetModels is empty: no adapter serves today to move from");
  Split s;
  s.what = "InferenceModel " + r.inference_model;
  s.stable = stable->value("name", "");
  s.target = plan::InferenceModelTarget{r.inference_model, s.stable, r.adapter};
  s.pool = pool_of(spec, "inference.networking.x-k8s.io");
  return s;
}

Result<Split> from_rewrite(k8s::Client& client, const ScaffoldRequest& r) {
  std::string api = "llm-d.ai/v1alpha2";
  auto served = client.serves(api, "InferenceModelRewrite");
  if (!served.ok()) return served.error();
  if (!*served) api = "inference.networking.x-k8s.io/v1alpha2";  // the legacy group
  auto rw = get_object(client, api, "InferenceModelRewrite", r.ns, r.rewrite);
  if (!rw.ok()) return rw.error();
  const json spec = rw->value("spec", json::object());
  for (const auto& rule : spec.value("rules", json::array())) {
    std::string model;
    for (const auto& m : rule.value("matches", json::array()))
      if (model.empty()) model = m.value("model", json::object()).value("value", "");
    const auto stable = heaviest(rule.value("targets", json::array()));
    if (model.empty() || !stable) continue;
    Split s;
    s.what = "InferenceModelRewrite " + r.rewrite + " (" + api + ")";
    s.stable = stable->value("modelRewrite", "");
    s.target = plan::InferenceModelRewriteTarget{r.rewrite, api, true, model, s.stable, r.adapter};
    s.pool = pool_of(spec, "inference.networking.k8s.io");
    if (spec.value("rules", json::array()).size() > 1)
      s.model_note = "the first rule with a model match; another rule's model if that is the one to move";
    return s;
  }
  return make_error(ErrorKind::invalid, "InferenceModelRewrite " + r.rewrite +
                                            ": no rule has both matches[].model.value and targets[] to move from");
}

// The LoRA syncer ConfigMap the pool's pods mount (its configmap.yaml holds vLLMLoRAConfig), if any.
std::optional<std::pair<std::string, LoraConfig>> syncer_config(k8s::Client& client, const std::string& ns,
                                                                const json& pod) {
  for (const auto& v : pod.value("spec", json::object()).value("volumes", json::array())) {
    const std::string name = v.value("configMap", json::object()).value("name", "");
    if (name.empty()) continue;
    auto cm = get_object(client, "v1", "ConfigMap", ns, name);
    if (!cm.ok()) continue;
    const std::string text = cm->value("data", json::object()).value("configmap.yaml", "");
    if (text.find("vLLMLoRAConfig") == std::string::npos) continue;
    if (auto config = LoraConfig::parse(text); config.ok()) return std::make_pair(name, *config);
  }
  return std::nullopt;
}

}  // namespace

Result<plan::Scaffold> lora_canary(k8s::Client& client, const ScaffoldRequest& r) {
  auto split = r.inference_model.empty() ? from_rewrite(client, r) : from_inference_model(client, r);
  if (!split.ok()) return split.error();
  if (split->stable == r.adapter)
    return make_error(ErrorKind::usage, "--adapter " + r.adapter + " is the adapter " + split->what + " serves today");
  auto pool = served_pool_group(client, split->pool);
  if (!pool.ok()) return pool.error();
  const auto pod = backend_pod(client, r.ns, *pool);
  const auto syncer = pod ? syncer_config(client, r.ns, *pod) : std::nullopt;

  plan::Adapters a;
  plan::AdapterLoad load{r.adapter, r.adapter_source, std::nullopt};
  std::string source_note;
  if (syncer) {
    a.lora_syncer_config_map = syncer->first;
    a.verify_pool = pool->name;
    for (const auto& m : syncer->second.ensure_exist())
      if (m.id == split->stable) {
        if (load.source.empty()) {
          load.source = m.source;
          source_note = "EDIT: where " + r.adapter + " is loaded from (copied from " + m.id + "'s entry)";
        }
        load.base_model = m.base_model;
      }
  } else {
    a.vllm_pool = pool->name;
  }
  if (load.source.empty())
    return make_error(ErrorKind::usage, "--adapter-source is needed: where vLLM loads " + r.adapter +
                                            " from (a path or Hugging Face repo); no LoRA syncer ConfigMap of pool " +
                                            pool->name + " lists " + split->stable + "'s to start from");
  a.load = {load};
  a.unload_on_success = {split->stable};

  plan::Scaffold s;
  s.plan.name = r.name.empty() ? plan_name(r.adapter, "-canary") : r.name;
  s.plan.strategy = plan::Strategy::loraCanary;
  s.plan.target = split->target;
  s.plan.adapters = a;
  const std::string key = std::string("spec.target.") + plan::target_key(split->target);
  s.notes[key + ".stable"] = "serving today";
  s.notes[key + ".canary"] = "being rolled out (--adapter)";
  if (!split->model_note.empty()) s.notes[key + ".model"] = split->model_note;
  if (!source_note.empty()) s.notes["spec.adapters.load[0].source"] = source_note;
  s.notes["spec.adapters.unloadOnSuccess"] = "unloaded only after the rollout succeeded";

  ModelServerGuess server = pod ? detect_model_server(pod->value("spec", json::object())) : ModelServerGuess{};
  if (!server.engine.empty()) server.evidence += " in pod " + object_name(*pod);
  std::vector<std::string> measured;
  s.plan.gates = gates_for(r, server.engine, true, measured);
  plan::Gate loaded;
  loaded.name = "adapter-loaded";
  loaded.provider = plan::HttpProbe{"/health", 200, std::nullopt, r.adapter, "canary", Duration(5000)};
  loaded.interval = Duration(30000);
  s.plan.gates.push_back(loaded);
  std::vector<std::string> first = measured;
  first.push_back("adapter-loaded");
  const std::vector<std::string> last = {measured.empty() ? "adapter-loaded" : measured.front()};
  s.plan.steps = {step(plan::SetWeight{10}),
                  step(plan::Pause{}),
                  step(analysis(first, 10)),
                  step(plan::SetWeight{50}),
                  step(analysis(measured.empty() ? last : measured, 10)),
                  step(plan::SetWeight{100}),
                  step(analysis(last, 5))};
  s.notes["spec.steps[1]"] = "hold at 10% until `rollout promote " + s.plan.name + "`";
  s.plan.background = {last.front(), "canary-health"};
  s.plan.progress_deadline = Duration(2 * 3600 * 1000);

  s.header = {
      "LoRA adapter canary on " + split->what + " (written by `rollout plan new`)", "",
      "Found in namespace " + r.ns + ":",
      "  - " + split->what + " sends its traffic to adapter " + split->stable + " (stable); new: " + r.adapter + ";",
      "  - pool " + pool->name + (pod ? "" : " (no pods found)") + ": adapters loaded by " +
          (syncer ? "the LoRA syncer through ConfigMap " + syncer->first + " (adapters.loraSyncer)"
                  : std::string("rollout through vLLM's runtime API (adapters.vllm): no LoRA syncer ConfigMap "
                                "mounted; vLLM needs VLLM_ALLOW_RUNTIME_LORA_UPDATING=True")) +
          "."};
  add_detection(s, server);
  s.header.push_back("What to edit: adapters.load[0].source" + std::string(source_note.empty() ? "" : " (copied)") +
                     ", the weights in steps, analysis durations, gate limits.");
  add_how_to_run(s, true);
  return s;
}

}  // namespace rollout::actuators::scaffold
