#include "actuators/local_replicas.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "actuators/endpoints.hpp"
#include "local/fleet.hpp"
#include "local/load_balancer.hpp"
#include "local/replica_http.hpp"

namespace rollout::actuators {

using nlohmann::json;

Result<std::vector<ObjectRef>> LocalReplicasActuator::resolve(k8s::Client&, const std::string&) const {
  return std::vector<ObjectRef>{{std::string(kLocalGroup) + "/v1", "LocalReplicas", "", "replicas"}};
}

// Rolling: the first `updated` replicas (in plan order) on the canary. blueGreen: the canary set
// runs from the first weight on, and the weight splits the servers' weights between the sets (in
// proportion to their sizes, so that W% of requests reach the canary); finished stops the stable set.
Result<json> LocalReplicasActuator::desired(const json& original, const Position& p) const {
  json out = original;
  local::FleetSpec spec = local::fleet_spec_from_json(original.value("spec", json::object()));
  if (!blue_green()) {
    for (size_t i = 0; i < target_.replicas.size(); ++i)
      if (p.finished || static_cast<int>(i) < p.updated) spec.versions[target_.replicas[i].name] = "canary";
    out["spec"] = local::to_json(spec);
    return out;
  }
  const int w = p.finished ? 100 : p.weight;
  if (w > 0) {
    const auto [ws, wc] = split_weights(static_cast<int>(target_.replicas.size()),
                                        static_cast<int>(target_.canary_replicas.size()), w);
    for (const auto& r : target_.canary_replicas) spec.versions[r.name] = "canary", spec.weights[r.name] = wc;
    for (const auto& r : target_.replicas) {
      spec.weights[r.name] = ws;
      if (p.finished) spec.versions[r.name] = "none";
    }
  }
  out["spec"] = local::to_json(spec);
  return out;
}

SetWeights split_weights(int stable_servers, int canary_servers, int percent) {
  const int ns = std::max(stable_servers, 1), nc = std::max(canary_servers, 1);
  // The canary's share is wc·nc / (wc·nc + ws·ns) = percent/100.
  long ws = static_cast<long>(100 - percent) * nc, wc = static_cast<long>(percent) * ns;
  if (ws <= 0) return {0, 1};  // 100 %: the stable set leaves (its weight 0 drains it)
  const long g = std::gcd(ws, wc);
  ws /= g, wc /= g;
  if (ws <= kMaxServerWeight && wc <= kMaxServerWeight) return {static_cast<int>(ws), static_cast<int>(wc)};
  // Too fine for the range: the closest share any pair in it gives (smaller weights on a tie).
  const double want = percent / 100.0;
  SetWeights best{kMaxServerWeight, 1};
  double best_error = 2;
  for (int c = 1; c <= kMaxServerWeight; ++c) {
    const double exact = static_cast<double>(c) * nc * (100 - percent) / (static_cast<double>(percent) * ns);
    for (long s : {static_cast<long>(exact), static_cast<long>(exact) + 1}) {
      s = std::clamp<long>(s, 1, kMaxServerWeight);
      const double share = static_cast<double>(c) * nc / (static_cast<double>(c) * nc + static_cast<double>(s) * ns);
      const double error = std::abs(share - want);
      if (error < best_error - 1e-12) best_error = error, best = {static_cast<int>(s), c};
    }
  }
  return best;
}

Status LocalReplicasActuator::verify(k8s::Client&, const json& written, const Position&, const Wait&) const {
  if (written.contains("status") && written["status"].contains("failure"))
    return make_error(ErrorKind::timeout, written["status"]["failure"].get<std::string>());
  return ok_status();
}

std::optional<BackendPool> LocalReplicasActuator::backend(const json&, Role role) const {
  return BackendPool{role == Role::canary ? "canary" : "stable", "LocalReplicas", kLocalGroup};
}

// Gates probe and scrape the replicas on their own ports: the canary is what already runs the new version.
Result<std::vector<Endpoint>> LocalReplicasActuator::endpoints(k8s::Client&, const std::string&, const json& original,
                                                               Role role) const {
  const std::string file = original.value("status", json::object()).value("stateFile", "");
  const auto names = local::replicas_on(file, role == Role::canary ? "canary" : "stable");
  std::vector<Endpoint> out;
  for (const auto& set : {&target_.replicas, &target_.canary_replicas})
    for (const auto& r : *set)
      for (const auto& n : names)
        if (n == r.name) out.push_back({r.name, r.port, true, local::base_url(r.host, r.port)});
  return out;
}

std::optional<int> LocalReplicasActuator::replicas(const json&) const {
  if (blue_green()) return std::nullopt;
  return static_cast<int>(target_.replicas.size());
}

namespace {

class LocalHost : public ObjectHost {
 public:
  LocalHost(std::unique_ptr<local::Fleet> fleet, std::optional<Error> broken)
      : fleet_(std::move(fleet)), broken_(std::move(broken)) {}
  Result<json> get(const ObjectRef&) override {
    if (broken_) return *broken_;
    return fleet_->document();
  }
  Result<std::vector<json>> list(const ObjectRef& like) override {
    auto doc = get(like);
    if (!doc.ok()) return doc.error();
    return std::vector<json>{*doc};
  }
  Result<json> patch(const ObjectRef& ref, const json& operations, const std::string& if_resource_version,
                     k8s::DryRun dry) override {
    auto doc = get(ref);
    if (!doc.ok()) return doc.error();
    if (!if_resource_version.empty() && (*doc)["metadata"].value("resourceVersion", "") != if_resource_version)
      return make_error(ErrorKind::conflict, "the local replicas changed since they were read");
    json next;
    try {
      next = doc->patch(operations);
    } catch (const json::exception& e) {
      return make_error(ErrorKind::invalid, std::string("local replicas: ") + e.what());
    }
    if (dry != k8s::DryRun::none) return next;
    return fleet_->converge(local::fleet_spec_from_json(next["spec"]));
  }
  Status remove(const ObjectRef&, k8s::DryRun) override { return ok_status(); }

 private:
  std::unique_ptr<local::Fleet> fleet_;
  std::optional<Error> broken_;
};

}  // namespace

std::unique_ptr<ObjectHost> make_local_host(const plan::Plan& plan, const HostContext& context) {
  const auto& target = std::get<plan::LocalTarget>(plan.target);
  auto all = target.replicas;
  all.insert(all.end(), target.canary_replicas.begin(), target.canary_replicas.end());
  auto lb = local::make_load_balancer(target, all);
  std::optional<Error> broken;
  if (!lb.ok()) broken = lb.error();
  auto fleet = std::make_unique<local::Fleet>(target, !target.canary_replicas.empty(), context.state_dir, plan.name,
                                              lb.ok() ? std::move(*lb) : nullptr, context.note, context.before_write);
  return std::make_unique<LocalHost>(std::move(fleet), broken);
}

}  // namespace rollout::actuators
