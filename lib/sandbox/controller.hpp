// The sandbox's simulated controllers (gateway, workloads, pods, LoRA syncer): level-triggered
// reconcilers that read the store and write objects and status back through it, as the real
// controllers do through an API server. One manager thread runs them in turn; each pass also
// hands them the store's changes since the previous pass, so that a controller can reconcile only
// the objects that changed (and what depends on them) instead of rescanning every object.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sandbox/store.hpp"

namespace rollout::sandbox {

using Clock = std::function<std::chrono::system_clock::time_point()>;

// What changed in the store since the previous pass.
struct StoreChanges {
  bool everything = true;             // the first pass, or more changed than the store's window keeps: re-read all
  std::vector<ObjectChange> changes;  // oldest first; an object may appear more than once
};

struct ControllerContext {
  ObjectStore& store;
  TypeRegistry& types;
  Clock now;
  StoreChanges changed{};
  // Every object of a kind, across namespaces.
  std::vector<nlohmann::json> all(const std::string& api_version, const std::string& kind) const;
  std::optional<ResourceType> type(const std::string& api_version, const std::string& kind) const;
  // Writes `status` of `obj` when it differs; conditions keep their lastTransitionTime if unchanged.
  void set_status(const nlohmann::json& obj, nlohmann::json status) const;
  std::string timestamp() const;  // now(), RFC 3339
};

class Controller {
 public:
  virtual ~Controller() = default;
  virtual const char* name() const = 0;
  virtual void reconcile(ControllerContext& ctx) = 0;
};

class ControllerManager {
 public:
  ControllerManager(ObjectStore& store, TypeRegistry& types, Clock now = {});
  ~ControllerManager();
  void add(std::unique_ptr<Controller> c);
  void run_once();
  void start(std::chrono::milliseconds period = std::chrono::milliseconds(100));
  void stop();

 private:
  ControllerContext ctx_;
  uint64_t seen_ = 0;  // the resourceVersion of the last change handed to the controllers
  bool first_ = true;
  std::vector<std::unique_ptr<Controller>> controllers_;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

// Conditions: a Kubernetes condition with observedGeneration.
nlohmann::json condition(const std::string& type, bool status, const std::string& reason, const std::string& message,
                         int64_t observed_generation, const std::string& now);

}  // namespace rollout::sandbox
