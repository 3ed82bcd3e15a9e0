#include "sandbox/store.hpp"

#include "sandbox/kthena_networking.hpp"
#include "sandbox/server_side_apply.hpp"
#include "sandbox/workload_defaults.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <random>
#include <regex>

namespace rollout::sandbox {

using nlohmann::json;

namespace {

std::string now_rfc3339() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string random_chars(size_t n, const std::string& alphabet) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string out;
  for (size_t i = 0; i < n; ++i) out += alphabet[rng() % alphabet.size()];
  return out;
}

std::string new_uid() {
  const std::string hex = "0123456789abcdef";
  return random_chars(8, hex) + "-" + random_chars(4, hex) + "-4" + random_chars(3, hex) + "-a" + random_chars(3, hex) +
         "-" + random_chars(12, hex);
}

bool valid_name(const std::string& name) {
  static const std::regex subdomain("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  return name.size() <= 253 && std::regex_match(name, subdomain);
}

std::string resource_name(const ResourceType& t) {
  return t.group.empty() ? t.plural : t.plural + "." + t.group;
}

// The object without metadata and status: what metadata.generation counts changes of.
json spec_part(json obj) {
  if (!obj.is_object()) return obj;
  obj.erase("metadata");
  obj.erase("status");
  return obj;
}

Error invalid(const ResourceType& t, const std::string& name, const std::string& field_error) {
  return api_error(422, "Invalid", t.kind + " \"" + name + "\" is invalid: " + field_error);
}

// Strings by their length, everything else a few bytes: cheap, since a big object (a ConfigMap)
// is a few long strings.
bool strategic_supported(const ResourceType& t) {
  return !t.custom && (t.group.empty() || t.group == "apps");
}

}  // namespace

ObjectStore::ObjectStore(TypeRegistry& types, std::string data_dir, size_t event_window, size_t window_bytes)
    : types_(types), files_(std::move(data_dir)), window_(event_window), window_bytes_(window_bytes) {
  load();
  for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    auto nst = types_.find("", "v1", "namespaces");
    if (!get(*nst, "", ns).ok()) (void)create(*nst, "", json{{"metadata", {{"name", ns}}}}, {});
  }
}

ObjectStore::Key ObjectStore::key_of(const ResourceType& t, const std::string& ns, const std::string& name) {
  return t.group + "/" + t.plural + "/" + (t.namespaced ? ns : "") + "/" + name;
}

uint64_t ObjectStore::resource_version() const {
  std::shared_lock lock(mu_);
  return rv_;
}

Result<json> ObjectStore::create(const ResourceType& t, const std::string& ns, json obj, const WriteOptions& o) {
  if (!obj.is_object()) return api_error(400, "BadRequest", "the request body must be a JSON object");
  if (obj.contains("apiVersion") && obj["apiVersion"] != t.api_version())
    return api_error(400, "BadRequest",
                     "the API version in the data (" + obj["apiVersion"].dump() +
                         ") does not match the expected API version (" + t.api_version() + ")");
  if (obj.contains("kind") && obj["kind"] != t.kind)
    return api_error(400, "BadRequest", "the kind in the data does not match the expected kind " + t.kind);
  json& meta = obj["metadata"];
  if (!meta.is_object()) meta = json::object();
  if (!meta.contains("name") && meta.contains("generateName"))
    meta["name"] = meta["generateName"].get<std::string>() + random_chars(5, "bcdfghjklmnpqrstvwxz2456789");
  std::string name = meta.value("name", "");
  if (name.empty()) return invalid(t, "", "metadata.name: Required value: name or generateName is required");
  if (!valid_name(name))
    return invalid(t, name,
                   "metadata.name: Invalid value: \"" + name +
                       "\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
                       "or '.', and must start and end with an alphanumeric character");
  if (meta.contains("resourceVersion") && !meta["resourceVersion"].get<std::string>().empty())
    return api_error(400, "BadRequest", "resourceVersion should not be set on objects to be created");
  std::unique_lock lock(mu_);
  if (t.namespaced) {
    if (meta.contains("namespace") && meta["namespace"] != ns)
      return api_error(400, "BadRequest",
                       "the namespace of the provided object does not match the namespace sent on the request");
    if (!objects_.count("/namespaces//" + ns)) return api_error(404, "NotFound", "namespaces \"" + ns + "\" not found");
    meta["namespace"] = ns;
  } else {
    meta.erase("namespace");
  }
  if (objects_.count(key_of(t, ns, name)))
    return api_error(409, "AlreadyExists", resource_name(t) + " \"" + name + "\" already exists");
  // Create never sets status where it has its own subresource; built-in kinds start from `{}`.
  if (t.status_subresource) {
    obj.erase("status");
    if (auto s = initial_status(t)) obj["status"] = *s;
  }
  if (auto err = admit_workload(t, obj, nullptr)) return invalid(t, name, *err);
  if (auto err = admit_kthena_networking(t, obj, nullptr)) return invalid(t, name, *err);
  obj["apiVersion"] = t.api_version();
  obj["kind"] = t.kind;
  meta["uid"] = new_uid();
  meta["creationTimestamp"] = now_rfc3339();
  if (t.generation) meta["generation"] = 1;
  if (t.kind == "Namespace") obj["status"] = {{"phase", "Active"}};
  if (t.kind == "CustomResourceDefinition") {
    if (auto err = TypeRegistry::validate_crd(obj)) return invalid(t, name, *err);
  }
  return store_locked(t, ns, std::move(obj), "ADDED", o);
}

Result<json> ObjectStore::store_locked(const ResourceType& t, const std::string& ns, json obj, const std::string& event,
                                       const WriteOptions& o) {
  if (o.dry_run) return obj;
  obj["metadata"]["resourceVersion"] = std::to_string(rv_ + 1);
  const Key key = key_of(t, ns, obj["metadata"]["name"]);
  // On disk before anyone can see it (watchers wait for this lock) or is answered: what was
  // acknowledged survives a kill -9, and a failed write changes nothing.
  if (!files_.write(key, obj)) return persist_failed(t, obj["metadata"]["name"]);
  ++rv_;
  auto stored = std::make_shared<const json>(obj);
  objects_[key] = stored;
  if (t.kind == "CustomResourceDefinition") (void)types_.register_crd(obj);
  record(t, ns, event, stored);
  return obj;
}

Result<json> ObjectStore::get(const ResourceType& t, const std::string& ns, const std::string& name) const {
  Shared found;
  {
    std::shared_lock lock(mu_);
    auto it = objects_.find(key_of(t, ns, name));
    if (it == objects_.end()) return not_found(t, name);
    found = it->second;
  }
  return *found;  // copied outside the lock
}

std::vector<ObjectStore::Shared> ObjectStore::objects_locked(const ResourceType& t, const std::string& ns) const {
  std::vector<Shared> out;
  const std::string prefix = t.group + "/" + t.plural + "/" + (t.namespaced ? ns : "");
  for (auto it = objects_.lower_bound(prefix); it != objects_.end() && it->first.rfind(prefix, 0) == 0; ++it) {
    if (!ns.empty() && t.namespaced && it->first.compare(prefix.size(), 1, "/") != 0) continue;
    out.push_back(it->second);
  }
  return out;
}

std::vector<ObjectStore::Shared> ObjectStore::objects(const ResourceType& t, const std::string& ns) const {
  std::shared_lock lock(mu_);
  return objects_locked(t, ns);
}

Result<json> ObjectStore::list(const ResourceType& t, const std::string& ns, const ListOptions& o) const {
  std::vector<Shared> found;
  uint64_t rv = 0;
  {
    std::shared_lock lock(mu_);
    found = objects_locked(t, ns);
    rv = rv_;
  }
  json items = json::array();  // selected and copied outside the lock: stored objects never change
  for (const auto& obj : found) {
    if (o.labels && !o.labels->matches(labels_of(*obj))) continue;
    if (o.fields && !o.fields->matches(*obj)) continue;
    items.push_back(*obj);
  }
  return json{{"apiVersion", t.api_version()},
              {"kind", t.list_kind()},
              {"metadata", {{"resourceVersion", std::to_string(rv)}}},
              {"items", std::move(items)}};
}

Result<json> ObjectStore::update(const ResourceType& t, const std::string& ns, const std::string& name, json obj,
                                 const WriteOptions& o) {
  if (!obj.is_object()) return api_error(400, "BadRequest", "the request body must be a JSON object");
  std::unique_lock lock(mu_);
  return update_locked(t, ns, name, std::move(obj), o);
}

Result<json> ObjectStore::update_locked(const ResourceType& t, const std::string& ns, const std::string& name, json obj,
                                        const WriteOptions& o) {
  auto it = objects_.find(key_of(t, ns, name));
  if (it == objects_.end()) return not_found(t, name);
  const Shared keep = it->second;  // store_locked replaces it
  const json& old = *keep;
  json& meta = obj["metadata"];
  if (!meta.is_object()) meta = json::object();
  if (meta.contains("name") && meta["name"] != name)
    return api_error(400, "BadRequest",
                     "the name of the object (" + meta["name"].get<std::string>() +
                         ") does not match the name on the URL (" + name + ")");
  std::string want_rv = meta.value("resourceVersion", "");
  if (!want_rv.empty() && want_rv != old["metadata"]["resourceVersion"])
    return api_error(409, "Conflict",
                     "Operation cannot be fulfilled on " + resource_name(t) + " \"" + name +
                         "\": the object has been modified; please apply your changes to the latest version and try "
                         "again");
  if (o.status) {
    json updated = old;
    updated["status"] = obj.value("status", json::object());
    // A Deployment's status update also takes its annotations: the controller records the
    // revision that way (pkg/registry/apps/deployment/strategy.go, deploymentStatusStrategy).
    if (t.group == "apps" && t.kind == "Deployment") {
      if (meta.contains("annotations"))
        updated["metadata"]["annotations"] = meta["annotations"];
      else
        updated["metadata"].erase("annotations");
    }
    obj = updated;
  } else {
    if (t.status_subresource) {
      if (old.contains("status"))
        obj["status"] = old["status"];
      else
        obj.erase("status");
    }
    if (auto err = admit_workload(t, obj, &old)) return invalid(t, name, *err);
    if (auto err = admit_kthena_networking(t, obj, &old)) return invalid(t, name, *err);
  }
  json& m = obj["metadata"];
  for (const char* k : {"uid", "creationTimestamp", "namespace", "name", "resourceVersion", "generation"}) {
    if (old["metadata"].contains(k)) m[k] = old["metadata"][k];
  }
  obj["apiVersion"] = t.api_version();
  obj["kind"] = t.kind;
  if (t.generation && spec_part(obj) != spec_part(old)) m["generation"] = old["metadata"].value("generation", 1) + 1;
  if (obj == old) return old;  // a no-op write changes nothing, not even the resourceVersion
  return store_locked(t, ns, std::move(obj), "MODIFIED", o);
}

Result<json> ObjectStore::patch(const ResourceType& t, const std::string& ns, const std::string& name, PatchType type,
                                const json& body, const WriteOptions& o) {
  if (type == PatchType::strategic && !strategic_supported(t))
    return api_error(415, "UnsupportedMediaType",
                     "the body of the request was in an unknown format - accepted media types include: "
                     "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
  std::unique_lock lock(mu_);
  auto it = objects_.find(key_of(t, ns, name));
  if (it == objects_.end()) {
    if (type != PatchType::apply) return not_found(t, name);
    lock.unlock();
    json created = body;
    if (created.is_object()) {
      created["metadata"]["managedFields"] =
          json::array({{{"manager", o.field_manager.empty() ? "unknown" : o.field_manager},
                        {"operation", "Apply"},
                        {"apiVersion", t.api_version()},
                        {"time", now_rfc3339()},
                        {"fieldsType", "FieldsV1"},
                        {"fieldsV1", field_set(body)}}});
    }
    return create(t, ns, created, o);
  }
  Result<json> patched = json();
  if (type == PatchType::apply) {
    if (!body.is_object()) return api_error(400, "BadRequest", "an applied configuration must be an object");
    if (strategic_supported(t)) {
      if (auto e = strategic_patch_error(body)) return *e;
    }
    patched = server_side_apply(*it->second, body, o.field_manager.empty() ? "unknown" : o.field_manager,
                                strategic_supported(t));
  } else {
    patched = apply_patch(*it->second, type, body);
  }
  if (!patched.ok()) return patched.error();
  return update_locked(t, ns, name, std::move(*patched), o);
}

Result<json> ObjectStore::remove(const ResourceType& t, const std::string& ns, const std::string& name,
                                 const WriteOptions& o) {
  std::unique_lock lock(mu_);
  const Key key = key_of(t, ns, name);
  auto it = objects_.find(key);
  if (it == objects_.end()) return not_found(t, name);
  json obj = *it->second;
  if (o.dry_run) return obj;
  // The counter first: were the file removed first and the sandbox killed before the counter was
  // written, a restart would count from a lower resourceVersion and hand out again one that
  // clients have seen. A namespace's contents advance it by one per object.
  const uint64_t advanced = rv_ + 1 + (t.kind == "Namespace" ? count_in_namespace(name) : 0);
  if (!files_.write_resource_version(advanced)) return persist_failed(t, name);
  objects_.erase(it);
  files_.remove(key);
  obj["metadata"]["resourceVersion"] = std::to_string(++rv_);
  record(t, ns, "DELETED", std::make_shared<const json>(obj));
  if (t.kind == "Namespace") remove_namespace_contents(name);
  if (t.kind == "CustomResourceDefinition") types_.unregister_crd(obj);
  return obj;
}

size_t ObjectStore::count_in_namespace(const std::string& ns) const {
  size_t n = 0;
  for (const auto& [key, obj] : objects_) n += (*obj)["metadata"].value("namespace", "") == ns;
  return n;
}

// What etcd's failure to commit looks like to a client: a 500 Status, the object unchanged.
Error ObjectStore::persist_failed(const ResourceType& t, const std::string& name) const {
  return api_error(500, "InternalError",
                   "Internal error occurred: " + resource_name(t) + " \"" + name +
                       "\": the sandbox could not write its data dir; nothing was changed");
}

void ObjectStore::remove_namespace_contents(const std::string& ns) {
  for (auto it = objects_.begin(); it != objects_.end();) {
    const json& obj = *it->second;
    if (obj["metadata"].value("namespace", "") != ns) {
      ++it;
      continue;
    }
    auto t = types_.find_kind(obj.value("apiVersion", ""), obj.value("kind", ""));
    json gone = obj;
    gone["metadata"]["resourceVersion"] = std::to_string(++rv_);
    if (t) record(*t, ns, "DELETED", std::make_shared<const json>(std::move(gone)));
    files_.remove(it->first);
    it = objects_.erase(it);
  }
}

void ObjectStore::load() {
  auto loaded = files_.load();
  rv_ = loaded.resource_version;
  for (const auto& obj : loaded.objects)  // CRDs first, so that their kinds resolve
    if (obj.value("kind", "") == "CustomResourceDefinition") (void)types_.register_crd(obj);
  for (const auto& obj : loaded.objects) {
    auto t = types_.find_kind(obj.value("apiVersion", ""), obj.value("kind", ""));
    if (!t) continue;
    const Key key = key_of(*t, obj["metadata"].value("namespace", ""), obj["metadata"].value("name", ""));
    objects_[key] = std::make_shared<const json>(obj);
    if (loaded.single_file) files_.write(key, obj);  // converted to one file per object
  }
  if (loaded.single_file) {
    files_.write_resource_version(rv_);
    files_.remove_single_file();
  }
}

}  // namespace rollout::sandbox
