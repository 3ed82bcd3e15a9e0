// The load balancer in front of local replicas, behind one small interface: read and set each
// replica's server state, say how many requests it still has on a server, and whether everything
// that may still hold connections to a drained server is gone. One file pair per balancer
// (nginx.cpp: the upstream file and a reload; haproxy.cpp: the runtime API), chosen by
// make_load_balancer from the plan's loadBalancer block.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "plan/plan.hpp"
#include "util/result.hpp"
#include "util/subprocess.hpp"

namespace rollout::local {

// ready: takes new requests; drain: none new, in-flight ones finish (nginx `down`, HAProxy
// `drain`); maint: HAProxy `maint` (nginx `down` too).
enum class Admin { ready, drain, maint };
const char* to_string(Admin a);
std::optional<Admin> admin_from(const std::string& s);

struct ServerState {
  Admin admin = Admin::ready;
  int weight = 1;
  bool operator==(const ServerState&) const = default;
};

using ServerStates = std::map<std::string, ServerState>;  // by replica name

class LoadBalancer {
 public:
  virtual ~LoadBalancer() = default;
  // "nginx upstream llm in /etc/nginx/conf.d/llm.conf", for messages.
  virtual std::string describe() const = 0;
  // The state of each replica's server. A replica with no server is ErrorKind::not_found.
  virtual Result<ServerStates> read() = 0;
  // Puts these servers (others untouched) in these states and confirms the balancer took them;
  // on failure nothing is left changed.
  virtual Status set(const ServerStates& states) = 0;
  // Requests the balancer itself still has on the replica's server (HAProxy scur + qcur), or
  // nullopt when it cannot tell (nginx OSS): then the replica's own metrics decide.
  virtual Result<std::optional<int>> in_flight(const std::string& replica) = 0;
  // Nothing is left that took requests for a server before it was drained (nginx: the workers of
  // the configuration before the last reload have exited).
  virtual bool settled() { return true; }
};

// The replicas' servers: `all` is every replica the plan names (both sets in blueGreen).
Result<std::unique_ptr<LoadBalancer>> make_load_balancer(const plan::LocalTarget& target,
                                                         const std::vector<plan::LocalReplica>& all,
                                                         ProcessRunner run = run_process);

}  // namespace rollout::local
