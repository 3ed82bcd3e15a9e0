#include "sandbox/resource_types.hpp"

#include <algorithm>

namespace rollout::sandbox {

std::string ResourceType::group_version_path() const {
  return group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
}

namespace {

ResourceType builtin(std::string group, std::string version, std::string kind, std::string plural, bool namespaced,
                     std::vector<std::string> short_names, bool status, bool generation,
                     std::optional<ScalePaths> scale = std::nullopt) {
  ResourceType t;
  t.group = std::move(group);
  t.version = std::move(version);
  t.kind = std::move(kind);
  t.plural = std::move(plural);
  t.singular = t.kind;
  for (auto& c : t.singular) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  t.namespaced = namespaced;
  t.short_names = std::move(short_names);
  t.status_subresource = status;
  t.generation = generation;
  t.scale = std::move(scale);
  return t;
}

}  // namespace

TypeRegistry::TypeRegistry() {
  const bool ns = true, cluster = false, status = true, gen = true;
  add(builtin("", "v1", "Namespace", "namespaces", cluster, {"ns"}, status, false));
  add(builtin("", "v1", "ConfigMap", "configmaps", ns, {"cm"}, false, false));
  add(builtin("", "v1", "Secret", "secrets", ns, {}, false, false));
  add(builtin("", "v1", "Pod", "pods", ns, {"po"}, status, false));
  add(builtin("", "v1", "Service", "services", ns, {"svc"}, status, false));
  add(builtin("", "v1", "Event", "events", ns, {"ev"}, false, false));
  add(builtin("", "v1", "ServiceAccount", "serviceaccounts", ns, {"sa"}, false, false));
  const ScalePaths apps_scale{".spec.replicas", ".status.replicas", ".spec.selector"};
  add(builtin("apps", "v1", "Deployment", "deployments", ns, {"deploy"}, status, gen, apps_scale));
  add(builtin("apps", "v1", "ReplicaSet", "replicasets", ns, {"rs"}, status, gen, apps_scale));
  add(builtin("coordination.k8s.io", "v1", "Lease", "leases", ns, {}, false, false));
  add(builtin("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", cluster,
              {"crd", "crds"}, status, gen));
  add(builtin("gateway.networking.k8s.io", "v1", "Gateway", "gateways", ns, {"gtw"}, status, gen));
  add(builtin("gateway.networking.k8s.io", "v1", "HTTPRoute", "httproutes", ns, {}, status, gen));
  add(builtin("inference.networking.k8s.io", "v1", "InferencePool", "inferencepools", ns, {"infpool"}, status, gen));
  add(builtin("inference.networking.x-k8s.io", "v1alpha2", "InferencePool", "inferencepools", ns, {}, status, gen));
  add(builtin("inference.networking.x-k8s.io", "v1alpha2", "InferenceModel", "inferencemodels", ns, {"infmodel"},
              status, gen));
  add(builtin("inference.networking.x-k8s.io", "v1alpha2", "InferenceModelRewrite", "inferencemodelrewrites", ns, {},
              status, gen));
  add(builtin("llm-d.ai", "v1alpha2", "InferenceModelRewrite", "inferencemodelrewrites", ns, {}, status, gen));
  // Scale paths of Kthena's and LWS's CRDs (subresources.scale).
  add(builtin("workload.serving.volcano.sh", "v1alpha1", "ModelServing", "modelservings", ns, {}, status, gen,
              ScalePaths{".spec.replicas", ".status.replicas", ".status.labelSelector"}));
  // Kthena's router (networking.serving.volcano.sh: modelroute_types.go, modelserver_types.go).
  add(builtin("networking.serving.volcano.sh", "v1alpha1", "ModelRoute", "modelroutes", ns, {}, status, gen));
  add(builtin("networking.serving.volcano.sh", "v1alpha1", "ModelServer", "modelservers", ns, {}, status, gen));
  add(builtin("workload.matrixinfer.ai", "v1alpha1", "ModelInfer", "modelinfers", ns, {}, status, gen));
  add(builtin("leaderworkerset.x-k8s.io", "v1", "LeaderWorkerSet", "leaderworkersets", ns, {"lws"}, status, gen,
              ScalePaths{".spec.replicas", ".status.replicas", ".status.hpaPodSelector"}));
}

void TypeRegistry::add(ResourceType t) {
  for (auto& existing : types_) {
    if (existing.group == t.group && existing.version == t.version && existing.plural == t.plural) {
      existing = std::move(t);
      return;
    }
  }
  types_.push_back(std::move(t));
}

std::optional<ResourceType> TypeRegistry::find(const std::string& group, const std::string& version,
                                               const std::string& plural) const {
  std::lock_guard lock(mu_);
  for (const auto& t : types_)
    if (t.group == group && t.version == version && t.plural == plural) return t;
  return std::nullopt;
}

std::optional<ResourceType> TypeRegistry::find_kind(const std::string& api_version, const std::string& kind) const {
  std::lock_guard lock(mu_);
  for (const auto& t : types_)
    if (t.api_version() == api_version && t.kind == kind) return t;
  return std::nullopt;
}

std::vector<ResourceType> TypeRegistry::all() const {
  std::lock_guard lock(mu_);
  return types_;
}

std::optional<std::string> TypeRegistry::disable(const std::vector<std::string>& apis) {
  std::lock_guard lock(mu_);
  for (const auto& api : apis) {
    const bool versioned = api.find('/') != std::string::npos;
    auto matches = [&](const ResourceType& t) {
      return !t.custom && !t.group.empty() && (versioned ? t.api_version() == api : t.group == api);
    };
    if (std::none_of(types_.begin(), types_.end(), matches))
      return "\"" + api + "\" is not an API group or GROUP/VERSION the sandbox serves";
    std::erase_if(types_, matches);
  }
  return std::nullopt;
}

std::optional<std::string> TypeRegistry::validate_crd(const nlohmann::json& crd) {
  const auto spec = crd.value("spec", nlohmann::json::object());
  const auto names = spec.value("names", nlohmann::json::object());
  const std::string group = spec.value("group", "");
  if (group.empty()) return "spec.group: Required value";
  if (!names.contains("plural")) return "spec.names.plural: Required value";
  if (!names.contains("kind")) return "spec.names.kind: Required value";
  if (spec.value("versions", nlohmann::json::array()).empty())
    return "spec.versions: Invalid value: must have exactly one version marked as storage version";
  const std::string expected = names.value("plural", "") + "." + group;
  if (crd["metadata"].value("name", "") != expected)
    return "metadata.name: Invalid value: \"" + crd["metadata"].value("name", "") +
           "\": must be spec.names.plural+\".\"+spec.group";
  return std::nullopt;
}

std::optional<std::string> TypeRegistry::register_crd(const nlohmann::json& crd) {
  if (auto err = validate_crd(crd)) return err;
  const auto spec = crd.value("spec", nlohmann::json::object());
  const auto names = spec.value("names", nlohmann::json::object());
  const std::string group = spec.value("group", "");
  const auto versions = spec.value("versions", nlohmann::json::array());
  std::lock_guard lock(mu_);
  for (const auto& v : versions) {
    ResourceType t;
    t.group = group;
    t.version = v.value("name", "");
    t.kind = names.value("kind", "");
    t.plural = names.value("plural", "");
    t.singular = names.value("singular", t.plural);
    t.namespaced = spec.value("scope", "Namespaced") != "Cluster";
    t.short_names = names.value("shortNames", std::vector<std::string>{});
    t.categories = names.value("categories", std::vector<std::string>{});
    const auto sub = v.value("subresources", nlohmann::json::object());
    t.status_subresource = sub.is_object() && sub.contains("status");
    if (sub.is_object() && sub.contains("scale") && sub["scale"].is_object())
      t.scale = ScalePaths{sub["scale"].value("specReplicasPath", ".spec.replicas"),
                           sub["scale"].value("statusReplicasPath", ".status.replicas"),
                           sub["scale"].value("labelSelectorPath", "")};
    t.generation = true;
    t.custom = true;
    t.schema = v.value("schema", nlohmann::json::object()).value("openAPIV3Schema", nlohmann::json());
    if (v.value("served", true)) add(std::move(t));
  }
  return std::nullopt;
}

void TypeRegistry::unregister_crd(const nlohmann::json& crd) {
  const auto& spec = crd.value("spec", nlohmann::json::object());
  std::string group = spec.value("group", "");
  std::string plural = spec.value("names", nlohmann::json::object()).value("plural", "");
  std::lock_guard lock(mu_);
  std::erase_if(types_, [&](const ResourceType& t) { return t.custom && t.group == group && t.plural == plural; });
}

}  // namespace rollout::sandbox
