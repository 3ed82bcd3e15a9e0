#include "sandbox/table.hpp"

namespace rollout::sandbox {

using nlohmann::json;

namespace {

struct Column {
  const char* name;
  const char* type;
  const char* description;
};

std::vector<Column> columns_for(const ResourceType& t) {
  std::vector<Column> cols = {{"Name", "string", "Name must be unique within a namespace."}};
  if (t.kind == "ConfigMap") cols.push_back({"Data", "integer", "Number of entries in data"});
  if (t.kind == "Deployment") {
    cols.push_back({"Ready", "string", "Ready replicas / desired replicas"});
    cols.push_back({"Up-to-date", "integer", "Replicas on the current template"});
    cols.push_back({"Available", "integer", "Available replicas"});
  }
  if (t.kind == "ReplicaSet") {
    cols.push_back({"Desired", "integer", "Number of desired pods"});
    cols.push_back({"Current", "integer", "Number of pods"});
    cols.push_back({"Ready", "integer", "Number of ready pods"});
  }
  if (t.kind == "Pod") {
    cols.push_back({"Ready", "string", "Ready containers / containers"});
    cols.push_back({"Status", "string", "The pod's phase"});
  }
  if (t.kind == "Namespace") cols.push_back({"Status", "string", "The namespace's phase"});
  cols.push_back({"Age", "string", "Time since creation"});
  return cols;
}

std::string age(const json& obj) {
  // kubectl prints the age itself only for "date" columns of CRs; compute a compact one here.
  std::string created = obj["metadata"].value("creationTimestamp", "");
  std::tm tm{};
  if (created.empty() || !strptime(created.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm)) return "<unknown>";
  long secs = static_cast<long>(std::time(nullptr) - timegm(&tm));
  if (secs < 0) secs = 0;
  if (secs < 120) return std::to_string(secs) + "s";
  if (secs < 7200) return std::to_string(secs / 60) + "m";
  if (secs < 172800) return std::to_string(secs / 3600) + "h";
  return std::to_string(secs / 86400) + "d";
}

json cells_for(const ResourceType& t, const json& obj) {
  json cells = json::array({obj["metadata"].value("name", "")});
  const json status = obj.value("status", json::object());
  const json spec = obj.value("spec", json::object());
  if (t.kind == "ConfigMap")
    cells.push_back(obj.value("data", json::object()).size() + obj.value("binaryData", json::object()).size());
  if (t.kind == "Deployment") {
    cells.push_back(std::to_string(status.value("readyReplicas", 0)) + "/" + std::to_string(spec.value("replicas", 1)));
    cells.push_back(status.value("updatedReplicas", 0));
    cells.push_back(status.value("availableReplicas", 0));
  }
  if (t.kind == "ReplicaSet") {
    cells.push_back(spec.value("replicas", 1));
    cells.push_back(status.value("replicas", 0));
    cells.push_back(status.value("readyReplicas", 0));
  }
  if (t.kind == "Pod") {
    size_t containers = spec.value("containers", json::array()).size(), ready = 0;
    for (const auto& c : status.value("containerStatuses", json::array())) ready += c.value("ready", false) ? 1 : 0;
    cells.push_back(std::to_string(ready) + "/" + std::to_string(containers));
    cells.push_back(status.value("phase", "Pending"));
  }
  if (t.kind == "Namespace") cells.push_back(status.value("phase", "Active"));
  cells.push_back(age(obj));
  return cells;
}

}  // namespace

bool wants_table(const std::string& accept) {
  return accept.find("as=Table") != std::string::npos;
}

json to_table(const ResourceType& t, const std::vector<json>& objects, const std::string& resource_version,
              bool with_columns) {
  json table = {{"kind", "Table"},
                {"apiVersion", "meta.k8s.io/v1"},
                {"metadata", {{"resourceVersion", resource_version}}},
                {"rows", json::array()}};
  if (with_columns) {
    json defs = json::array();
    for (const auto& c : columns_for(t))
      defs.push_back({{"name", c.name},
                      {"type", c.type},
                      {"format", std::string(c.name) == "Name" ? "name" : ""},
                      {"description", c.description},
                      {"priority", 0}});
    table["columnDefinitions"] = defs;
  }
  for (const auto& obj : objects) {
    json meta_only = {
        {"kind", "PartialObjectMetadata"}, {"apiVersion", "meta.k8s.io/v1"}, {"metadata", obj["metadata"]}};
    table["rows"].push_back({{"cells", cells_for(t, obj)}, {"object", meta_only}});
  }
  return table;
}

}  // namespace rollout::sandbox
