#include "util/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>

#include "util/text.hpp"

extern char** environ;

namespace rollout {

namespace {

using Clock = std::chrono::steady_clock;

// Owns a file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    reset(std::exchange(o.fd_, -1));
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  bool open() const { return fd_ >= 0; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read, write;
};

Result<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return make_error(ErrorKind::internal, std::string("pipe: ") + std::strerror(errno));
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

// Blocks SIGPIPE on this thread while we write to a child that may already have exited, and
// discards a SIGPIPE raised meanwhile: a dead child must be a write error (EPIPE), not our death.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;
  ~SigpipeBlock() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      const timespec zero{};
      sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t pipe_{};
  sigset_t old_{};
  bool was_pending_ = false;
};

// "NAME=value" strings: this process's environment, with `extra` replacing or adding variables
// (the last of duplicate names wins, as with Go's os/exec).
std::vector<std::string> merged_environment(const EnvVars& extra) {
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) out.emplace_back(*e);
  for (const auto& [name, value] : extra) {
    const std::string prefix = name + "=";
    std::erase_if(out, [&](const std::string& entry) { return starts_with(entry, prefix); });
    out.push_back(prefix + value);
  }
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Puts `fd` at `target` without close-on-exec (dup2 is a no-op when they are equal).
bool move_to(int fd, int target) {
  if (fd == target) return ::fcntl(fd, F_SETFD, 0) == 0;
  return ::dup2(fd, target) == target;
}

// The child between fork and exec: only async-signal-safe calls. A failed exec reports its errno
// through `report`, a close-on-exec pipe that simply closes when exec succeeds.
[[noreturn]] void exec_child(char** argv, char** envp, int in, int out, int err, int report) {
  ::setpgid(0, 0);  // its own process group, so a timeout kills whatever it started too
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGPIPE, &dfl, nullptr);
  if (move_to(in, 0) && move_to(out, 1) && move_to(err, 2)) {
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);  // descriptors inherited from the rest of the program
    ::execvpe(argv[0], argv, envp);
  }
  const int e = errno;
  [[maybe_unused]] auto n = ::write(report, &e, sizeof e);
  ::_exit(127);
}

Error exec_error(const std::string& program, int err) {
  const std::string where = program.find('/') == std::string::npos ? " in PATH" : "";
  if (err == ENOENT) return make_error(ErrorKind::not_found, "program " + quote(program) + " not found" + where);
  if (err == EACCES) return make_error(ErrorKind::invalid, "cannot run " + quote(program) + ": permission denied");
  return make_error(ErrorKind::internal, "cannot run " + quote(program) + ": " + std::strerror(err));
}

void reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

struct Child {
  pid_t pid = -1;
  Fd in, out, err;
};

Result<Child> spawn(const std::vector<std::string>& argv, const EnvVars& extra_env) {
  std::vector<std::string> args = argv;
  std::vector<std::string> env = merged_environment(extra_env);
  std::vector<char*> c_args = c_strings(args), c_env = c_strings(env);
  auto in = make_pipe(), out = make_pipe(), err = make_pipe(), report = make_pipe();
  for (auto* p : {&in, &out, &err, &report})
    if (!p->ok()) return p->error();
  const pid_t pid = ::fork();
  if (pid < 0) return make_error(ErrorKind::internal, std::string("fork: ") + std::strerror(errno));
  if (pid == 0)
    exec_child(c_args.data(), c_env.data(), in->read.get(), out->write.get(), err->write.get(), report->write.get());
  ::setpgid(pid, pid);  // also here, so a kill right away cannot miss the group
  in->read.reset();
  out->write.reset();
  err->write.reset();
  report->write.reset();
  int child_errno = 0;
  ssize_t n = 0;
  while ((n = ::read(report->read.get(), &child_errno, sizeof child_errno)) < 0 && errno == EINTR) {
  }
  if (n == sizeof child_errno) {
    reap(pid);
    return exec_error(argv[0], child_errno);
  }
  return Child{pid, std::move(in->write), std::move(out->read), std::move(err->read)};
}

// One poll round's work on a ready descriptor: write more stdin, or read output; closes at the end.
void service(Fd& fd, short revents, std::string_view input, size_t& written, std::string* sink) {
  if (sink == nullptr) {
    const ssize_t n = ::write(fd.get(), input.data() + written, input.size() - written);
    if (n > 0) written += static_cast<size_t>(n);
    if (written == input.size() || (n < 0 && errno != EAGAIN && errno != EINTR)) fd.reset();
    return;
  }
  if (!(revents & (POLLIN | POLLHUP | POLLERR))) return;
  char buf[16384];
  const ssize_t n = ::read(fd.get(), buf, sizeof buf);
  if (n > 0) sink->append(buf, static_cast<size_t>(n));
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) fd.reset();
}

// Feeds stdin and drains stdout and stderr until the child closes both, or the deadline passes.
Status pump(Child& c, std::string_view input, Clock::time_point deadline, ProcessResult& r) {
  size_t written = 0;
  if (input.empty()) c.in.reset();
  for (Fd* fd : {&c.in, &c.out, &c.err})
    if (fd->open()) ::fcntl(fd->get(), F_SETFL, ::fcntl(fd->get(), F_GETFL) | O_NONBLOCK);
  while (c.out.open() || c.err.open()) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return make_error(ErrorKind::timeout, "deadline passed");
    std::vector<std::pair<Fd*, std::string*>> watched;  // (descriptor, output sink or nullptr for stdin)
    std::vector<pollfd> fds;
    const auto watch = [&](Fd& fd, std::string* sink, short events) {
      if (!fd.open()) return;
      watched.emplace_back(&fd, sink);
      fds.push_back({fd.get(), events, 0});
    };
    watch(c.in, nullptr, POLLOUT);
    watch(c.out, &r.stdout_data, POLLIN);
    watch(c.err, &r.stderr_data, POLLIN);
    const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(std::min<long long>(left, 1 << 30)));
    if (ready < 0 && errno != EINTR)
      return make_error(ErrorKind::internal, std::string("poll: ") + std::strerror(errno));
    for (size_t i = 0; ready > 0 && i < fds.size(); ++i)
      if (fds[i].revents != 0) service(*watched[i].first, fds[i].revents, input, written, watched[i].second);
  }
  return ok_status();
}

// The child's wait status once it exits, or nullopt if the deadline passes first.
std::optional<int> wait_until(pid_t pid, Clock::time_point deadline) {
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return 0;  // already reaped elsewhere (SIGCHLD ignored): assume success
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

void kill_group(pid_t pid) {
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
  reap(pid);
}

}  // namespace

Result<ProcessResult> run_process(const std::vector<std::string>& argv, const EnvVars& extra_env,
                                  const std::string& stdin_data, Duration timeout) {
  if (argv.empty() || argv[0].empty()) return make_error(ErrorKind::invalid, "no program to run");
  const auto deadline = Clock::now() + timeout;
  SigpipeBlock no_sigpipe;
  auto child = spawn(argv, extra_env);
  if (!child.ok()) return child.error();
  ProcessResult r;
  const Status pumped = pump(*child, stdin_data, deadline, r);
  const std::optional<int> status = pumped.ok() ? wait_until(child->pid, deadline) : std::nullopt;
  if (!status) {
    kill_group(child->pid);
    if (!pumped.ok() && pumped.error().kind != ErrorKind::timeout) return pumped.error();
    std::string tail = output_tail(r.stderr_data);
    return make_error(ErrorKind::timeout, quote(argv[0]) + " did not finish within " + format_duration(timeout) +
                                              " and was killed" + (tail.empty() ? "" : "; its stderr ends: " + tail));
  }
  if (WIFSIGNALED(*status)) {
    r.exit_code = -1;
    r.signal = WTERMSIG(*status);
  } else {
    r.exit_code = WEXITSTATUS(*status);
  }
  return r;
}

std::string output_tail(const std::string& output, size_t max_chars) {
  const size_t end = output.find_last_not_of(" \t\r\n");
  if (end == std::string::npos) return "";
  size_t start = output.find_first_not_of(" \t\r\n");
  if (end + 1 - start <= max_chars) return output.substr(start, end + 1 - start);
  start = end + 1 - max_chars;
  const size_t line = output.find('\n', start);
  if (line != std::string::npos && line < end) start = line + 1;
  return "..." + output.substr(start, end + 1 - start);
}

}  // namespace rollout
