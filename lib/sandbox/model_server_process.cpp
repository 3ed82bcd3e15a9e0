#include "sandbox/model_server_process.hpp"

#include "sandbox/http_glue.hpp"

#include <httplib.h>
#include <pthread.h>

#include <atomic>
#include <cctype>
#include <csignal>
#include <thread>

#include "util/duration.hpp"

namespace rollout::sandbox {

struct ModelHttpServer::Impl {
  ModelServerSim& sim;
  std::string host;
  int port = 0;
  std::unique_ptr<httplib::Server> server;
  std::thread thread;
  size_t threads = 128;
};

namespace {

// Concurrent requests each hold a thread for their whole simulated latency.

void route(httplib::Server& server, ModelServerSim& sim) {
  auto handle = [&sim](const httplib::Request& req, httplib::Response& res) {
    write_response(sim.handle(to_request(req)), res);
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

ModelHttpServer::ModelHttpServer(ModelServerSim& sim, size_t threads) : impl_(new Impl{sim, "", 0, nullptr, {}}) {
  impl_->threads = threads;
}

ModelHttpServer::~ModelHttpServer() {
  stop();
}

Status ModelHttpServer::start(const std::string& host, int port) {
  Impl& s = *impl_;
  s.host = host;
  s.server = std::make_unique<httplib::Server>();
  const size_t threads = s.threads;
  s.server->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  route(*s.server, s.sim);
  s.port = port == 0 ? s.server->bind_to_any_port(host) : (s.server->bind_to_port(host, port) ? port : -1);
  if (s.port <= 0) {
    s.server.reset();
    return make_error(ErrorKind::unavailable, "cannot listen on " + host + ":" + std::to_string(port) + " (in use?)");
  }
  s.thread = std::thread([this] { impl_->server->listen_after_bind(); });
  return ok_status();
}

void ModelHttpServer::stop() {
  Impl& s = *impl_;
  if (!s.server) return;
  s.server->stop();
  if (s.thread.joinable()) s.thread.join();
  s.server.reset();
}

int ModelHttpServer::port() const {
  return impl_->port;
}

std::string ModelHttpServer::url() const {
  const std::string& h = impl_->host;
  return "http://" + (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + std::to_string(impl_->port);
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
