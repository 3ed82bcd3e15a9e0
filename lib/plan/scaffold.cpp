#include "plan/scaffold.hpp"

#include <sstream>
#include <stdexcept>

#include "util/yaml_diff.hpp"

namespace rollout::plan {

namespace {

// A scalar as YAML reads it back: plain when that is unambiguous, quoted otherwise (to_yaml's rule).
std::string scalar(const std::string& s) {
  std::string y = to_yaml(nlohmann::json(s));
  while (!y.empty() && y.back() == '\n') y.pop_back();
  return y;
}
// Always double-quoted: conditions read better so, as in the shipped plans.
std::string quoted(const std::string& s) {
  return nlohmann::json(s).dump();
}

class Writer {
 public:
  explicit Writer(const Scaffold& s) : s_(s) {}

  // One line at `indent` levels of two spaces, with the note for `path` at its end.
  void line(int indent, const std::string& text, const std::string& path = "") {
    out_ << std::string(static_cast<size_t>(indent) * 2, ' ') << text;
    if (auto n = s_.notes.find(path); !path.empty() && n != s_.notes.end()) out_ << "   # " << n->second;
    out_ << "\n";
  }
  void field(int indent, const std::string& key, const std::string& value, const std::string& path) {
    line(indent, key + ": " + value, path);
  }
  // A free-form JSON value as block YAML under `key`, the template notes applied.
  void block(int indent, const std::string& key, const nlohmann::json& value, const std::string& path) {
    line(indent, key + ":", path);
    std::istringstream in(to_yaml(value));
    std::vector<bool> used(s_.template_notes.size(), false);
    for (std::string l; std::getline(in, l);) {
      for (size_t i = 0; i < s_.template_notes.size(); ++i) {
        if (used[i] || l.find(s_.template_notes[i].first) == std::string::npos) continue;
        l += "   # " + s_.template_notes[i].second;
        used[i] = true;
        break;
      }
      out_ << std::string(static_cast<size_t>(indent + 1) * 2, ' ') << l << "\n";
    }
  }
  std::string text() const { return out_.str(); }

 private:
  const Scaffold& s_;
  std::ostringstream out_;
};

void write_backend(Writer& w, const std::string& key, const BackendRef& b, const std::string& path) {
  w.line(3, key + ":", path);
  w.field(4, "name", scalar(b.name), path + ".name");
  w.field(4, "kind", scalar(b.kind), path + ".kind");
  if (!b.group.empty()) w.field(4, "group", scalar(b.group), path + ".group");
  if (b.port) w.field(4, "port", std::to_string(*b.port), path + ".port");
}

void write_template(Writer& w, const std::optional<nlohmann::json>& t, const std::string& path) {
  if (t) w.block(3, "template", *t, path + ".template");
}

struct TargetWriter {
  Writer& w;
  std::string path;
  void operator()(const HttpRouteTarget& t) const {
    if (t.name) w.field(3, "name", scalar(*t.name), path + ".name");
    if (t.rule) w.field(3, "rule", std::to_string(*t.rule), path + ".rule");
    write_backend(w, "stable", t.stable, path + ".stable");
    write_backend(w, "canary", t.canary, path + ".canary");
  }
  void operator()(const InferenceModelTarget& t) const {
    w.field(3, "name", scalar(t.name), path + ".name");
    w.field(3, "stable", scalar(t.stable), path + ".stable");
    w.field(3, "canary", scalar(t.canary), path + ".canary");
  }
  void operator()(const InferenceModelRewriteTarget& t) const {
    w.field(3, "name", scalar(t.name), path + ".name");
    if (t.api_version_given) w.field(3, "apiVersion", scalar(t.api_version), path + ".apiVersion");
    w.field(3, "model", scalar(t.model), path + ".model");
    w.field(3, "stable", scalar(t.stable), path + ".stable");
    w.field(3, "canary", scalar(t.canary), path + ".canary");
  }
  void operator()(const ModelRouteTarget& t) const {
    w.field(3, "name", scalar(t.name), path + ".name");
    if (t.rule_name) w.field(3, "rule", scalar(*t.rule_name), path + ".rule");
    if (t.rule_index) w.field(3, "rule", std::to_string(*t.rule_index), path + ".rule");
    w.field(3, "stable", scalar(t.stable), path + ".stable");
    w.field(3, "canary", scalar(t.canary), path + ".canary");
  }
  void operator()(const ModelServingTarget& t) const {
    w.field(3, "name", scalar(t.name), path + ".name");
    w.field(3, "apiVersion", scalar(t.api_version), path + ".apiVersion");
    w.field(3, "readyTimeout", format_duration(t.ready_timeout), path + ".readyTimeout");
    write_template(w, t.template_, path);
  }
  void operator()(const DeploymentTarget& t) const {
    w.field(3, "name", scalar(t.name), path + ".name");
    w.field(3, "readyTimeout", format_duration(t.ready_timeout), path + ".readyTimeout");
    write_template(w, t.template_, path);
  }
  void operator()(const LeaderWorkerSetTarget& t) const {
    w.field(3, "name", scalar(t.name), path + ".name");
    w.field(3, "readyTimeout", format_duration(t.ready_timeout), path + ".readyTimeout");
    write_template(w, t.template_, path);
  }
  void operator()(const LocalTarget&) const {
    throw std::logic_error("render_scaffold: local targets are not written");
  }
};

void write_adapters(Writer& w, const Adapters& a) {
  const std::string p = "spec.adapters";
  w.line(1, "adapters:", p);
  if (!a.lora_syncer_config_map.empty()) {
    w.line(2, "loraSyncer:", p + ".loraSyncer");
    w.field(3, "configMap", scalar(a.lora_syncer_config_map), p + ".loraSyncer.configMap");
  }
  if (!a.vllm_pool.empty()) {
    w.line(2, "vllm:", p + ".vllm");
    w.field(3, "pool", scalar(a.vllm_pool), p + ".vllm.pool");
  }
  w.line(2, "load:", p + ".load");
  for (size_t i = 0; i < a.load.size(); ++i) {
    const std::string lp = p + ".load[" + std::to_string(i) + "]";
    w.field(3, "- id", scalar(a.load[i].id), lp + ".id");
    w.field(4, "source", scalar(a.load[i].source), lp + ".source");
    if (a.load[i].base_model) w.field(4, "baseModel", scalar(*a.load[i].base_model), lp + ".baseModel");
  }
  w.line(2, "verify:", p + ".verify");
  if (a.verify_pool) w.field(3, "pool", scalar(*a.verify_pool), p + ".verify.pool");
  w.field(3, "timeout", format_duration(a.verify_timeout), p + ".verify.timeout");
  if (!a.unload_on_success.empty()) {
    std::string list;
    for (const auto& id : a.unload_on_success) list += (list.empty() ? "" : ", ") + scalar(id);
    w.field(2, "unloadOnSuccess", "[" + list + "]", p + ".unloadOnSuccess");
  }
}

std::string step_text(const Step& s) {
  struct V {
    std::string operator()(const SetWeight& x) const { return "setWeight: " + std::to_string(x.percent); }
    std::string operator()(const SetHeaderRoute& x) const {
      return "setHeaderRoute: {name: " + scalar(x.name) + ", value: " + scalar(x.value) + ", type: " + x.match + "}";
    }
    std::string operator()(const SetMirror& x) const {
      return "setMirror: {percent: " + std::to_string(x.percent) + "}";
    }
    std::string operator()(const Pause& x) const {
      return x.duration ? "pause: {duration: " + format_duration(*x.duration) + "}" : "pause: {}";
    }
    std::string operator()(const Analysis& x) const {
      std::string gates;
      for (const auto& g : x.gates) gates += (gates.empty() ? "" : ", ") + scalar(g);
      std::string out = "analysis: {gates: [" + gates + "]";
      if (x.duration) out += ", duration: " + format_duration(*x.duration);
      return out + "}";
    }
    std::string operator()(const UpdateReplicas& x) const {
      return "updateReplicas: " + (x.percent ? quoted(std::to_string(x.value) + "%") : std::to_string(x.value));
    }
  };
  return std::visit(V{}, s.action);
}

std::string provider_text(const Gate& g) {
  struct V {
    std::string operator()(const ScrapeQuery& q) const {
      std::string out = "scrape: {from: " + q.from + ", preset: " + q.preset + ", metric: " + q.metric;
      if (q.path != "/metrics") out += ", path: " + scalar(q.path);
      return out + "}";
    }
    std::string operator()(const HttpProbe& q) const {
      std::string out = "http: {";
      if (q.model_listed)
        out += "modelListed: " + scalar(*q.model_listed);
      else
        out += "path: " + scalar(q.path);
      out += ", from: " + q.from;
      if (q.timeout) out += ", timeout: " + format_duration(*q.timeout);
      return out + "}";
    }
    std::string operator()(const PrometheusQuery& q) const {
      return "prometheus: {address: " + scalar(q.address) + ", query: " + quoted(q.query) + "}";
    }
  };
  return std::visit(V{}, g.provider);
}

void write_gate(Writer& w, const Gate& g, const std::string& path) {
  w.field(2, "- name", scalar(g.name), path);
  w.line(3, provider_text(g), path + ".provider");
  w.field(3, "interval", format_duration(g.interval), path + ".interval");
  if (g.initial_delay) w.field(3, "initialDelay", format_duration(*g.initial_delay), path + ".initialDelay");
  if (g.success_condition) w.field(3, "successCondition", quoted(*g.success_condition), path + ".successCondition");
  if (g.failure_condition) w.field(3, "failureCondition", quoted(*g.failure_condition), path + ".failureCondition");
  if (g.compare && g.compare->max_ratio) {
    std::ostringstream ratio;
    ratio << *g.compare->max_ratio;
    w.field(3, "compare", "{baseline: " + g.compare->baseline + ", maxRatio: " + ratio.str() + "}", path + ".compare");
  }
  if (g.failure_limit) w.field(3, "failureLimit", std::to_string(g.failure_limit), path + ".failureLimit");
  if (g.inconclusive_limit)
    w.field(3, "inconclusiveLimit", std::to_string(g.inconclusive_limit), path + ".inconclusiveLimit");
}

void write_spec(Writer& w, const Plan& p) {
  w.line(0, "spec:");
  w.field(1, "strategy", to_string(p.strategy), "spec.strategy");
  w.line(1, "target:", "spec.target");
  const std::string tp = std::string("spec.target.") + target_key(p.target);
  w.line(2, std::string(target_key(p.target)) + ":", tp);
  std::visit(TargetWriter{w, tp}, p.target);
  if (p.adapters) {
    w.line(0, "");
    write_adapters(w, *p.adapters);
  }
  w.line(0, "");
  w.line(1, "steps:", "spec.steps");
  for (size_t i = 0; i < p.steps.size(); ++i)
    w.line(2, "- " + step_text(p.steps[i]), "spec.steps[" + std::to_string(i) + "]");
  if (!p.gates.empty()) {
    w.line(0, "");
    w.line(1, "gates:", "spec.gates");
    for (size_t i = 0; i < p.gates.size(); ++i) write_gate(w, p.gates[i], "spec.gates[" + std::to_string(i) + "]");
  }
  w.line(0, "");
  if (!p.background.empty()) {
    std::string list;
    for (const auto& g : p.background) list += (list.empty() ? "" : ", ") + scalar(g);
    w.field(1, "background", "[" + list + "]", "spec.background");
  }
  w.field(1, "onFailure", p.on_failure == OnFailure::rollback ? "rollback" : "pause", "spec.onFailure");
  if (p.progress_deadline)
    w.field(1, "progressDeadline", format_duration(*p.progress_deadline), "spec.progressDeadline");
}

}  // namespace

std::string render_scaffold(const Scaffold& s) {
  if (s.plan.finalize) throw std::logic_error("render_scaffold: finalize is not written");
  Writer w(s);
  const std::string rule(94, '=');
  w.line(0, "# " + rule);
  for (const auto& h : s.header) w.line(0, h.empty() ? "#" : "# " + h);
  w.line(0, "# " + rule);
  w.line(0, "apiVersion: rollout/v1alpha1");
  w.line(0, "kind: RolloutPlan");
  w.line(0, "metadata:");
  w.field(1, "name", scalar(s.plan.name), "metadata.name");
  if (s.plan.namespace_) w.field(1, "namespace", scalar(*s.plan.namespace_), "metadata.namespace");
  write_spec(w, s.plan);
  return w.text();
}

}  // namespace rollout::plan
