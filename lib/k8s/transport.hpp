// HTTP to the API server: TLS, credentials and proxies from a RestConfig, over libcurl.
// The Kubernetes client speaks only to this interface, so tests can also count or fake calls.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "k8s/environment.hpp"
#include "k8s/kubeconfig.hpp"
#include "util/result.hpp"

namespace rollout::k8s {

struct HttpCall {
  std::string method = "GET";
  std::string path;  // with the query string, e.g. "/api/v1/namespaces/default/configmaps?limit=500"
  std::string body;
  std::string content_type;
  std::string accept = "application/json";
  std::chrono::milliseconds timeout{30000};  // whole request; 0: none (watch streams)
};

struct HttpResult {
  long status = 0;
  std::string body;
  std::string retry_after;  // the Retry-After header, if any
};

// Implementations are safe to call from many threads at once.
class Transport {
 public:
  virtual ~Transport() = default;
  // One request. Connection failures and timeouts are errors (unavailable / timeout); any HTTP status is a result.
  virtual Result<HttpResult> send(const HttpCall& call) = 0;
  // A streaming request (watch): body bytes go to `on_data` as they arrive, and an empty view about
  // once a second while idle; returning false ends it.
  // The result is the HTTP status (the body of a non-200 answer is passed to on_data too).
  virtual Result<long> stream(const HttpCall& call, const std::function<bool(std::string_view)>& on_data) = 0;
};

// libcurl with the kubeconfig's CA, client certificate, token (re-read from tokenFile), basic auth,
// exec credential plugin (re-run after a 401), insecure-skip-tls-verify, tls-server-name and proxy-url.
Result<std::unique_ptr<Transport>> make_curl_transport(const RestConfig& config, const Environment& env);

}  // namespace rollout::k8s
