#include "sandbox/openapi_schemas.hpp"

#include <sstream>
#include <vector>

namespace rollout::sandbox {

using nlohmann::json;

namespace {

json str() { return {{"type", "string"}}; }
json integer() { return {{"type", "integer"}, {"format", "int32"}}; }
json boolean() { return {{"type", "boolean"}}; }
json open_object() { return {{"type", "object"}}; }  // any fields: kubectl's validation does not look inside
json string_map() { return {{"type", "object"}, {"additionalProperties", str()}}; }
json array_of(json items) { return {{"type", "array"}, {"items", std::move(items)}}; }
json object(json properties, std::vector<std::string> required = {}) {
  json o = {{"type", "object"}, {"properties", std::move(properties)}};
  if (!required.empty()) o["required"] = required;
  return o;
}

// The parts of Gateway API and Inference Extension objects the seeds use, field names as in
// sigs.k8s.io/gateway-api apis/v1/httproute_types.go and gateway-api-inference-extension api/.
json http_route_spec() {
  json backend_ref = object({{"group", str()},
                             {"kind", str()},
                             {"name", str()},
                             {"namespace", str()},
                             {"port", integer()},
                             {"weight", integer()},
                             {"filters", array_of(open_object())}},
                            {"name"});
  json rule = object({{"name", str()},
                      {"matches", array_of(open_object())},
                      {"filters", array_of(open_object())},
                      {"backendRefs", array_of(backend_ref)},
                      {"timeouts", open_object()},
                      {"retry", open_object()},
                      {"sessionPersistence", open_object()}});
  return object({{"parentRefs", array_of(open_object())}, {"hostnames", array_of(str())}, {"rules", array_of(rule)}});
}

json inference_pool_v1_spec() {
  return object({{"selector", object({{"matchLabels", string_map()}})},
                 {"targetPorts", array_of(object({{"number", integer()}}, {"number"}))},
                 {"endpointPickerRef", open_object()}},
                {"selector", "targetPorts"});
}

json inference_model_spec() {
  return object({{"modelName", str()},
                 {"criticality", str()},
                 {"poolRef", object({{"group", str()}, {"kind", str()}, {"name", str()}}, {"name"})},
                 {"targetModels", array_of(object({{"name", str()}, {"weight", integer()}}, {"name"}))}},
                {"modelName", "poolRef"});
}

// The kinds built into the sandbox that publish a schema: spec (and data) as above, status open.
std::optional<json> builtin_schema(const ResourceType& t) {
  const std::string gv = t.api_version() + "/" + t.kind;
  if (gv == "v1/ConfigMap")
    return object({{"data", string_map()}, {"binaryData", string_map()}, {"immutable", boolean()}});
  if (gv == "gateway.networking.k8s.io/v1/HTTPRoute") return object({{"spec", http_route_spec()}}, {"spec"});
  if (gv == "inference.networking.k8s.io/v1/InferencePool")
    return object({{"spec", inference_pool_v1_spec()}}, {"spec"});
  if (gv == "inference.networking.x-k8s.io/v1alpha2/InferenceModel")
    return object({{"spec", inference_model_spec()}}, {"spec"});
  return std::nullopt;
}

// A CRD's structural schema as the API server publishes it in v2: apiextensions-apiserver's
// openapi builder (ToStructuralOpenAPIV2) drops what v2 cannot say (nullable, int-or-string's
// type, anyOf/oneOf/allOf/not) and the properties of objects that keep unknown fields.
json crd_schema_to_v2(json s) {
  if (!s.is_object()) return s;
  for (const char* k : {"nullable", "anyOf", "oneOf", "allOf", "not", "x-kubernetes-validations"}) s.erase(k);
  if (s.value("x-kubernetes-int-or-string", false)) s.erase("type");
  if (s.value("x-kubernetes-preserve-unknown-fields", false)) s.erase("properties");
  if (s.contains("properties") && s["properties"].is_object())
    for (auto& [_, p] : s["properties"].items()) p = crd_schema_to_v2(p);
  if (s.contains("items")) s["items"] = crd_schema_to_v2(s["items"]);
  if (s.contains("additionalProperties") && s["additionalProperties"].is_object())
    s["additionalProperties"] = crd_schema_to_v2(s["additionalProperties"]);
  return s;
}

std::string reversed_group(const std::string& group) {
  std::vector<std::string> parts;
  std::stringstream ss(group);
  for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) out += (out.empty() ? "" : ".") + *it;
  return out;
}

}  // namespace

std::string definition_name(const ResourceType& t) {
  if (t.group.empty()) return "io.k8s.api.core.v1." + t.kind;
  if (t.group == "apps" || t.group == "coordination.k8s.io")
    return "io.k8s.api." + t.group.substr(0, t.group.find('.')) + "." + t.version + "." + t.kind;
  return reversed_group(t.group) + "." + t.version + "." + t.kind;
}

json object_meta_schema() {
  json owner = object({{"apiVersion", str()},
                       {"kind", str()},
                       {"name", str()},
                       {"uid", str()},
                       {"controller", boolean()},
                       {"blockOwnerDeletion", boolean()}},
                      {"apiVersion", "kind", "name", "uid"});
  return object({{"name", str()},
                 {"generateName", str()},
                 {"namespace", str()},
                 {"uid", str()},
                 {"resourceVersion", str()},
                 {"generation", {{"type", "integer"}, {"format", "int64"}}},
                 {"creationTimestamp", {{"type", "string"}, {"format", "date-time"}}},
                 {"deletionTimestamp", {{"type", "string"}, {"format", "date-time"}}},
                 {"deletionGracePeriodSeconds", {{"type", "integer"}, {"format", "int64"}}},
                 {"labels", string_map()},
                 {"annotations", string_map()},
                 {"ownerReferences", array_of(owner)},
                 {"finalizers", array_of(str())},
                 {"managedFields", array_of(open_object())},
                 {"selfLink", str()}});
}

std::optional<json> openapi_schema(const ResourceType& t) {
  std::optional<json> s;
  if (t.custom && t.schema.is_object()) s = crd_schema_to_v2(t.schema);
  if (!t.custom) s = builtin_schema(t);
  if (!s) return std::nullopt;
  if (!s->contains("properties")) (*s)["properties"] = json::object();
  auto& props = (*s)["properties"];
  props["apiVersion"] = str();
  props["kind"] = str();
  props["metadata"] = {{"$ref", std::string("#/definitions/") + kObjectMetaDefinition}};
  if (!t.custom && t.status_subresource) props["status"] = open_object();
  (*s)["type"] = "object";
  (*s)["x-kubernetes-group-version-kind"] = json::array({{{"group", t.group}, {"version", t.version}, {"kind", t.kind}}});
  return s;
}

json to_openapi_v3(json schema) {
  if (schema.is_object()) {
    for (auto& [k, v] : schema.items()) {
      if (k == "$ref" && v.is_string() && v.get<std::string>().rfind("#/definitions/", 0) == 0)
        v = "#/components/schemas/" + v.get<std::string>().substr(14);
      else
        v = to_openapi_v3(v);
    }
  } else if (schema.is_array()) {
    for (auto& v : schema) v = to_openapi_v3(v);
  }
  return schema;
}

}  // namespace rollout::sandbox
