#include "local/load_balancer.hpp"

#include "local/haproxy.hpp"
#include "local/nginx.hpp"

namespace rollout::local {

const char* to_string(Admin a) {
  switch (a) {
    case Admin::ready: return "ready";
    case Admin::drain: return "drain";
    case Admin::maint: return "maint";
  }
  return "ready";
}

std::optional<Admin> admin_from(const std::string& s) {
  for (Admin a : {Admin::ready, Admin::drain, Admin::maint})
    if (s == to_string(a)) return a;
  return std::nullopt;
}

Result<std::unique_ptr<LoadBalancer>> make_load_balancer(const plan::LocalTarget& target,
                                                         const std::vector<plan::LocalReplica>& all,
                                                         ProcessRunner run) {
  if (const auto* n = std::get_if<plan::NginxBalancer>(&target.load_balancer))
    return std::unique_ptr<LoadBalancer>(std::make_unique<NginxLoadBalancer>(*n, all, std::move(run)));
  if (const auto* h = std::get_if<plan::HaproxyBalancer>(&target.load_balancer))
    return std::unique_ptr<LoadBalancer>(std::make_unique<HaproxyLoadBalancer>(*h, all));
  return make_error(ErrorKind::invalid, "the local target has no load balancer");
}

}  // namespace rollout::local
