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
#include "util/clock.hpp"

namespace rollout::engine {

struct LockHolder {
  std::string id;    // random per apply process
  std::string host;  // hostname
  int pid = 0;
  std::string since;    // RFC 3339
  std::string renewed;  // RFC 3339
  std::string describe() const;  // "pid 1234 on host-a since 2026-...Z"
};

LockHolder this_process_holder(Clock& clock = system_clock());

// A change of the control requests, given the state as it is in the same read (empty: no run
// recorded yet). A change that returns an error refuses: nothing is written.
using ControlChange = std::function<Status(const std::optional<RolloutState>& state, ControlRequests& control)>;

struct StateSnapshot {
  bool exists = false;
  std::string resource_version;
  std::optional<RolloutState> state;
  ControlRequests control;
  std::vector<RunRecord> history;
  std::optional<LockHolder> lock;
};

// Where a rollout's state, control requests, history and lock live: the ConfigMap
// rollout-<name> in the cluster (ConfigMapStore) or <name>.json in a state directory (FileStore,
// file_store.hpp). The engine and the control commands see only this interface.
class StateStore {
 public:
  virtual ~StateStore() = default;
  // "ConfigMap default/rollout-x" or "/home/me/.local/state/rollout/x.json", for messages.
  virtual std::string where() const = 0;

  virtual Result<StateSnapshot> read() = 0;
  // Takes the lock for `me`. Held by a live holder: ErrorKind::locked naming it. A holder that is
  // gone (or whose lease expired) is taken over.
  virtual Status acquire(const LockHolder& me) = 0;
  // An `apply` holds the lock and is alive.
  virtual bool driven(const StateSnapshot& snapshot) const = 0;
  virtual Status release(const LockHolder& me) = 0;
  // Writes the state (and renews the lock's lease). Only the lock holder calls it.
  virtual Status save(RolloutState& state, const LockHolder& me) = 0;
  virtual Status append_history(const RunRecord& record) = 0;
  // Read-modify-write of the control requests, safe against concurrent requesters; `change`
  // sees the state of the same read, so a request can be refused once the run has ended.
  virtual Status update_control(const ControlChange& change) = 0;
  // Calls `on_change` with every new version until `should_stop` (checked at least every second).
  virtual Status watch(const std::function<bool()>& should_stop,
                       const std::function<void(const StateSnapshot&)>& on_change) = 0;
};

// Keeps at most this many measurements in a saved state (the most recent).
void trim_measurements(RolloutState& state);

class ConfigMapStore : public StateStore {
 public:
  ConfigMapStore(k8s::Client& client, std::string ns, std::string rollout_name, Clock& clock = system_clock(),
                 Duration lease = Duration(20000));

  const std::string& config_map_name() const { return config_map_; }
  const std::string& namespace_() const { return ns_; }
  std::string where() const override { return "ConfigMap " + ns_ + "/" + config_map_; }

  Result<StateSnapshot> read() override;
  Status acquire(const LockHolder& me) override;
  bool driven(const StateSnapshot& snapshot) const override { return snapshot.lock && !stale(*snapshot.lock); }
  Status release(const LockHolder& me) override;
  Status save(RolloutState& state, const LockHolder& me) override;
  Status append_history(const RunRecord& record) override;
  Status update_control(const ControlChange& change) override;
  Status watch(const std::function<bool()>& should_stop,
               const std::function<void(const StateSnapshot&)>& on_change) override;

 private:
  Result<k8s::ApiResource> resource();
  bool stale(const LockHolder& holder) const;
  std::string now() const;

  k8s::Client& client_;
  std::string ns_;
  std::string name_;
  std::string config_map_;
  Clock& clock_;
  Duration lease_;
};

StateSnapshot decode_state_config_map(const nlohmann::json& cm);

}  // namespace rollout::engine
