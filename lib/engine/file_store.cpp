#include "engine/file_store.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dirent.h>

#include "util/file.hpp"
#include "util/timestamp.hpp"

namespace rollout::engine {

using nlohmann::json;

namespace {

Error io_error(const std::string& what, const std::string& path) {
  return make_error(ErrorKind::unavailable, fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

// Writes `text` to `path` atomically: a reader sees the old file or the new one, never half.
Status write_atomically(const std::string& path, const std::string& text, mode_t mode = 0644) {
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return io_error("cannot write", tmp);
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      unlink(tmp.c_str());
      return io_error("cannot write", tmp);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  fsync(fd);
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return io_error("cannot rename into", path);
  }
  return ok_status();
}

json read_json(const std::string& path, json fallback) {
  auto text = read_file(path);
  if (!text.ok()) return fallback;
  json j = json::parse(*text, nullptr, false);
  return j.is_discarded() ? fallback : j;
}

// Holds an exclusive flock on `path` for the scope (short critical sections between requesters).
class ScopedFlock {
 public:
  explicit ScopedFlock(const std::string& path) : fd_(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ >= 0) flock(fd_, LOCK_EX);
  }
  ~ScopedFlock() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

std::optional<LockHolder> holder_from_json(const json& j) {
  if (!j.is_object() || j.value("id", "").empty()) return std::nullopt;
  LockHolder h;
  h.id = j.value("id", "");
  h.host = j.value("host", "");
  h.pid = j.value("pid", 0);
  h.since = j.value("since", "");
  h.renewed = j.value("renewed", "");
  return h;
}

// Whether some open file description holds the flock on `path` (this process's own included).
bool flock_held(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  close(fd);
  return held;
}

}  // namespace

std::string default_state_dir() {
  const char* xdg = std::getenv("XDG_STATE_HOME");
  if (xdg && *xdg) return std::string(xdg) + "/rollout";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.local/state/rollout";
}

FileStore::FileStore(std::string dir, std::string rollout_name, Clock& clock)
    : dir_(std::move(dir)), name_(std::move(rollout_name)), state_path_(dir_ + "/" + name_ + ".json"), clock_(clock) {}

FileStore::~FileStore() {
  if (lock_fd_ >= 0) close(lock_fd_);
}

Status FileStore::ensure_dir() const {
  // mkdir -p
  std::string partial;
  for (size_t i = 0; i <= dir_.size(); ++i) {
    if (i == dir_.size() || (dir_[i] == '/' && i > 0)) {
      partial = dir_.substr(0, i);
      if (mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) return io_error("cannot create the state dir", partial);
    }
  }
  return ok_status();
}

Result<StateSnapshot> FileStore::read() {
  StateSnapshot s;
  const json state = read_json(state_path_, nullptr);
  s.exists = file_exists(state_path_) || file_exists(path(".control.json"));
  if (!state.is_null()) {
    auto decoded = state_from_json(state);
    if (!decoded.ok())
      return make_error(ErrorKind::invalid, state_path_ + ": " + decoded.error().message);
    s.state = std::move(*decoded);
  }
  s.control = control_from_json(read_json(path(".control.json"), json::object()));
  const json history = read_json(path(".history.json"), json::array());
  if (history.is_array())
    for (const auto& r : history) s.history.push_back(run_record_from_json(r));
  if (flock_held(path(".lock"))) s.lock = holder_from_json(read_json(path(".lock"), nullptr));
  if (s.lock) s.resource_version = s.lock->renewed;
  return s;
}

Status FileStore::acquire(const LockHolder& me) {
  if (auto s = ensure_dir(); !s.ok()) return s;
  const std::string lock_path = path(".lock");
  int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("cannot open the lock", lock_path);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    close(fd);
    if (err != EWOULDBLOCK) return io_error("cannot lock", lock_path);
    auto holder = holder_from_json(read_json(lock_path, nullptr));
    return make_error(ErrorKind::locked,
                      fmt::format("rollout {} is being applied by {} (lock {}); wait for it, or use `rollout abort {}`",
                                  name_, holder ? holder->describe() : "another process", lock_path, name_));
  }
  // Ours now; whatever the file says is a holder that is gone.
  const json text = {{"id", me.id}, {"host", me.host}, {"pid", me.pid}, {"since", me.since}, {"renewed", me.renewed}};
  const std::string body = text.dump() + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, body.data(), body.size(), 0) != static_cast<ssize_t>(body.size())) {
    close(fd);
    return io_error("cannot write", lock_path);
  }
  if (lock_fd_ >= 0) close(lock_fd_);
  lock_fd_ = fd;
  return ok_status();
}

bool FileStore::driven(const StateSnapshot& snapshot) const {
  return snapshot.lock.has_value() || flock_held(dir_ + "/" + name_ + ".lock");
}

Status FileStore::release(const LockHolder&) {
  if (lock_fd_ < 0) return ok_status();
  if (ftruncate(lock_fd_, 0) != 0) { /* the flock is what counts */ }
  close(lock_fd_);  // drops the flock
  lock_fd_ = -1;
  return ok_status();
}

Status FileStore::save(RolloutState& state, const LockHolder&) {
  if (lock_fd_ < 0) return make_error(ErrorKind::internal, "rollout " + name_ + ": save without the lock");
  state.updated_at = format_rfc3339(clock_.wall());
  trim_measurements(state);
  return write_atomically(state_path_, to_json(state).dump() + "\n");
}

Status FileStore::append_history(const RunRecord& record) {
  if (auto s = ensure_dir(); !s.ok()) return s;
  ScopedFlock guard(path(".control.lock"));
  json history = read_json(path(".history.json"), json::array());
  if (!history.is_array()) history = json::array();
  // A run's record once: a run stopped after recording it records it again when resumed.
  for (auto it = history.begin(); it != history.end();)
    it = it->is_object() && it->value("runId", "") == record.run_id ? history.erase(it) : it + 1;
  history.push_back(to_json(record));
  constexpr size_t kMaxRuns = 50;
  while (history.size() > kMaxRuns) history.erase(history.begin());
  return write_atomically(path(".history.json"), history.dump() + "\n");
}

Status FileStore::keep_plan(const std::string& hash, const std::string& text) {
  if (auto s = ensure_dir(); !s.ok()) return s;
  const std::string mine = name_ + ".plan-" + hash + ".yaml";
  if (auto s = write_atomically(dir_ + "/" + mine, text, 0600); !s.ok()) return s;
  auto snap = read();
  const std::string running = snap.ok() && snap->state ? name_ + ".plan-" + snap->state->plan_hash + ".yaml" : mine;
  const std::string prefix = name_ + ".plan-";
  if (DIR* d = opendir(dir_.c_str())) {
    while (const dirent* e = readdir(d)) {
      const std::string f = e->d_name;
      if (f.size() == prefix.size() + 16 + 5 && f.rfind(prefix, 0) == 0 && f.ends_with(".yaml") && f != mine &&
          f != running)
        unlink((dir_ + "/" + f).c_str());
    }
    closedir(d);
  }
  return ok_status();
}

Result<std::string> FileStore::kept_plan(const std::string& hash) const {
  return read_file(path((".plan-" + hash + ".yaml").c_str()));
}

// The state file is written by the driver without the control lock: `change` judges the state as
// it was just before the request is written.
Status FileStore::update_control(const ControlChange& change) {
  if (auto s = ensure_dir(); !s.ok()) return s;
  ScopedFlock guard(path(".control.lock"));
  if (!guard.ok()) return io_error("cannot lock", path(".control.lock"));
  ControlRequests c = control_from_json(read_json(path(".control.json"), json::object()));
  std::optional<RolloutState> state;
  if (const json j = read_json(state_path_, nullptr); !j.is_null())
    if (auto decoded = state_from_json(j); decoded.ok()) state = std::move(*decoded);
  if (auto s = change(state, c); !s.ok()) return s;
  return write_atomically(path(".control.json"), to_json(c).dump() + "\n");
}

// inotify on the directory: every rename into it of one of this rollout's files is a change.
Status FileStore::watch(const std::function<bool()>& should_stop,
                        const std::function<void(const StateSnapshot&)>& on_change) {
  if (auto s = ensure_dir(); !s.ok()) return s;
  int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd < 0) return io_error("cannot watch", dir_);
  if (inotify_add_watch(fd, dir_.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE) < 0) {
    close(fd);
    return io_error("cannot watch", dir_);
  }
  const std::string prefix = name_ + ".";
  while (!should_stop()) {
    pollfd p{fd, POLLIN, 0};
    const int n = poll(&p, 1, 200);
    if (n <= 0) continue;
    alignas(inotify_event) char buf[4096];
    bool ours = false;
    for (;;) {
      const ssize_t len = ::read(fd, buf, sizeof buf);
      if (len <= 0) break;
      for (char* q = buf; q < buf + len;) {
        auto* e = reinterpret_cast<inotify_event*>(q);
        const std::string file = e->len ? std::string(e->name) : std::string();
        if (file.rfind(prefix, 0) == 0 && file.find(".tmp.") == std::string::npos) ours = true;
        q += sizeof(inotify_event) + e->len;
      }
    }
    if (!ours) continue;
    auto snap = read();
    if (snap.ok()) on_change(*snap);
  }
  close(fd);
  return ok_status();
}

std::vector<std::string> file_rollouts(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (!d) return names;
  while (dirent* e = readdir(d)) {
    const std::string f = e->d_name;
    constexpr std::string_view ext = ".json";
    if (f.size() <= ext.size() || f.compare(f.size() - ext.size(), ext.size(), ext) != 0) continue;
    const std::string stem = f.substr(0, f.size() - ext.size());
    if (stem.find('.') != std::string::npos) continue;  // x.control.json, x.history.json
    names.push_back(stem);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace rollout::engine
