#include "sandbox/workload_controllers.hpp"

#include <cmath>
#include <ctime>
#include <map>
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

class PodController : public Controller {
 public:
  explicit PodController(std::shared_ptr<PodRuntimes> runtimes) : runtimes_(std::move(runtimes)) {}
  const char* name() const override { return "pods"; }

  void reconcile(ControllerContext& ctx) override {
    std::set<std::string> owners;
    for (const char* kind : {"ReplicaSet", "ModelServing", "ModelInfer", "LeaderWorkerSet"})
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
      // imageID is required in the API (the Python client refuses a status without it); the
      // kubelet leaves it empty until the image is pulled, then names the pulled image.
      json cs = {{"name", c.value("name", "")},
                 {"image", c.value("image", "")},
                 {"imageID", started ? "docker.io/" + c.value("image", "") : ""},
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

std::unique_ptr<Controller> make_pod_controller(std::shared_ptr<PodRuntimes> runtimes) {
  return std::make_unique<PodController>(std::move(runtimes));
}

}  // namespace rollout::sandbox
