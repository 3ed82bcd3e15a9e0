// The scrape gate against a sandbox: synthetic traffic through the seeds' HTTPRoute, split
// between a pool whose simulated vLLM pods fail 30% of requests and a healthy one.
#include <thread>

#include "actuators/endpoints.hpp"
#include "actuators/sandbox_fixture.hpp"
#include "gates/scrape.hpp"

using namespace rollout;
using namespace rollout::gates;
using nlohmann::json;

namespace {

plan::Gate scrape_gate(const std::string& from, bool compare) {
  plan::Gate g;
  g.name = "error-rate-" + from;
  g.provider = plan::ScrapeQuery{from, "vllm", "error-rate", "/metrics"};
  if (compare) g.compare = plan::Compare{"stable", 1.5, std::nullopt, std::nullopt};
  return g;
}

bool pool_ready(k8s::Client& client, const std::string& pool) {
  auto eps = actuators::pool_endpoints(client, "default", {pool});
  return eps.ok() && eps->size() == 3 && std::all_of(eps->begin(), eps->end(), [](const auto& e) { return e.ready; });
}

}  // namespace

TEST_CASE("scrape gate: error rate of a pool failing 30% against a healthy one", "[scrape][sandbox]") {
  sandbox::TrafficOptions traffic;
  traffic.rate = 80;
  traffic.seed = 7;
  actuators::testing::SandboxCluster c(traffic);
  c.apply_example("inferencepools.yaml");
  for (auto obj : actuators::testing::example("deployments.yaml")) {
    if (obj["metadata"]["name"] == "vllm-llama3-8b-instruct-new")
      obj["spec"]["template"]["metadata"]["annotations"]["sandbox.rollout.dev/error-rate"] = "0.3";
    c.create(obj);
  }
  auto route = actuators::testing::example("httproute-llm-route.yaml").at(0);
  route["spec"]["rules"][0]["backendRefs"][0]["weight"] = 50;
  route["spec"]["rules"][0]["backendRefs"][1]["weight"] = 50;
  c.create(route);
  REQUIRE(actuators::testing::eventually([&] { return pool_ready(*c.client, "vllm-llama3-8b-instruct-new"); },
                                         std::chrono::seconds(20)));
  REQUIRE(actuators::testing::eventually([&] { return pool_ready(*c.client, "vllm-llama3-8b-instruct"); },
                                         std::chrono::seconds(20)));

  GateTargets t{"default", "vllm-llama3-8b-instruct-new", "vllm-llama3-8b-instruct", "test", {}, false};
  k8s::Client* client = c.client.get();
  t.endpoints = [client, &t](Side side) -> Result<std::vector<Endpoint>> {
    auto eps = actuators::pool_endpoints(*client, "default", {side == Side::canary ? t.canary : t.stable});
    if (!eps.ok()) return eps.error();
    std::vector<Endpoint> out;
    for (const auto& e : *eps) out.push_back({e.pod, e.base, e.ready});
    return out;
  };
  auto canary = ScrapeProvider::make(scrape_gate("canary", true));
  auto stable = ScrapeProvider::make(scrape_gate("stable", false));
  REQUIRE(canary.ok());
  REQUIRE(stable.ok());
  REQUIRE((*canary)->online(*c.client, t).ok());
  auto first = (*canary)->measure(*c.client, t);
  CHECK(first.verdict == Verdict::inconclusive);
  CHECK_THAT(first.message, Catch::Contains("first scrape"));
  CHECK((*stable)->measure(*c.client, t).verdict == Verdict::inconclusive);
  std::this_thread::sleep_for(std::chrono::seconds(4));
  auto bad = (*canary)->measure(*c.client, t);
  auto good = (*stable)->measure(*c.client, t);
  INFO(bad.message << " | " << good.message);
  REQUIRE(bad.value);
  REQUIRE(good.value);
  CHECK(*bad.value > 0.15);
  CHECK(*bad.value < 0.45);
  CHECK(*good.value == 0);

  // A gate whose metric the pods do not expose fails pre-flight, naming it.
  plan::Gate sglang = scrape_gate("canary", false);
  sglang.provider = plan::ScrapeQuery{"canary", "sglang", "queue-depth", "/metrics"};
  auto wrong = ScrapeProvider::make(sglang);
  REQUIRE(wrong.ok());
  auto status = (*wrong)->online(*c.client, t);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().kind == ErrorKind::invalid);
  CHECK_THAT(status.error().message, Catch::Contains("sglang:num_queue_reqs"));
  // An unreachable path is an error, not a failure.
  plan::Gate missing = scrape_gate("canary", false);
  missing.provider = plan::ScrapeQuery{"canary", "vllm", "error-rate", "/no-metrics"};
  auto nopath = ScrapeProvider::make(missing);
  REQUIRE(nopath.ok());
  CHECK((*nopath)->measure(*c.client, t).verdict == Verdict::error);
}
