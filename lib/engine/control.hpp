// What `rollout status|promote|abort|pause|resume|history` do, as library calls (Argo Rollouts'
// exported PromoteRollout): they read the state ConfigMap and write requests to it; a running
// apply reacts through its watch. With no apply running, abort rolls back by itself from the
// recorded originals, and promote/resume are kept for the next apply.
#pragma once

#include <string>

#include "engine/events.hpp"
#include "engine/state_store.hpp"

namespace rollout::engine {

struct ControlResult {
  bool driven = false;  // an apply is running and will act on the request
  std::string message;  // what happened, for the user
};

// The rollout's state; ErrorKind::not_found naming the ConfigMap when there is none.
Result<StateSnapshot> read_rollout(k8s::Client& client, const std::string& ns, const std::string& name);

Result<ControlResult> promote_rollout(k8s::Client& client, const std::string& ns, const std::string& name, bool full);
Result<ControlResult> pause_rollout(k8s::Client& client, const std::string& ns, const std::string& name);
Result<ControlResult> resume_rollout(k8s::Client& client, const std::string& ns, const std::string& name);
// With an apply running: asks it (it rolls back and exits 4). Without: rolls back here.
Result<ControlResult> abort_rollout(k8s::Client& client, const std::string& ns, const std::string& name,
                                    EventSink& events);

// Who is asking, for messages in the state ("user@host").
std::string requester();

}  // namespace rollout::engine
