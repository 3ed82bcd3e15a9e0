// Where a rollout's state lives in the cluster: the ConfigMap rollout-<name> (labelled
// app.kubernetes.io/managed-by=rollout, rollout.dev/name, rollout.dev/phase). Its data keys:
// state.json (written by the driver only), control.json (requests from other processes),
// history.json (finished runs). The lock is a set of annotations changed only by
// resourceVersion-guarded updates, so two `apply` runs cannot both hold it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/state.hpp"
#include "k8s/client.hpp"

namespace rollout::engine {

struct LockHolder {
  std::string id;    // random per apply process
  std::string host;  // hostname
  int pid = 0;
  std::string since;    // RFC 3339
  std::string renewed;  // RFC 3339
  std::string describe() const;  // "pid 1234 on host-a since 2026-...Z"
};

LockHolder this_process_holder();

struct StateSnapshot {
  bool exists = false;
  std::string resource_version;
  std::optional<RolloutState> state;
  ControlRequests control;
  std::vector<RunRecord> history;
  std::optional<LockHolder> lock;
};

class StateStore {
 public:
  StateStore(k8s::Client& client, std::string ns, std::string rollout_name, Duration lease = Duration(20000));

  const std::string& config_map_name() const { return config_map_; }
  const std::string& namespace_() const { return ns_; }

  Result<StateSnapshot> read();

  // Takes the lock for `me`, creating the ConfigMap if needed. Held by a live holder:
  // ErrorKind::locked naming it. A holder whose process is gone (same host) or whose lease
  // expired is taken over.
  Status acquire(const LockHolder& me);
  // An `apply` holds the lock and is alive.
  bool driven(const StateSnapshot& snapshot) const { return snapshot.lock && !stale(*snapshot.lock); }
  Status release(const LockHolder& me);

  // Writes the state (and renews the lock's lease). Only the lock holder calls it.
  Status save(RolloutState& state, const LockHolder& me);
  Status append_history(const RunRecord& record);
  // Read-modify-write of the control requests, retried on conflicts.
  Status update_control(const std::function<void(ControlRequests&)>& change);

  // Calls `on_change` with every new version of the ConfigMap until `should_stop`.
  Status watch(const std::function<bool()>& should_stop, const std::function<void(const StateSnapshot&)>& on_change);

 private:
  Result<k8s::ApiResource> resource();
  Result<StateSnapshot> decode(const nlohmann::json& cm) const;
  bool stale(const LockHolder& holder) const;

  k8s::Client& client_;
  std::string ns_;
  std::string name_;
  std::string config_map_;
  Duration lease_;
};

StateSnapshot decode_state_config_map(const nlohmann::json& cm);

}  // namespace rollout::engine
