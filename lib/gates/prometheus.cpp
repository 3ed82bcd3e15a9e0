#include "gates/prometheus.hpp"

#include <fmt/format.h>

#include <chrono>
#include <regex>

namespace rollout::gates {

std::string render_query(std::string_view text, const std::map<std::string, std::string>& vars) {
  static const std::regex placeholder(R"(\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\})");
  std::string out;
  const std::string s(text);
  auto last = s.cbegin();
  for (std::sregex_iterator it(s.begin(), s.end(), placeholder), end; it != end; ++it) {
    const auto& m = *it;
    out.append(last, m[0].first);
    auto var = vars.find(m[1].str());
    out += var != vars.end() ? var->second : m[0].str();
    last = m[0].second;
  }
  out.append(last, s.cend());
  return out;
}

std::map<std::string, std::string> query_vars(const plan::Gate& gate, const GateTargets& targets,
                                              const std::string& canary_as) {
  return {{"canary", canary_as},
          {"stable", targets.stable},
          {"namespace", targets.ns},
          {"interval", format_duration(gate.interval)},
          {"rollout", targets.rollout}};
}

namespace {

PrometheusEndpoint endpoint_of(const plan::PrometheusQuery& q) {
  return {q.address, q.timeout, q.bearer_token_file, q.insecure_skip_verify};
}

double unix_now() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::string one_line(std::string s) {
  for (auto& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  const auto first = s.find_first_not_of(' ');
  if (first == std::string::npos) return "";
  s = s.substr(first, s.find_last_not_of(' ') - first + 1);
  std::string out;
  for (char c : s)
    if (!(c == ' ' && !out.empty() && out.back() == ' ')) out += c;
  return out;
}

}  // namespace

PrometheusProvider::PrometheusProvider(plan::Gate gate, std::shared_ptr<PrometheusTransport> transport)
    : gate_(std::move(gate)),
      query_(std::get<plan::PrometheusQuery>(gate_.provider)),
      client_(endpoint_of(query_), std::move(transport)) {}

Result<QueryAnswer> PrometheusProvider::ask(const GateTargets& targets, const std::string& canary_as,
                                            std::string* rendered) {
  *rendered = render_query(query_.query, query_vars(gate_, targets, canary_as));
  return client_.query(*rendered, unix_now());
}

Measurement PrometheusProvider::measure(k8s::Client&, const GateTargets& targets) {
  std::string rendered;
  auto canary = ask(targets, targets.canary, &rendered);
  auto failed = [&](const Error& e, const char* what) {
    return Measurement{
        Verdict::error, std::nullopt,
        fmt::format("gate {}: Prometheus at {} ({}): {}", gate_.name, client_.address(), what, e.message)};
  };
  if (!canary.ok()) return failed(canary.error(), "canary");
  Reading reading{canary->values, std::nullopt, ""};
  std::vector<std::string> warnings = canary->warnings;
  if (gate_.compare) {
    std::string baseline_query;
    auto baseline = ask(targets, targets.stable, &baseline_query);
    if (!baseline.ok()) return failed(baseline.error(), "baseline");
    reading.baseline = baseline->values;
    warnings.insert(warnings.end(), baseline->warnings.begin(), baseline->warnings.end());
  }
  Measurement m = judge(gate_, reading);
  for (const auto& w : warnings) m.message += "; Prometheus warning: " + w;
  return m;
}

Status PrometheusProvider::online(k8s::Client&, const GateTargets& targets) {
  if (auto ready = client_.ready(); !ready.ok())
    return make_error(ErrorKind::unavailable, fmt::format("gate {}: Prometheus at {} is unreachable: {}", gate_.name,
                                                          client_.address(), ready.error().message));
  std::string rendered;
  auto answer = ask(targets, targets.canary, &rendered);
  if (answer.ok()) return ok_status();
  const Error& e = answer.error();
  if (e.kind == ErrorKind::invalid)
    return make_error(ErrorKind::invalid, fmt::format("gate {}: Prometheus rejects the query {}: {}", gate_.name,
                                                      one_line(rendered), e.message));
  return make_error(
      e.kind == ErrorKind::timeout ? ErrorKind::timeout : ErrorKind::unavailable,
      fmt::format("gate {}: Prometheus at {} cannot answer the query: {}", gate_.name, client_.address(), e.message));
}

}  // namespace rollout::gates
