#include "plan/fields.hpp"

#include <stdexcept>

namespace rollout::plan {

namespace {

constexpr bool req = true;

std::vector<ObjectSpec> build() {
  return {
      {"RolloutPlan", {{"apiVersion", req}, {"kind", req}, {"metadata", req}, {"spec", req}}},
      {"Metadata", {{"name", req}, {"namespace"}, {"labels"}, {"annotations"}}},
      {"Spec",
       {{"strategy", req},
        {"target", req},
        {"adapters"},
        {"steps"},
        {"gates"},
        {"background"},
        {"onFailure"},
        {"progressDeadline"},
        {"finalize"}}},
      {"Target",
       {{"httpRoute"},
        {"inferenceModel"},
        {"inferenceModelRewrite"},
        {"modelServing"},
        {"deployment"},
        {"leaderWorkerSet"},
        {"local"},
        {"modelRoute"}}},
      {"HttpRouteTarget", {{"name"}, {"selector"}, {"rule"}, {"stable", req}, {"canary", req}}},
      {"LabelSelector", {{"matchLabels", req}}},
      {"BackendRef", {{"name", req}, {"kind"}, {"group"}, {"port"}}},
      {"InferenceModelTarget", {{"name", req}, {"stable", req}, {"canary", req}}},
      {"InferenceModelRewriteTarget",
       {{"name", req}, {"apiVersion"}, {"model", req}, {"stable", req}, {"canary", req}}},
      {"ModelRouteTarget", {{"name", req}, {"rule"}, {"stable", req}, {"canary", req}}},
      {"ModelServingTarget", {{"name", req}, {"apiVersion"}, {"template"}, {"readyTimeout"}}},
      {"DeploymentTarget", {{"name", req}, {"template"}, {"readyTimeout"}}},
      {"LeaderWorkerSetTarget", {{"name", req}, {"template"}, {"readyTimeout"}}},
      {"LocalTarget",
       {{"loadBalancer", req},
        {"replicas", req},
        {"stable", req},
        {"canary", req},
        {"start"},
        {"stop"},
        {"health"},
        {"drain"},
        {"maxUnavailable"},
        {"canaryReplicas"},
        {"maxInFlightPerReplica"}}},
      {"LoadBalancer", {{"nginx"}, {"haproxy"}}},
      {"NginxBalancer", {{"upstreamFile", req}, {"upstream", req}, {"test"}, {"reload"}}},
      {"HaproxyBalancer", {{"socket", req}, {"backend", req}}},
      {"LocalReplica", {{"name", req}, {"gpu", req}, {"port", req}, {"host"}}},
      {"LocalVersion", {{"command", req}, {"env"}, {"model"}}},
      {"CommandSpec", {{"command"}, {"grace"}}},
      {"LocalHealth", {{"path"}, {"timeout"}}},
      {"LocalDrain", {{"timeout"}}},
      {"Adapters", {{"loraSyncer"}, {"vllm"}, {"load"}, {"unloadOnSuccess"}, {"verify"}}},
      {"LoraSyncer", {{"configMap", req}}},
      {"VllmRuntime", {{"pool", req}}},
      {"AdapterLoad", {{"id", req}, {"source", req}, {"baseModel"}}},
      {"AdapterVerify", {{"pool"}, {"timeout"}}},
      {"Step", {{"setWeight"}, {"setHeaderRoute"}, {"setMirror"}, {"pause"}, {"analysis"}, {"updateReplicas"}}},
      {"SetHeaderRoute", {{"name", req}, {"value", req}, {"type"}}},
      {"SetMirror", {{"percent", req}}},
      {"Pause", {{"duration"}}},
      {"Analysis", {{"gates", req}, {"duration"}}},
      {"Gate",
       {{"name", req},
        {"prometheus"},
        {"scrape"},
        {"http"},
        {"interval"},
        {"count"},
        {"initialDelay"},
        {"successCondition"},
        {"failureCondition"},
        {"failureLimit"},
        {"inconclusiveLimit"},
        {"consecutiveErrorLimit"},
        {"dryRun"},
        {"compare"},
        {"sequential"}}},
      {"PrometheusProvider",
       {{"address", req}, {"query", req}, {"timeout"}, {"bearerTokenFile"}, {"insecureSkipVerify"}}},
      {"ScrapeProvider", {{"from"}, {"preset"}, {"metric", req}, {"path"}}},
      {"HttpProvider", {{"path"}, {"expectStatus"}, {"bodyContains"}, {"modelListed"}, {"from"}, {"timeout"}}},
      {"Compare", {{"baseline"}, {"maxRatio"}, {"maxIncrease"}, {"minRatio"}}},
      {"Sequential", {{"baseline"}, {"alpha"}, {"maxRatio"}, {"minRequests"}, {"maxRequests"}}},
      {"Finalize", {{"run"}, {"deleteStable"}}},
  };
}

}  // namespace

const std::vector<ObjectSpec>& object_specs() {
  static const std::vector<ObjectSpec> specs = build();
  return specs;
}

const ObjectSpec& object_spec(std::string_view type) {
  for (const auto& s : object_specs())
    if (s.type == type) return s;
  throw std::logic_error("unknown plan object type " + std::string(type));
}

}  // namespace rollout::plan
