#include "actuators/deployment.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "actuators/endpoints.hpp"
#include "actuators/live.hpp"
#include "actuators/replica_batches.hpp"

namespace rollout::actuators {

using nlohmann::json;

namespace {

constexpr const char* kApi = "apps/v1";
constexpr const char* kHashLabel = "pod-template-hash";

int replicas_of(const json& obj) {
  const json spec = obj.value("spec", json::object());
  const auto it = spec.find("replicas");
  return it != spec.end() && it->is_number_integer() ? it->get<int>() : 1;
}

bool is_paused(const json& obj) { return obj.value("spec", json::object()).value("paused", false); }

json template_of(const json& obj) { return obj.value("spec", json::object()).value("template", json::object()); }

// deployment_util.EqualIgnoreHash: pod templates equal once the pod-template-hash label is dropped.
bool equal_ignoring_hash(json a, json b) {
  for (json* t : {&a, &b}) {
    if (!t->contains("metadata") || !(*t)["metadata"].contains("labels")) continue;
    (*t)["metadata"]["labels"].erase(kHashLabel);
    if ((*t)["metadata"]["labels"].empty()) (*t)["metadata"].erase("labels");
    if ((*t)["metadata"].empty()) t->erase("metadata");
  }
  return a == b;
}

// A name-safe hash of the template for the new ReplicaSet (the controller's own hash differs;
// it finds the ReplicaSet by template equality, not by name).
std::string template_hash(const json& tmpl) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (char c : tmpl.dump()) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  const char* alphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (int i = 0; i < 10; ++i, h /= 27) out += alphabet[h % 27];
  return out;
}

std::string selector_of(const json& dep) {
  std::map<std::string, std::string> labels;
  const json match = dep.value("spec", json::object()).value("selector", json::object()).value("matchLabels", json::object());
  for (const auto& [k, v] : match.items())
    if (v.is_string()) labels[k] = v.get<std::string>();
  return label_selector(labels);
}

bool controlled_by(const json& obj, const std::string& uid) {
  for (const auto& r : obj.value("metadata", json::object()).value("ownerReferences", json::array()))
    if (r.value("uid", "") == uid && r.value("controller", false)) return true;
  return false;
}

bool terminating(const json& obj) { return obj.value("metadata", json::object()).contains("deletionTimestamp"); }

// The Deployment's ReplicaSets, oldest first (creation time, then name), and their pods by owner.
struct Family {
  std::vector<json> sets;
  std::map<std::string, std::vector<json>> pods;  // ReplicaSet uid -> its pods not being deleted
};

Result<Family> family_of(k8s::Client& client, const json& dep) {
  const std::string ns = object_namespace(dep, client), uid = dep["metadata"].value("uid", "");
  auto rs_api = client.resource(kApi, "ReplicaSet");
  if (!rs_api.ok()) return rs_api.error();
  auto sets = client.list(*rs_api, ns, selector_of(dep));
  if (!sets.ok()) return sets.error();
  Family f;
  for (const auto& rs : sets->value("items", json::array()))
    if (controlled_by(rs, uid)) f.sets.push_back(rs);
  std::sort(f.sets.begin(), f.sets.end(), [](const json& a, const json& b) {
    const std::string ta = a["metadata"].value("creationTimestamp", ""), tb = b["metadata"].value("creationTimestamp", "");
    return ta != tb ? ta < tb : object_name(a) < object_name(b);
  });
  auto pod_api = client.resource("v1", "Pod");
  if (!pod_api.ok()) return pod_api.error();
  auto pods = client.list(*pod_api, ns, selector_of(dep));
  if (!pods.ok()) return pods.error();
  for (const auto& p : pods->value("items", json::array()))
    if (!terminating(p))
      for (const auto& r : p["metadata"].value("ownerReferences", json::array()))
        if (r.value("controller", false)) f.pods[r.value("uid", "")].push_back(p);
  return f;
}

// FindNewReplicaSet: the oldest ReplicaSet whose template is the Deployment's.
const json* new_set(const Family& f, const json& dep) {
  for (const auto& rs : f.sets)
    if (equal_ignoring_hash(template_of(rs), template_of(dep))) return &rs;
  return nullptr;
}

ReplicaSetSize size_of(const Family& f, const json& rs) {
  ReplicaSetSize s;
  s.name = object_name(rs);
  s.replicas = replicas_of(rs);
  auto it = f.pods.find(rs["metadata"].value("uid", ""));
  if (it == f.pods.end()) return s;
  s.pods = static_cast<int>(it->second.size());
  for (const auto& p : it->second) s.ready += pod_ready(p);
  return s;
}

json new_replica_set(const json& dep) {
  const json tmpl = template_of(dep);
  const std::string hash = template_hash(tmpl);
  json rs_tmpl = tmpl;
  rs_tmpl["metadata"]["labels"][kHashLabel] = hash;
  json selector = dep["spec"].value("selector", json::object());
  selector["matchLabels"][kHashLabel] = hash;
  json rs = {{"apiVersion", kApi},
             {"kind", "ReplicaSet"},
             {"metadata",
              {{"name", object_name(dep) + "-" + hash},
               {"namespace", object_namespace(dep)},
               {"labels", rs_tmpl["metadata"]["labels"]},
               {"ownerReferences",
                {{{"apiVersion", kApi},
                  {"kind", "Deployment"},
                  {"name", object_name(dep)},
                  {"uid", dep["metadata"].value("uid", "")},
                  {"controller", true},
                  {"blockOwnerDeletion", true}}}}}},
             {"spec", {{"replicas", 0}, {"selector", selector}, {"template", rs_tmpl}}}};
  if (dep["spec"].contains("minReadySeconds")) rs["spec"]["minReadySeconds"] = dep["spec"]["minReadySeconds"];
  return rs;
}

Status resize(k8s::Client& client, const json& rs, int replicas) {
  if (replicas_of(rs) == replicas) return ok_status();
  auto api = client.resource(kApi, "ReplicaSet");
  if (!api.ok()) return api.error();
  auto r = client.patch(*api, object_namespace(rs), object_name(rs), k8s::PatchKind::merge,
                        {{"spec", {{"replicas", replicas}}}});
  return r.ok() ? ok_status() : Status(r.error());
}

// The batch's size for the Deployment's current spec.replicas: a percentage is recomputed.
int batch_target(const Position& p, int replicas) {
  if (p.finished) return replicas;
  if (p.updated_percent) return std::clamp((*p.updated_percent * replicas + 99) / 100, 1, replicas);
  return std::min(p.updated, replicas);
}

std::string failing_pod(const Family& f, const json& rs) {
  auto it = f.pods.find(rs["metadata"].value("uid", ""));
  if (it == f.pods.end()) return "";
  for (const auto& p : it->second)
    if (const std::string why = pod_failure(p); !why.empty())
      return "pod " + object_name(p) + " runs the new template and fails (" + why + ")";
  return "";
}

}  // namespace

Result<std::string> deployment_rollout_pending(const json& d) {
  const json status = d.value("status", json::object());
  const int64_t gen = d["metadata"].value("generation", int64_t{0});
  if (status.value("observedGeneration", int64_t{0}) < gen) return std::string("the controller has not seen the update yet");
  for (const auto& c : status.value("conditions", json::array()))
    if (c.value("type", "") == "Progressing" && c.value("reason", "") == "ProgressDeadlineExceeded")
      return make_error(ErrorKind::gate_failed, "Deployment " + object_name(d) + " exceeded its progress deadline");
  const int want = replicas_of(d), updated = status.value("updatedReplicas", 0), total = status.value("replicas", 0),
            available = status.value("availableReplicas", 0);
  if (updated < want) return fmt::format("{} of {} replicas updated", updated, want);
  if (total > updated) return fmt::format("{} old replicas pending termination", total - updated);
  if (available < updated) return fmt::format("{} of {} updated replicas available", available, updated);
  return std::string();
}

Result<std::vector<ObjectRef>> DeploymentActuator::resolve(k8s::Client&, const std::string& ns) const {
  return std::vector<ObjectRef>{{kApi, "Deployment", ns, target_.name}};
}

Status DeploymentActuator::check(k8s::Client&, const json& live) const {
  if (target_.template_ && is_paused(live))
    return make_error(ErrorKind::invalid, "Deployment " + object_name(live) +
                                              " is paused (spec.paused: true): `kubectl rollout resume deployment/" +
                                              object_name(live) + "` first; rollout pauses it itself between batches");
  if (replicas_of(live) < 1)
    return make_error(ErrorKind::invalid, "Deployment " + object_name(live) + ": spec.replicas is 0: nothing to roll");
  if (target_.template_ && !target_.template_->is_object())
    return make_error(ErrorKind::invalid, "spec.target.deployment.template: expected a pod template mapping");
  return ok_status();
}

Result<json> DeploymentActuator::desired(const json& original, const Position& position) const {
  json d = original;
  if (!position.template_in_place) return d;
  if (target_.template_) d["spec"]["template"] = *target_.template_;
  if (position.finished) {
    // Without a template of its own the plan took over a Deployment paused by hand: finished, it runs.
    if (!target_.template_) d["spec"].erase("paused");
    return d;
  }
  d["spec"]["paused"] = true;
  d["spec"]["strategy"] = {{"type", "Recreate"}};
  return d;
}

Status DeploymentActuator::verify(k8s::Client& client, const json& written, const Position& position,
                                  const Wait& wait) const {
  return verify_all(client, {written}, {json()}, position, wait);
}

Status DeploymentActuator::verify_all(k8s::Client& client, const std::vector<json>& written,
                                      const std::vector<json>& originals, const Position& position,
                                      const Wait& wait) const {
  for (size_t i = 0; i < written.size(); ++i) {
    const json original = i < originals.size() && !originals[i].is_null() ? originals[i] : written[i];
    if (auto s = converge(client, written[i], original, position, wait); !s.ok()) return s;
  }
  return ok_status();
}

Status DeploymentActuator::converge(k8s::Client& client, const json& written, const json& original,
                                    const Position& position, const Wait& wait) const {
  const std::string ns = object_namespace(written, client), what = "Deployment " + object_name(written);
  auto dep_api = client.resource(kApi, "Deployment");
  if (!dep_api.ok()) return dep_api.error();
  Wait w = wait;
  w.timeout = target_.ready_timeout;
  w.poll = std::min(w.poll, Duration(500));
  const bool batch = position.template_in_place && !position.finished;
  const int recorded = replicas_of(original);
  return poll_noting(w, what, [&]() -> Result<std::string> {
    auto dep = client.get(*dep_api, ns, object_name(written));
    if (!dep.ok()) return dep.error();
    if (!batch) {
      if (!position.template_in_place && is_paused(*dep)) return std::string();  // restored paused: nothing moves
      if (position.finished) {
        auto f = family_of(client, *dep);
        if (!f.ok()) return f.error();
        if (const json* rs = new_set(*f, *dep))
          if (const std::string bad = failing_pod(*f, *rs); !bad.empty())
            return make_error(ErrorKind::gate_failed, what + ": " + bad);
      }
      return deployment_rollout_pending(*dep);
    }
    const int n = replicas_of(*dep);
    const int k = batch_target(position, n);
    auto f = family_of(client, *dep);
    if (!f.ok()) return f.error();
    const json* fresh = new_set(*f, *dep);
    if (!fresh) {
      auto rs_api = client.resource(kApi, "ReplicaSet");
      if (!rs_api.ok()) return rs_api.error();
      auto made = client.create(*rs_api, ns, new_replica_set(*dep));
      if (!made.ok() && made.error().kind != ErrorKind::conflict) return made.error();
      return std::string("creating the new ReplicaSet");
    }
    if (const std::string bad = failing_pod(*f, *fresh); !bad.empty())
      return make_error(ErrorKind::gate_failed, what + ": " + bad);
    std::vector<ReplicaSetSize> old;
    std::vector<const json*> old_sets;
    for (const auto& rs : f->sets)
      if (&rs != fresh && (replicas_of(rs) > 0 || size_of(*f, rs).pods > 0)) {
        old.push_back(size_of(*f, rs));
        old_sets.push_back(&rs);
      }
    const BatchMove m = next_batch_move(batch_bounds(original["spec"].value("strategy", json::object()), n), k,
                                        size_of(*f, *fresh), old);
    if (m.done) return std::string();
    if (auto s = resize(client, *fresh, m.fresh); !s.ok()) return s.error();
    for (size_t i = 0; i < old_sets.size(); ++i)
      if (auto s = resize(client, *old_sets[i], m.old[i]); !s.ok()) return s.error();
    std::string waiting = fmt::format("batch {} of {}: {}", k, n, m.waiting);
    if (n != recorded) waiting += fmt::format(" (spec.replicas changed from {} to {}: batch recomputed)", recorded, n);
    return waiting;
  });
}

Result<std::vector<Endpoint>> DeploymentActuator::endpoints(k8s::Client& client, const std::string& ns,
                                                            const json& original, Role role) const {
  auto dep_api = client.resource(kApi, "Deployment");
  if (!dep_api.ok()) return dep_api.error();
  auto dep = client.get(*dep_api, ns, target_.name);
  if (!dep.ok()) return dep.error();
  auto f = family_of(client, *dep);
  if (!f.ok()) return f.error();
  // Until the plan's template is in place every pod runs the old one.
  const bool introduced = !target_.template_ || template_of(*dep) != template_of(original);
  const json* fresh = introduced ? new_set(*f, *dep) : nullptr;
  const std::string fresh_uid = fresh ? (*fresh)["metadata"].value("uid", "") : "";
  std::vector<Endpoint> out;
  for (const auto& [uid, pods] : f->pods) {
    if ((uid == fresh_uid ? Role::canary : Role::stable) != role) continue;
    for (const auto& p : pods) out.push_back(pod_endpoint(ns, p, serving_port(p)));
  }
  return out;
}

std::optional<int> DeploymentActuator::replicas(const json& obj) const {
  if (!obj.is_object()) return std::nullopt;
  return replicas_of(obj);
}

}  // namespace rollout::actuators
