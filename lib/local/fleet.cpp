// The fleet's state file, the document the engine sees, and converge(): which replicas change,
// in which order (version changes of replicas that stay in service, then weights, then the ones
// that stop), maxUnavailable at a time.
#include "local/fleet.hpp"

#include <sys/stat.h>

#include <cstdio>

#include "util/file.hpp"

namespace rollout::local {

using nlohmann::json;

json to_json(const FleetSpec& s) {
  json j = {{"versions", s.versions}};
  if (!s.weights.empty()) j["weights"] = s.weights;
  return j;
}

FleetSpec fleet_spec_from_json(const json& j) {
  FleetSpec s;
  if (!j.is_object()) return s;
  if (j.contains("versions") && j["versions"].is_object()) s.versions = j["versions"].get<std::map<std::string, std::string>>();
  if (j.contains("weights") && j["weights"].is_object()) s.weights = j["weights"].get<std::map<std::string, int>>();
  return s;
}

std::vector<std::string> replicas_on(const std::string& state_file, const std::string& version) {
  std::vector<std::string> out;
  auto text = read_file(state_file);
  if (!text.ok()) return out;
  const json j = json::parse(*text, nullptr, false);
  if (!j.is_object() || !j.contains("versions")) return out;
  for (const auto& [name, v] : j["versions"].items())
    if (v == version) out.push_back(name);
  return out;
}

Fleet::Fleet(plan::LocalTarget target, bool blue_green, std::string state_dir, std::string rollout,
             std::unique_ptr<LoadBalancer> lb, Note note, WriteHook before_write)
    : target_(std::move(target)),
      blue_green_(blue_green),
      dir_(std::move(state_dir)),
      rollout_(std::move(rollout)),
      lb_(std::move(lb)),
      note_(std::move(note)),
      before_write_(std::move(before_write)) {
  all_ = target_.replicas;
  all_.insert(all_.end(), target_.canary_replicas.begin(), target_.canary_replicas.end());
}

const plan::LocalReplica* Fleet::find(const std::string& name) const {
  for (const auto& r : all_)
    if (r.name == name) return &r;
  return nullptr;
}

// First use: what runs is the stable version on `replicas` (the canary set is stopped), and the
// load balancer's states as found are the ones rollback restores.
Status Fleet::load() {
  if (loaded_) return ok_status();
  auto text = read_file(state_file());
  if (text.ok()) {
    state_ = json::parse(*text, nullptr, false);
    if (!state_.is_object()) return make_error(ErrorKind::invalid, state_file() + " is not JSON");
    loaded_ = true;
    return ok_status();
  }
  auto lb = lb_->read();
  if (!lb.ok()) return lb.error();
  state_ = {{"resourceVersion", 1}, {"versions", json::object()}, {"lb", json::object()}, {"processes", json::object()}};
  for (const auto& r : target_.replicas) state_["versions"][r.name] = "stable";
  for (const auto& r : target_.canary_replicas) state_["versions"][r.name] = "none";
  for (const auto& [name, st] : *lb) {
    state_["lb"][name] = {{"admin", to_string(st.admin)}, {"weight", st.weight}};
    if (blue_green_) state_["weights"][name] = st.admin == Admin::ready ? st.weight : 0;
  }
  loaded_ = true;
  return save();
}

Status Fleet::save() {
  if (auto s = may_write(); !s.ok()) return s;
  mkdir(dir_.c_str(), 0755);
  const std::string tmp = state_file() + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return make_error(ErrorKind::unavailable, "cannot write " + tmp);
  const std::string text = state_.dump(2) + "\n";
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok || std::rename(tmp.c_str(), state_file().c_str()) != 0)
    return make_error(ErrorKind::unavailable, "cannot write " + state_file());
  return ok_status();
}

Status Fleet::set_lb(const ServerStates& states) {
  if (auto s = may_write(); !s.ok()) return s;
  return lb_->set(states);
}

Result<json> Fleet::document() {
  if (auto s = load(); !s.ok()) return s.error();
  FleetSpec actual;
  actual.versions = state_["versions"].get<std::map<std::string, std::string>>();
  if (state_.contains("weights")) actual.weights = state_["weights"].get<std::map<std::string, int>>();
  const bool pending = state_.value("pending", false) && state_.contains("previous");
  json doc = {{"apiVersion", "local.rollout.dev/v1"},
              {"kind", "LocalReplicas"},
              {"metadata",
               {{"name", rollout_}, {"namespace", ""}, {"resourceVersion", std::to_string(state_.value("resourceVersion", 1))}}},
              {"spec", pending ? state_["previous"] : to_json(actual)},
              {"status", {{"stateFile", state_file()}, {"loadBalancer", lb_->describe()}}}};
  if (state_.contains("failure")) doc["status"]["failure"] = state_["failure"];
  return doc;
}

ServerState Fleet::serving_state(const std::string& name) const {
  ServerState original;
  if (state_["lb"].contains(name)) {
    const json& o = state_["lb"][name];
    original = {admin_from(o.value("admin", "ready")).value_or(Admin::ready), o.value("weight", 1)};
  }
  if (!state_.contains("weights")) return original;
  const int w = state_["weights"].value(name, 0);
  if (w <= 0) return {Admin::drain, original.weight};
  return {Admin::ready, w};
}

Result<json> Fleet::converge(const FleetSpec& want) {
  auto before = document();
  if (!before.ok()) return before.error();
  state_["previous"] = (*before)["spec"];
  state_["pending"] = true;
  state_.erase("failure");
  if (auto s = save(); !s.ok()) return s.error();
  auto fail = [&](const std::string& why) -> Result<json> {
    // Ended, not interrupted: the document shows what runs now, so that rollback changes it back.
    state_["failure"] = why;
    state_["pending"] = false;
    state_.erase("previous");
    state_["resourceVersion"] = state_.value("resourceVersion", 1) + 1;
    if (auto s = save(); !s.ok()) return s.error();
    auto doc = document();
    if (doc.ok()) (*doc)["spec"] = to_json(want);  // what was asked; status.failure says it did not happen
    return doc;
  };
  // Replicas that keep serving, on another version: maxUnavailable at a time, in plan order.
  std::vector<const plan::LocalReplica*> changes;
  for (const auto& r : all_) {
    auto it = want.versions.find(r.name);
    // A replica a killed run left out of the load balancer is finished too.
    const bool left_out = state_.contains("out") && state_["out"].contains(r.name);
    if (it != want.versions.end() && it->second != "none" &&
        (state_["versions"].value(r.name, "") != it->second || left_out))
      changes.push_back(&r);
  }
  const size_t width = static_cast<size_t>(std::max(1, target_.max_unavailable));
  for (size_t i = 0; i < changes.size(); i += width) {
    std::vector<const plan::LocalReplica*> batch(changes.begin() + i, changes.begin() + std::min(changes.size(), i + width));
    auto failed = replace(batch, want);
    if (!failed.ok()) return failed.error();
    if (!failed->empty()) return fail(*failed);
  }
  // Weights (blueGreen), then the replicas that leave service: drained by their weight 0.
  if (!want.weights.empty() && json(want.weights) != state_.value("weights", json())) {
    state_["weights"] = want.weights;
    ServerStates states;
    for (const auto& [name, w] : want.weights) states[name] = serving_state(name);
    if (auto s = set_lb(states); !s.ok()) return s.error();
    say("load balancer weights: " + json(want.weights).dump());
    if (auto s = save(); !s.ok()) return s.error();
  }
  std::vector<const plan::LocalReplica*> leaving;
  for (const auto& r : all_) {
    auto it = want.versions.find(r.name);
    if (it != want.versions.end() && it->second == "none" && state_["versions"].value(r.name, "") != "none")
      leaving.push_back(&r);
  }
  if (!leaving.empty()) {
    auto failed = drain(leaving);
    if (!failed.ok()) return failed.error();
    if (!failed->empty()) return fail(*failed);
    for (const auto* r : leaving) {
      if (auto s = stop(*r); !s.ok()) return s.error();
      state_["versions"][r->name] = "none";
      if (auto s = save(); !s.ok()) return s.error();
    }
  }
  state_["pending"] = false;
  state_.erase("previous");
  state_["resourceVersion"] = state_.value("resourceVersion", 1) + 1;
  if (auto s = save(); !s.ok()) return s.error();
  return document();
}

}  // namespace rollout::local
