// Crash safety of a local rolling update: the Run of run_crash_test.cpp, on two local replicas
// behind a real HAProxy (its runtime API on a temporary socket), the replicas real processes
// (`rollout sandbox model-server`) that outlive the stopped run as they outlive a kill -9. A run
// stops after its k-th write, counting the state store's writes and each change the fleet makes
// to the machine (its state file, a load-balancer change, a process stop or start:
// Seams::host_write). For every k: the state parses, and a fresh run ends with both replicas on
// the new version, one process on each port, both back in the load balancer, Succeeded, recorded
// once.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "engine/run_crash_fixture.hpp"
#include "local/load_balancer.hpp"
#include "local/procs.hpp"
#include "local/replica_http.hpp"
#include "local/replica_process.hpp"
#include "util/file.hpp"

using namespace rollout;
using namespace rollout::engine;
using namespace rollout::engine::testing;
using nlohmann::json;

namespace {

// `n` distinct ports nothing listens on now: the kernel's picks for sockets bound to port 0, all
// held until the last is picked (one at a time, the kernel may hand out the same port twice).
std::vector<int> free_ports(int n) {
  std::vector<int> fds, ports;
  for (int i = 0; i < n; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    fds.push_back(fd);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    ports.push_back(ntohs(a.sin_port));
  }
  for (int fd : fds) close(fd);
  return ports;
}

// The processes a fixture starts: whatever listens on the replicas' ports (started by hand or by
// a run) and HAProxy, stopped by pid when the fixture ends, even one whose constructor failed
// half way (a member is destroyed then; the fixture's own destructor would not run).
struct LocalProcesses {
  std::vector<int> all = free_ports(3);
  std::vector<int> ports{all[0], all[1]};  // the replicas'
  int lb_port = all[2];                    // HAProxy's frontend
  int haproxy_pid = 0;
  ~LocalProcesses() {
    for (int port : ports)
      if (auto pid = local::listener_pid(port)) (void)local::stop_process(*pid, Duration(2000));
    if (haproxy_pid > 0) (void)local::stop_process(haproxy_pid, Duration(2000));
  }
};

std::string version_on(int port) {
  auto v = local::http_get(local::base_url("127.0.0.1", port) + "/version", Duration(2000));
  if (!v.ok() || v->status != 200) return "-";
  return json::parse(v->body, nullptr, false).value("version", "?");
}

struct LocalRollingRun : RunFixture {
  LocalProcesses procs;
  const std::vector<int>& ports = procs.ports;
  std::string socket = dir.path + "/admin.sock";
  int host_writes = 0;  // the fleet's own changes, of faults.done

  LocalRollingRun() {
    seams.state_dir = dir.path;
    seams.host_write = [this]() -> Status {
      if (faults.take()) return ++host_writes, ok_status();
      if (std::this_thread::get_id() == faults.owner) throw ProcessGone{};
      return make_error(ErrorKind::unavailable, "the process died at a write (on a worker thread)");
    };
    start_haproxy();
    // The stable version, started by hand as an operator would: the fleet finds it by its port.
    for (size_t i = 0; i < ports.size(); ++i) {
      auto p = local::start_detached(server("v1", ports[i]), {}, dir.path + "/by-hand-" + std::to_string(i) + ".log");
      REQUIRE(p.ok());
    }
    REQUIRE(actuators::testing::eventually([&] { return versions() == "v1 v1"; }, std::chrono::seconds(20)));
    plan = local_plan();
  }

  std::vector<std::string> server(const std::string& version, int port) const {
    return {ROLLOUT_BINARY, "sandbox", "model-server", "--port", std::to_string(port), "--model", "test-model",
            "--version", version};
  }

  void start_haproxy() {
    const std::string cfg = dir.path + "/haproxy.cfg", pidfile = dir.path + "/haproxy.pid";
    std::ofstream(cfg) << "global\n    stats socket " << socket << " mode 600 level admin\n    pidfile " << pidfile
                       << "\ndefaults\n    mode http\n    timeout connect 2s\n    timeout client 30s\n"
                       << "    timeout server 30s\nfrontend fe\n    bind 127.0.0.1:" << procs.lb_port
                       << "\n    default_backend llm\nbackend llm\n    server gpu0 127.0.0.1:" << ports[0]
                       << "\n    server gpu1 127.0.0.1:" << ports[1] << "\n";
    auto r = run_process({"haproxy", "-D", "-f", cfg}, {}, "", Duration(10000));
    REQUIRE(r.ok());  // haproxy is missing: `source .ci/deps.sh; rollout_install_deps`
    INFO(r->stderr_data);
    REQUIRE(r->succeeded());
    REQUIRE(actuators::testing::eventually([&] { return read_file(pidfile).ok() && file_exists(socket); },
                                           std::chrono::seconds(10)));
    procs.haproxy_pid = std::stoi(*read_file(pidfile));
  }

  plan::Plan local_plan() const {
    auto version = [&](const std::string& v) {
      return json{{"command", {ROLLOUT_BINARY, "sandbox", "model-server", "--port", "{port}", "--model", "{model}",
                               "--version", v}},
                  {"model", "test-model"}};
    };
    const json local = {{"loadBalancer", {{"haproxy", {{"socket", socket}, {"backend", "llm"}}}}},
                        {"replicas",
                         {{{"name", "gpu0"}, {"gpu", 0}, {"port", ports[0]}}, {{"name", "gpu1"}, {"gpu", 1}, {"port", ports[1]}}}},
                        {"stable", version("v1")},
                        {"canary", version("v2")},
                        {"stop", {{"grace", "5s"}}},
                        {"health", {{"path", "/health"}, {"timeout", "20s"}}},
                        {"drain", {{"timeout", "20s"}}}};
    return rolling_plan(json{{"local", local}}.dump());
  }

  std::string versions() const { return version_on(ports[0]) + " " + version_on(ports[1]); }

  // Both servers in the balancer's rotation.
  std::string lb_states() {
    auto lb = local::make_load_balancer(std::get<plan::LocalTarget>(plan.target),
                                        std::get<plan::LocalTarget>(plan.target).replicas);
    REQUIRE(lb.ok());
    auto states = (*lb)->read();
    REQUIRE(states.ok());
    std::string out;
    for (const auto& [name, s] : *states) out += name + "=" + local::to_string(s.admin) + " ";
    return out;
  }
};

void finished(RunFixture& run) {
  auto& f = static_cast<LocalRollingRun&>(run);
  CHECK(f.versions() == "v2 v2");
  CHECK(f.lb_states() == "gpu0=ready gpu1=ready ");
  // One process per replica: the one on the port is the one the fleet recorded (nothing started twice).
  auto text = read_file(f.dir.path + "/bg.local.json");
  REQUIRE(text.ok());
  const json fleet = json::parse(*text);
  for (size_t i = 0; i < f.ports.size(); ++i) {
    const std::string name = "gpu" + std::to_string(i);
    CHECK(fleet["versions"][name] == "canary");
    CHECK(local::listener_pid(f.ports[i]) == std::optional<int>(fleet["processes"][name].value("pid", 0)));
  }
}

}  // namespace

TEST_CASE("Run: a local rolling update's writes include each change its fleet makes to the machine",
          "[run][crash][local]") {
  LocalRollingRun f;
  f.promote_at_pause_steps();
  check_finished(f, f.apply_ok());
  finished(f);
  INFO("a clean run's writes: " << f.faults.done.load() << ", of which the fleet's: " << f.host_writes);
  // Per replica at least: drained at the balancer, recorded out, stopped, started, recorded
  // started, on the new version, back in the balancer, recorded back.
  CHECK(f.host_writes >= 2 * 8);
}

// Two cases of half the writes each (a clean run makes 45), so that each stays well inside
// ctest's timeout.
TEST_CASE("Run: local rolling update stopped after any of its first writes, a fresh run finishes it",
          "[run][crash][local]") {
  const int first = GENERATE(range(0, 24, 4));
  crash_at_every_write<LocalRollingRun>(first, 4, 12, finished);
}

TEST_CASE("Run: local rolling update stopped after any of its last writes, a fresh run finishes it",
          "[run][crash][local]") {
  const int first = GENERATE(range(24, 48, 4));
  crash_at_every_write<LocalRollingRun>(first, 4, 12, finished);
}
