// How to ask Prometheus: its HTTP API (`/api/v1/query`, `/-/ready`) over one small transport
// seam, and the parsing of its answers exactly as the API documents them. What to ask (the
// gate's rendered query) and what the answer means (gates/judge) live elsewhere.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/duration.hpp"
#include "util/result.hpp"

namespace rollout::gates {

struct PrometheusRequest {
  std::string method;  // GET or POST
  std::string url;
  std::string form;  // application/x-www-form-urlencoded body of a POST
  std::optional<std::string> bearer_token;
  bool insecure_skip_verify = false;
  Duration timeout{30000};
};

struct PrometheusResponse {
  long status = 0;
  std::string body;
};

// The one I/O seam: connection failures are ErrorKind::unavailable, timeouts ErrorKind::timeout.
class PrometheusTransport {
 public:
  virtual ~PrometheusTransport() = default;
  virtual Result<PrometheusResponse> send(const PrometheusRequest& request) = 0;
};

// libcurl; TLS verification unless the request skips it.
std::shared_ptr<PrometheusTransport> curl_prometheus_transport();

// An instant query's answer: one value per series (a scalar is one value), no data = empty.
struct QueryAnswer {
  std::vector<double> values;
  std::vector<std::string> warnings;
};

// Parses a /api/v1/query response. `status: error` is an Error whose `reason` is Prometheus'
// errorType and `code` the HTTP status: bad_data (a query that does not parse) is
// ErrorKind::invalid, timeout ErrorKind::timeout, the rest ErrorKind::unavailable.
Result<QueryAnswer> parse_query_response(const PrometheusResponse& response);

// A sample value as Prometheus writes it: "1.5", "NaN", "+Inf", "-Inf".
std::optional<double> parse_sample_value(const std::string& text);

struct PrometheusEndpoint {
  std::string address;  // http(s)://host:port[/prefix]
  std::optional<Duration> timeout;
  std::optional<std::string> bearer_token_file;  // read on every request: tokens rotate
  bool insecure_skip_verify = false;
};

class PrometheusClient {
 public:
  PrometheusClient(PrometheusEndpoint endpoint, std::shared_ptr<PrometheusTransport> transport);
  // POST /api/v1/query with query, time (unix seconds) and, when set, timeout.
  Result<QueryAnswer> query(const std::string& promql, std::optional<double> time = std::nullopt);
  // GET /-/ready answers 200.
  Status ready();
  const std::string& address() const { return endpoint_.address; }

 private:
  Result<PrometheusResponse> send(std::string method, const std::string& path, std::string form);
  PrometheusEndpoint endpoint_;
  std::shared_ptr<PrometheusTransport> transport_;
};

// application/x-www-form-urlencoded encoding of one value.
std::string form_encode(const std::string& value);

}  // namespace rollout::gates
