#include "gates/prometheus.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "k8s/transport.hpp"

using namespace rollout;
using namespace rollout::gates;

namespace {

// Answers from a script, keyed by the rendered query; records every request.
struct FakePrometheus : PrometheusTransport {
  std::vector<PrometheusRequest> requests;
  std::map<std::string, PrometheusResponse> by_query;
  PrometheusResponse ready{200, "Prometheus Server is Ready.\n"};
  std::optional<Error> down;

  Result<PrometheusResponse> send(const PrometheusRequest& r) override {
    requests.push_back(r);
    if (down) return *down;
    if (r.url.ends_with("/-/ready")) return ready;
    for (const auto& [query, response] : by_query)
      if (r.form.find("query=" + form_encode(query) + "&") == 0) return response;
    return PrometheusResponse{200, R"({"status":"success","data":{"resultType":"vector","result":[]}})"};
  }
};

std::string vector_of(const std::vector<std::string>& values) {
  std::string out = R"({"status":"success","data":{"resultType":"vector","result":[)";
  for (size_t i = 0; i < values.size(); ++i)
    out += (i ? "," : "") + std::string(R"({"metric":{"app":"x"},"value":[1700000000.5,")") + values[i] + "\"]}";
  return out + "]}}";
}

const char* kBadData =
    R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unexpected <EOF>"})";

plan::Gate prometheus_gate(std::string query, std::optional<std::string> success = "result < 0.01") {
  plan::Gate g;
  g.name = "error-rate";
  g.provider = plan::PrometheusQuery{"http://prom:9090/", std::move(query), Duration(10000), {}, false};
  g.interval = Duration(30000);
  g.success_condition = std::move(success);
  return g;
}

GateTargets targets() {
  GateTargets t;
  t.ns = "llm";
  t.canary = "pool-new";
  t.stable = "pool-old";
  t.rollout = "bg";
  return t;
}

k8s::Client no_cluster() {
  return k8s::Client(nullptr, "default");
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("render_query replaces the placeholders", "[prometheus]") {
  std::map<std::string, std::string> vars{
      {"canary", "new"}, {"stable", "old"}, {"namespace", "llm"}, {"interval", "30s"}, {"rollout", "bg"}};
  CHECK(render_query(R"(rate(x{app="{{canary}}",ns="{{ namespace }}"}[{{interval}}]))", vars) ==
        R"(rate(x{app="new",ns="llm"}[30s]))");
  CHECK(render_query("{{stable}}/{{  rollout  }}/{{canary}}{{canary}}", vars) == "old/bg/newnew");
  CHECK(render_query("{{unknown}} {x}", vars) == "{{unknown}} {x}");
  CHECK(render_query("", vars).empty());
}

TEST_CASE("query_vars: the interval as a PromQL duration, canary standing for another name", "[prometheus]") {
  auto g = prometheus_gate("q");
  g.interval = Duration(60000);
  auto vars = query_vars(g, targets(), "pool-old");
  CHECK(vars["interval"] == "1m");
  CHECK(vars["canary"] == "pool-old");
  CHECK(vars["stable"] == "pool-old");
  CHECK(vars["namespace"] == "llm");
  CHECK(vars["rollout"] == "bg");
}

TEST_CASE("parse_sample_value reads Prometheus' numbers", "[prometheus]") {
  CHECK(*parse_sample_value("1.5") == 1.5);
  CHECK(*parse_sample_value("-2e-3") == Approx(-0.002));
  CHECK(std::isnan(*parse_sample_value("NaN")));
  CHECK(*parse_sample_value("+Inf") == INFINITY);
  CHECK(*parse_sample_value("-Inf") == -INFINITY);
  CHECK_FALSE(parse_sample_value("1.5x"));
  CHECK_FALSE(parse_sample_value(""));
}

TEST_CASE("parse_query_response: vector, scalar, empty, warnings", "[prometheus]") {
  auto v = parse_query_response({200, vector_of({"0.25", "NaN"})});
  REQUIRE(v.ok());
  REQUIRE(v->values.size() == 2);
  CHECK(v->values[0] == 0.25);
  CHECK(std::isnan(v->values[1]));
  auto s = parse_query_response({200, R"({"status":"success","data":{"resultType":"scalar","result":[1.5,"+Inf"]}})"});
  REQUIRE(s.ok());
  CHECK(s->values == std::vector<double>{INFINITY});
  auto empty = parse_query_response({200, vector_of({})});
  REQUIRE(empty.ok());
  CHECK(empty->values.empty());
  auto w = parse_query_response(
      {200, R"({"status":"success","data":{"resultType":"vector","result":[]},"warnings":["PromQL info: x"]})"});
  REQUIRE(w.ok());
  CHECK(w->warnings == std::vector<std::string>{"PromQL info: x"});
}

TEST_CASE("parse_query_response: errors keep Prometheus' type and message", "[prometheus]") {
  auto bad = parse_query_response({400, kBadData});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().kind == ErrorKind::invalid);
  CHECK(bad.error().reason == "bad_data");
  CHECK(contains(bad.error().message, "parse error: unexpected <EOF>"));
  auto timeout = parse_query_response({503, R"({"status":"error","errorType":"timeout","error":"query timed out"})"});
  CHECK(timeout.error().kind == ErrorKind::timeout);
  auto down = parse_query_response({502, "<html>Bad Gateway</html>"});
  CHECK(down.error().kind == ErrorKind::unavailable);
  CHECK(contains(down.error().message, "HTTP 502"));
  auto matrix = parse_query_response({200, R"({"status":"success","data":{"resultType":"matrix","result":[]}})"});
  CHECK(matrix.error().kind == ErrorKind::invalid);
}

TEST_CASE("PrometheusProvider: measures the rendered query and judges it", "[prometheus]") {
  auto fake = std::make_shared<FakePrometheus>();
  fake->by_query[R"(err{app="pool-new"})"] = {200, vector_of({"0.034"})};
  PrometheusProvider p(prometheus_gate(R"(err{app="{{canary}}"})"), fake);
  auto client = no_cluster();
  auto m = p.measure(client, targets());
  CHECK(m.verdict == Verdict::failed);
  CHECK(contains(m.message, "result 0.034 >= 0.01"));
  REQUIRE(fake->requests.size() == 1);
  const auto& r = fake->requests[0];
  CHECK(r.method == "POST");
  CHECK(r.url == "http://prom:9090/api/v1/query");
  CHECK(contains(r.form, "&time="));
  CHECK(contains(r.form, "&timeout=10s"));
  CHECK_FALSE(r.insecure_skip_verify);
  CHECK_FALSE(r.bearer_token);
}

TEST_CASE("PrometheusProvider: compare asks again with the stable as canary", "[prometheus]") {
  auto fake = std::make_shared<FakePrometheus>();
  fake->by_query[R"(ttft{app="pool-new"})"] = {200, vector_of({"1.9"})};
  fake->by_query[R"(ttft{app="pool-old"})"] = {
      200,
      R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"1.2"]}]},"warnings":["slow"]})"};
  auto g = prometheus_gate(R"(ttft{app="{{canary}}"})", std::nullopt);
  g.compare = plan::Compare{"stable", 1.25, std::nullopt, std::nullopt};
  PrometheusProvider p(g, fake);
  auto client = no_cluster();
  auto m = p.measure(client, targets());
  CHECK(m.verdict == Verdict::failed);
  CHECK(contains(m.message, "canary 1.9 vs stable 1.2: ratio 1.58 > maxRatio 1.25"));
  CHECK(contains(m.message, "Prometheus warning: slow"));
  CHECK(fake->requests.size() == 2);
}

TEST_CASE("PrometheusProvider: errors are measurements of kind error naming the gate", "[prometheus]") {
  auto fake = std::make_shared<FakePrometheus>();
  fake->by_query["up("] = {400, kBadData};
  PrometheusProvider p(prometheus_gate("up("), fake);
  auto client = no_cluster();
  auto m = p.measure(client, targets());
  CHECK(m.verdict == Verdict::error);
  CHECK(contains(m.message, "gate error-rate"));
  CHECK(contains(m.message, "bad_data"));
  fake->down = make_error(ErrorKind::unavailable, "POST http://prom:9090/api/v1/query: Couldn't connect to server");
  CHECK(p.measure(client, targets()).verdict == Verdict::error);
}

TEST_CASE("PrometheusProvider::online: unreachable is unavailable, a bad query invalid", "[prometheus]") {
  auto client = no_cluster();
  auto fake = std::make_shared<FakePrometheus>();
  PrometheusProvider good(prometheus_gate("up"), fake);
  CHECK(good.online(client, targets()).ok());
  fake->down = make_error(ErrorKind::unavailable, "GET http://prom:9090/-/ready: Couldn't connect to server");
  auto down = good.online(client, targets());
  REQUIRE_FALSE(down.ok());
  CHECK(down.error().kind == ErrorKind::unavailable);
  CHECK(contains(down.error().message, "gate error-rate: Prometheus at http://prom:9090 is unreachable"));
  fake->down.reset();
  fake->ready = {503, "Service Unavailable"};
  CHECK(good.online(client, targets()).error().kind == ErrorKind::unavailable);
  fake->ready = {200, ""};
  fake->by_query["sum(rate(x[30s]"] = {400, kBadData};
  PrometheusProvider bad(prometheus_gate("sum(rate(x[{{interval}}]"), fake);
  auto invalid = bad.online(client, targets());
  REQUIRE_FALSE(invalid.ok());
  CHECK(invalid.error().kind == ErrorKind::invalid);
  CHECK(contains(invalid.error().message, "gate error-rate"));
  CHECK(contains(invalid.error().message, "parse error"));
}

TEST_CASE("PrometheusClient: bearer token read on every request, insecureSkipVerify passed on", "[prometheus]") {
  const std::string path = "/tmp/rollout-prometheus-test-token";
  std::ofstream(path) << "first\n";
  auto fake = std::make_shared<FakePrometheus>();
  PrometheusClient c({"https://prom", std::nullopt, path, true}, fake);
  REQUIRE(c.query("up").ok());
  std::ofstream(path) << "second\n";
  REQUIRE(c.query("up").ok());
  REQUIRE(fake->requests.size() == 2);
  CHECK(*fake->requests[0].bearer_token == "first");
  CHECK(*fake->requests[1].bearer_token == "second");
  CHECK(fake->requests[0].insecure_skip_verify);
  CHECK_FALSE(contains(fake->requests[0].form, "timeout="));
  std::remove(path.c_str());
  auto gone = c.query("up");
  REQUIRE_FALSE(gone.ok());
  CHECK(contains(gone.error().message, "bearerTokenFile"));
}

TEST_CASE("form_encode", "[prometheus]") {
  CHECK(form_encode(R"(a{b="c"} / 2)") == "a%7Bb%3D%22c%22%7D%20%2F%202");
}
