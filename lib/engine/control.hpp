// What `rollout status|promote|abort|pause|resume|history` do, as library calls (Argo Rollouts'
// exported PromoteRollout): they read the rollout's state store (the ConfigMap rollout-<name> or
// <state-dir>/<name>.json) and write requests to it; a running apply reacts through its watch.
// With no apply running, abort rolls back by itself through the engine's own rollback
// (roll_back_run), and promote/resume are kept for the next apply.
#pragma once

#include <functional>
#include <string>

#include "actuators/object_host.hpp"
#include "engine/events.hpp"
#include "engine/state_store.hpp"

namespace rollout::engine {

struct ControlResult {
  bool driven = false;  // an apply is running and will act on the request
  std::string message;  // what happened, for the user
};

// The rollout's state; ErrorKind::not_found naming where it looked when there is none.
Result<StateSnapshot> read_rollout(StateStore& store, const std::string& name);

Result<ControlResult> promote_rollout(StateStore& store, const std::string& name, bool full);
Result<ControlResult> pause_rollout(StateStore& store, const std::string& name);
Result<ControlResult> resume_rollout(StateStore& store, const std::string& name);
// Where `abort` with no apply running writes the recorded values: the cluster, or for a target
// outside it the host the plan describes. Asked for only then (an apply that is running needs
// neither a cluster connection nor the plan).
using HostSource = std::function<Result<actuators::ObjectHost*>()>;

// With an apply running: asks it (it rolls back and exits 4) and waits a little for it to report.
// Without: rolls back here, writing the recorded values through the host `hosts` gives.
Result<ControlResult> abort_rollout(StateStore& store, const std::string& name, const HostSource& hosts,
                                    EventSink& events, Clock& clock = system_clock());

// Who is asking, for messages in the state ("user@host").
std::string requester();

}  // namespace rollout::engine
