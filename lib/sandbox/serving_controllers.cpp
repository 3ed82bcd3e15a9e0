#include "sandbox/serving_controllers.hpp"

#include <algorithm>
#include <cctype>

#include "sandbox/group_workload.hpp"
#include "sandbox/workload_controllers.hpp"

namespace rollout::sandbox {

using nlohmann::json;

namespace {

// Readers that tolerate any shape: objects are not validated against a schema in the sandbox.
json object_at(const json& o, const char* key) {
  if (!o.is_object()) return json::object();
  auto it = o.find(key);
  return it != o.end() && it->is_object() ? *it : json::object();
}

int int_at(const json& o, const char* key, int fallback) {
  if (!o.is_object()) return fallback;
  auto it = o.find(key);
  return it != o.end() && it->is_number_integer() ? it->get<int>() : fallback;
}

json value_at(const json& o, const char* key) {
  return o.is_object() && o.contains(key) ? o[key] : json();
}

std::optional<int> parse_ordinal(const std::string& s) {
  if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); }))
    return std::nullopt;
  return std::stoi(s);
}

// A pod from a pod template ({metadata, spec}): the template's labels, then `labels` over them.
json pod_from(const json& tmpl, const std::string& name, const json& labels) {
  const json meta = object_at(tmpl, "metadata");
  json pod = {{"metadata", {{"name", name}, {"labels", object_at(meta, "labels")}}}, {"spec", object_at(tmpl, "spec")}};
  if (meta.contains("annotations") && meta["annotations"].is_object())
    pod["metadata"]["annotations"] = meta["annotations"];
  pod["metadata"]["labels"].update(labels);
  return pod;
}

// Zero counts are left out, as the Go types' `omitempty` does.
void put_count(json& status, const char* key, int n) {
  if (n != 0) status[key] = n;
}

std::string name_of(const json& obj) {
  return obj["metadata"].value("name", "");
}

class ModelServingController final : public GroupWorkloadController {
 public:
  explicit ModelServingController(bool legacy)
      : legacy_(legacy), prefix_(legacy ? "modelinfer.matrixinfer.ai/" : "modelserving.volcano.sh/") {}
  const char* name() const override { return legacy_ ? "modelinfer" : "modelserving"; }

 protected:
  const char* api_version() const override {
    return legacy_ ? "workload.matrixinfer.ai/v1alpha1" : "workload.serving.volcano.sh/v1alpha1";
  }
  const char* kind() const override { return legacy_ ? "ModelInfer" : "ModelServing"; }
  std::string revision_label() const override { return prefix_ + "revision"; }
  json template_of(const json& obj) const override { return object_at(object_at(obj, "spec"), "template"); }

  GroupRollout rollout_of(const json& obj) const override {
    const json spec = object_at(obj, "spec");
    const json rc = object_at(object_at(spec, "rolloutStrategy"), "rollingUpdateConfiguration");
    GroupRollout r;
    r.replicas = std::max(0, int_at(spec, "replicas", 1));
    r.partition = int_or_percent(value_at(rc, "partition"), r.replicas, true, 0);
    // Kthena's webhook refuses maxUnavailable 0; here it counts as 1.
    r.max_unavailable = std::max(1, int_or_percent(value_at(rc, "maxUnavailable"), r.replicas, false, 1));
    return r;
  }

  std::optional<int> ordinal_of(const json& obj, const json& pod) const override {
    const json labels = object_at(pod["metadata"], "labels");
    const std::string name = name_of(obj);
    if (labels.value(prefix_ + "name", "") != name) return std::nullopt;
    const std::string group = labels.value(prefix_ + "group-name", "");
    if (group.rfind(name + "-", 0) != 0) return std::nullopt;
    return parse_ordinal(group.substr(name.size() + 1));
  }

  std::vector<json> group_pods(const json& obj, const json& tmpl, int ordinal,
                               const std::string& revision) const override {
    const std::string group = name_of(obj) + "-" + std::to_string(ordinal);
    std::vector<json> pods;
    for (const auto& role : roles_of(tmpl)) {
      if (!role.is_object()) continue;
      const std::string role_name = role.value("name", "main");
      for (int r = 0; r < int_at(role, "replicas", 1); ++r) {
        const std::string role_id = role_name + "-" + std::to_string(r);
        json labels = {{prefix_ + "name", name_of(obj)},
                       {prefix_ + "group-name", group},
                       {prefix_ + "role", role_name},
                       {prefix_ + "role-id", role_id},
                       {revision_label(), revision}};
        json entry_labels = labels;
        entry_labels[prefix_ + "entry"] = "true";
        pods.push_back(pod_from(object_at(role, "entryTemplate"), group + "-" + role_id + "-0", entry_labels));
        for (int w = 1; w <= int_at(role, "workerReplicas", 0); ++w)
          pods.push_back(
              pod_from(object_at(role, "workerTemplate"), group + "-" + role_id + "-" + std::to_string(w), labels));
      }
    }
    return pods;
  }

  json status_of(const json& obj, const GroupRollout& spec, const GroupCounts& c,
                 const std::string& now) const override {
    json s = {{"observedGeneration", obj["metadata"].value("generation", int64_t{1})}};
    put_count(s, "replicas", c.replicas);
    put_count(s, "currentReplicas", c.current);
    put_count(s, "updatedReplicas", c.updated);
    put_count(s, "availableReplicas", c.ready);
    if (!legacy_) {  // ModelInfer has no revisions in its status
      s["currentRevision"] = spec.current_revision;
      s["updateRevision"] = spec.update_revision;
      s["labelSelector"] = prefix_ + "name=" + name_of(obj);
    }
    s["conditions"] = group_conditions(c, "GroupProgressing", now);
    return s;
  }

 private:
  // spec.template.roles[], or a plain pod template taken as one role with one entry pod.
  static json roles_of(const json& tmpl) {
    const json roles = value_at(tmpl, "roles");
    if (roles.is_array() && !roles.empty()) return roles;
    if (object_at(tmpl, "spec").contains("containers"))
      return json::array({{{"name", "main"}, {"replicas", 1}, {"entryTemplate", tmpl}}});
    return json::array();
  }

  const bool legacy_;
  const std::string prefix_;
};

constexpr const char* kLws = "leaderworkerset.sigs.k8s.io/";

class LeaderWorkerSetController final : public GroupWorkloadController {
 public:
  const char* name() const override { return "leaderworkerset"; }

 protected:
  const char* api_version() const override { return "leaderworkerset.x-k8s.io/v1"; }
  const char* kind() const override { return "LeaderWorkerSet"; }
  std::string revision_label() const override { return std::string(kLws) + "template-revision-hash"; }
  json template_of(const json& obj) const override { return object_at(object_at(obj, "spec"), "leaderWorkerTemplate"); }

  GroupRollout rollout_of(const json& obj) const override {
    const json spec = object_at(obj, "spec");
    const json rc = object_at(object_at(spec, "rolloutStrategy"), "rollingUpdateConfiguration");
    GroupRollout r;
    r.replicas = std::max(0, int_at(spec, "replicas", 1));
    r.partition = int_or_percent(value_at(rc, "partition"), r.replicas, true, 0);
    r.max_unavailable = std::max(0, int_or_percent(value_at(rc, "maxUnavailable"), r.replicas, false, 1));
    r.max_surge = std::max(0, int_or_percent(value_at(rc, "maxSurge"), r.replicas, true, 0));
    if (r.max_unavailable == 0 && r.max_surge == 0) r.max_unavailable = 1;  // LWS's webhook refuses both 0
    return r;
  }

  std::optional<int> ordinal_of(const json& obj, const json& pod) const override {
    const json labels = object_at(pod["metadata"], "labels");
    if (labels.value(std::string(kLws) + "name", "") != name_of(obj)) return std::nullopt;
    return parse_ordinal(labels.value(std::string(kLws) + "group-index", ""));
  }

  std::vector<json> group_pods(const json& obj, const json& tmpl, int ordinal,
                               const std::string& revision) const override {
    const std::string lws = kLws, leader = name_of(obj) + "-" + std::to_string(ordinal);
    const int size = std::max(1, int_at(tmpl, "size", 1));
    const json worker_tmpl = object_at(tmpl, "workerTemplate");
    const json leader_tmpl = tmpl.contains("leaderTemplate") ? object_at(tmpl, "leaderTemplate") : worker_tmpl;
    const json labels = {{lws + "name", name_of(obj)},
                         {lws + "group-index", std::to_string(ordinal)},
                         {lws + "group-key", template_hash(obj["metadata"].value("namespace", "") + "/" + leader)},
                         {revision_label(), revision}};
    std::vector<json> pods;
    for (int i = 0; i < size; ++i) {
      json l = labels;
      l[lws + "worker-index"] = std::to_string(i);
      json pod = pod_from(i == 0 ? leader_tmpl : worker_tmpl, i == 0 ? leader : leader + "-" + std::to_string(i), l);
      pod["metadata"]["annotations"][lws + "size"] = std::to_string(size);
      if (i > 0) pod["metadata"]["annotations"][lws + "leader-name"] = leader;
      pods.push_back(std::move(pod));
    }
    return pods;
  }

  json status_of(const json& obj, const GroupRollout&, const GroupCounts& c, const std::string& now) const override {
    json s = json::object();
    put_count(s, "replicas", c.replicas);
    put_count(s, "readyReplicas", c.ready);
    put_count(s, "updatedReplicas", c.updated);
    s["hpaPodSelector"] = std::string(kLws) + "name=" + name_of(obj) + "," + kLws + "worker-index=0";
    s["conditions"] = group_conditions(c, "GroupsProgressing", now);
    return s;
  }
};

}  // namespace

std::unique_ptr<Controller> make_model_serving_controller() {
  return std::make_unique<ModelServingController>(false);
}
std::unique_ptr<Controller> make_model_infer_controller() {
  return std::make_unique<ModelServingController>(true);
}
std::unique_ptr<Controller> make_leader_worker_set_controller() {
  return std::make_unique<LeaderWorkerSetController>();
}

}  // namespace rollout::sandbox
