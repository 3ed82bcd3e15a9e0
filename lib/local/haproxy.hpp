// HAProxy as the load balancer, through its runtime API on the admin socket: `set server B/S
// state ready|drain|maint`, `set server B/S weight N` and `show stat` (scur and qcur say what a
// server still has in flight). No reloads, nothing written to disk.
#pragma once

#include "local/load_balancer.hpp"

namespace rollout::local {

// One row of `show stat` for a server (pure, tested on captured output).
struct HaproxyServerStat {
  std::string name;
  std::string status;  // "UP", "DOWN", "DRAIN", "MAINT", "no check", ...
  int weight = 0;      // the configured (user) weight
  int scur = 0;        // current sessions
  int qcur = 0;        // queued requests
};

// The servers of `backend` in `show stat` CSV output. invalid when the header is missing.
Result<std::vector<HaproxyServerStat>> parse_show_stat(const std::string& csv, const std::string& backend);

// One command over a UNIX admin socket; the answer (empty on success for `set` commands).
Result<std::string> haproxy_command(const std::string& socket, const std::string& command);

class HaproxyLoadBalancer : public LoadBalancer {
 public:
  HaproxyLoadBalancer(plan::HaproxyBalancer config, std::vector<plan::LocalReplica> replicas);
  std::string describe() const override;
  Result<ServerStates> read() override;
  Status set(const ServerStates& states) override;
  Result<std::optional<int>> in_flight(const std::string& replica) override;

 private:
  Result<std::vector<HaproxyServerStat>> stats();
  Result<HaproxyServerStat> stat_of(const std::string& replica);

  plan::HaproxyBalancer config_;
  std::vector<plan::LocalReplica> replicas_;
};

}  // namespace rollout::local
