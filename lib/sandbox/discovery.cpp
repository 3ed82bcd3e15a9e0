#include "sandbox/discovery.hpp"

#include <map>
#include <vector>

#include "sandbox/openapi_schemas.hpp"

namespace rollout::sandbox {

using nlohmann::json;

namespace {

// Versions per group, in registration order (the first is preferred).
std::map<std::string, std::vector<std::string>> versions_by_group(const TypeRegistry& types) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& t : types.all()) {
    if (t.group.empty()) continue;
    auto& v = out[t.group];
    if (std::find(v.begin(), v.end(), t.version) == v.end()) v.push_back(t.version);
  }
  return out;
}

json group_doc(const std::string& group, const std::vector<std::string>& versions) {
  json vs = json::array();
  for (const auto& v : versions) vs.push_back({{"groupVersion", group + "/" + v}, {"version", v}});
  return {{"name", group}, {"versions", vs}, {"preferredVersion", vs.at(0)}};
}

}  // namespace

json api_versions_doc(const std::string& server_address) {
  return {{"kind", "APIVersions"},
          {"versions", {"v1"}},
          {"serverAddressByClientCIDRs", {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}}}};
}

json api_group_list_doc(const TypeRegistry& types) {
  json groups = json::array();
  for (const auto& [group, versions] : versions_by_group(types)) groups.push_back(group_doc(group, versions));
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}};
}

std::optional<json> api_group_doc(const TypeRegistry& types, const std::string& group) {
  auto all = versions_by_group(types);
  auto it = all.find(group);
  if (it == all.end()) return std::nullopt;
  json doc = group_doc(group, it->second);
  doc["kind"] = "APIGroup";
  doc["apiVersion"] = "v1";
  return doc;
}

std::optional<json> api_resource_list_doc(const TypeRegistry& types, const std::string& group,
                                          const std::string& version) {
  json resources = json::array();
  for (const auto& t : types.all()) {
    if (t.group != group || t.version != version) continue;
    json r = {{"name", t.plural},
              {"singularName", t.singular},
              {"namespaced", t.namespaced},
              {"kind", t.kind},
              {"verbs", {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}}};
    if (!t.short_names.empty()) r["shortNames"] = t.short_names;
    if (!t.categories.empty()) r["categories"] = t.categories;
    resources.push_back(r);
    if (t.status_subresource)
      resources.push_back({{"name", t.plural + "/status"},
                           {"singularName", ""},
                           {"namespaced", t.namespaced},
                           {"kind", t.kind},
                           {"verbs", {"get", "patch", "update"}}});
    if (t.scale)
      resources.push_back({{"name", t.plural + "/scale"},
                           {"singularName", ""},
                           {"namespaced", t.namespaced},
                           {"group", "autoscaling"},
                           {"version", "v1"},
                           {"kind", "Scale"},
                           {"verbs", {"get", "patch", "update"}}});
    if (t.kind == "Pod")
      resources.push_back({{"name", "pods/proxy"},
                           {"singularName", ""},
                           {"namespaced", true},
                           {"kind", "PodProxyOptions"},
                           {"verbs", {"create", "delete", "get", "patch", "update"}}});
  }
  if (resources.empty()) return std::nullopt;
  return json{{"kind", "APIResourceList"},
              {"apiVersion", "v1"},
              {"groupVersion", group.empty() ? version : group + "/" + version},
              {"resources", resources}};
}

json openapi_v3_index(const TypeRegistry& types) {
  json paths = json::object();
  for (const auto& t : types.all()) {
    std::string p = t.group_version_path().substr(1);
    paths[p] = {{"serverRelativeURL", "/openapi/v3/" + p + "?hash=" + std::to_string(types.all().size())}};
  }
  return {{"paths", paths}};
}

std::optional<json> openapi_v3_group_version(const TypeRegistry& types, const std::string& group,
                                             const std::string& version) {
  json paths = json::object(), schemas = json::object();
  for (const auto& t : types.all()) {
    if (t.group != group || t.version != version) continue;
    if (auto schema = openapi_schema(t)) {
      schemas[definition_name(t)] = to_openapi_v3(*schema);
      schemas[kObjectMetaDefinition] = object_meta_schema();
    }
    std::string base =
        t.group_version_path() + (t.namespaced ? "/namespaces/{namespace}/" : "/") + t.plural + "/{name}";
    json op = {{"x-kubernetes-group-version-kind", {{"group", t.group}, {"version", t.version}, {"kind", t.kind}}},
               {"x-kubernetes-action", "patch"},
               {"parameters", {{{"name", "fieldValidation"}, {"in", "query"}, {"schema", {{"type", "string"}}}}}},
               {"responses", {{"200", {{"description", "OK"}}}}}};
    paths[base] = {{"patch", op}};
  }
  if (paths.empty()) return std::nullopt;
  return json{{"openapi", "3.0.0"},
              {"info", {{"title", "Kubernetes"}, {"version", "v1.32.0"}}},
              {"paths", paths},
              {"components", {{"schemas", schemas}}}};
}

json openapi_v2_doc(const TypeRegistry& types) {
  json definitions = {{kObjectMetaDefinition, object_meta_schema()}};
  for (const auto& t : types.all())
    if (auto schema = openapi_schema(t)) definitions[definition_name(t)] = *schema;
  return {{"swagger", "2.0"},
          {"info", {{"title", "Kubernetes"}, {"version", "v1.32.0"}}},
          {"paths", json::object()},
          {"definitions", definitions}};
}

}  // namespace rollout::sandbox
