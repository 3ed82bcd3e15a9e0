// The sandbox's object store: what etcd plus the generic registry are to a real API server.
// It assigns resourceVersions, uids and generations, enforces optimistic concurrency, keeps a
// window of change events for watches, and optionally persists everything to a data directory.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sandbox/api_error.hpp"
#include "sandbox/patch.hpp"
#include "sandbox/resource_types.hpp"
#include "sandbox/selector.hpp"
#include "util/result.hpp"

namespace rollout::sandbox {

struct WriteOptions {
  bool dry_run = false;  // dryRun=All: validate and answer, store nothing
  bool status = false;   // the request came through the /status subresource
  std::string field_manager;
};

struct ListOptions {
  std::optional<LabelSelector> labels;
  std::optional<FieldSelector> fields;
};

struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED
  nlohmann::json object;
  uint64_t resource_version = 0;
  std::string group, plural, namespace_;
};

class ObjectStore {
 public:
  // `data_dir` empty: in memory only. Otherwise state is loaded from and saved to DATA_DIR/objects.json.
  ObjectStore(TypeRegistry& types, std::string data_dir = "", size_t event_window = 10000);

  Result<nlohmann::json> create(const ResourceType& t, const std::string& ns, nlohmann::json obj,
                                const WriteOptions& o);
  Result<nlohmann::json> get(const ResourceType& t, const std::string& ns, const std::string& name) const;
  // `ns` empty lists across namespaces (or a cluster-scoped kind).
  Result<nlohmann::json> list(const ResourceType& t, const std::string& ns, const ListOptions& o) const;
  Result<nlohmann::json> update(const ResourceType& t, const std::string& ns, const std::string& name,
                                nlohmann::json obj, const WriteOptions& o);
  Result<nlohmann::json> patch(const ResourceType& t, const std::string& ns, const std::string& name, PatchType type,
                               const nlohmann::json& patch, const WriteOptions& o);
  Result<nlohmann::json> remove(const ResourceType& t, const std::string& ns, const std::string& name,
                                const WriteOptions& o);

  uint64_t resource_version() const;
  // Events of kind `t` in `ns` (all if empty) after `after`; blocks until there is one or `until`.
  // Error 410 Expired when `after` is older than the kept window.
  Result<std::vector<WatchEvent>> events_after(const ResourceType& t, const std::string& ns, uint64_t after,
                                               std::chrono::steady_clock::time_point until) const;
  // Wakes every blocked events_after() (shutdown).
  void wake_all();

 private:
  using Key = std::string;  // group/plural/namespace/name
  static Key key_of(const ResourceType& t, const std::string& ns, const std::string& name);
  Result<nlohmann::json> store_locked(const ResourceType& t, const std::string& ns, nlohmann::json obj,
                                      const std::string& event, const WriteOptions& o);
  Result<nlohmann::json> update_locked(const ResourceType& t, const std::string& ns, const std::string& name,
                                       nlohmann::json obj, const WriteOptions& o);
  void record(const ResourceType& t, const std::string& ns, const std::string& type, const nlohmann::json& obj);
  void remove_namespace_contents(const std::string& ns);
  void save() const;
  void load();

  TypeRegistry& types_;
  std::string data_dir_;
  size_t window_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::map<Key, nlohmann::json> objects_;
  std::deque<WatchEvent> events_;
  uint64_t rv_ = 1;
  uint64_t wake_generation_ = 0;
};

}  // namespace rollout::sandbox
