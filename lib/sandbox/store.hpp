// The sandbox's object store: what etcd plus the generic registry are to a real API server.
// It assigns resourceVersions, uids and generations, enforces optimistic concurrency, keeps a
// window of change events for watches, and optionally persists to a data directory, one file per
// object. Objects are immutable once stored and shared (with the watch window, lists and
// controllers), so readers copy pointers under a shared lock and writers alone take it exclusively.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "sandbox/api_error.hpp"
#include "sandbox/object_files.hpp"
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

// One change to one object, as the watch window keeps it (the object is shared, never modified).
struct ObjectChange {
  std::string type;  // ADDED, MODIFIED, DELETED
  std::shared_ptr<const nlohmann::json> object;
  uint64_t resource_version = 0;
  std::string group, plural, namespace_;
  size_t bytes = 0;  // about what the object takes: the window is bounded in bytes too
};

class ObjectStore {
 public:
  using Shared = std::shared_ptr<const nlohmann::json>;
  // `data_dir` empty: in memory only. Otherwise state is loaded from DATA_DIR and each write
  // replaces only the file of the object it changed (see object_files.hpp).
  // The watch window keeps the last `event_window` changes, and fewer when their objects take more
  // than `window_bytes` (a large object written often, such as a rollout's state ConfigMap).
  ObjectStore(TypeRegistry& types, std::string data_dir = "", size_t event_window = 10000,
              size_t window_bytes = size_t{256} << 20);

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
  // Every change of any kind after `after`, without waiting: what level-triggered controllers
  // reconcile. nullopt when `after` is older than the kept window (re-read everything then).
  std::optional<std::vector<ObjectChange>> changes_after(uint64_t after) const;
  // Objects of kind `t` in `ns` (all if empty), shared rather than copied.
  std::vector<Shared> objects(const ResourceType& t, const std::string& ns) const;
  // Wakes every blocked events_after() (shutdown).
  void wake_all();
  // Called with every change as it is recorded, under the store's lock (the audit log). Set
  // before serving.
  void set_observer(std::function<void(const ObjectChange&)> observer) { observer_ = std::move(observer); }

 private:
  using Key = std::string;  // group/plural/namespace/name
  static Key key_of(const ResourceType& t, const std::string& ns, const std::string& name);
  Result<nlohmann::json> store_locked(const ResourceType& t, const std::string& ns, nlohmann::json obj,
                                      const std::string& event, const WriteOptions& o);
  Result<nlohmann::json> update_locked(const ResourceType& t, const std::string& ns, const std::string& name,
                                       nlohmann::json obj, const WriteOptions& o);
  void record(const ResourceType& t, const std::string& ns, const std::string& type, const Shared& obj);
  void remove_namespace_contents(const std::string& ns);
  size_t count_in_namespace(const std::string& ns) const;
  Error persist_failed(const ResourceType& t, const std::string& name) const;
  std::vector<Shared> objects_locked(const ResourceType& t, const std::string& ns) const;
  // The first kept change after `after`, or nullopt when `after` is older than the window.
  std::optional<std::deque<ObjectChange>::const_iterator> first_after(uint64_t after) const;
  void load();

  TypeRegistry& types_;
  ObjectFiles files_;
  size_t window_;
  size_t window_bytes_;
  size_t kept_bytes_ = 0;  // of the objects in events_
  mutable std::shared_mutex mu_;
  std::function<void(const ObjectChange&)> observer_;
  mutable std::condition_variable_any changed_;
  std::map<Key, Shared> objects_;
  std::deque<ObjectChange> events_;  // ascending resourceVersion
  uint64_t rv_ = 1;
  uint64_t wake_generation_ = 0;
};

}  // namespace rollout::sandbox
