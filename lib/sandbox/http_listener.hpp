// One HTTP server on one address and port, answering every request with a handler, for the
// model servers (`ModelHttpServer`) and the gateway's listeners. Defined in
// model_server_process.cpp, one of the two files that include cpp-httplib.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "sandbox/api_handler.hpp"
#include "util/result.hpp"

namespace rollout::sandbox {

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpListener {
 public:
  // `threads`: connections served at once (a kept-alive connection holds its thread).
  HttpListener(HttpHandler handler, size_t threads);
  ~HttpListener();
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Binds (port 0: any free port) with SO_REUSEADDR only, so that a port another process holds
  // is refused rather than shared, and serves on a background thread.
  Status start(const std::string& host, int port);
  // Stops listening; requests being answered finish first.
  void stop();
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rollout::sandbox
