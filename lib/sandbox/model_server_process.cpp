#include "sandbox/model_server_process.hpp"

#include "sandbox/http_glue.hpp"
#include "sandbox/http_listener.hpp"

#include <httplib.h>
#include <pthread.h>

#include <dirent.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "util/duration.hpp"

namespace rollout::sandbox {

struct HttpListener::Impl {
  HttpHandler handler;
  size_t threads;
  int port = 0;
  std::unique_ptr<httplib::Server> server;
  std::thread thread;
};

struct ModelHttpServer::Impl {
  HttpListener listener;
  std::string host;
};

namespace {

// This process's sockets that are connections accepted on `port`: the rows of
// /proc/self/net/tcp and tcp6 with that local port and a state other than LISTEN (0A), matched by
// inode against the "socket:[INODE]" links in /proc/self/fd.
std::vector<int> accepted_connections(int port) {
  char hex[8];
  std::snprintf(hex, sizeof hex, "%04X", port);
  std::set<std::string> inodes;
  for (const char* table : {"/proc/self/net/tcp", "/proc/self/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::istringstream row(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      row >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
      const size_t colon = local.rfind(':');
      if (colon != std::string::npos && local.substr(colon + 1) == hex && state != "0A") inodes.insert(inode);
    }
  }
  std::vector<int> fds;
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return fds;
  while (const dirent* e = readdir(dir)) {
    char target[64] = {};
    const std::string link = std::string("/proc/self/fd/") + e->d_name;
    const ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
    if (n <= 9 || std::string(target, 8) != "socket:[") continue;
    if (inodes.count(std::string(target + 8, static_cast<size_t>(n) - 9))) fds.push_back(std::atoi(e->d_name));
  }
  closedir(dir);
  return fds;
}

// Concurrent requests each hold a thread for their whole simulated latency.

void route(httplib::Server& server, const HttpHandler& handler) {
  auto handle = [&handler](const httplib::Request& req, httplib::Response& res) {
    write_response(handler(to_request(req)), res);
  };
  const char* any = R"(/.*)";
  server.Get(any, handle);
  server.Post(any, handle);
  server.Put(any, handle);
  server.Patch(any, handle);
  server.Delete(any, handle);
}

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

// The signal that arrived within `ms`, or 0.
int wait_signal(const sigset_t& set, int ms) {
  const timespec timeout{ms / 1000, (ms % 1000) * 1000000L};
  const int sig = sigtimedwait(&set, nullptr, &timeout);
  return sig > 0 ? sig : 0;
}

void say(const ModelServerLog& log, const std::string& line) {
  if (log) log(line);
}

Status shut_down(ModelServerSim& sim, ModelHttpServer& server, int sig, const ShutdownPolicy& policy,
                 const sigset_t& signals, const ModelServerLog& log) {
  const double timeout = std::chrono::duration<double>(policy.timeout).count();
  const int in_flight = sim.running() + sim.waiting();
  say(log, std::string(sig == SIGINT ? "SIGINT" : "SIGTERM") + ": " +
               (timeout > 0 ? "draining " + std::to_string(in_flight) + " in-flight request(s) " +
                                  (policy.timeout == Duration::max() ? std::string("until they finish")
                                                                     : "for up to " + format_duration(policy.timeout))
                            : "aborting " + std::to_string(in_flight) + " in-flight request(s)"));
  std::atomic<bool> done = false;
  int aborted = 0;
  std::thread shutdown([&] {
    aborted = sim.shut_down_within(timeout);
    done = true;
  });
  while (!done) {
    if (wait_signal(signals, 50) && timeout > 0) {
      say(log, "second signal: aborting the in-flight requests");
      sim.begin_shutdown(false);
    }
  }
  shutdown.join();
  server.stop();
  say(log, aborted > 0 && timeout > 0 ? "shutdown timeout: aborted " + std::to_string(aborted) + " request(s); stopped"
                                      : "stopped");
  return ok_status();
}

}  // namespace

HttpListener::HttpListener(HttpHandler handler, size_t threads)
    : impl_(new Impl{std::move(handler), threads, 0, nullptr, {}}) {}

HttpListener::~HttpListener() {
  stop();
}

Status HttpListener::start(const std::string& host, int port) {
  Impl& s = *impl_;
  s.server = std::make_unique<httplib::Server>();
  const size_t threads = s.threads;
  s.server->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // httplib's default also sets SO_REUSEPORT, which would let two processes share a port.
  s.server->set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  s.server->set_keep_alive_max_count(1000);  // load generators keep their connections
  s.server->set_tcp_nodelay(true);
  route(*s.server, s.handler);
  s.port = port == 0 ? s.server->bind_to_any_port(host) : (s.server->bind_to_port(host, port) ? port : -1);
  if (s.port <= 0) {
    s.server.reset();
    return make_error(ErrorKind::unavailable, "cannot listen on " + host + ":" + std::to_string(port) + " (in use?)");
  }
  s.thread = std::thread([this] { impl_->server->listen_after_bind(); });
  return ok_status();
}

void HttpListener::stop() {
  Impl& s = *impl_;
  if (!s.server) return;
  s.server->stop();  // no new connections
  // cpp-httplib 0.11 keeps the thread of an idle kept-alive connection until its keep-alive
  // timeout (5 s) passes, and stop() joins those threads: a stopping model server lingered 5 s
  // behind HAProxy, which keeps idle upstream connections (bench_local: every replica's stop took
  // 5 s longer than its drain). Uvicorn, which serves vLLM, closes idle connections when it shuts
  // down (uvicorn/protocols/http/h11_impl.py, shutdown(): close when no response is in progress,
  // else end keep-alive after it). SHUT_RD does the same here: an idle connection's wait ends at
  // once (EOF), a response being written still goes out and its connection then closes.
  for (int fd : accepted_connections(s.port)) ::shutdown(fd, SHUT_RD);
  if (s.thread.joinable()) s.thread.join();
  s.server.reset();
}

int HttpListener::port() const {
  return impl_->port;
}

ModelHttpServer::ModelHttpServer(ModelServerSim& sim, size_t threads)
    : impl_(new Impl{HttpListener([&sim](const HttpRequest& req) { return sim.handle(req); }, threads), ""}) {}

ModelHttpServer::~ModelHttpServer() {
  stop();
}

Status ModelHttpServer::start(const std::string& host, int port) {
  impl_->host = host;
  return impl_->listener.start(host, port);
}

void ModelHttpServer::stop() {
  impl_->listener.stop();
}

int ModelHttpServer::port() const {
  return impl_->listener.port();
}

std::string ModelHttpServer::url() const {
  const std::string& h = impl_->host;
  return "http://" + (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + std::to_string(impl_->listener.port());
}

Status run_model_server(const ModelKnobs& knobs, const std::string& host, int port, const ShutdownPolicy& shutdown,
                        const ModelServerLog& log) {
  const sigset_t signals = stop_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ModelServerSim sim(knobs);
  ModelHttpServer server(sim);
  if (auto s = server.start(host, port); !s.ok()) return s;
  say(log, "serving " + knobs.model + " (version " + knobs.version + ") listening on " + server.url());
  bool announced = false;
  int sig = 0;
  while ((sig = wait_signal(signals, 50)) == 0) {
    if (announced || !sim.started()) continue;
    if (knobs.crash_on_start) {
      server.stop();
      return make_error(ErrorKind::internal, "the model server crashed on start (--crash-on-start)");
    }
    say(log, "ready");
    announced = true;
  }
  return shut_down(sim, server, sig, shutdown, signals, log);
}

}  // namespace rollout::sandbox
