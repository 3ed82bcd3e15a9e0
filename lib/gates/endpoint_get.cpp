// GET on a gate's server: through the API server's pod proxy for a pod, directly over loopback
// (libcurl) for a local replica. One request to the server, never retried: its answers are the
// measurement. Only the API server's own refusals of the proxied request are retried.
#include <curl/curl.h>

#include <memory>
#include <mutex>

#include "gates/gate.hpp"

namespace rollout::gates {

namespace {

size_t append(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

Result<k8s::HttpResult> direct_get(const std::string& url, Duration timeout) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, void (*)(CURL*)> h(curl_easy_init(), curl_easy_cleanup);
  if (!h) return make_error(ErrorKind::internal, "curl_easy_init failed");
  k8s::HttpResult out;
  curl_easy_setopt(h.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(h.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h.get(), CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(h.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(h.get(), CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(h.get(), CURLOPT_WRITEDATA, &out.body);
  const CURLcode rc = curl_easy_perform(h.get());
  if (rc == CURLE_OPERATION_TIMEDOUT)
    return make_error(ErrorKind::timeout, "GET " + url + ": timed out after " + std::to_string(timeout.count()) + "ms");
  if (rc != CURLE_OK) return make_error(ErrorKind::unavailable, "GET " + url + ": " + curl_easy_strerror(rc));
  curl_easy_getinfo(h.get(), CURLINFO_RESPONSE_CODE, &out.status);
  return out;
}

}  // namespace

Result<k8s::HttpResult> get_endpoint(k8s::Client& client, const Endpoint& endpoint, const std::string& path,
                                     Duration timeout) {
  const std::string rest = (path.empty() || path[0] != '/' ? "/" : "") + path;
  if (endpoint.base.rfind("http://", 0) == 0 || endpoint.base.rfind("https://", 0) == 0)
    return direct_get(endpoint.base + rest, timeout);
  k8s::HttpCall call;
  call.method = "GET";
  call.path = endpoint.base + rest;
  call.accept = "*/*";
  call.timeout = timeout;
  return client.send_proxied(call);
}

}  // namespace rollout::gates
