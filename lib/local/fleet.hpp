// The local replicas and their load balancer as one document the engine can read and patch:
// spec.versions says which version each replica runs ("stable", "canary", or "none": stopped),
// spec.weights (blueGreen) each server's load-balancer weight. converge() makes the machine
// match a new spec, event-driven, with no fixed sleeps: per replica that changes version, drain
// it at the load balancer, wait until its in-flight work is zero, stop it, start the other version
// on the same GPU, wait for /health and the model in /v1/models, put it back; maxUnavailable at a
// time. What it did is kept in `<state-dir>/<rollout>.local.json` after every change, so that a
// run killed half way adopts the processes it had started instead of starting duplicates.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "local/load_balancer.hpp"
#include "local/replica_process.hpp"
#include "plan/plan.hpp"
#include "util/result.hpp"

namespace rollout::local {

using Note = std::function<void(const std::string&)>;
// Asked before each change to the machine (state file, load balancer, process stop or start); an
// error refuses it. The engine's crash tests stop a run there (Seams::host_write).
using WriteHook = std::function<Status()>;

struct FleetSpec {
  std::map<std::string, std::string> versions;  // replica -> stable | canary | none
  std::map<std::string, int> weights;           // blueGreen: replica -> load-balancer weight (0: out)
  bool operator==(const FleetSpec&) const = default;
};
nlohmann::json to_json(const FleetSpec& s);
FleetSpec fleet_spec_from_json(const nlohmann::json& j);

// The replicas on the canary version, read from a state file (what gates call the canary).
std::vector<std::string> replicas_on(const std::string& state_file, const std::string& version);

class Fleet {
 public:
  Fleet(plan::LocalTarget target, bool blue_green, std::string state_dir, std::string rollout,
        std::unique_ptr<LoadBalancer> lb, Note note, WriteHook before_write = nullptr);

  std::string state_file() const { return dir_ + "/" + rollout_ + ".local.json"; }
  // The document: spec as it stands (a convergence a killed run left half done shows the spec
  // before it, so that the resumed run asks for it again), status.stateFile, status.failure.
  Result<nlohmann::json> document();
  // Makes the machine match `want`. A replica that does not drain or become healthy in time is
  // not an error but status.failure in the document returned (the engine's verify fails the step).
  Result<nlohmann::json> converge(const FleetSpec& want);

 private:
  struct Replica;
  Status load();
  Status save();
  Status may_write() const { return before_write_ ? before_write_() : ok_status(); }
  Status set_lb(const ServerStates& states);
  const plan::LocalReplica* find(const std::string& name) const;
  ServerState serving_state(const std::string& name) const;
  Result<int> in_flight(const plan::LocalReplica& r);
  Status wait_for_headroom(const std::vector<const plan::LocalReplica*>& out);
  Result<std::string> drain(const std::vector<const plan::LocalReplica*>& batch);
  Status stop(const plan::LocalReplica& r);
  Result<std::string> start(const plan::LocalReplica& r, const std::string& version);
  Result<std::string> wait_healthy(const plan::LocalReplica& r, const std::string& version);
  Result<std::string> replace(const std::vector<const plan::LocalReplica*>& batch, const FleetSpec& want);
  void say(const std::string& m) const {
    if (note_) note_(m);
  }

  plan::LocalTarget target_;
  bool blue_green_;
  std::string dir_;
  std::string rollout_;
  std::unique_ptr<LoadBalancer> lb_;
  Note note_;
  WriteHook before_write_;
  std::vector<plan::LocalReplica> all_;
  nlohmann::json state_;  // the state file's content
  bool loaded_ = false;
};

}  // namespace rollout::local
