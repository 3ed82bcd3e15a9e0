#include "sandbox/scale_subresource.hpp"

#include "sandbox/api_error.hpp"
#include "sandbox/deployment_util.hpp"

namespace rollout::sandbox {

using nlohmann::json;

namespace {

// ".spec.replicas" -> ["spec", "replicas"].
std::vector<std::string> path_parts(const std::string& path) {
  std::vector<std::string> out;
  size_t b = path.rfind('.', 0) == 0 ? 1 : 0;
  while (b <= path.size()) {
    size_t e = path.find('.', b);
    if (e == std::string::npos) e = path.size();
    if (e > b) out.push_back(path.substr(b, e - b));
    b = e + 1;
  }
  return out;
}

const json* at_path(const json& obj, const std::string& path) {
  const json* cur = &obj;
  for (const auto& p : path_parts(path)) {
    if (!cur->is_object() || !cur->contains(p)) return nullptr;
    cur = &(*cur)[p];
  }
  return cur;
}

}  // namespace

json scale_of(const ResourceType& t, const json& obj) {
  const ScalePaths paths = t.scale.value_or(ScalePaths{});
  const json& m = obj["metadata"];
  json meta = json::object();
  for (const char* k : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"})
    if (m.contains(k)) meta[k] = m[k];
  const json* spec = at_path(obj, paths.spec_replicas);
  const json* status = at_path(obj, paths.status_replicas);
  const int want = spec && spec->is_number_integer() ? spec->get<int>() : 0;
  json scale = {{"kind", "Scale"},
                {"apiVersion", "autoscaling/v1"},
                {"metadata", meta},
                {"spec", json::object()},
                {"status", {{"replicas", status && status->is_number_integer() ? status->get<int>() : 0}}}};
  if (want != 0) scale["spec"]["replicas"] = want;  // omitempty
  if (const json* sel = paths.label_selector.empty() ? nullptr : at_path(obj, paths.label_selector)) {
    const std::string text = sel->is_string() ? sel->get<std::string>() : deploy::selector_string(*sel);
    if (!text.empty()) scale["status"]["selector"] = text;
  }
  return scale;
}

Result<json> apply_scale(const ResourceType& t, json obj, const json& scale) {
  const std::string name = obj["metadata"].value("name", "");
  const json replicas = scale.value("spec", json::object()).value("replicas", json(0));
  if (!replicas.is_number_integer() || replicas.get<int64_t>() < 0)
    return api_error(422, "Invalid",
                     "Scale.autoscaling \"" + name + "\" is invalid: spec.replicas: Invalid value: " +
                         replicas.dump() + ": must be greater than or equal to 0");
  const auto parts = path_parts(t.scale.value_or(ScalePaths{}).spec_replicas);
  json* cur = &obj;
  for (const auto& p : parts) cur = &(*cur)[p];
  *cur = replicas;
  const std::string rv = scale.value("metadata", json::object()).value("resourceVersion", "");
  if (!rv.empty()) obj["metadata"]["resourceVersion"] = rv;
  return obj;
}

}  // namespace rollout::sandbox
