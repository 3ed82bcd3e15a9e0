#include "actuators/scaffold.hpp"

#include <array>

#include "actuators/endpoints.hpp"
#include "actuators/live.hpp"
#include "actuators/scaffold_parts.hpp"

namespace rollout::actuators {

using nlohmann::json;

namespace {

struct Flag {
  const char* name;
  std::string ScaffoldRequest::*field;
  plan::Strategy strategy;
  bool source;  // names the object to start from (exactly one per strategy)
};

const std::array<Flag, 12> kFlags = {{
    {"--route", &ScaffoldRequest::route, plan::Strategy::blueGreen, true},
    {"--model-route", &ScaffoldRequest::model_route, plan::Strategy::blueGreen, true},
    {"--canary", &ScaffoldRequest::canary, plan::Strategy::blueGreen, false},
    {"--inference-model", &ScaffoldRequest::inference_model, plan::Strategy::loraCanary, true},
    {"--rewrite", &ScaffoldRequest::rewrite, plan::Strategy::loraCanary, true},
    {"--adapter", &ScaffoldRequest::adapter, plan::Strategy::loraCanary, false},
    {"--adapter-source", &ScaffoldRequest::adapter_source, plan::Strategy::loraCanary, false},
    {"--model-serving", &ScaffoldRequest::model_serving, plan::Strategy::rolling, true},
    {"--model-infer", &ScaffoldRequest::model_infer, plan::Strategy::rolling, true},
    {"--leader-worker-set", &ScaffoldRequest::leader_worker_set, plan::Strategy::rolling, true},
    {"--deployment", &ScaffoldRequest::deployment, plan::Strategy::rolling, true},
    {"--image", &ScaffoldRequest::image, plan::Strategy::rolling, false},
}};

constexpr size_t kMaxPlanName = 55;  // "rollout-" + name fits a DNS label (plan/decode.cpp)

bool dns_label(const std::string& s) {
  if (s.empty() || s.size() > kMaxPlanName || s.front() == '-' || s.back() == '-') return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

// What a container's image, command or args say about the server it runs.
std::string engine_of(const std::string& text) {
  if (contains(text, "sglang")) return "sglang";
  if (contains(text, "text-generation-inference") || contains(text, "text-generation-launcher") ||
      contains(text, "/tgi"))
    return "tgi";
  if (contains(text, "vllm")) return "vllm";
  return "";
}

std::string joined(const json& list) {
  std::string out;
  for (const auto& a : list)
    if (a.is_string()) out += (out.empty() ? "" : " ") + a.get<std::string>();
  return out;
}

}  // namespace

Status check_scaffold_request(const ScaffoldRequest& r) {
  const std::string strategy = plan::to_string(r.strategy);
  std::vector<std::string> sources, allowed;
  for (const auto& f : kFlags) {
    const bool given = !(r.*f.field).empty();
    if (f.strategy == r.strategy && f.source) allowed.push_back(f.name);
    if (!given) continue;
    if (f.strategy != r.strategy)
      return make_error(ErrorKind::usage, std::string(f.name) + " does not fit " + strategy + ": it belongs to " +
                                              plan::to_string(f.strategy));
    if (f.source) sources.push_back(f.name);
  }
  std::string choices;
  for (const auto& a : allowed) choices += (choices.empty() ? "" : " or ") + a;
  if (sources.empty())
    return make_error(ErrorKind::usage, strategy + " starts from a live object: give " + choices + " NAME");
  if (sources.size() > 1)
    return make_error(ErrorKind::usage, sources[0] + " and " + sources[1] + " both given: a " + strategy +
                                            " plan starts from one object (" + choices + ")");
  if (!r.name.empty() && !dns_label(r.name))
    return make_error(ErrorKind::usage, "--name " + r.name + ": not a DNS label (a-z, 0-9 and '-', at most " +
                                            std::to_string(kMaxPlanName) + " characters)");
  if (r.strategy == plan::Strategy::loraCanary && r.adapter.empty())
    return make_error(ErrorKind::usage, "loraCanary needs --adapter NAME: the id of the new LoRA adapter");
  return ok_status();
}

ModelServerGuess detect_model_server(const json& pod_spec) {
  const json containers = pod_spec.value("containers", json::array());
  // Images first: they name the server most reliably; then what the container runs.
  for (const auto& c : containers) {
    const std::string image = c.value("image", "");
    if (auto e = engine_of(image); !e.empty())
      return {e, "image " + image + " of container " + c.value("name", "?"), image};
  }
  for (const auto& c : containers) {
    const std::string run = joined(c.value("command", json::array())) + " " + joined(c.value("args", json::array()));
    if (auto e = engine_of(run); !e.empty())
      return {e, "the command line of container " + c.value("name", "?"), c.value("image", "")};
  }
  // Default ports: vLLM 8000, SGLang 30000 (their servers' --port defaults).
  for (const auto& c : containers)
    for (const auto& p : c.value("ports", json::array())) {
      const int port = p.value("containerPort", 0);
      if (port == 8000)
        return {"vllm", "port 8000 (vLLM's default) of container " + c.value("name", "?"), c.value("image", "")};
      if (port == 30000)
        return {"sglang", "port 30000 (SGLang's default) of container " + c.value("name", "?"), c.value("image", "")};
    }
  return {};
}

Result<plan::Scaffold> scaffold_plan(k8s::Client& client, const ScaffoldRequest& r) {
  if (auto s = check_scaffold_request(r); !s.ok()) return s.error();
  switch (r.strategy) {
    case plan::Strategy::blueGreen: return scaffold::blue_green(client, r);
    case plan::Strategy::loraCanary: return scaffold::lora_canary(client, r);
    case plan::Strategy::rolling: return scaffold::rolling(client, r);
  }
  return make_error(ErrorKind::internal, "unknown strategy");
}

namespace scaffold {

std::string plan_name(const std::string& base, const std::string& suffix) {
  std::string out;
  for (char c : base) {
    const char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    const bool ok = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9');
    if (ok || (!out.empty() && out.back() != '-')) out += ok ? l : '-';
  }
  if (out.size() + suffix.size() > kMaxPlanName) out.resize(kMaxPlanName - suffix.size());
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? suffix.substr(1) : out + suffix;
}

std::optional<json> heaviest(const json& list) {
  const json* best = nullptr;
  for (const auto& e : list)
    if (e.is_object() && (!best || e.value("weight", 1) > best->value("weight", 1))) best = &e;
  if (!best) return std::nullopt;
  return *best;
}

plan::Step step(decltype(plan::Step::action) action) {
  plan::Step s;
  s.action = std::move(action);
  return s;
}

plan::Analysis analysis(const std::vector<std::string>& gates, int minutes) {
  return plan::Analysis{gates, Duration(int64_t{minutes} * 60 * 1000)};
}

std::vector<plan::Gate> gates_for(const ScaffoldRequest& r, const std::string& detected, bool compare,
                                  std::vector<std::string>& measured) {
  const std::string engine = detected.empty() ? "vllm" : detected;
  auto exists = [&](const std::string& m) { return !r.preset_exists || r.preset_exists(engine, m); };
  std::vector<plan::Gate> out;
  if (exists("error-rate")) {
    plan::Gate g;
    g.name = "error-rate";
    g.provider = plan::ScrapeQuery{"canary", engine, "error-rate", "/metrics"};
    g.interval = Duration(30000);
    g.success_condition = "result < 0.01";
    g.failure_limit = 1;
    g.inconclusive_limit = 4;
    out.push_back(g);
  }
  for (const char* metric : {"ttft-p99", "e2e-p99"}) {
    if (!compare || !exists(metric)) continue;
    plan::Gate g;
    g.name = metric;
    g.provider = plan::ScrapeQuery{"canary", engine, metric, "/metrics"};
    g.interval = Duration(60000);
    g.compare = plan::Compare{"stable", 1.2, std::nullopt, std::nullopt};
    g.failure_limit = 2;
    g.inconclusive_limit = 4;
    out.push_back(g);
    break;
  }
  for (const auto& g : out) measured.push_back(g.name);
  plan::Gate health;
  health.name = "canary-health";
  health.provider = plan::HttpProbe{"/health", 200, std::nullopt, std::nullopt, "canary", Duration(5000)};
  health.interval = Duration(15000);
  health.failure_limit = 2;
  out.push_back(health);
  return out;
}

std::optional<json> backend_pod(k8s::Client& client, const std::string& ns, const BackendPool& pool) {
  auto endpoints = pool_endpoints(client, ns, pool);
  if (!endpoints.ok() || endpoints->empty()) return std::nullopt;
  const Endpoint* pick = &endpoints->front();
  for (const auto& e : *endpoints)
    if (e.ready) {
      pick = &e;
      break;
    }
  auto pod = get_object(client, "v1", "Pod", ns, pick->pod);
  if (!pod.ok()) return std::nullopt;
  return *pod;
}

ModelServerGuess backend_server(k8s::Client& client, const std::string& ns, const BackendPool& pool) {
  auto pod = backend_pod(client, ns, pool);
  if (!pod) return {};
  ModelServerGuess g = detect_model_server(pod->value("spec", json::object()));
  if (!g.engine.empty()) g.evidence += " in pod " + object_name(*pod);
  return g;
}

void add_detection(plan::Scaffold& s, const ModelServerGuess& g) {
  if (g.engine.empty())
    s.header.push_back("Model server: not recognised (no vllm/sglang/tgi image, command or default port):");
  else
    s.header.push_back("Model server: " + g.engine + ", from the " + g.evidence + ":");
  s.header.push_back("  the scrape gates use the `" + (g.engine.empty() ? std::string("vllm") : g.engine) +
                     "` preset; change `preset:` if that is wrong.");
}

void add_how_to_run(plan::Scaffold& s, bool has_pause) {
  const std::string& n = s.plan.name;
  s.header.push_back("");
  s.header.push_back("How to run:");
  s.header.push_back("  rollout plan validate FILE && rollout plan diff FILE   # review every step's changes");
  s.header.push_back("  rollout plan apply FILE" + std::string(has_pause ? "   # blocks; waits at the pause {}" : ""));
  if (has_pause) s.header.push_back("  rollout promote " + n + "   # second terminal: end the pause");
  s.header.push_back("  rollout status " + n + " -w   # or: rollout abort " + n);
}

}  // namespace scaffold

}  // namespace rollout::actuators
