// `rollout sandbox model-server`: a ModelServerSim served over HTTP with cpp-httplib, and the
// lifecycle of a vLLM replica process: startup delay, crash on start, SIGTERM drain or abort.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "sandbox/model_server.hpp"
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

enum class OnSigterm { drain, abort };

// Progress lines while the server runs ("listening on URL", "ready", shutdown); the CLI prints them.
using ModelServerLog = std::function<void(const std::string&)>;

// For a process's main thread: blocks SIGINT and SIGTERM (before any other thread starts), serves
// until one arrives, then drains or aborts the in-flight requests (a second signal turns a drain
// into an abort) and returns ok. With knobs.crash_on_start it returns an error once the startup
// delay has passed instead.
Status run_model_server(const ModelKnobs& knobs, const std::string& host, int port, OnSigterm on_sigterm,
                        const ModelServerLog& log = {});

}  // namespace rollout::sandbox
