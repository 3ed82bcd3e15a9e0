// Where the objects a target changes live, and the few verbs the engine needs on them. Kubernetes
// objects live in the cluster (the API server, through k8s::Client). A target whose state is not
// a Kubernetes object (local replicas: processes, an nginx upstream file, HAProxy server states)
// presents that state as JSON documents of an API group of its own, with metadata.name and a
// metadata.resourceVersion that changes with every change, and registers an ObjectHost for that
// group in `hosts_for` (object_host.cpp). The engine's executor reads, patches and deletes through
// `Hosts`, which routes every ref by its group: recording originals, writing a position, verifying,
// drift and restoring on rollback are then the same code for both.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "actuators/actuator.hpp"
#include "k8s/client.hpp"

namespace rollout::actuators {

class ObjectHost {
 public:
  virtual ~ObjectHost() = default;
  virtual Result<nlohmann::json> get(const ObjectRef& ref) = 0;
  // Every object of LIKE's apiVersion and kind in its namespace, each with apiVersion and kind set.
  virtual Result<std::vector<nlohmann::json>> list(const ObjectRef& like) = 0;
  // A JSON patch (RFC 6902). With IF_RESOURCE_VERSION non-empty it applies only if the object is
  // still at that version (ErrorKind::conflict otherwise). DRY: nothing is stored (dryRun=All).
  virtual Result<nlohmann::json> patch(const ObjectRef& ref, const nlohmann::json& operations,
                                       const std::string& if_resource_version, k8s::DryRun dry) = 0;
  // Deletes the object; one already gone is fine.
  virtual Status remove(const ObjectRef& ref, k8s::DryRun dry) = 0;
};

// The cluster: every object through the API server.
class ClusterHost : public ObjectHost {
 public:
  explicit ClusterHost(k8s::Client& client) : client_(client) {}
  Result<nlohmann::json> get(const ObjectRef& ref) override;
  Result<std::vector<nlohmann::json>> list(const ObjectRef& like) override;
  Result<nlohmann::json> patch(const ObjectRef& ref, const nlohmann::json& operations,
                               const std::string& if_resource_version, k8s::DryRun dry) override;
  Status remove(const ObjectRef& ref, k8s::DryRun dry) override;

 private:
  k8s::Client& client_;
};

// Routes each ref to the host of its API group; the cluster serves every group no other host
// claims.
class Hosts : public ObjectHost {
 public:
  explicit Hosts(k8s::Client& client) : cluster_(client) {}
  void add(std::string group, std::unique_ptr<ObjectHost> host) { by_group_[std::move(group)] = std::move(host); }
  Result<nlohmann::json> get(const ObjectRef& ref) override { return host(ref).get(ref); }
  Result<std::vector<nlohmann::json>> list(const ObjectRef& like) override { return host(like).list(like); }
  Result<nlohmann::json> patch(const ObjectRef& ref, const nlohmann::json& operations,
                               const std::string& if_resource_version, k8s::DryRun dry) override {
    return host(ref).patch(ref, operations, if_resource_version, dry);
  }
  Status remove(const ObjectRef& ref, k8s::DryRun dry) override { return host(ref).remove(ref, dry); }

 private:
  ObjectHost& host(const ObjectRef& ref);
  ClusterHost cluster_;
  std::map<std::string, std::unique_ptr<ObjectHost>> by_group_;
};

// What a host outside the cluster needs that the plan does not say: where local state lives
// (--state-dir), where progress messages go (the engine's events), and what is asked before each
// change it makes to the machine (Seams::host_write).
struct HostContext {
  std::string state_dir;
  std::function<void(const std::string&)> note;
  std::function<Status()> before_write = nullptr;
};

// The hosts a plan's target needs: the cluster, plus the host of a target that is not in it (one
// more entry in this table, next to its actuator in `actuators_for`).
std::unique_ptr<Hosts> hosts_for(const plan::Plan& plan, k8s::Client& client, const HostContext& context = {});

}  // namespace rollout::actuators
