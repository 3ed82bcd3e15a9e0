#include "local/replica_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "local/procs.hpp"

namespace rollout::local {

std::string expand(const std::string& text, const plan::LocalReplica& r, const std::string& model) {
  const std::pair<std::string, std::string> subs[] = {
      {"{gpu}", std::to_string(r.gpu)}, {"{port}", std::to_string(r.port)}, {"{name}", r.name}, {"{model}", model}};
  std::string out = text;
  for (const auto& [key, value] : subs)
    for (size_t at = out.find(key); at != std::string::npos; at = out.find(key, at + value.size()))
      out.replace(at, key.size(), value);
  return out;
}

std::vector<std::string> expand_all(const std::vector<std::string>& argv, const plan::LocalReplica& r,
                                    const std::string& model) {
  std::vector<std::string> out;
  for (const auto& a : argv) out.push_back(expand(a, r, model));
  return out;
}

bool running(const ProcessRecord& p) {
  if (p.pid <= 0 || !alive(p.pid)) return false;
  auto start = start_time(p.pid);
  return start && *start == p.start;
}

namespace {

// In the grandchild: never returns.
[[noreturn]] void exec_detached(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                                const std::string& log_file, int report_fd) {
  setsid();
  const int in = open("/dev/null", O_RDONLY);
  const int out = open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (in >= 0) dup2(in, 0);
  if (out >= 0) {
    dup2(out, 1);
    dup2(out, 2);
  }
  for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  const int err = errno;
  (void)!write(report_fd, &err, sizeof err);  // exec failed: tell the parent why
  _exit(127);
}

}  // namespace

Result<ProcessRecord> start_detached(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                                     const std::string& log_file) {
  if (argv.empty()) return make_error(ErrorKind::invalid, "empty command");
  int pids[2], errs[2];
  if (pipe2(pids, O_CLOEXEC) != 0) return make_error(ErrorKind::internal, "pipe failed");
  if (pipe2(errs, O_CLOEXEC) != 0) {
    close(pids[0]);
    close(pids[1]);
    return make_error(ErrorKind::internal, "pipe failed");
  }
  const pid_t child = fork();
  if (child < 0) return make_error(ErrorKind::internal, std::string("fork: ") + std::strerror(errno));
  if (child == 0) {
    close(pids[0]);
    close(errs[0]);
    const pid_t grandchild = fork();
    if (grandchild == 0) {
      close(pids[1]);
      exec_detached(argv, env, log_file, errs[1]);
    }
    (void)!write(pids[1], &grandchild, sizeof grandchild);
    _exit(0);
  }
  close(pids[1]);
  close(errs[1]);
  pid_t pid = -1;
  const bool got = read(pids[0], &pid, sizeof pid) == static_cast<ssize_t>(sizeof pid);
  close(pids[0]);
  int status = 0;
  waitpid(child, &status, 0);
  int exec_errno = 0;
  const bool failed = read(errs[0], &exec_errno, sizeof exec_errno) == static_cast<ssize_t>(sizeof exec_errno);
  close(errs[0]);
  if (!got || pid <= 0) return make_error(ErrorKind::internal, "could not start " + argv[0]);
  if (failed)
    return make_error(exec_errno == ENOENT ? ErrorKind::not_found : ErrorKind::invalid,
                      "cannot run " + argv[0] + ": " + std::strerror(exec_errno));
  auto start = start_time(pid);
  return ProcessRecord{pid, start.value_or(0)};
}

Result<bool> stop_process(int pid, Duration grace) {
  if (pid <= 0 || !alive(pid)) return false;
  const bool leader = getpgid(pid) == pid;
  auto signal_it = [&](int sig) { leader ? kill(-pid, sig) : kill(pid, sig); };
  signal_it(SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (alive(pid) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (!alive(pid)) return false;
  signal_it(SIGKILL);
  for (int i = 0; i < 250 && alive(pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (alive(pid)) return make_error(ErrorKind::unavailable, "process " + std::to_string(pid) + " survived SIGKILL");
  return true;
}

}  // namespace rollout::local
