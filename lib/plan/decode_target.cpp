// Decoders for spec.target: one function per target kind, chosen through one table.
#include <algorithm>
#include <cctype>
#include <set>

#include "plan/decode.hpp"
#include "util/text.hpp"

namespace rollout::plan {

namespace {

const std::vector<std::string> kPoolGroups = {"inference.networking.k8s.io", "inference.networking.x-k8s.io"};

BackendRef decode_backend(ReadContext& ctx, const YamlNodePtr& node, const std::string& path) {
  BackendRef b;
  ObjectReader r(ctx, node, path, "BackendRef");
  if (auto v = r.string("name")) b.name = *v;
  if (auto v = r.one_of("kind", {"InferencePool", "Service"})) b.kind = *v;
  if (b.kind == "Service") b.group = "";
  if (r.has("group") && b.kind == "Service") {
    if (auto v = r.string("group"); v && !v->empty())
      r.error_at("group", "a Service backend is in the core group: leave \"group\" out or set it to \"\"");
  } else if (r.has("group")) {
    if (auto v = r.one_of("group", kPoolGroups)) b.group = *v;
  }
  if (auto v = r.integer("port", 1, 65535)) b.port = *v;
  if (r.valid() && b.kind == "Service" && !b.port) r.error("\"port\" is required for a Service backend (Gateway API)");
  return b;
}

Target decode_http_route(ReadContext& ctx, const YamlNodePtr& node, const std::string& path) {
  HttpRouteTarget t;
  ObjectReader r(ctx, node, path, "HttpRouteTarget");
  if (auto v = r.string("name")) t.name = *v;
  if (auto sel = r.raw("selector")) {
    ObjectReader s(ctx, sel, r.child_path("selector"), "LabelSelector");
    if (auto m = s.string_map("matchLabels")) {
      t.match_labels = *m;
      if (m->empty()) s.error_at("matchLabels", "must select at least one label");
    }
  }
  if (r.valid() && r.has("name") == r.has("selector"))
    r.error("give exactly one of \"name\" (one route) or \"selector\" (every matching route)");
  if (auto v = r.integer("rule", 0, 63)) t.rule = *v;
  if (r.has("stable")) t.stable = decode_backend(ctx, r.raw("stable"), r.child_path("stable"));
  if (r.has("canary")) t.canary = decode_backend(ctx, r.raw("canary"), r.child_path("canary"));
  if (r.has("stable") && r.has("canary") && !t.stable.name.empty() && t.stable.name == t.canary.name &&
      t.stable.kind == t.canary.kind)
    r.error_at("canary", "canary and stable are the same backend " + quote(t.stable.name));
  return t;
}

Target decode_inference_model(ReadContext& ctx, const YamlNodePtr& node, const std::string& path) {
  InferenceModelTarget t;
  ObjectReader r(ctx, node, path, "InferenceModelTarget");
  if (auto v = r.string("name")) t.name = *v;
  if (auto v = r.string("stable")) t.stable = *v;
  if (auto v = r.string("canary")) t.canary = *v;
  if (!t.stable.empty() && t.stable == t.canary)
    r.error_at("canary", "canary and stable are the same target model " + quote(t.stable));
  return t;
}

Target decode_inference_model_rewrite(ReadContext& ctx, const YamlNodePtr& node, const std::string& path) {
  InferenceModelRewriteTarget t;
  ObjectReader r(ctx, node, path, "InferenceModelRewriteTarget");
  if (auto v = r.string("name")) t.name = *v;
  if (auto v = r.one_of("apiVersion", {"llm-d.ai/v1alpha2", "inference.networking.x-k8s.io/v1alpha2"})) {
    t.api_version = *v;
    t.api_version_given = true;
  }
  if (auto v = r.string("model")) t.model = *v;
  if (auto v = r.string("stable")) t.stable = *v;
  if (auto v = r.string("canary")) t.canary = *v;
  if (!t.stable.empty() && t.stable == t.canary)
    r.error_at("canary", "canary and stable are the same modelRewrite " + quote(t.stable));
  return t;
}

// rule: a rule name (spec.rules[].name) or an index into spec.rules (ModelRoute allows 16 rules).
Target decode_model_route(ReadContext& ctx, const YamlNodePtr& node, const std::string& path) {
  ModelRouteTarget t;
  ObjectReader r(ctx, node, path, "ModelRouteTarget");
  if (auto v = r.string("name")) t.name = *v;
  if (auto rule = r.raw("rule")) {
    const bool index = rule->is_scalar() && !rule->quoted && !rule->scalar.empty() &&
                       std::all_of(rule->scalar.begin(), rule->scalar.end(), [](char c) { return c == '-' || std::isdigit(static_cast<unsigned char>(c)); });
    if (index) {
      if (auto v = r.integer("rule", 0, 15)) t.rule_index = *v;
    } else if (auto v = r.string("rule")) {
      if (v->empty())
        r.error_at("rule", "give a rule name (spec.rules[].name) or an index into spec.rules");
      else
        t.rule_name = *v;
    }
  }
  if (auto v = r.string("stable")) t.stable = *v;
  if (auto v = r.string("canary")) t.canary = *v;
  if (!t.stable.empty() && t.stable == t.canary)
    r.error_at("canary", "canary and stable are the same modelServerName " + quote(t.stable));
  return t;
}

Target decode_model_serving(ReadContext& ctx, const YamlNodePtr& node, const std::string& path) {
  ModelServingTarget t;
  ObjectReader r(ctx, node, path, "ModelServingTarget");
  if (auto v = r.string("name")) t.name = *v;
  if (auto v = r.one_of("apiVersion", {"workload.serving.volcano.sh/v1alpha1", "workload.matrixinfer.ai/v1alpha1"}))
    t.api_version = *v;
  t.template_ = r.free_form("template");
  if (auto v = r.duration("readyTimeout")) t.ready_timeout = *v;
  return t;
}

Target decode_deployment(ReadContext& ctx, const YamlNodePtr& node, const std::string& path) {
  DeploymentTarget t;
  ObjectReader r(ctx, node, path, "DeploymentTarget");
  if (auto v = r.string("name")) t.name = *v;
  t.template_ = r.free_form("template");
  if (auto v = r.duration("readyTimeout")) t.ready_timeout = *v;
  return t;
}

Target decode_leader_worker_set(ReadContext& ctx, const YamlNodePtr& node, const std::string& path) {
  LeaderWorkerSetTarget t;
  ObjectReader r(ctx, node, path, "LeaderWorkerSetTarget");
  if (auto v = r.string("name")) t.name = *v;
  t.template_ = r.free_form("template");
  if (auto v = r.duration("readyTimeout")) t.ready_timeout = *v;
  return t;
}

// ---- local -----------------------------------------------------------------------------------

std::variant<NginxBalancer, HaproxyBalancer> decode_balancer(ReadContext& ctx, const YamlNodePtr& node,
                                                             const std::string& path) {
  ObjectReader r(ctx, node, path, "LoadBalancer");
  auto keys = r.present_keys();
  if (r.valid() && keys.size() != 1) r.error("give exactly one of \"nginx\" or \"haproxy\"");
  if (r.has("haproxy")) {
    HaproxyBalancer h;
    ObjectReader hr(ctx, r.raw("haproxy"), r.child_path("haproxy"), "HaproxyBalancer");
    if (auto v = hr.string("socket")) h.socket = *v;
    if (auto v = hr.string("backend")) h.backend = *v;
    return h;
  }
  NginxBalancer n;
  if (!r.has("nginx")) return n;
  ObjectReader nr(ctx, r.raw("nginx"), r.child_path("nginx"), "NginxBalancer");
  if (auto v = nr.string("upstreamFile")) n.upstream_file = *v;
  if (auto v = nr.string("upstream")) n.upstream = *v;
  if (auto v = nr.strings("test", false)) n.test = *v;
  if (auto v = nr.strings("reload", false)) n.reload = *v;
  return n;
}

LocalVersion decode_version(ReadContext& ctx, const YamlNodePtr& node, const std::string& path) {
  LocalVersion v;
  ObjectReader r(ctx, node, path, "LocalVersion");
  if (auto c = r.strings("command", false)) v.command = *c;
  if (auto e = r.string_map("env")) v.env = *e;
  if (auto m = r.string("model")) v.model = *m;
  if (r.has("command")) check_placeholders(ctx, r.raw("command"), r.child_path("command"), v.command, r.has("model"));
  return v;
}

CommandSpec decode_command(ReadContext& ctx, const YamlNodePtr& node, const std::string& path) {
  CommandSpec c;
  ObjectReader r(ctx, node, path, "CommandSpec");
  if (auto v = r.strings("command", false)) c.command = *v;
  if (auto v = r.duration("grace")) c.grace = *v;
  if (r.has("command")) check_placeholders(ctx, r.raw("command"), r.child_path("command"), c.command, true);
  return c;
}

struct ReplicaKeys {
  std::set<std::string> names;
  std::set<int> ports, gpus;
};

void decode_replicas(ObjectReader& r, const char* key, std::vector<LocalReplica>& out, ReplicaKeys& seen) {
  for_each_item(r, key, [&](const YamlNodePtr& node, const std::string& path) {
    LocalReplica rep;
    ObjectReader rr(r.context(), node, path, "LocalReplica");
    if (auto v = rr.string("name")) rep.name = *v;
    if (auto v = rr.integer("gpu", 0, 1023)) rep.gpu = *v;
    if (auto v = rr.integer("port", 1, 65535)) rep.port = *v;
    if (auto v = rr.string("host")) rep.host = *v;
    if (!rr.valid()) return;
    if (!rep.name.empty() && !seen.names.insert(rep.name).second)
      rr.error_at("name", "duplicate replica name " + quote(rep.name));
    if (rep.port && !seen.ports.insert(rep.port).second)
      rr.error_at("port", "port " + std::to_string(rep.port) + " is used by another replica");
    if (rr.has("gpu") && !seen.gpus.insert(rep.gpu).second)
      rr.error_at("gpu", "GPU " + std::to_string(rep.gpu) + " is given to another replica");
    out.push_back(rep);
  });
  auto v = r.raw(key);
  if (std::string(key) == "replicas" && v && v->is_sequence() && v->items.empty())
    r.error_at(key, "must list at least one replica");
}

Target decode_local(ReadContext& ctx, const YamlNodePtr& node, const std::string& path) {
  LocalTarget t;
  ObjectReader r(ctx, node, path, "LocalTarget");
  if (r.has("loadBalancer"))
    t.load_balancer = decode_balancer(ctx, r.raw("loadBalancer"), r.child_path("loadBalancer"));
  ReplicaKeys seen;
  decode_replicas(r, "replicas", t.replicas, seen);
  if (r.has("canaryReplicas")) decode_replicas(r, "canaryReplicas", t.canary_replicas, seen);
  if (auto v = r.integer("maxInFlightPerReplica", 1, 1000000)) t.max_in_flight_per_replica = *v;
  if (r.has("stable")) t.stable = decode_version(ctx, r.raw("stable"), r.child_path("stable"));
  if (r.has("canary")) t.canary = decode_version(ctx, r.raw("canary"), r.child_path("canary"));
  if (r.has("start")) {
    t.start = decode_command(ctx, r.raw("start"), r.child_path("start"));
    if (t.start->command.empty()) r.error_at("start", "start needs a command");
  }
  if (r.has("stop")) t.stop = decode_command(ctx, r.raw("stop"), r.child_path("stop"));
  if (r.has("health")) {
    ObjectReader h(ctx, r.raw("health"), r.child_path("health"), "LocalHealth");
    if (auto v = h.string("path")) t.health_path = *v;
    if (auto v = h.duration("timeout")) t.health_timeout = *v;
    if (!t.health_path.empty() && t.health_path[0] != '/') h.error_at("path", "must start with \"/\"");
  }
  if (r.has("drain")) {
    ObjectReader d(ctx, r.raw("drain"), r.child_path("drain"), "LocalDrain");
    if (auto v = d.duration("timeout")) t.drain_timeout = *v;
  }
  if (auto v = r.integer("maxUnavailable", 1, 1024)) {
    t.max_unavailable = *v;
    if (!t.replicas.empty() && *v > static_cast<int>(t.replicas.size()))
      r.error_at("maxUnavailable",
                 std::to_string(*v) + " is more than the " + std::to_string(t.replicas.size()) + " replicas");
  }
  return t;
}

using TargetDecoder = Target (*)(ReadContext&, const YamlNodePtr&, const std::string&);

struct TargetKind {
  const char* key;
  TargetDecoder decode;
};

// The target kinds of the plan format; adding one is one entry here and one decoder above.
const TargetKind kTargetKinds[] = {
    {"httpRoute", decode_http_route},
    {"inferenceModel", decode_inference_model},
    {"inferenceModelRewrite", decode_inference_model_rewrite},
    {"modelRoute", decode_model_route},
    {"modelServing", decode_model_serving},
    {"deployment", decode_deployment},
    {"leaderWorkerSet", decode_leader_worker_set},
    {"local", decode_local},
};

}  // namespace

bool check_placeholders(ReadContext& ctx, const YamlNodePtr& node, const std::string& path,
                        const std::vector<std::string>& argv, bool model_known) {
  static const std::vector<std::string> known = {"gpu", "port", "name", "model"};
  bool ok = true;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    SourcePos pos = i < node->items.size() ? node->items[i]->pos : node->pos;
    for (size_t open = arg.find('{'); open != std::string::npos; open = arg.find('{', open + 1)) {
      size_t close = arg.find('}', open);
      if (close == std::string::npos) break;
      std::string name = arg.substr(open + 1, close - open - 1);
      std::string where = path + "[" + std::to_string(i) + "]";
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        std::string msg = where + ": unknown placeholder {" + name + "} (known: {gpu}, {port}, {name}, {model})";
        std::string s = closest_match(name, known);
        if (!s.empty()) msg += " (did you mean {" + s + "}?)";
        ctx.diags.add(pos, msg);
        ok = false;
      } else if (name == "model" && !model_known) {
        ctx.diags.add(pos, where + ": {model} is used but this version sets no \"model\"");
        ok = false;
      }
    }
  }
  return ok;
}

std::optional<Target> decode_target(ReadContext& ctx, const YamlNodePtr& node, const std::string& path) {
  ObjectReader r(ctx, node, path, "Target");
  if (!r.valid()) return std::nullopt;
  auto keys = r.present_keys();
  if (keys.empty()) {
    std::vector<std::string> names;
    for (const auto& k : kTargetKinds) names.push_back(k.key);
    r.error("expected exactly one target block: " + quoted_list(names));
    return std::nullopt;
  }
  // With two blocks either may be the one meant: each is still checked, but the plan has no
  // target, so that checks against it (strategy, steps, finalize) do not pick one.
  for (size_t i = 1; i < keys.size(); ++i)
    r.error_near(keys[i], "only one target block is allowed, found " + quote(keys[0]) + " and " + quote(keys[i]));
  std::optional<Target> target;
  for (const auto& key : keys)
    for (const auto& kind : kTargetKinds)
      if (kind.key == key) target = kind.decode(ctx, r.raw(kind.key), r.child_path(kind.key));
  if (keys.size() > 1) return std::nullopt;
  return target;
}

}  // namespace rollout::plan
