#include "sandbox/replicaset_controller.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <set>

#include "sandbox/controller_ref.hpp"
#include "sandbox/deployment_util.hpp"
#include "sandbox/workload_controllers.hpp"

namespace rollout::sandbox {

using nlohmann::json;

namespace {

json ready_condition(const json& pod) {
  for (const auto& c : pod.value("status", json::object()).value("conditions", json::array()))
    if (c.value("type", "") == "Ready") return c;
  return json::object();
}

std::time_t parse_time(const std::string& s) {
  std::tm tm{};
  if (s.empty() || !strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm)) return 0;
  return timegm(&tm);
}

// podutil.IsPodAvailable: Ready for at least minReadySeconds.
bool pod_available(const json& pod, int min_ready_seconds, std::time_t now) {
  if (!pod_ready(pod)) return false;
  if (min_ready_seconds == 0) return true;
  const std::time_t since = parse_time(ready_condition(pod).value("lastTransitionTime", ""));
  return since != 0 && since + min_ready_seconds < now;
}

int phase_rank(const json& pod) {  // PodPending < PodUnknown < PodRunning
  const std::string phase = pod.value("status", json::object()).value("phase", "");
  return phase == "Running" ? 2 : phase == "Unknown" ? 1 : 0;
}

int restarts(const json& pod) {
  int n = 0;
  for (const auto& c : pod.value("status", json::object()).value("containerStatuses", json::array()))
    n += c.value("restartCount", 0);
  return n;
}

int64_t deletion_cost(const json& pod) {
  const std::string v = pod["metadata"].value("annotations", json::object())
                            .value("controller.kubernetes.io/pod-deletion-cost", "0");
  return std::atoll(v.c_str());
}

// controller.ActivePodsWithRanks.Less: true when `a` should be deleted before `b`.
bool delete_first(const json& a, const json& b) {
  const bool a_assigned = !a["spec"].value("nodeName", "").empty(), b_assigned = !b["spec"].value("nodeName", "").empty();
  if (a_assigned != b_assigned) return !a_assigned;  // 1. unassigned first
  if (phase_rank(a) != phase_rank(b)) return phase_rank(a) < phase_rank(b);  // 2. pending first
  if (pod_ready(a) != pod_ready(b)) return !pod_ready(a);                     // 3. not ready first
  if (deletion_cost(a) != deletion_cost(b)) return deletion_cost(a) < deletion_cost(b);  // 4. pod-deletion-cost
  // 5. (pods doubled up on a node) is equal here: every sandbox pod shares the one node.
  if (pod_ready(a) && pod_ready(b)) {  // 6. ready for less time first
    const std::string ta = ready_condition(a).value("lastTransitionTime", ""),
                      tb = ready_condition(b).value("lastTransitionTime", "");
    if (ta != tb) return ta > tb;
  }
  if (restarts(a) != restarts(b)) return restarts(a) > restarts(b);  // 7. more restarts first
  const std::string ca = a["metadata"].value("creationTimestamp", ""),
                    cb = b["metadata"].value("creationTimestamp", "");
  return ca > cb;  // 8. newer first
}

bool active(const json& pod) {  // controller.IsPodActive
  const std::string phase = pod.value("status", json::object()).value("phase", "");
  return phase != "Succeeded" && phase != "Failed" && !pod["metadata"].contains("deletionTimestamp");
}

class ReplicaSetController final : public Controller {
 public:
  const char* name() const override { return "replicaset"; }

  void reconcile(ControllerContext& ctx) override {
    const auto rs_type = *ctx.type("apps/v1", "ReplicaSet");
    std::set<std::string> deployments;
    for (const auto& d : ctx.all("apps/v1", "Deployment")) deployments.insert(deploy::uid_of(d));
    for (const auto& rs : ctx.all("apps/v1", "ReplicaSet")) {
      auto ref = controller_of(rs);
      if (ref && ref->value("kind", "") == "Deployment" && !deployments.count(ref->value("uid", ""))) {
        // The garbage collector: a dependent whose owner is gone is deleted (cascading).
        (void)ctx.store.remove(rs_type, rs["metadata"].value("namespace", ""), deploy::name_of(rs), {});
        continue;
      }
      sync(ctx, rs);
    }
  }

 private:
  // syncReplicaSet: claim the active pods, manage replicas, then status from what was claimed.
  void sync(ControllerContext& ctx, const json& rs) {
    const auto pod_type = *ctx.type("v1", "Pod");
    const std::string ns = rs["metadata"].value("namespace", "");
    std::vector<json> candidates;
    for (const auto& p : ctx.store.objects(pod_type, ns))
      if (active(*p)) candidates.push_back(*p);
    const json selector = rs["spec"].value("selector", json::object());
    const auto pods = claim_objects(ctx, pod_type, rs, selector, candidates);
    manage_replicas(ctx, rs, pods);
    write_status(ctx, rs, pods);
  }

  // manageReplicas: create from the template, or delete the pods getPodsToDelete ranks first.
  void manage_replicas(ControllerContext& ctx, const json& rs, std::vector<json> pods) {
    const auto pod_type = *ctx.type("v1", "Pod");
    const std::string ns = rs["metadata"].value("namespace", "");
    const int diff = static_cast<int>(pods.size()) - deploy::spec_replicas(rs);
    for (int i = 0; i < -diff; ++i) (void)ctx.store.create(pod_type, ns, pod_from_template(rs), {});
    if (diff <= 0) return;
    std::stable_sort(pods.begin(), pods.end(), delete_first);
    for (int i = 0; i < diff; ++i) (void)ctx.store.remove(pod_type, ns, deploy::name_of(pods[i]), {});
  }

  // controller.GetPodFromTemplate.
  static json pod_from_template(const json& rs) {
    const json tmpl = rs["spec"].value("template", json::object());
    const json meta = tmpl.value("metadata", json::object());
    json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata",
                 {{"generateName", deploy::name_of(rs) + "-"},
                  {"labels", meta.value("labels", json::object())},
                  {"ownerReferences", {controller_ref(rs)}}}},
                {"spec", tmpl.value("spec", json::object())}};
    if (meta.contains("annotations")) pod["metadata"]["annotations"] = meta["annotations"];
    if (meta.contains("finalizers")) pod["metadata"]["finalizers"] = meta["finalizers"];
    return pod;
  }

  // calculateStatus + updateReplicaSetStatus (zero counts but replicas left out, as omitempty does).
  static void write_status(ControllerContext& ctx, const json& rs, const std::vector<json>& pods) {
    const json template_labels = rs["spec"].value("template", json::object())
                                     .value("metadata", json::object())
                                     .value("labels", json::object());
    const int min_ready = rs["spec"].value("minReadySeconds", 0);
    const std::time_t now = std::chrono::system_clock::to_time_t(ctx.now());
    int labeled = 0, ready = 0, available = 0;
    for (const auto& p : pods) {
      const json labels = p["metadata"].value("labels", json::object());
      bool all = true;
      for (const auto& [k, v] : template_labels.items()) all = all && labels.contains(k) && labels[k] == v;
      labeled += all;
      ready += pod_ready(p);
      available += pod_available(p, min_ready, now);
    }
    json s = rs.value("status", json::object());
    s["replicas"] = pods.size();
    auto put = [&s](const char* k, int n) {
      if (n != 0)
        s[k] = n;
      else
        s.erase(k);
    };
    put("fullyLabeledReplicas", labeled);
    put("readyReplicas", ready);
    put("availableReplicas", available);
    s["observedGeneration"] = rs["metadata"].value("generation", int64_t{1});
    ctx.set_status(rs, s);
  }
};

}  // namespace

std::unique_ptr<Controller> make_replica_set_controller() {
  return std::make_unique<ReplicaSetController>();
}

}  // namespace rollout::sandbox
