// `rollout sandbox model-server`: a ModelServerSim served over HTTP with cpp-httplib, and the
// lifecycle of a vLLM replica process: startup delay, crash on start, SIGTERM drain or abort.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "sandbox/model_server.hpp"
#include "util/duration.hpp"
#include "util/result.hpp"

namespace rollout::sandbox {

// Serves one ModelServerSim on loopback (or any address) from a pool of threads large enough for
// many concurrent slow requests.
class ModelHttpServer {
 public:
  // `threads`: concurrent requests served (a standalone replica needs many; a sandbox pod few).
  explicit ModelHttpServer(ModelServerSim& sim, size_t threads = 128);
  ~ModelHttpServer();
  ModelHttpServer(const ModelHttpServer&) = delete;
  ModelHttpServer& operator=(const ModelHttpServer&) = delete;

  // Binds (port 0: any free port) and serves on a background thread.
  Status start(const std::string& host, int port);
  // Stops listening; requests being answered finish first.
  void stop();
  int port() const;
  std::string url() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What SIGTERM does to the requests in flight, as vLLM's `--shutdown-timeout N`: they may finish
// for up to `shutdown_timeout`, then the rest are aborted (0, vLLM's default: aborted at once).
// New requests are refused from the signal on.
struct ShutdownPolicy {
  Duration timeout{0};  // Duration::max(): until they finish
};

// Progress lines while the server runs ("listening on URL", "ready", shutdown); the CLI prints them.
using ModelServerLog = std::function<void(const std::string&)>;

// For a process's main thread: blocks SIGINT and SIGTERM (before any other thread starts), serves
// until one arrives, then lets the in-flight requests finish within the policy's timeout and
// aborts the rest (a second signal aborts them at once) and returns ok. With knobs.crash_on_start it returns an error once the startup
// delay has passed instead.
Status run_model_server(const ModelKnobs& knobs, const std::string& host, int port, const ShutdownPolicy& shutdown,
                        const ModelServerLog& log = {});

}  // namespace rollout::sandbox
