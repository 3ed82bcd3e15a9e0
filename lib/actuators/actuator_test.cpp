// The table from a plan's target kind to its actuators, and ObjectRef as JSON.
#include "actuators/actuator.hpp"
#include "actuators/local_replicas.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace rollout;
using namespace rollout::actuators;

namespace {

std::vector<std::string> names(const plan::Plan& p) {
  auto list = actuators_for(p);
  INFO((list.ok() ? "" : list.error().message));
  REQUIRE(list.ok());
  std::vector<std::string> out;
  for (const auto& a : *list) out.push_back(a->name());
  return out;
}

}  // namespace

TEST_CASE("actuators_for: one actuator per traffic target, the LoRA syncer first", "[actuators]") {
  plan::Plan p;
  p.target = plan::HttpRouteTarget{};
  CHECK(names(p) == std::vector<std::string>{"httpRoute"});
  p.target = plan::InferenceModelTarget{};
  CHECK(names(p) == std::vector<std::string>{"inferenceModel"});
  p.target = plan::InferenceModelRewriteTarget{};
  CHECK(names(p) == std::vector<std::string>{"inferenceModelRewrite"});
  p.adapters = plan::Adapters{};
  CHECK(names(p) == std::vector<std::string>{"loraSyncer", "inferenceModelRewrite"});
}

TEST_CASE("actuators_for: one actuator per rolling target in the cluster", "[actuators]") {
  plan::Plan p;
  p.target = plan::ModelServingTarget{};
  CHECK(names(p) == std::vector<std::string>{"modelServing"});
  p.target = plan::DeploymentTarget{};
  CHECK(names(p) == std::vector<std::string>{"deployment"});
  p.target = plan::LeaderWorkerSetTarget{};
  CHECK(names(p) == std::vector<std::string>{"leaderWorkerSet"});
}

TEST_CASE("ObjectRef round-trips through JSON", "[actuators]") {
  const ObjectRef r{"gateway.networking.k8s.io/v1", "HTTPRoute", "default", "llm-route"};
  const auto j = to_json(r);
  CHECK(j == nlohmann::json{{"apiVersion", "gateway.networking.k8s.io/v1"},
                            {"kind", "HTTPRoute"},
                            {"namespace", "default"},
                            {"name", "llm-route"}});
  CHECK(object_ref_from_json(j) == r);
  CHECK(r.key() == "HTTPRoute/llm-route");
  CHECK(object_ref_from_json(nlohmann::json::array()) == ObjectRef{});
}

TEST_CASE("local replicas: rolling puts the first N on the canary; blueGreen splits weights", "[actuators][local]") {
  plan::Plan p;
  plan::LocalTarget t;
  for (int i = 0; i < 2; ++i) t.replicas.push_back({"gpu" + std::to_string(i), i, 8001 + i});
  p.target = t;
  auto list = actuators_for(p);
  REQUIRE(list.ok());
  const auto& act = *list->back();
  const nlohmann::json original = {{"spec", {{"versions", {{"gpu0", "stable"}, {"gpu1", "stable"}}}}}};
  Position at;
  at.updated = 1;
  CHECK(act.desired(original, at)->at("spec")["versions"] == nlohmann::json{{"gpu0", "canary"}, {"gpu1", "stable"}});
  CHECK(act.replicas(original) == 2);
  t.canary_replicas = {{"gpu2", 2, 8003}, {"gpu3", 3, 8004}};
  LocalReplicasActuator bg(t);
  nlohmann::json o2 = {{"spec",
                        {{"versions", {{"gpu0", "stable"}, {"gpu1", "stable"}, {"gpu2", "none"}, {"gpu3", "none"}}},
                         {"weights", {{"gpu0", 1}, {"gpu1", 1}, {"gpu2", 0}, {"gpu3", 0}}}}}};
  Position w;
  w.weight = 10;
  auto d = bg.desired(o2, w);
  CHECK(d->at("spec")["weights"] == nlohmann::json{{"gpu0", 9}, {"gpu1", 9}, {"gpu2", 1}, {"gpu3", 1}});
  CHECK(d->at("spec")["versions"]["gpu2"] == "canary");
  w.finished = true;
  d = bg.desired(o2, w);
  CHECK(d->at("spec")["versions"]["gpu0"] == "none");
  CHECK(d->at("spec")["weights"]["gpu0"] == 0);
}

// HAProxy takes server weights 0..256 only: before, 4 stable and 3 canary servers at 1 % asked for
// 297 and 4, and HAProxy refused the step's `set server ... weight 297`.
TEST_CASE("local replicas: blueGreen weights stay within HAProxy's 0..256, as close to the share as it allows",
          "[actuators][local]") {
  const auto share = [](int ns, int nc, SetWeights w) {
    return 100.0 * w.canary * nc / (static_cast<double>(w.canary) * nc + static_cast<double>(w.stable) * ns);
  };
  CHECK(split_weights(2, 2, 10).stable == 9);  // exact where it fits: 9:1
  CHECK(split_weights(2, 2, 10).canary == 1);
  CHECK(split_weights(4, 3, 25).stable == 9);  // 75·3 : 25·4 = 9:4
  CHECK(split_weights(4, 3, 25).canary == 4);
  const SetWeights all = split_weights(4, 3, 100);
  CHECK(all.stable == 0);
  CHECK(all.canary == 1);
  for (int ns = 1; ns <= 8; ++ns)
    for (int nc = 1; nc <= 8; ++nc)
      for (int pct = 1; pct <= 99; ++pct) {
        const SetWeights w = split_weights(ns, nc, pct);
        INFO(ns << " stable, " << nc << " canary servers at " << pct << "%: " << w.stable << ":" << w.canary);
        REQUIRE(w.stable >= 1);
        REQUIRE(w.stable <= kMaxServerWeight);
        REQUIRE(w.canary >= 1);
        REQUIRE(w.canary <= kMaxServerWeight);
        // The smallest share the range allows is one canary weight against 256 stable ones
        // (1 stable and 8 canary servers cannot go below 3 %): below it, that smallest share;
        // above the largest (256 against 1), that largest one.
        if (pct < 100.0 * nc / (nc + kMaxServerWeight * ns)) {
          CHECK(w.stable == kMaxServerWeight);
          CHECK(w.canary == 1);
        } else if (pct > 100.0 * kMaxServerWeight * nc / (kMaxServerWeight * nc + ns)) {
          CHECK(w.stable == 1);
          CHECK(w.canary == kMaxServerWeight);
        } else {
          CHECK(std::abs(share(ns, nc, w) - pct) < 0.05);  // a twentieth of a percent at worst
        }
      }
  const SetWeights fine = split_weights(4, 3, 1);  // was 297:4
  CHECK(fine.stable <= kMaxServerWeight);
  CHECK(share(4, 3, fine) == Approx(1.0).epsilon(0.01));
}
