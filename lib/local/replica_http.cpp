#include "local/replica_http.hpp"

#include <curl/curl.h>

#include <nlohmann/json.hpp>
#include <sstream>

namespace rollout::local {

namespace {

size_t collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

}  // namespace

std::string base_url(const std::string& host, int port) {
  return "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<HttpAnswer> http_get(const std::string& url, Duration timeout) {
  CURL* c = curl_easy_init();
  if (!c) return make_error(ErrorKind::internal, "curl_easy_init failed");
  HttpAnswer a;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &a.body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  const CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a.status);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK) return make_error(ErrorKind::unavailable, "GET " + url + ": " + curl_easy_strerror(rc));
  return a;
}

Result<int> in_flight_from_metrics(const std::string& exposition) {
  std::istringstream in(exposition);
  double total = 0;
  bool seen = false;
  for (std::string line; std::getline(in, line);) {
    for (const char* name : {"vllm:num_requests_running", "vllm:num_requests_waiting"}) {
      const std::string n(name);
      if (line.rfind(n, 0) != 0 || line.size() <= n.size() || (line[n.size()] != '{' && line[n.size()] != ' '))
        continue;
      const size_t sp = line.rfind(' ');
      total += std::atof(line.c_str() + sp + 1);
      seen = true;
    }
  }
  if (!seen) return make_error(ErrorKind::invalid, "no vllm:num_requests_running or vllm:num_requests_waiting in /metrics");
  return static_cast<int>(total + 0.5);
}

bool models_list(const std::string& body, const std::string& model) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("data") || !j["data"].is_array()) return false;
  for (const auto& m : j["data"])
    if (m.is_object() && (m.value("id", "") == model || m.value("root", "") == model)) return true;
  return false;
}

}  // namespace rollout::local
