// plan new's scaffolds against the in-process sandbox holding the seeds' objects: every plan it
// makes loads, names what it found, and refuses what the objects or flags leave open.
#include "actuators/scaffold.hpp"

#include "actuators/endpoints.hpp"
#include "actuators/sandbox_fixture.hpp"
#include "actuators/scaffold_parts.hpp"
#include "plan/loader.hpp"

using namespace rollout;
using namespace rollout::actuators;
using nlohmann::json;

namespace {

// gates::find_preset's answers for the metrics plan new asks about (TGI has no time to first token).
bool preset_exists(const std::string& engine, const std::string& metric) {
  return !(engine == "tgi" && metric.rfind("ttft", 0) == 0);
}

ScaffoldRequest request(plan::Strategy strategy) {
  ScaffoldRequest r;
  r.strategy = strategy;
  r.ns = "default";
  r.preset_exists = preset_exists;
  return r;
}

// The scaffold rendered and loaded again: what `plan validate` would say of it.
plan::Plan loaded(const plan::Scaffold& s) {
  const std::string text = plan::render_scaffold(s);
  plan::PlanFile f = plan::load_plan_text("new.yaml", text);
  INFO(text);
  for (const auto& m : f.messages()) INFO(m);
  REQUIRE(f.ok());
  return f.plans.at(0).plan;
}

std::string header(const plan::Scaffold& s) {
  std::string out;
  for (const auto& h : s.header) out += h + "\n";
  return out;
}

bool has_pods(testing::SandboxCluster& c, const std::string& pool) {
  auto eps = pool_endpoints(*c.client, "default", BackendPool{pool});
  return eps.ok() && !eps->empty();
}

json scrape_of(const plan::Plan& p, const std::string& gate) {
  const plan::Gate* g = p.find_gate(gate);
  REQUIRE(g);
  const auto& q = std::get<plan::ScrapeQuery>(g->provider);
  return {{"preset", q.preset}, {"metric", q.metric}};
}

}  // namespace

TEST_CASE("plan new: flags that do not fit the strategy are refused naming the flag", "[actuators][scaffold]") {
  auto r = request(plan::Strategy::rolling);
  auto s = check_scaffold_request(r);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().kind == ErrorKind::usage);
  CHECK(s.error().message.find("--deployment") != std::string::npos);
  r.deployment = "d";
  r.route = "r";
  s = check_scaffold_request(r);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message == "--route does not fit rolling: it belongs to blueGreen");
  r.route.clear();
  r.model_serving = "m";
  CHECK_FALSE(check_scaffold_request(r).ok());
  auto lora = request(plan::Strategy::loraCanary);
  lora.inference_model = "im";
  CHECK(check_scaffold_request(lora).error().message.find("--adapter") != std::string::npos);
  lora.adapter = "a";
  CHECK(check_scaffold_request(lora).ok());
}

TEST_CASE("plan new: the model server is told by image, then command line, then default port",
          "[actuators][scaffold]") {
  auto spec = [](const std::string& yaml) { return testing::yaml(yaml); };
  CHECK(detect_model_server(spec("containers: [{name: s, image: lmsysorg/sglang:v0.4.6}]")).engine == "sglang");
  CHECK(detect_model_server(spec("containers: [{name: t, image: ghcr.io/huggingface/text-generation-inference:3.0}]"))
            .engine == "tgi");
  auto g = detect_model_server(
      spec("containers: [{name: side, image: busybox}, {name: m, image: vllm/vllm-openai:v0.9.2}]"));
  CHECK(g.engine == "vllm");
  CHECK(g.image == "vllm/vllm-openai:v0.9.2");
  CHECK(g.evidence == "image vllm/vllm-openai:v0.9.2 of container m");
  CHECK(detect_model_server(
            spec("containers: [{name: m, image: my/llm:1, command: [python3, -m, sglang.launch_server]}]"))
            .engine == "sglang");
  CHECK(detect_model_server(spec("containers: [{name: m, image: my/llm:1, args: [vllm, serve, m]}]")).engine == "vllm");
  CHECK(detect_model_server(spec("containers: [{name: m, image: my/llm:1, ports: [{containerPort: 30000}]}]")).engine ==
        "sglang");
  CHECK(detect_model_server(spec("containers: [{name: m, image: my/llm:1, ports: [{containerPort: 9000}]}]"))
            .engine.empty());
}

TEST_CASE("plan new blueGreen: the route's backend is stable, the one free pool the canary", "[actuators][scaffold]") {
  testing::SandboxCluster c;
  c.apply_example("inferencepools.yaml");
  c.apply_example("deployments.yaml");
  c.apply_example("httproute-llm-route.yaml");
  REQUIRE(testing::eventually([&] { return has_pods(c, "vllm-llama3-8b-instruct"); }, std::chrono::seconds(10)));
  auto r = request(plan::Strategy::blueGreen);
  r.route = "llm-route";

  auto s = scaffold_plan(*c.client, r);
  REQUIRE(s.ok());
  const plan::Plan p = loaded(*s);
  CHECK(p.name == "llm-route-blue-green");
  const auto& t = std::get<plan::HttpRouteTarget>(p.target);
  CHECK(t.stable.name == "vllm-llama3-8b-instruct");
  CHECK(t.canary.name == "vllm-llama3-8b-instruct-new");  // referenced at weight 0: still free
  CHECK(t.canary.group == "inference.networking.k8s.io");
  CHECK(scrape_of(p, "ttft-p99") == json{{"preset", "vllm"}, {"metric", "ttft-p99"}});
  CHECK(header(*s).find("Model server: vllm, from the image vllm/vllm-openai:v0.8.5") != std::string::npos);

  SECTION("several candidates: none is taken, the error names them and --canary") {
    c.create(testing::yaml(R"(
apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata: {name: third}
spec: {selector: {matchLabels: {app: third}}, targetPorts: [{number: 8000}], endpointPickerRef: {name: e, port: {number: 9002}}}
)"));
    auto several = scaffold_plan(*c.client, r);
    REQUIRE_FALSE(several.ok());
    CHECK(several.error().kind == ErrorKind::usage);
    CHECK(
        several.error().message ==
        "several InferencePools could be the canary: third, vllm-llama3-8b-instruct-new; pick one with --canary NAME");
    r.canary = "third";
    auto picked = scaffold_plan(*c.client, r);
    REQUIRE(picked.ok());
    CHECK(std::get<plan::HttpRouteTarget>(loaded(*picked).target).canary.name == "third");
  }
  SECTION("a missing route or canary is not_found naming it") {
    r.route = "nope";
    auto missing = scaffold_plan(*c.client, r);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().kind == ErrorKind::not_found);
    CHECK(missing.error().message == "HTTPRoute nope not found in namespace default");
    r.route = "llm-route";
    r.canary = "nope";
    CHECK(scaffold_plan(*c.client, r).error().message ==
          "--canary: InferencePool nope not found in namespace default (candidates: vllm-llama3-8b-instruct-new)");
  }
}

TEST_CASE("plan new blueGreen: a Kthena ModelRoute moves to the ModelServer it does not use", "[actuators][scaffold]") {
  testing::SandboxCluster c;
  c.apply_example("modelroute-llama.yaml");
  auto r = request(plan::Strategy::blueGreen);
  r.model_route = "llama";
  auto s = scaffold_plan(*c.client, r);
  REQUIRE(s.ok());
  const auto t = std::get<plan::ModelRouteTarget>(loaded(*s).target);
  CHECK(t.stable == "llama-v085");
  CHECK(t.canary == "llama-v092");
  // No pods: spec.inferenceEngine of the stable ModelServer says which server it is.
  CHECK(header(*s).find("Model server: vllm, from the spec.inferenceEngine of ModelServer llama-v085") !=
        std::string::npos);
}

TEST_CASE("plan new loraCanary: the syncer's ConfigMap when the pool's pods mount it, else vLLM's runtime API",
          "[actuators][scaffold]") {
  testing::SandboxCluster c;
  c.apply_example("inferencepools.yaml");
  c.apply_example("deployments.yaml");
  c.apply_example("inferencemodel-food-review.yaml");
  c.apply_example("inferencemodelrewrite-food-review.yaml");
  REQUIRE(testing::eventually([&] { return has_pods(c, "vllm-llama3-8b-instruct"); }, std::chrono::seconds(10)));
  auto r = request(plan::Strategy::loraCanary);
  r.adapter = "food-review-2";

  SECTION("no syncer ConfigMap: adapters.vllm, and the source must be given") {
    r.inference_model = "food-review";
    auto refused = scaffold_plan(*c.client, r);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == ErrorKind::usage);
    CHECK(refused.error().message.rfind("--adapter-source is needed", 0) == 0);
    r.adapter_source = "org/food-review-2";
    auto s = scaffold_plan(*c.client, r);
    REQUIRE(s.ok());
    const plan::Plan p = loaded(*s);
    CHECK(p.adapters->vllm_pool == "vllm-llama3-8b-instruct");
    CHECK(p.adapters->load.at(0).source == "org/food-review-2");
    CHECK(p.adapters->unload_on_success == std::vector<std::string>{"food-review-1"});
    const auto& t = std::get<plan::InferenceModelTarget>(p.target);
    CHECK(t.stable == "food-review-1");
    CHECK(t.canary == "food-review-2");
  }
  SECTION("the syncer ConfigMap: adapters.loraSyncer, the stable adapter's source copied and marked") {
    c.apply_example("configmap-lora-adapters.yaml");
    r.rewrite = "food-review-rewrite";
    auto s = scaffold_plan(*c.client, r);
    REQUIRE(s.ok());
    const plan::Plan p = loaded(*s);
    CHECK(p.adapters->lora_syncer_config_map == "vllm-llama3-8b-instruct-adapters");
    CHECK(p.adapters->verify_pool == std::optional<std::string>("vllm-llama3-8b-instruct"));
    CHECK(p.adapters->load.at(0).source == "Kawon/llama3.1-food-finetune_v14_r8");
    CHECK(s->notes.at("spec.adapters.load[0].source").rfind("EDIT:", 0) == 0);
    const auto& t = std::get<plan::InferenceModelRewriteTarget>(p.target);
    CHECK(t.api_version == "llm-d.ai/v1alpha2");
    CHECK(t.model == "food-review");
    CHECK(p.find_gate("adapter-loaded"));
  }
  SECTION("the adapter serving today is not a new one") {
    r.inference_model = "food-review";
    r.adapter = "food-review-1";
    CHECK(scaffold_plan(*c.client, r).error().message ==
          "--adapter food-review-1 is the adapter InferenceModel food-review serves today");
  }
}

TEST_CASE("plan new rolling: replicas become batches, --image replaces the model server's image",
          "[actuators][scaffold]") {
  testing::SandboxCluster c;
  c.apply_example("modelserving-llama3-8b-instruct.yaml");
  auto r = request(plan::Strategy::rolling);
  r.model_serving = "llama3-8b-instruct";
  r.image = "vllm/vllm-openai:v0.10.2";
  auto s = scaffold_plan(*c.client, r);
  REQUIRE(s.ok());
  const plan::Plan p = loaded(*s);
  const auto& t = std::get<plan::ModelServingTarget>(p.target);
  CHECK(t.template_->at("roles")[0]["entryTemplate"]["spec"]["containers"][0]["image"] == "vllm/vllm-openai:v0.10.2");
  std::vector<int> batches;
  for (const auto& st : p.steps)
    if (auto* u = std::get_if<plan::UpdateReplicas>(&st.action)) batches.push_back(u->value);
  CHECK(batches == std::vector<int>{1, 2, 4});
  CHECK(std::holds_alternative<plan::Pause>(p.steps.at(2).action));

  SECTION("a TGI Deployment of one replica: TGI's presets, no comparison, no pause") {
    c.create(testing::yaml(R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: tgi}
spec:
  replicas: 1
  selector: {matchLabels: {app: tgi}}
  template:
    metadata: {labels: {app: tgi}}
    spec:
      containers: [{name: tgi, image: ghcr.io/huggingface/text-generation-inference:3.0}]
)"));
    r.model_serving.clear();
    r.deployment = "tgi";
    r.image.clear();
    auto one = scaffold_plan(*c.client, r);
    REQUIRE(one.ok());
    const plan::Plan q = loaded(*one);
    CHECK(scrape_of(q, "error-rate") == json{{"preset", "tgi"}, {"metric", "error-rate"}});
    CHECK_FALSE(q.find_gate("ttft-p99"));
    CHECK(q.steps.size() == 2);
    CHECK(one->template_notes.at(0).second == "EDIT: the new image (today's)");
  }
  SECTION("a missing workload is not_found naming it") {
    r.model_serving = "nope";
    CHECK(scaffold_plan(*c.client, r).error().message == "ModelServing nope not found in namespace default");
  }
}

TEST_CASE("plan new: metadata.name is a DNS label of at most 55 characters, --name is checked",
          "[actuators][scaffold]") {
  CHECK(scaffold::plan_name("llm-route", "-blue-green") == "llm-route-blue-green");
  CHECK(scaffold::plan_name("Org/Food_Review.v2", "-canary") == "org-food-review-v2-canary");
  const std::string long_name(80, 'a');
  const std::string made = scaffold::plan_name(long_name, "-rolling");
  CHECK(made.size() == 55);
  CHECK(made.substr(made.size() - 8) == "-rolling");
  auto r = request(plan::Strategy::rolling);
  r.deployment = "d";
  r.name = "Bad_Name";
  CHECK(check_scaffold_request(r).error().message ==
        "--name Bad_Name: not a DNS label (a-z, 0-9 and '-', at most 55 characters)");
}

TEST_CASE("plan new blueGreen: a route to a Service moves to another Service on the same port",
          "[actuators][scaffold]") {
  testing::SandboxCluster c;
  for (const char* name : {"svc-old", "svc-new"})
    c.create(testing::yaml(std::string("apiVersion: v1\nkind: Service\nmetadata: {name: ") + name +
                           "}\nspec: {selector: {app: " + name + "}, ports: [{port: 8000}]}\n"));
  c.create(testing::yaml(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: svc-route}
spec:
  parentRefs: [{name: inference-gateway}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /healthz}}]
  - backendRefs: [{name: svc-old, port: 8000}]
)"));
  auto r = request(plan::Strategy::blueGreen);
  r.route = "svc-route";
  auto s = scaffold_plan(*c.client, r);
  REQUIRE(s.ok());
  const auto t = std::get<plan::HttpRouteTarget>(loaded(*s).target);
  CHECK(t.rule == std::optional<int>(1));
  CHECK(t.stable.kind == "Service");
  CHECK(t.canary.name == "svc-new");
  CHECK(t.canary.port == std::optional<int>(8000));
  // No pods: the server is not known, the presets are vLLM's and the header says so.
  CHECK(header(*s).find("Model server: not recognised") != std::string::npos);
}

TEST_CASE("plan new blueGreen: on a cluster with only the v1alpha2 InferencePool, its pools are the candidates",
          "[actuators][scaffold]") {
  testing::SandboxCluster c({}, {"inference.networking.k8s.io"});
  for (const char* name : {"old-pool", "new-pool"})
    c.create(testing::yaml(std::string("apiVersion: inference.networking.x-k8s.io/v1alpha2\nkind: InferencePool\n"
                                       "metadata: {name: ") +
                           name + "}\nspec: {selector: {app: " + name +
                           "}, targetPortNumber: 8000, extensionRef: {name: epp}}\n"));
  // The route names the pool with GIE v1's group, as a route written for v1 would: discovery finds
  // the generation the cluster serves.
  c.create(testing::yaml(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec:
  parentRefs: [{name: inference-gateway}]
  rules:
  - backendRefs: [{group: inference.networking.k8s.io, kind: InferencePool, name: old-pool}]
)"));
  auto r = request(plan::Strategy::blueGreen);
  r.route = "r";
  auto s = scaffold_plan(*c.client, r);
  REQUIRE(s.ok());
  const auto t = std::get<plan::HttpRouteTarget>(loaded(*s).target);
  CHECK(t.stable.group == "inference.networking.x-k8s.io");
  CHECK(t.canary.name == "new-pool");
  CHECK(t.canary.group == "inference.networking.x-k8s.io");
}
