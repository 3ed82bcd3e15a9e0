// API generations decided by discovery, not assumed: which InferenceModelRewrite group and which
// InferencePool version a cluster serves, an InferenceModel target on a cluster without that CRD,
// against sandboxes that leave some groups out (SandboxOptions::disabled_apis).
#include "actuators/endpoints.hpp"
#include "actuators/inference_model.hpp"
#include "actuators/inference_model_rewrite.hpp"
#include "actuators/sandbox_fixture.hpp"

using namespace rollout;
using namespace rollout::actuators;
using nlohmann::json;

namespace {

const char* kLegacy = "inference.networking.x-k8s.io/v1alpha2";

plan::InferenceModelRewriteTarget rewrite_target() {
  plan::InferenceModelRewriteTarget t;
  t.name = "food-review-rewrite";
  t.model = "food-review";
  t.stable = "food-review-1";
  t.canary = "food-review-2";
  return t;
}

json legacy_rewrite() {
  json r = testing::example("inferencemodelrewrite-food-review.yaml").at(0);
  r["apiVersion"] = kLegacy;
  return r;
}

bool contains(const std::vector<std::string>& lines, const std::string& needle) {
  for (const auto& l : lines)
    if (l.find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("InferenceModelRewrite: only the legacy group installed and no apiVersion in the plan: it is used",
          "[actuators][apigen]") {
  testing::SandboxCluster cluster({}, {"llm-d.ai"});
  cluster.create(legacy_rewrite());
  const InferenceModelRewriteActuator a(rewrite_target());
  auto refs = a.resolve(*cluster.client, "default");
  INFO((refs.ok() ? "" : refs.error().message));
  REQUIRE(refs.ok());
  CHECK(refs->at(0).api_version == kLegacy);
  const json live = cluster.get(kLegacy, "InferenceModelRewrite", "food-review-rewrite");
  const auto warnings = a.warnings(*cluster.client, {live});
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] == "InferenceModelRewrite food-review-rewrite: the cluster serves it only in the legacy group " +
                           std::string(kLegacy) + " (not the default llm-d.ai/v1alpha2); that one is changed");
  CHECK(a.backend(live, Role::canary)->group == "inference.networking.k8s.io");  // poolRef.group as written

  // the plan naming llm-d.ai is refused before any change, with what to write instead
  auto t = rewrite_target();
  t.api_version_given = true;
  auto named = InferenceModelRewriteActuator(t).resolve(*cluster.client, "default");
  REQUIRE_FALSE(named.ok());
  CHECK(named.error().kind == ErrorKind::invalid);
  CHECK(named.error().message ==
        "target.inferenceModelRewrite.apiVersion: the cluster does not serve InferenceModelRewrite in "
        "llm-d.ai/v1alpha2, only in inference.networking.x-k8s.io/v1alpha2: set apiVersion: "
        "inference.networking.x-k8s.io/v1alpha2 (or leave it out to use what is installed)");
}

TEST_CASE("InferenceModelRewrite: both groups installed: the plan's group, a warning for the namesake",
          "[actuators][apigen]") {
  testing::SandboxCluster cluster;
  cluster.apply_example("inferencemodelrewrite-food-review.yaml");
  auto t = rewrite_target();
  const json live = cluster.get("llm-d.ai/v1alpha2", "InferenceModelRewrite", "food-review-rewrite");
  auto refs = InferenceModelRewriteActuator(t).resolve(*cluster.client, "default");
  REQUIRE(refs.ok());
  CHECK(refs->at(0).api_version == "llm-d.ai/v1alpha2");
  CHECK(InferenceModelRewriteActuator(t).warnings(*cluster.client, {live}).empty());  // no namesake yet

  cluster.create(legacy_rewrite());
  const auto warnings = InferenceModelRewriteActuator(t).warnings(*cluster.client, {live});
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] == "InferenceModelRewrite food-review-rewrite exists in both llm-d.ai/v1alpha2 and "
                       "inference.networking.x-k8s.io/v1alpha2; only the llm-d.ai/v1alpha2 one is changed (the "
                       "plan's apiVersion): check which one your endpoint picker reads");
  // the plan naming the legacy group patches that one, and warns about the llm-d.ai namesake
  t.api_version = kLegacy;
  t.api_version_given = true;
  refs = InferenceModelRewriteActuator(t).resolve(*cluster.client, "default");
  REQUIRE(refs.ok());
  CHECK(refs->at(0).api_version == kLegacy);
  const json legacy = cluster.get(kLegacy, "InferenceModelRewrite", "food-review-rewrite");
  CHECK(contains(InferenceModelRewriteActuator(t).warnings(*cluster.client, {legacy}), "exists in both"));
}

TEST_CASE("InferenceModelRewrite: neither group installed is not_found before any change", "[actuators][apigen]") {
  testing::SandboxCluster cluster({}, {"llm-d.ai", "inference.networking.x-k8s.io"});
  auto refs = InferenceModelRewriteActuator(rewrite_target()).resolve(*cluster.client, "default");
  REQUIRE_FALSE(refs.ok());
  CHECK(refs.error().kind == ErrorKind::not_found);
  CHECK(refs.error().message == "the cluster serves no InferenceModelRewrite (neither llm-d.ai/v1alpha2 nor the "
                                "legacy inference.networking.x-k8s.io/v1alpha2): is llm-d's CRD installed?");
}

TEST_CASE("inferenceModel on a cluster without the InferenceModel CRD names its successor and the migration",
          "[actuators][apigen]") {
  testing::SandboxCluster cluster({}, {"inference.networking.x-k8s.io/v1alpha2"});
  plan::InferenceModelTarget t{"food-review", "food-review-1", "food-review-2"};
  auto refs = InferenceModelActuator(t).resolve(*cluster.client, "default");
  REQUIRE_FALSE(refs.ok());
  CHECK(refs.error().kind == ErrorKind::not_found);
  CHECK(refs.error().message == inference_model_gone());
  CHECK_THAT(refs.error().message, Catch::Contains("InferenceModelRewrite (llm-d.ai/v1alpha2)"));
  CHECK_THAT(refs.error().message, Catch::Contains("spec.targetModels[].name are the rule's targets[].modelRewrite"));
}

TEST_CASE("InferencePool: the generation the cluster serves, asked once per client", "[actuators][apigen]") {
  testing::SandboxCluster cluster({}, {"inference.networking.x-k8s.io"});
  cluster.apply_example("inferencepools.yaml");
  cluster.apply_example("deployments.yaml");
  auto& client = *cluster.client;
  // an InferenceModel's poolRef defaults to the removed x-k8s.io group: discovery says v1
  const BackendPool legacy{"vllm-llama3-8b-instruct", "InferencePool", "inference.networking.x-k8s.io"};
  auto served = served_pool_group(client, legacy);
  REQUIRE(served.ok());
  CHECK(served->group == "inference.networking.k8s.io");
  const int before = client.stats().requests;
  REQUIRE(served_pool_group(client, legacy).ok());
  CHECK(client.stats().requests == before);  // /apis and the group's resources: cached for the run
  std::vector<Endpoint> pods;
  REQUIRE(testing::eventually(
      [&] {
        auto e = pool_endpoints(client, "default", legacy);
        if (e.ok()) pods = *e;
        return e.ok() && pods.size() == 3;
      },
      std::chrono::seconds(10)));
  CHECK(pods[0].port == 8000);

  // discovery lists the served generations only
  auto v = client.group_versions("inference.networking.x-k8s.io");
  REQUIRE(v.ok());
  CHECK(v->empty());
  auto v1 = client.group_versions("inference.networking.k8s.io");
  REQUIRE(v1.ok());
  CHECK(*v1 == std::vector<std::string>{"v1"});
}
