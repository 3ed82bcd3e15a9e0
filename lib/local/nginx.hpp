// nginx as the load balancer: rewrites the replicas' `server` lines in its own upstream file,
// runs the plan's `test` command, then `reload`, and restores the previous file if either fails.
// `nginx -s reload` only signals the master and exits 0 even when the master refuses the new
// configuration, so a reload counts only once the master has started new workers; the workers of
// the previous configuration may still hold requests to a drained server, so `settled()` waits
// for them to exit.
#pragma once

#include <set>

#include "local/load_balancer.hpp"

namespace rollout::local {

class NginxLoadBalancer : public LoadBalancer {
 public:
  NginxLoadBalancer(plan::NginxBalancer config, std::vector<plan::LocalReplica> replicas, ProcessRunner run);
  std::string describe() const override;
  Result<ServerStates> read() override;
  Status set(const ServerStates& states) override;
  Result<std::optional<int>> in_flight(const std::string&) override { return std::optional<int>(); }
  bool settled() override;

 private:
  Result<std::map<std::string, std::string>> addresses(const std::string& text) const;  // replica -> address
  Status run_step(const std::vector<std::string>& argv, const std::string& what);
  std::optional<int> master() const;
  std::set<int> workers(int master) const;

  plan::NginxBalancer config_;
  std::vector<plan::LocalReplica> replicas_;
  ProcessRunner run_;
  std::set<int> old_workers_;  // of configurations before the last reload, maybe still busy
};

}  // namespace rollout::local
