// `rollout sandbox up`: run the sandbox API server in the foreground until SIGINT or SIGTERM.
#include <csignal>
#include <mutex>
#include <ostream>

#include "cli/commands.hpp"
#include "sandbox/gateway_address.hpp"
#include "sandbox/sandbox_server.hpp"
#include "util/duration.hpp"

namespace rollout::cli {

Status sandbox_up(const SandboxUpOptions& o, Terminal& t) {
  sandbox::SandboxOptions options;
  options.address = o.address;
  options.port = o.port;
  options.tls = !o.plain_http;
  options.data_dir = o.data_dir;
  options.kubeconfig_out = o.kubeconfig_out;
  options.audit_log_path = o.audit_log_path;
  options.faults.error_rate = o.fault_error_rate;
  options.faults.throttle_rate = o.fault_throttle_rate;
  options.faults.drop_watch_after = o.fault_drop_watch_after;
  std::string why;
  auto latency = parse_duration(o.fault_latency, &why);
  if (!latency) return make_error(ErrorKind::usage, "--fault-latency: " + why);
  options.faults.latency_ms = static_cast<int>(latency->count());
  options.traffic.rate = o.traffic_rate;
  options.disabled_apis = o.disable_api;
  options.traffic.header_share = o.traffic_header_share;
  if (!o.traffic_header.empty()) {
    const auto eq = o.traffic_header.find('=');
    if (eq == std::string::npos || eq == 0)
      return make_error(ErrorKind::usage, "--traffic-header: expected NAME=VALUE, got \"" + o.traffic_header + "\"");
    options.traffic.header_name = o.traffic_header.substr(0, eq);
    options.traffic.header_value = o.traffic_header.substr(eq + 1);
  }
  auto gateway_ports = sandbox::parse_gateway_ports(o.gateway_ports);
  if (!gateway_ports.ok()) return gateway_ports.error();
  options.gateway_ports = *gateway_ports;
  std::mutex out_mu;  // notices come from the sandbox's controller thread
  options.notice = [&t, &out_mu](const std::string& line) {
    std::lock_guard lock(out_mu);
    t.out << "rollout sandbox: " << line << std::endl;
  };

  // Block the signals before any thread starts, then wait for one.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  sandbox::SandboxServer server(options);
  if (auto s = server.start(); !s.ok()) return s;
  std::unique_lock lock(out_mu);
  t.out << "rollout sandbox: API server listening on " << server.url() << "\n"
        << "kubeconfig: " << server.kubeconfig_path() << "\n"
        << "  export KUBECONFIG=" << server.kubeconfig_path() << "\n"
        << "prometheus config (scrapes every pod): " << server.prometheus_config_path() << "\n"
        << (o.data_dir.empty() ? "objects are kept in memory (use --data-dir to keep them)\n"
                               : "objects are kept in " + o.data_dir + "\n")
        << "gateways: each Gateway is served on its own 127.0.0.N (status.addresses), on its listeners' ports";
  for (const auto& [from, to] : options.gateway_ports) t.out << " (" << from << " on " << to << ")";
  t.out << "\nPress Ctrl-C to stop." << std::endl;
  lock.unlock();
  int sig = 0;
  sigwait(&signals, &sig);
  {
    std::lock_guard stop_lock(out_mu);
    t.out << "rollout sandbox: stopping (" << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ")" << std::endl;
  }
  server.stop();
  return ok_status();
}

}  // namespace rollout::cli
