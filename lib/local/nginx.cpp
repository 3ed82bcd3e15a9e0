#include "local/nginx.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "local/nginx_upstream.hpp"
#include "local/procs.hpp"
#include "util/file.hpp"

namespace rollout::local {

namespace {

Status write_file(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return make_error(ErrorKind::unavailable, "cannot write " + path + ": " + std::strerror(errno));
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok) return make_error(ErrorKind::unavailable, "cannot write " + path);
  return ok_status();
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// The values of -p and -c in a command: they tell this nginx's master from others on the machine.
std::vector<std::string> instance_args(const std::vector<std::string>& argv) {
  std::vector<std::string> out;
  for (size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == "-p" || argv[i] == "-c") out.push_back(argv[i + 1]);
  return out;
}

}  // namespace

NginxLoadBalancer::NginxLoadBalancer(plan::NginxBalancer config, std::vector<plan::LocalReplica> replicas,
                                     ProcessRunner run)
    : config_(std::move(config)), replicas_(std::move(replicas)), run_(std::move(run)) {}

std::string NginxLoadBalancer::describe() const {
  return "nginx upstream " + config_.upstream + " in " + config_.upstream_file;
}

Result<std::map<std::string, std::string>> NginxLoadBalancer::addresses(const std::string& text) const {
  auto servers = read_upstream(text, config_.upstream);
  if (!servers.ok()) return make_error(servers.error().kind, config_.upstream_file + ": " + servers.error().message);
  std::map<std::string, std::string> out;
  for (const auto& r : replicas_) {
    for (const auto& s : *servers)
      if (same_server(s.address, r.host, r.port)) out[r.name] = s.address;
    if (!out.count(r.name))
      return make_error(ErrorKind::not_found, config_.upstream_file + ": upstream " + config_.upstream +
                                                  " has no server for replica " + r.name + " (" + r.host + ":" +
                                                  std::to_string(r.port) + ")");
  }
  return out;
}

Result<ServerStates> NginxLoadBalancer::read() {
  auto text = read_file(config_.upstream_file);
  if (!text.ok()) return text.error();
  auto by_name = addresses(*text);
  if (!by_name.ok()) return by_name.error();
  auto servers = read_upstream(*text, config_.upstream);
  ServerStates out;
  for (const auto& [name, address] : *by_name)
    for (const auto& s : *servers)
      if (s.address == address) out[name] = s.state;
  return out;
}

Status NginxLoadBalancer::run_step(const std::vector<std::string>& argv, const std::string& what) {
  auto r = run_(argv, {}, "", Duration(60000));
  if (!r.ok()) return make_error(ErrorKind::unavailable, what + ": " + r.error().message);
  if (!r->succeeded())
    return make_error(ErrorKind::unavailable,
                      what + " failed (exit " + std::to_string(r->exit_code) + "): " + output_tail(r->stderr_data + r->stdout_data));
  return ok_status();
}

std::optional<int> NginxLoadBalancer::master() const {
  std::vector<int> masters;
  for (int pid : all_pids())
    if (starts_with(cmdline(pid), "nginx: master process")) masters.push_back(pid);
  if (masters.size() <= 1) return masters.empty() ? std::nullopt : std::optional<int>(masters[0]);
  const auto want = instance_args(config_.reload);
  std::vector<int> ours;
  for (int pid : masters) {
    const std::string line = cmdline(pid);
    bool all = !want.empty();
    for (const auto& w : want) all = all && line.find(w) != std::string::npos;
    if (all) ours.push_back(pid);
  }
  return ours.size() == 1 ? std::optional<int>(ours[0]) : std::nullopt;
}

std::set<int> NginxLoadBalancer::workers(int master) const {
  std::set<int> out;
  for (int pid : all_pids())
    if (parent_of(pid) == master && starts_with(cmdline(pid), "nginx: worker process")) out.insert(pid);
  return out;
}

Status NginxLoadBalancer::set(const ServerStates& states) {
  auto before = read_file(config_.upstream_file);
  if (!before.ok()) return before.error();
  auto by_name = addresses(*before);
  if (!by_name.ok()) return by_name.error();
  std::map<std::string, ServerState> by_address;
  for (const auto& [name, st] : states) by_address[by_name->at(name)] = st;
  auto after = write_upstream(*before, config_.upstream, by_address);
  if (!after.ok()) return after.error();
  if (*after == *before) return ok_status();
  const auto pid = master();
  const std::set<int> old = pid ? workers(*pid) : std::set<int>{};
  if (auto s = write_file(config_.upstream_file, *after); !s.ok()) return s;
  auto undo = [&](const Error& e) -> Status {
    (void)write_file(config_.upstream_file, *before);
    return make_error(e.kind, e.message + "; " + config_.upstream_file + " was restored");
  };
  if (auto s = run_step(config_.test, "nginx configuration test"); !s.ok()) return undo(s.error());
  if (auto s = run_step(config_.reload, "nginx reload"); !s.ok()) return undo(s.error());
  if (!pid) return ok_status();  // no master to watch: the reload command's exit status is all we have
  // The master starts new workers when it accepts the configuration, and keeps the old ones when not.
  for (int i = 0; i < 200; ++i) {
    for (int w : workers(*pid))
      if (!old.count(w)) {
        old_workers_.insert(old.begin(), old.end());
        return ok_status();
      }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const Error refused = make_error(ErrorKind::unavailable, "nginx (master pid " + std::to_string(*pid) +
                                                        ") started no new workers within 10s of the reload: it refused "
                                                        "the new configuration (see its error log)");
  auto s = undo(refused);
  (void)run_step(config_.reload, "nginx reload");
  return s;
}

bool NginxLoadBalancer::settled() {
  for (auto it = old_workers_.begin(); it != old_workers_.end();)
    it = alive(*it) ? std::next(it) : old_workers_.erase(it);
  return old_workers_.empty();
}

}  // namespace rollout::local
