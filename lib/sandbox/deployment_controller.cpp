#include "sandbox/deployment_controller.hpp"

#include <chrono>
#include <set>

#include "sandbox/controller_ref.hpp"
#include "sandbox/deployment_sync.hpp"

namespace rollout::sandbox {

using nlohmann::json;
using namespace deploy;

namespace {

// One sync of one Deployment (syncDeployment), over the ReplicaSets it controls. Every write is
// conditional on the resourceVersion read (as the real controller's Update calls are): a conflict
// with another writer ends this sync, and the next pass starts over from fresh reads.
class DeploymentSync {
 public:
  DeploymentSync(ControllerContext& ctx, json d)
      : ctx_(ctx),
        d_(std::move(d)),
        ns_(d_["metadata"].value("namespace", "")),
        rs_type_(*ctx.type("apps/v1", "ReplicaSet")),
        d_type_(*ctx.type("apps/v1", "Deployment")) {}

  void run() {
    const json selector = d_["spec"].value("selector", json::object());
    if (selector.is_object() && selector.empty()) {  // selects everything: refuse to act
      json s = d_.value("status", json::object());
      s["observedGeneration"] = d_["metadata"].value("generation", int64_t{1});
      (void)write_status(s);
      return;
    }
    claim_replica_sets(selector);
    if (auto s = paused_condition_status(d_, now())) {  // checkPausedConditions
      if (!write_status(*s)) return;
    }
    if (paused(d_)) return sync();
    if (is_scaling_event()) return sync();
    if (is_rolling_update(d_)) return rollout_rolling();
    rollout_recreate();
  }

 private:
  std::string now() const { return ctx_.timestamp(); }

  // getReplicaSetsForDeployment: every ReplicaSet of the namespace through ClaimReplicaSets.
  void claim_replica_sets(const json& selector) {
    std::vector<json> candidates;
    for (const auto& rs : ctx_.store.objects(rs_type_, ns_)) candidates.push_back(*rs);
    rs_list_ = claim_objects(ctx_, rs_type_, d_, selector, candidates);
  }

  void remember(const json& rs) {
    for (auto& r : rs_list_)
      if (uid_of(r) == uid_of(rs)) r = rs;
  }

  // UpdateStatus of a Deployment also takes its annotations (the revision): see the status strategy
  // of pkg/registry/apps/deployment/strategy.go, mirrored in the store.
  bool write_status(const json& status, const json* annotations = nullptr) {
    json updated = d_;
    updated["status"] = status;
    if (annotations) updated["metadata"]["annotations"] = *annotations;
    if (updated == d_) return true;
    WriteOptions o;
    o.status = true;
    auto r = ctx_.store.update(d_type_, ns_, name_of(d_), updated, o);
    if (!r.ok()) return ok_ = false;
    d_ = *r;
    return true;
  }

  bool write_rs(const json& rs) {
    auto r = ctx_.store.update(rs_type_, ns_, name_of(rs), rs, {});
    if (!r.ok()) return ok_ = false;
    remember(*r);
    return true;
  }

  // scaleReplicaSet: the new size and the desired-/max-replicas annotations, in one update.
  bool scale_replica_set(const json& rs, int replicas) {
    json copy = rs;
    const bool resize = spec_replicas(rs) != replicas;
    const bool annotate = set_replicas_annotations(copy, spec_replicas(d_), spec_replicas(d_) + max_surge(d_));
    if (!resize && !annotate) return false;
    copy["spec"]["replicas"] = replicas;
    return write_rs(copy) && resize;
  }

  // scaleReplicaSetAndRecordEvent: nothing at all when the size is already right.
  bool scale_if_needed(const json& rs, int replicas) {
    return spec_replicas(rs) != replicas && scale_replica_set(rs, replicas);
  }

  struct Sets {
    std::optional<json> new_rs;
    RSList old;
    RSList all() const {
      RSList a = old;
      if (new_rs) a.push_back(*new_rs);
      return a;
    }
  };

  // getAllReplicaSetsAndSyncRevision.
  std::optional<Sets> get_all(bool create) {
    Sets s;
    s.old = find_old_replica_sets(d_, rs_list_).second;
    auto new_rs = get_new_replica_set(s.old, create);
    if (!ok_) return std::nullopt;
    s.new_rs = new_rs;
    return s;
  }

  // getNewReplicaSet, for a ReplicaSet that exists: its annotations and minReadySeconds synced,
  // then the Deployment's revision (and FoundNewReplicaSet if no Progressing condition yet).
  std::optional<json> sync_existing_new_rs(json rs, const std::string& new_revision) {
    const bool annotated = set_new_replica_set_annotations(d_, rs, new_revision, true);
    const json min_ready = d_["spec"].value("minReadySeconds", json(0));
    if (annotated || rs["spec"].value("minReadySeconds", json(0)) != min_ready) {
      rs["spec"]["minReadySeconds"] = min_ready;
      if (!write_rs(rs)) return std::nullopt;
      for (const auto& r : rs_list_)
        if (uid_of(r) == uid_of(rs)) return r;
    }
    json ann = d_["metadata"].value("annotations", json::object());
    ann[kRevision] = annotation(rs, kRevision);
    json status = d_.value("status", json::object());
    if (d_["spec"].contains("progressDeadlineSeconds") && !get_condition(status, "Progressing"))
      set_condition(status, new_condition("Progressing", "True", "FoundNewReplicaSet",
                                          "Found new replica set \"" + name_of(rs) + "\"", now()));
    if (!write_status(status, &ann)) return std::nullopt;
    return rs;
  }

  std::optional<json> get_new_replica_set(const RSList& old, bool create) {
    const std::string new_revision = std::to_string(max_revision(old) + 1);
    if (auto existing = find_new_replica_set(d_, rs_list_)) return sync_existing_new_rs(*existing, new_revision);
    if (!create) return std::nullopt;
    return create_new_rs(old, new_revision);
  }

  json new_rs_object(const RSList& old, const std::string& new_revision) {
    json tmpl = d_["spec"].value("template", json::object());
    std::optional<int> collisions;
    if (d_.value("status", json::object()).contains("collisionCount"))
      collisions = d_["status"]["collisionCount"].get<int>();
    const std::string hash = compute_hash(tmpl, collisions);
    tmpl["metadata"]["labels"][kHashLabel] = hash;
    json selector = d_["spec"].value("selector", json::object());
    selector["matchLabels"][kHashLabel] = hash;
    json rs = {{"apiVersion", "apps/v1"},
               {"kind", "ReplicaSet"},
               {"metadata",
                {{"name", name_of(d_) + "-" + hash},
                 {"namespace", ns_},
                 {"labels", tmpl["metadata"]["labels"]},
                 {"ownerReferences", {controller_ref(d_)}}}},
               {"spec",
                {{"replicas", 0},
                 {"minReadySeconds", d_["spec"].value("minReadySeconds", 0)},
                 {"selector", selector},
                 {"template", tmpl}}}};
    RSList all = old;
    all.push_back(rs);
    rs["spec"]["replicas"] = new_rs_new_replicas(d_, all, rs);
    (void)set_new_replica_set_annotations(d_, rs, new_revision, false);
    return rs;
  }

  // getNewReplicaSet's creation: an existing object of that name is ours if it has our template
  // and controllerRef; otherwise it is a hash collision, resolved by bumping status.collisionCount.
  std::optional<json> create_new_rs(const RSList& old, const std::string& new_revision) {
    json rs = new_rs_object(old, new_revision);
    auto created = ctx_.store.create(rs_type_, ns_, rs, {});
    bool already_exists = false;
    if (!created.ok() && created.error().code == 409) {
      auto found = ctx_.store.get(rs_type_, ns_, name_of(rs));
      auto ref = found.ok() ? controller_of(*found) : std::nullopt;
      if (!found.ok() || !ref || ref->value("uid", "") != uid_of(d_) ||
          !equal_ignore_hash(d_["spec"]["template"], (*found)["spec"]["template"])) {
        json status = d_.value("status", json::object());
        status["collisionCount"] = status.value("collisionCount", 0) + 1;
        (void)write_status(status);
        ok_ = false;
        return std::nullopt;
      }
      created = *found;
      already_exists = true;
    } else if (!created.ok()) {
      json status = d_.value("status", json::object());
      set_condition(status, new_condition("Progressing", "False", "ReplicaSetCreateError",
                                          "Failed to create new replica set \"" + name_of(rs) +
                                              "\": " + created.error().message,
                                          now()));
      (void)write_status(status);
      ok_ = false;
      return std::nullopt;
    }
    if (!already_exists) rs_list_.push_back(*created);
    json ann = d_["metadata"].value("annotations", json::object());
    ann[kRevision] = new_revision;
    json status = d_.value("status", json::object());
    if (!already_exists && d_["spec"].contains("progressDeadlineSeconds"))
      set_condition(status, new_condition("Progressing", "True", "NewReplicaSetCreated",
                                          "Created new replica set \"" + name_of(*created) + "\"", now()));
    if (!write_status(status, &ann)) return std::nullopt;
    return *created;
  }

  // isScalingEvent: an active ReplicaSet's desired-replicas differs from spec.replicas.
  bool is_scaling_event() {
    auto s = get_all(false);
    if (!s) return false;
    for (const auto& rs : filter_active(s->all())) {
      const std::string desired = annotation(rs, kDesiredReplicas);
      if (!desired.empty() && std::atoi(desired.c_str()) != spec_replicas(d_)) return true;
    }
    return false;
  }

  // sync: scale, then (paused and no rollback pending) clean up, then status without progress.
  void sync() {
    auto s = get_all(false);
    if (!s) return;
    for (const auto& a : plan_scale(d_, s->new_rs, s->old)) {
      (void)scale_replica_set(a.rs, a.replicas);
      if (!ok_) return;
    }
    s = get_all(false);  // the sizes just written
    if (!s) return;
    if (paused(d_) && !cleanup(s->old)) return;
    (void)write_status(calculate_status(s->all(), s->new_rs, d_, now()));
  }

  bool cleanup(const RSList& old) {
    for (const auto& name : plan_cleanup(d_, old)) {
      auto r = ctx_.store.remove(rs_type_, ns_, name, {});
      if (!r.ok() && r.error().code != 404) return false;
    }
    return true;
  }

  void sync_rollout_status(const Sets& s) {
    const auto t = std::chrono::system_clock::to_time_t(ctx_.now());
    (void)write_status(rollout_status(s.all(), s.new_rs, d_, now(), t));
  }

  void status_now() {
    if (auto s = get_all(false)) sync_rollout_status(*s);
  }

  // rolling.go rolloutRolling: scale up, else scale down, else (complete) clean up.
  void rollout_rolling() {
    auto s = get_all(true);
    if (!s || !s->new_rs) return;
    if (auto n = plan_new_replica_set(d_, s->all(), *s->new_rs)) {
      const bool scaled = scale_if_needed(*s->new_rs, *n);
      if (!ok_) return;
      if (scaled) return status_now();
    }
    bool scaled_down = false;
    for (const auto& a : plan_old_replica_sets(d_, s->all(), filter_active(s->old), *s->new_rs)) {
      scaled_down = scale_if_needed(a.rs, a.replicas) || scaled_down;
      if (!ok_) return;
    }
    s = get_all(false);
    if (!s) return;
    if (!scaled_down && deployment_complete(d_, d_.value("status", json::object())) && !cleanup(s->old)) return;
    sync_rollout_status(*s);
  }

  // recreate.go oldPodsRunning: old ReplicaSets report pods, or any pod of theirs is not finished.
  bool old_pods_running(const Sets& s) {
    if (actual_count(s.old) > 0) return true;
    std::set<std::string> old_uids;
    for (const auto& rs : s.old) old_uids.insert(uid_of(rs));
    for (const auto& pod : ctx_.store.objects(*ctx_.type("v1", "Pod"), ns_)) {
      auto ref = controller_of(*pod);
      if (!ref || !old_uids.count(ref->value("uid", ""))) continue;
      const std::string phase = (*pod).value("status", json::object()).value("phase", "");
      if (phase != "Failed" && phase != "Succeeded") return true;
    }
    return false;
  }

  // recreate.go rolloutRecreate: old ones to 0, wait for their pods to go, then the new one up.
  void rollout_recreate() {
    auto s = get_all(false);
    if (!s) return;
    bool scaled_down = false;
    for (const auto& rs : filter_active(s->old)) {
      scaled_down = scale_if_needed(rs, 0) || scaled_down;
      if (!ok_) return;
    }
    if (scaled_down || old_pods_running(*s)) return status_now();
    if (!s->new_rs) s = get_all(true);
    if (!s || !s->new_rs) return;
    (void)scale_if_needed(*s->new_rs, spec_replicas(d_));
    if (!ok_) return;
    s = get_all(false);
    if (!s) return;
    if (deployment_complete(d_, d_.value("status", json::object())) && !cleanup(s->old)) return;
    sync_rollout_status(*s);
  }

  ControllerContext& ctx_;
  json d_;
  std::string ns_;
  ResourceType rs_type_, d_type_;
  RSList rs_list_;
  bool ok_ = true;  // false once a write failed: stop, the next pass retries
};

class DeploymentController final : public Controller {
 public:
  const char* name() const override { return "deployment"; }
  void reconcile(ControllerContext& ctx) override {
    for (auto& d : ctx.all("apps/v1", "Deployment")) DeploymentSync(ctx, std::move(d)).run();
  }
};

}  // namespace

std::unique_ptr<Controller> make_deployment_controller() {
  return std::make_unique<DeploymentController>();
}

}  // namespace rollout::sandbox
