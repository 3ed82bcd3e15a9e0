#include "local/procs.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

namespace rollout::local {

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The fields of /proc/pid/stat after the command name (which may hold spaces): [0] is the state.
std::vector<std::string> stat_fields(int pid) {
  const std::string text = read_all("/proc/" + std::to_string(pid) + "/stat");
  const size_t close = text.rfind(')');
  std::vector<std::string> out;
  if (close == std::string::npos) return out;
  std::istringstream in(text.substr(close + 1));
  for (std::string f; in >> f;) out.push_back(f);
  return out;
}

// Socket inodes listening on `port` in /proc/net/tcp{,6} (state 0A = LISTEN).
std::set<std::string> listening_inodes(int port) {
  std::set<std::string> out;
  for (const char* file : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::istringstream in(read_all(file));
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream l(line);
      std::string sl, local, remote, st, queues, tr, retr, uid, timeout, inode;
      l >> sl >> local >> remote >> st >> queues >> tr >> retr >> uid >> timeout >> inode;
      const size_t colon = local.rfind(':');
      if (st != "0A" || colon == std::string::npos) continue;
      if (std::stoi(local.substr(colon + 1), nullptr, 16) == port) out.insert(inode);
    }
  }
  return out;
}

}  // namespace

std::vector<int> all_pids() {
  std::vector<int> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  while (dirent* e = readdir(d))
    if (std::isdigit(static_cast<unsigned char>(e->d_name[0]))) out.push_back(std::atoi(e->d_name));
  closedir(d);
  return out;
}

bool port_listening(int port) { return !listening_inodes(port).empty(); }

std::optional<int> listener_pid(int port) {
  const auto inodes = listening_inodes(port);
  if (inodes.empty()) return std::nullopt;
  for (int pid : all_pids()) {
    const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    DIR* d = opendir(dir.c_str());
    if (!d) continue;
    bool found = false;
    while (dirent* e = readdir(d)) {
      char target[128];
      const ssize_t n = readlink((dir + "/" + e->d_name).c_str(), target, sizeof target - 1);
      if (n <= 0) continue;
      target[n] = 0;
      const std::string t(target);
      if (t.rfind("socket:[", 0) == 0 && inodes.count(t.substr(8, t.size() - 9))) {
        found = true;
        break;
      }
    }
    closedir(d);
    if (found) return pid;
  }
  return std::nullopt;
}

std::optional<long long> start_time(int pid) {
  const auto f = stat_fields(pid);
  if (f.size() < 20) return std::nullopt;
  return std::stoll(f[19]);  // field 22 of the whole line
}

bool alive(int pid) {
  const auto f = stat_fields(pid);
  return !f.empty() && f[0] != "Z" && f[0] != "X";
}

int parent_of(int pid) {
  const auto f = stat_fields(pid);
  return f.size() > 1 ? std::atoi(f[1].c_str()) : 0;
}

std::string cmdline(int pid) {
  std::string s = read_all("/proc/" + std::to_string(pid) + "/cmdline");
  while (!s.empty() && s.back() == '\0') s.pop_back();
  for (char& c : s)
    if (c == '\0') c = ' ';
  return s;
}

}  // namespace rollout::local
