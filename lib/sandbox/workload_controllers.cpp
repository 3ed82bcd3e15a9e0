#include "sandbox/workload_controllers.hpp"

#include <cmath>
#include <ctime>
#include <map>
#include <random>
#include <set>

#include "sandbox/pod_knobs.hpp"

namespace rollout::sandbox {

using nlohmann::json;

std::string template_hash(const json& tmpl) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (char c : tmpl.dump()) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  const char* alphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (int i = 0; i < 10; ++i, h /= 27) out += alphabet[h % 27];
  return out;
}

int int_or_percent(const json& v, int replicas, bool round_up, int fallback) {
  if (v.is_number_integer()) return v.get<int>();
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    if (!s.empty() && s.back() == '%') {
      double x = std::strtod(s.c_str(), nullptr) * replicas / 100.0;
      return static_cast<int>(round_up ? std::ceil(x) : std::floor(x));
    }
    return std::atoi(s.c_str());
  }
  return fallback;
}

bool pod_ready(const json& pod) {
  for (const auto& c : pod.value("status", json::object()).value("conditions", json::array()))
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  return false;
}

std::vector<json> owned_pods(ControllerContext& ctx, const json& owner) {
  std::vector<json> out;
  const std::string uid = owner["metadata"].value("uid", "");
  for (auto& pod : ctx.all("v1", "Pod")) {
    for (const auto& ref : pod["metadata"].value("ownerReferences", json::array()))
      if (ref.value("uid", "") == uid) out.push_back(pod);
  }
  return out;
}

namespace {

std::string random_suffix() {
  static thread_local std::mt19937 rng{std::random_device{}()};
  const char* alphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string s;
  for (int i = 0; i < 5; ++i) s += alphabet[rng() % 27];
  return s;
}

class DeploymentController : public Controller {
 public:
  const char* name() const override { return "deployment"; }

  void reconcile(ControllerContext& ctx) override {
    for (const auto& d : ctx.all("apps/v1", "Deployment")) reconcile_one(ctx, d);
  }

 private:
  void create_pod(ControllerContext& ctx, const json& d, const std::string& hash) {
    const json tmpl = d["spec"].value("template", json::object());
    json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", tmpl.value("metadata", json::object())},
                {"spec", tmpl.value("spec", json::object())}};
    const std::string dname = d["metadata"]["name"];
    pod["metadata"]["name"] = dname + "-" + hash + "-" + random_suffix();
    pod["metadata"]["labels"]["pod-template-hash"] = hash;
    pod["metadata"]["ownerReferences"] = {{{"apiVersion", "apps/v1"},
                                           {"kind", "Deployment"},
                                           {"name", dname},
                                           {"uid", d["metadata"]["uid"]},
                                           {"controller", true}}};
    (void)ctx.store.create(*ctx.type("v1", "Pod"), d["metadata"]["namespace"], pod, {});
  }

  void delete_pod(ControllerContext& ctx, const json& pod) {
    (void)ctx.store.remove(*ctx.type("v1", "Pod"), pod["metadata"]["namespace"], pod["metadata"]["name"], {});
  }

  void reconcile_one(ControllerContext& ctx, const json& d) {
    const json spec = d.value("spec", json::object());
    const int replicas = spec.value("replicas", 1);
    const std::string hash = template_hash(spec.value("template", json::object()));
    const json rolling = spec.value("strategy", json::object()).value("rollingUpdate", json::object());
    const bool recreate = spec.value("strategy", json::object()).value("type", "RollingUpdate") == "Recreate";
    int surge = recreate ? 0 : int_or_percent(rolling.value("maxSurge", json("25%")), replicas, true, 1);
    int unavailable =
        recreate ? replicas : int_or_percent(rolling.value("maxUnavailable", json("25%")), replicas, false, 0);
    if (surge == 0 && unavailable == 0) unavailable = 1;
    std::vector<json> fresh, old;
    for (auto& p : owned_pods(ctx, d))
      (p["metadata"].value("labels", json::object()).value("pod-template-hash", "") == hash ? fresh : old).push_back(p);
    auto ready = [](const std::vector<json>& ps) {
      return static_cast<int>(std::count_if(ps.begin(), ps.end(), pod_ready));
    };
    // Scale the new version up within maxSurge, and old pods down within maxUnavailable.
    const int total = static_cast<int>(fresh.size() + old.size());
    int room = std::max(0, replicas + surge - total);
    for (int i = static_cast<int>(fresh.size()); i < replicas && room > 0; ++i, --room) create_pod(ctx, d, hash);
    while (static_cast<int>(fresh.size()) > replicas) {
      delete_pod(ctx, fresh.back());
      fresh.pop_back();
    }
    int removable = ready(fresh) + ready(old) - (replicas - unavailable);
    std::stable_partition(old.begin(), old.end(), [](const json& p) { return !pod_ready(p); });
    for (auto& p : old) {
      if (!pod_ready(p) || removable > 0) {
        if (pod_ready(p)) --removable;
        delete_pod(ctx, p);
      }
    }
    write_status(ctx, d, replicas, unavailable, owned_pods(ctx, d), hash);
  }

  void write_status(ControllerContext& ctx, const json& d, int replicas, int max_unavailable,
                    const std::vector<json>& pods, const std::string& hash) {
    int updated = 0, ready_count = 0, ready_updated = 0;
    for (const auto& p : pods) {
      bool is_new = p["metadata"].value("labels", json::object()).value("pod-template-hash", "") == hash;
      updated += is_new;
      ready_count += pod_ready(p);
      ready_updated += is_new && pod_ready(p);
    }
    const int64_t gen = d["metadata"].value("generation", int64_t{1});
    const bool complete = updated == replicas && static_cast<int>(pods.size()) == replicas && ready_updated == replicas;
    const std::string now = ctx.timestamp();
    json status = {{"observedGeneration", gen},
                   {"replicas", pods.size()},
                   {"updatedReplicas", updated},
                   {"readyReplicas", ready_count},
                   {"availableReplicas", ready_count},
                   {"unavailableReplicas", std::max(0, replicas - ready_count)},
                   {"conditions",
                    {condition("Available", ready_count >= replicas - max_unavailable,
                               ready_count >= replicas - max_unavailable ? "MinimumReplicasAvailable"
                                                                         : "MinimumReplicasUnavailable",
                               "Deployment has " + std::to_string(ready_count) + " available replicas", gen, now),
                     condition("Progressing", true, complete ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
                               complete ? "rollout complete" : "rollout in progress", gen, now)}}};
    for (auto& c : status["conditions"]) c.erase("observedGeneration");
    if (ready_count == 0) status.erase("readyReplicas"), status.erase("availableReplicas");
    ctx.set_status(d, status);
  }
};

class PodController : public Controller {
 public:
  explicit PodController(std::shared_ptr<PodRuntimes> runtimes) : runtimes_(std::move(runtimes)) {}
  const char* name() const override { return "pods"; }

  void reconcile(ControllerContext& ctx) override {
    std::set<std::string> owners;
    for (const char* kind : {"Deployment", "ModelServing", "ModelInfer", "LeaderWorkerSet"})
      for (const auto& api : {"apps/v1", "workload.serving.volcano.sh/v1alpha1", "workload.matrixinfer.ai/v1alpha1",
                              "leaderworkerset.x-k8s.io/v1"})
        for (const auto& o : ctx.all(api, kind)) owners.insert(o["metadata"].value("uid", ""));
    std::set<std::string> alive;
    for (const auto& pod : ctx.all("v1", "Pod")) {
      const json refs = pod["metadata"].value("ownerReferences", json::array());
      if (!refs.empty() && !owners.count(refs[0].value("uid", ""))) {  // garbage collection
        (void)ctx.store.remove(*ctx.type("v1", "Pod"), pod["metadata"]["namespace"], pod["metadata"]["name"], {});
        continue;
      }
      alive.insert(pod["metadata"].value("uid", ""));
      advance(ctx, pod);
    }
    runtimes_->retain(alive);
  }

 private:
  void advance(ControllerContext& ctx, const json& pod) {
    const PodKnobs k = knobs_of(pod);
    auto server = runtimes_->ensure(pod);
    const std::string created = pod["metadata"].value("creationTimestamp", "");
    const bool started = server->started();
    const bool ready = server->ready() && !k.crash_on_start;
    const std::string now = ctx.timestamp();
    json containers = json::array();
    for (const auto& c : pod["spec"].value("containers", json::array())) {
      json cs = {{"name", c.value("name", "")},
                 {"image", c.value("image", "")},
                 {"ready", ready},
                 {"restartCount", k.crash_on_start && started ? 1 : 0},
                 {"started", started}};
      cs["state"] =
          ready
              ? json{{"running", {{"startedAt", created}}}}
              : json{{"waiting", {{"reason", k.crash_on_start && started ? "CrashLoopBackOff" : "ContainerCreating"}}}};
      containers.push_back(cs);
    }
    json status = {{"phase", started ? "Running" : "Pending"},
                   {"podIP", "127.0.0.1"},
                   {"hostIP", "127.0.0.1"},
                   {"startTime", created},
                   {"containerStatuses", containers},
                   {"conditions",
                    {condition("PodScheduled", true, "", "", 0, now), condition("Initialized", true, "", "", 0, now),
                     condition("ContainersReady", ready, "", "", 0, now), condition("Ready", ready, "", "", 0, now)}}};
    for (auto& c : status["conditions"]) {
      c.erase("observedGeneration");
      c.erase("reason");
      c.erase("message");
    }
    ctx.set_status(pod, status);
  }

  std::shared_ptr<PodRuntimes> runtimes_;
};

}  // namespace

std::unique_ptr<Controller> make_deployment_controller() {
  return std::make_unique<DeploymentController>();
}
std::unique_ptr<Controller> make_pod_controller(std::shared_ptr<PodRuntimes> runtimes) {
  return std::make_unique<PodController>(std::move(runtimes));
}

}  // namespace rollout::sandbox
