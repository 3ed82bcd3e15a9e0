// plan new rolling: a ModelServing, ModelInfer, LeaderWorkerSet or Deployment, its replicas as a
// batch schedule (one, then half, then all, with a pause after the first) and its template with
// the model-server image replaced by --image (or marked for the user to change).
#include "actuators/live.hpp"
#include "actuators/scaffold_parts.hpp"

namespace rollout::actuators::scaffold {

using nlohmann::json;

namespace {

struct Workload {
  const char* flag;
  const char* api_version;
  const char* kind;
  const char* template_key;  // spec.<key> is the plan's template
  const char* unit;          // what a replica is
};

const Workload kModelServing{"--model-serving", "workload.serving.volcano.sh/v1alpha1", "ModelServing", "template",
                             "serving groups"};
const Workload kModelInfer{"--model-infer", "workload.matrixinfer.ai/v1alpha1", "ModelInfer", "template",
                           "infer groups"};
const Workload kLws{"--leader-worker-set", "leaderworkerset.x-k8s.io/v1", "LeaderWorkerSet", "leaderWorkerTemplate",
                    "groups"};
const Workload kDeployment{"--deployment", "apps/v1", "Deployment", "template", "pods"};

// Every container list anywhere in a template (pod templates, roles' entry and worker templates,
// leader and worker templates).
void containers_in(json& node, std::vector<json*>& out) {
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it.key() == "containers" && it.value().is_array())
        for (auto& c : it.value()) out.push_back(&c);
      else
        containers_in(it.value(), out);
    }
  } else if (node.is_array()) {
    for (auto& e : node) containers_in(e, out);
  }
}

// The server the template runs, judged over all of its containers at once.
ModelServerGuess template_server(json& tmpl) {
  std::vector<json*> containers;
  containers_in(tmpl, containers);
  json spec = {{"containers", json::array()}};
  for (const json* c : containers) spec["containers"].push_back(*c);
  return detect_model_server(spec);
}

// 1, about half, all: each batch larger than the one before.
std::vector<plan::Step> batches(int replicas, const std::vector<std::string>& measured) {
  const std::vector<std::string> last = {measured.empty() ? "canary-health" : measured.front()};
  const std::vector<std::string> gates = measured.empty() ? last : measured;
  std::vector<plan::Step> out = {step(plan::UpdateReplicas{1, false})};
  if (replicas <= 1) {
    out.push_back(step(analysis(last, 5)));
    return out;
  }
  out.push_back(step(analysis(gates, 10)));
  out.push_back(step(plan::Pause{}));
  const int half = (replicas + 1) / 2;
  if (half > 1 && half < replicas) {
    out.push_back(step(plan::UpdateReplicas{half, false}));
    out.push_back(step(analysis(gates, 10)));
  }
  out.push_back(step(plan::UpdateReplicas{replicas, false}));
  out.push_back(step(analysis(last, 5)));
  return out;
}

const Workload& workload_of(const ScaffoldRequest& r, std::string& name) {
  if (!r.model_serving.empty()) return name = r.model_serving, kModelServing;
  if (!r.model_infer.empty()) return name = r.model_infer, kModelInfer;
  if (!r.leader_worker_set.empty()) return name = r.leader_worker_set, kLws;
  return name = r.deployment, kDeployment;
}

plan::Target target_for(const Workload& w, const std::string& name, json tmpl) {
  if (&w == &kDeployment) return plan::DeploymentTarget{name, std::move(tmpl)};
  if (&w == &kLws) return plan::LeaderWorkerSetTarget{name, std::move(tmpl)};
  plan::ModelServingTarget t;
  t.name = name;
  t.api_version = w.api_version;
  t.template_ = std::move(tmpl);
  return t;
}

}  // namespace

Result<plan::Scaffold> rolling(k8s::Client& client, const ScaffoldRequest& r) {
  std::string name;
  const Workload& w = workload_of(r, name);
  auto obj = get_object(client, w.api_version, w.kind, r.ns, name);
  if (!obj.ok()) return obj.error();
  const json spec = obj->value("spec", json::object());
  json tmpl = spec.value(w.template_key, json::object());
  if (!tmpl.is_object() || tmpl.empty())
    return make_error(ErrorKind::invalid, std::string(w.kind) + " " + name + ": spec." + w.template_key + " is empty");
  const int replicas = spec.value("replicas", 1);
  const ModelServerGuess server = template_server(tmpl);

  plan::Scaffold s;
  s.plan.name = r.name.empty() ? plan_name(name, "-rolling") : r.name;
  s.plan.strategy = plan::Strategy::rolling;
  const std::string key = std::string("spec.target.") + (&w == &kDeployment ? "deployment"
                                                         : &w == &kLws      ? "leaderWorkerSet"
                                                                            : "modelServing");
  std::string image_line;
  if (!server.image.empty()) {
    std::vector<json*> containers;
    containers_in(tmpl, containers);
    const std::string image = r.image.empty() ? server.image : r.image;
    for (json* c : containers)
      if (c->value("image", "") == server.image) (*c)["image"] = image;
    s.template_notes.push_back({"image: " + image, r.image.empty() ? "EDIT: the new image (today's)"
                                                                   : "the new image (was " + server.image + ")"});
    image_line = r.image.empty() ? "the image: it is today's " + server.image + " (no --image given)"
                                 : "the image: " + server.image + " -> " + r.image + " (--image)";
  } else if (!r.image.empty()) {
    return make_error(ErrorKind::invalid, std::string(w.kind) + " " + name +
                                              ": no model-server container found in spec." + w.template_key +
                                              " to give --image " + r.image + ": edit the template yourself");
  }
  s.plan.target = target_for(w, name, std::move(tmpl));
  s.notes[key + ".template"] = "the complete new spec." + std::string(w.template_key) + ": today's, edited";
  s.notes[key + ".readyTimeout"] = "released " + std::string(w.unit) + " not Ready by then fail the step";

  std::vector<std::string> measured;
  s.plan.gates = gates_for(r, server.engine, replicas > 1, measured);
  s.plan.steps = batches(replicas, measured);
  s.plan.background = {measured.empty() ? "canary-health" : measured.front()};
  if (!measured.empty()) s.plan.background.push_back("canary-health");
  s.plan.progress_deadline = Duration(3 * 3600 * 1000);
  if (replicas > 1)
    s.notes["spec.steps[2]"] = "one of " + std::to_string(replicas) + " on the new version: look, then promote";

  s.header = {"Rolling update of " + std::string(w.kind) + " " + name + " (written by `rollout plan new`)", "",
              "Found in namespace " + r.ns + ":",
              "  - " + std::string(w.kind) + " " + name + " (" + w.api_version + "), " + std::to_string(replicas) +
                  " " + w.unit + " (spec.replicas): updated 1, then about half, then all;",
              "  - its spec." + std::string(w.template_key) + " is the target's template below, with " +
                  (image_line.empty() ? "no model-server image recognised" : image_line) + "."};
  add_detection(s, server);
  s.header.push_back("What to edit: the template (the change being rolled out), the batches in steps, analysis");
  s.header.push_back("  durations, gate limits. Gates compare the updated " + std::string(w.unit) +
                     " (canary) with the others (stable).");
  add_how_to_run(s, replicas > 1);
  return s;
}

}  // namespace rollout::actuators::scaffold
