#include "gates/prometheus_client.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "util/file.hpp"

namespace rollout::gates {

std::string form_encode(const std::string& value) {
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

std::optional<double> parse_sample_value(const std::string& text) {
  if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (text == "+Inf" || text == "Inf") return std::numeric_limits<double>::infinity();
  if (text == "-Inf") return -std::numeric_limits<double>::infinity();
  const char* first = text.data();
  const char* last = first + text.size();
  if (first != last && *first == '+') ++first;
  double x = 0;
  auto [end, ec] = std::from_chars(first, last, x);
  if (ec != std::errc() || end != last || first == last) return std::nullopt;
  return x;
}

namespace {

ErrorKind kind_of(const std::string& error_type, long status) {
  if (error_type == "bad_data") return ErrorKind::invalid;
  if (error_type == "timeout") return ErrorKind::timeout;
  if (status == 400 || status == 422) return ErrorKind::invalid;
  return ErrorKind::unavailable;
}

Result<std::vector<double>> values_of(const nlohmann::json& data) {
  const std::string type = data.value("resultType", "");
  const auto& result = data.contains("result") ? data["result"] : nlohmann::json();
  auto sample = [](const nlohmann::json& pair) -> std::optional<double> {
    if (!pair.is_array() || pair.size() != 2 || !pair[1].is_string()) return std::nullopt;
    return parse_sample_value(pair[1].get<std::string>());
  };
  std::vector<double> out;
  if (type == "scalar") {
    auto v = sample(result);
    if (!v) return make_error(ErrorKind::unavailable, "malformed scalar result: " + result.dump());
    out.push_back(*v);
  } else if (type == "vector") {
    if (!result.is_array()) return make_error(ErrorKind::unavailable, "malformed vector result");
    for (const auto& element : result) {
      auto v = element.is_object() && element.contains("value") ? sample(element["value"]) : std::nullopt;
      if (!v) return make_error(ErrorKind::unavailable, "malformed vector element: " + element.dump());
      out.push_back(*v);
    }
  } else {
    return make_error(ErrorKind::invalid, "the query returns a " + (type.empty() ? "result of no type" : type) +
                                              ", not an instant vector or scalar");
  }
  return out;
}

}  // namespace

Result<QueryAnswer> parse_query_response(const PrometheusResponse& response) {
  auto j = nlohmann::json::parse(response.body, nullptr, false);
  if (!j.is_object() || !j.contains("status")) {
    std::string body = response.body.substr(0, 200);
    while (!body.empty() && std::isspace(static_cast<unsigned char>(body.back()))) body.pop_back();
    return Error{response.status >= 400 && response.status < 500 ? ErrorKind::invalid : ErrorKind::unavailable,
                 fmt::format("HTTP {}: {}", response.status, body.empty() ? "(empty body)" : body),
                 static_cast<int>(response.status), ""};
  }
  if (j.value("status", "") != "success") {
    const std::string type = j.value("errorType", "");
    const std::string message = j.value("error", "");
    return Error{kind_of(type, response.status), type.empty() ? message : type + ": " + message,
                 static_cast<int>(response.status), type};
  }
  if (!j.contains("data") || !j["data"].is_object())
    return make_error(ErrorKind::unavailable, "a success response without data");
  auto values = values_of(j["data"]);
  if (!values.ok()) return values.error();
  QueryAnswer answer{std::move(*values), {}};
  if (j.contains("warnings") && j["warnings"].is_array())
    for (const auto& w : j["warnings"])
      if (w.is_string()) answer.warnings.push_back(w.get<std::string>());
  return answer;
}

PrometheusClient::PrometheusClient(PrometheusEndpoint endpoint, std::shared_ptr<PrometheusTransport> transport)
    : endpoint_(std::move(endpoint)), transport_(std::move(transport)) {
  while (!endpoint_.address.empty() && endpoint_.address.back() == '/') endpoint_.address.pop_back();
}

Result<PrometheusResponse> PrometheusClient::send(std::string method, const std::string& path, std::string form) {
  PrometheusRequest request{std::move(method), endpoint_.address + path,       std::move(form),
                            std::nullopt,      endpoint_.insecure_skip_verify, Duration(30000)};
  // Prometheus answers a query that runs out of its own timeout; give it a little longer.
  if (endpoint_.timeout) request.timeout = *endpoint_.timeout + Duration(5000);
  if (endpoint_.bearer_token_file) {
    auto token = read_file(*endpoint_.bearer_token_file);
    if (!token.ok()) return make_error(ErrorKind::unavailable, "cannot read bearerTokenFile: " + token.error().message);
    std::string t = *token;
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
    request.bearer_token = t;
  }
  return transport_->send(request);
}

Result<QueryAnswer> PrometheusClient::query(const std::string& promql, std::optional<double> time) {
  std::string form = "query=" + form_encode(promql);
  if (time) form += "&time=" + fmt::format("{:.3f}", *time);
  if (endpoint_.timeout) form += "&timeout=" + form_encode(format_duration(*endpoint_.timeout));
  auto response = send("POST", "/api/v1/query", std::move(form));
  if (!response.ok()) return response.error();
  return parse_query_response(*response);
}

Status PrometheusClient::ready() {
  auto response = send("GET", "/-/ready", "");
  if (!response.ok()) return response.error();
  if (response->status != 200) {
    std::string body = response->body.substr(0, 200);
    while (!body.empty() && std::isspace(static_cast<unsigned char>(body.back()))) body.pop_back();
    return make_error(ErrorKind::unavailable, fmt::format("GET /-/ready answered {} {}", response->status, body));
  }
  return ok_status();
}

}  // namespace rollout::gates
