// The libcurl transport of the Prometheus client: one request, one response, nothing kept.
#include <curl/curl.h>

#include <memory>
#include <mutex>

#include "gates/prometheus_client.hpp"

namespace rollout::gates {

namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

size_t append(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

class CurlPrometheusTransport : public PrometheusTransport {
 public:
  Result<PrometheusResponse> send(const PrometheusRequest& r) override {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    std::unique_ptr<CURL, CurlDeleter> h(curl_easy_init());
    if (!h) return make_error(ErrorKind::internal, "curl_easy_init failed");
    PrometheusResponse out;
    curl_slist* list = curl_slist_append(nullptr, "Accept: application/json");
    if (r.method == "POST") {
      list = curl_slist_append(list, "Content-Type: application/x-www-form-urlencoded");
      curl_easy_setopt(h.get(), CURLOPT_POSTFIELDS, r.form.c_str());
      curl_easy_setopt(h.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(r.form.size()));
    }
    if (r.bearer_token) list = curl_slist_append(list, ("Authorization: Bearer " + *r.bearer_token).c_str());
    std::unique_ptr<curl_slist, SlistDeleter> headers(list);
    curl_easy_setopt(h.get(), CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(h.get(), CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h.get(), CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(h.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(r.timeout.count()));
    curl_easy_setopt(h.get(), CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h.get(), CURLOPT_WRITEFUNCTION, append);
    curl_easy_setopt(h.get(), CURLOPT_WRITEDATA, &out.body);
    if (r.insecure_skip_verify) {
      curl_easy_setopt(h.get(), CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(h.get(), CURLOPT_SSL_VERIFYHOST, 0L);
    }
    const CURLcode rc = curl_easy_perform(h.get());
    if (rc == CURLE_OPERATION_TIMEDOUT)
      return make_error(ErrorKind::timeout,
                        r.method + " " + r.url + ": timed out after " + std::to_string(r.timeout.count()) + "ms");
    if (rc != CURLE_OK)
      return make_error(ErrorKind::unavailable, r.method + " " + r.url + ": " + curl_easy_strerror(rc));
    curl_easy_getinfo(h.get(), CURLINFO_RESPONSE_CODE, &out.status);
    return out;
  }
};

}  // namespace

std::shared_ptr<PrometheusTransport> curl_prometheus_transport() {
  return std::make_shared<CurlPrometheusTransport>();
}

}  // namespace rollout::gates
