// For the engine's tests only: a LoRA canary whose adapters rollout loads through vLLM's runtime
// API (adapters.vllm) on two sandbox pods, and a gate that fails when a ready canary pod does not
// list the adapter. Shared by run_adapters_test.cpp and run_crash_test.cpp.
#pragma once

#include <algorithm>
#include <nlohmann/json.hpp>

#include "engine/run_fixture.hpp"

namespace rollout::engine::testing {

inline const char* kLoraPlan = R"(apiVersion: rollout/v1alpha1
kind: RolloutPlan
metadata:
  name: bg
spec:
  strategy: loraCanary
  target:
    inferenceModel: {name: food-review, stable: food-review-1, canary: food-review-2}
  adapters:
    vllm: {pool: vllm-llama3-8b-instruct}
    load: [{id: food-review-2, source: /adapters/food-review-2}]
  steps:
    - setWeight: 10
    - analysis: {gates: [listed], duration: 30s}
    - setWeight: 50
  gates:
    - {name: listed, http: {path: /v1/models}, interval: 10s}
)";

// A gate that fails when a ready canary pod does not list food-review-2: what a request routed to
// it would find.
struct ListedProvider : gates::MetricProvider {
  std::string kind() const override { return "listed"; }
  gates::Measurement measure(k8s::Client& client, const gates::GateTargets& t) override {
    auto eps = t.endpoints(gates::Side::canary);
    if (!eps.ok()) return {gates::Verdict::error, std::nullopt, eps.error().message};
    for (const auto& e : *eps) {
      if (!e.ready) continue;
      auto r = gates::get_endpoint(client, e, "/v1/models", Duration(5000));
      if (!r.ok() || r->body.find("\"food-review-2\"") == std::string::npos)
        return {gates::Verdict::failed, 1.0, "pod " + e.name + " does not list food-review-2"};
    }
    return {gates::Verdict::successful, 0.0, "listed"};
  }
  Status online(k8s::Client&, const gates::GateTargets&) override { return ok_status(); }
};

inline std::vector<std::string> ready_pods(actuators::testing::SandboxCluster& c) {
  auto api = c.client->resource("v1", "Pod");
  REQUIRE(api.ok());
  auto pods = c.client->list(*api, c.ns, "app=vllm-llama3-8b-instruct");
  REQUIRE(pods.ok());
  std::vector<std::string> out;
  for (const auto& p : (*pods)["items"])
    if (!p["metadata"].contains("deletionTimestamp"))
      for (const auto& cond : p.value("status", nlohmann::json::object()).value("conditions", nlohmann::json::array()))
        if (cond.value("type", "") == "Ready" && cond.value("status", "") == "True")
          out.push_back(p["metadata"]["name"].get<std::string>());
  return out;
}

inline std::string models(actuators::testing::SandboxCluster& c, const std::string& pod) {
  k8s::HttpCall call;
  call.path = "/api/v1/namespaces/default/pods/" + pod + ":8000/proxy/v1/models";
  auto r = c.client->send_once(call);
  REQUIRE(r.ok());
  return r->body;
}

struct LoraRun : RunFixture {
  LoraRun() {
    auto file = plan::load_plan_text("lora.yaml", kLoraPlan);
    for (const auto& m : file.messages()) INFO(m);
    REQUIRE(file.ok());
    plan = file.plans[0].plan;
    seams.make_provider = [](const plan::Gate&) -> Result<std::unique_ptr<gates::MetricProvider>> {
      return std::unique_ptr<gates::MetricProvider>(std::make_unique<ListedProvider>());
    };
    cluster.apply_example("inferencemodel-food-review.yaml");
    for (nlohmann::json d : actuators::testing::example("deployments.yaml")) {  // no syncer ConfigMap: only rollout loads
      if (d["metadata"]["name"] != "vllm-llama3-8b-instruct") continue;
      d["spec"]["replicas"] = 2;
      d["spec"]["template"]["metadata"]["annotations"]["sandbox.rollout.dev/startup"] = "100ms";
      cluster.create(d);
    }
    REQUIRE(actuators::testing::eventually([&] { return ready_pods(cluster).size() == 2; }, std::chrono::seconds(20)));
  }
};


}  // namespace rollout::engine::testing
