// Pool endpoints (InferencePool v1 and v1alpha2, Service) and the pod proxy, against a sandbox
// running the seeds' pools and simulated vLLM pods.
#include "actuators/endpoints.hpp"

#include <algorithm>

#include "actuators/sandbox_fixture.hpp"

using namespace rollout;
using namespace rollout::actuators;
using nlohmann::json;

namespace {

bool all_ready(k8s::Client& client, const BackendPool& pool, size_t count) {
  auto eps = pool_endpoints(client, "default", pool);
  return eps.ok() && eps->size() == count &&
         std::all_of(eps->begin(), eps->end(), [](const Endpoint& e) { return e.ready; });
}

}  // namespace

TEST_CASE("Endpoints: the pods of an InferencePool, a legacy pool and a Service", "[actuators][endpoints]") {
  testing::SandboxCluster c;
  c.apply_example("inferencepools.yaml");
  c.apply_example("deployments.yaml");
  c.create(testing::yaml(R"(
apiVersion: inference.networking.x-k8s.io/v1alpha2
kind: InferencePool
metadata: {name: legacy}
spec:
  selector: {app: vllm-llama3-8b-instruct-new}
  targetPortNumber: 8000
  extensionRef: {name: legacy-epp}
)"));
  c.create(testing::yaml(R"(
apiVersion: v1
kind: Service
metadata: {name: vllm}
spec:
  selector: {app: vllm-llama3-8b-instruct}
  ports: [{port: 80, targetPort: http}]
)"));
  const BackendPool v1{"vllm-llama3-8b-instruct"};
  REQUIRE(testing::eventually([&] { return all_ready(*c.client, v1, 3); }, std::chrono::seconds(15)));

  auto eps = pool_endpoints(*c.client, c.ns, v1);
  REQUIRE(eps.ok());
  for (const auto& ep : *eps) {
    CHECK(ep.port == 8000);
    CHECK_THAT(ep.pod, Catch::StartsWith("vllm-llama3-8b-instruct-"));
    CHECK_THAT(ep.pod, !Catch::StartsWith("vllm-llama3-8b-instruct-new-"));
  }
  auto legacy = pool_endpoints(*c.client, c.ns, {"legacy", "InferencePool", "inference.networking.x-k8s.io"});
  REQUIRE(legacy.ok());
  REQUIRE(legacy->size() == 3);
  CHECK_THAT(legacy->at(0).pod, Catch::StartsWith("vllm-llama3-8b-instruct-new-"));
  CHECK(legacy->at(0).port == 8000);
  auto svc = pool_endpoints(*c.client, c.ns, {"vllm", "Service", ""});
  REQUIRE(svc.ok());
  REQUIRE(svc->size() == 3);
  CHECK(svc->at(0).port == 8000);  // the named targetPort "http", from the pod's containerPort

  auto health = proxy_get(*c.client, c.ns, eps->at(0), "/health", Duration(5000));
  REQUIRE(health.ok());
  CHECK(health->status == 200);
  auto models = proxy_get(*c.client, c.ns, eps->at(0), "v1/models", Duration(5000));
  REQUIRE(models.ok());
  CHECK(models->status == 200);
  CHECK(json::parse(models->body)["data"][0]["id"] == "meta-llama/Llama-3.1-8B-Instruct");

  auto gone = proxy_get(*c.client, c.ns, {"no-such-pod", 8000, true, ""}, "/health", Duration(5000));
  REQUIRE(gone.ok());
  CHECK(gone->status == 404);
}

TEST_CASE("Endpoints: missing pools and pools that select nothing", "[actuators][endpoints]") {
  testing::SandboxCluster c;
  auto missing = pool_endpoints(*c.client, c.ns, {"nope"});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::not_found);
  CHECK(missing.error().message == "InferencePool nope not found in namespace default");
  c.create(testing::yaml(R"(
apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata: {name: empty}
spec:
  selector: {matchLabels: {app: nothing-runs-here}}
  targetPorts: [{number: 8000}]
  endpointPickerRef: {name: epp, port: {number: 9002}}
)"));
  auto none = pool_endpoints(*c.client, c.ns, {"empty"});
  REQUIRE(none.ok());
  CHECK(none->empty());
  c.create(testing::yaml(R"(
apiVersion: v1
kind: Service
metadata: {name: headless}
spec:
  ports: [{port: 80}]
)"));
  CHECK(pool_endpoints(*c.client, c.ns, {"headless", "Service", ""}).error().message ==
        "Service headless: spec.selector selects no pods");
}
