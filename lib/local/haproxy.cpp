#include "local/haproxy.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <sstream>

namespace rollout::local {

namespace {

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

Admin admin_of(const std::string& status) {
  if (status.find("MAINT") != std::string::npos) return Admin::maint;
  if (status.find("DRAIN") != std::string::npos || status.find("NOLB") != std::string::npos) return Admin::drain;
  return Admin::ready;
}

}  // namespace

Result<std::vector<HaproxyServerStat>> parse_show_stat(const std::string& csv, const std::string& backend) {
  std::istringstream in(csv);
  std::string line;
  std::map<std::string, size_t> col;
  std::vector<HaproxyServerStat> out;
  while (std::getline(in, line)) {
    if (line.rfind("# ", 0) == 0) {
      auto names = split_csv(line.substr(2));
      for (size_t i = 0; i < names.size(); ++i) col[names[i]] = i;
      continue;
    }
    if (col.empty() || line.empty()) continue;
    for (const char* need : {"pxname", "svname", "qcur", "scur", "status", "weight"})
      if (!col.count(need)) return make_error(ErrorKind::invalid, std::string("show stat has no ") + need + " column");
    const auto f = split_csv(line);
    auto at = [&](const char* name) { return col.count(name) && col[name] < f.size() ? f[col[name]] : std::string(); };
    if (at("pxname") != backend || at("svname") == "BACKEND" || at("svname") == "FRONTEND") continue;
    HaproxyServerStat s;
    s.name = at("svname");
    s.status = at("status");
    const std::string uweight = at("uweight");
    s.weight = std::atoi((uweight.empty() ? at("weight") : uweight).c_str());
    s.scur = std::atoi(at("scur").c_str());
    s.qcur = std::atoi(at("qcur").c_str());
    out.push_back(s);
  }
  if (col.empty()) return make_error(ErrorKind::invalid, "show stat answered without its CSV header: " + csv.substr(0, 200));
  return out;
}

Result<std::string> haproxy_command(const std::string& socket_path, const std::string& command) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(ErrorKind::unavailable, std::string("socket: ") + std::strerror(errno));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    return make_error(ErrorKind::unavailable, "HAProxy admin socket " + socket_path + ": " + why);
  }
  const std::string line = command + "\n";
  if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    ::close(fd);
    return make_error(ErrorKind::unavailable, "HAProxy admin socket " + socket_path + ": write failed");
  }
  std::string out;
  char buf[8192];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) {
      ::close(fd);
      return make_error(ErrorKind::unavailable, "HAProxy admin socket " + socket_path + ": no answer to " + command);
    }
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

HaproxyLoadBalancer::HaproxyLoadBalancer(plan::HaproxyBalancer config, std::vector<plan::LocalReplica> replicas)
    : config_(std::move(config)), replicas_(std::move(replicas)) {}

std::string HaproxyLoadBalancer::describe() const { return "HAProxy backend " + config_.backend + " (" + config_.socket + ")"; }

Result<std::vector<HaproxyServerStat>> HaproxyLoadBalancer::stats() {
  auto csv = haproxy_command(config_.socket, "show stat");
  if (!csv.ok()) return csv.error();
  return parse_show_stat(*csv, config_.backend);
}

Result<HaproxyServerStat> HaproxyLoadBalancer::stat_of(const std::string& replica) {
  auto all = stats();
  if (!all.ok()) return all.error();
  for (const auto& s : *all)
    if (s.name == replica) return s;
  return make_error(ErrorKind::not_found, "HAProxy backend " + config_.backend + " has no server " + replica +
                                              " (server names must be the replica names)");
}

Result<ServerStates> HaproxyLoadBalancer::read() {
  auto all = stats();
  if (!all.ok()) return all.error();
  ServerStates out;
  for (const auto& r : replicas_) {
    for (const auto& s : *all)
      if (s.name == r.name) out[r.name] = ServerState{admin_of(s.status), s.weight};
    if (!out.count(r.name))
      return make_error(ErrorKind::not_found, "HAProxy backend " + config_.backend + " has no server " + r.name +
                                                  " (server names must be the replica names)");
  }
  return out;
}

Status HaproxyLoadBalancer::set(const ServerStates& states) {
  auto now = read();
  if (!now.ok()) return now.error();
  for (const auto& [name, want] : states) {
    const ServerState& have = now->at(name);
    const std::string server = config_.backend + "/" + name;
    std::vector<std::string> commands;
    if (have.weight != want.weight) commands.push_back("set server " + server + " weight " + std::to_string(want.weight));
    if (have.admin != want.admin) commands.push_back("set server " + server + " state " + to_string(want.admin));
    for (const auto& c : commands) {
      auto answer = haproxy_command(config_.socket, c);
      if (!answer.ok()) return answer.error();
      std::string a = *answer;
      while (!a.empty() && std::isspace(static_cast<unsigned char>(a.back()))) a.pop_back();
      if (!a.empty()) return make_error(ErrorKind::unavailable, "HAProxy refused `" + c + "`: " + a);
    }
  }
  auto after = read();
  if (!after.ok()) return after.error();
  for (const auto& [name, want] : states)
    if (after->at(name).admin != want.admin || after->at(name).weight != want.weight)
      return make_error(ErrorKind::unavailable, "HAProxy server " + config_.backend + "/" + name + " is " +
                                                    to_string(after->at(name).admin) + " weight " +
                                                    std::to_string(after->at(name).weight) + " after being set to " +
                                                    to_string(want.admin) + " weight " + std::to_string(want.weight));
  return ok_status();
}

Result<std::optional<int>> HaproxyLoadBalancer::in_flight(const std::string& replica) {
  auto s = stat_of(replica);
  if (!s.ok()) return s.error();
  return std::optional<int>(s->scur + s->qcur);
}

}  // namespace rollout::local
