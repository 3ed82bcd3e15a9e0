#include "plan/scaffold.hpp"

#include <catch2/catch.hpp>

#include "plan/loader.hpp"

using namespace rollout;
using namespace rollout::plan;

namespace {

Gate scrape_gate(const std::string& metric) {
  Gate g;
  g.name = metric;
  g.provider = ScrapeQuery{"canary", "sglang", metric, "/metrics"};
  g.success_condition = "result < 0.01";
  g.compare = Compare{"stable", 1.2, std::nullopt, std::nullopt};
  g.failure_limit = 1;
  g.inconclusive_limit = 4;
  return g;
}

Step step(decltype(Step::action) a) {
  Step s;
  s.action = std::move(a);
  return s;
}

LoadedPlan reload(const Scaffold& s) {
  const std::string text = render_scaffold(s);
  PlanFile f = load_plan_text("new.yaml", text);
  INFO(text);
  for (const auto& m : f.messages()) INFO(m);
  REQUIRE(f.ok());
  REQUIRE(f.plans.size() == 1);
  return f.plans[0];
}

}  // namespace

TEST_CASE("a scaffolded blue-green plan reads back as the same plan, notes at the end of their lines",
          "[plan][scaffold]") {
  Scaffold s;
  s.plan.name = "llm-route-blue-green";
  s.plan.namespace_ = "team-a";
  s.plan.strategy = Strategy::blueGreen;
  HttpRouteTarget t;
  t.name = "llm-route";
  t.rule = 0;
  t.stable = BackendRef{"svc-old", "Service", "", 8000};
  t.canary = BackendRef{"pool-new", "InferencePool", "inference.networking.x-k8s.io", std::nullopt};
  s.plan.target = t;
  s.plan.steps = {step(SetWeight{5}), step(Analysis{{"error-rate"}, Duration(90000)}), step(Pause{}),
                  step(Pause{Duration(30000)}), step(SetWeight{100})};
  s.plan.gates = {scrape_gate("error-rate")};
  s.plan.background = {"error-rate"};
  s.plan.progress_deadline = Duration(2 * 3600 * 1000);
  s.header = {"Blue-green", "", "found: HTTPRoute llm-route"};
  s.notes["spec.target.httpRoute.canary.name"] = "EDIT: the pool to move to";
  s.notes["spec.steps[2]"] = "rollout promote";

  const std::string text = render_scaffold(s);
  CHECK(text.find("# Blue-green\n#\n# found: HTTPRoute llm-route\n") != std::string::npos);
  CHECK(text.find("name: pool-new   # EDIT: the pool to move to\n") != std::string::npos);
  CHECK(text.find("- pause: {}   # rollout promote\n") != std::string::npos);

  const Plan p = reload(s).plan;
  CHECK(p.name == "llm-route-blue-green");
  CHECK(p.namespace_ == std::optional<std::string>("team-a"));
  const auto& rt = std::get<HttpRouteTarget>(p.target);
  CHECK(rt.stable.kind == "Service");
  CHECK(rt.stable.port == std::optional<int>(8000));
  CHECK(rt.canary.group == "inference.networking.x-k8s.io");
  REQUIRE(p.steps.size() == 5);
  CHECK(std::get<Analysis>(p.steps[1].action).duration == std::optional<Duration>(Duration(90000)));
  CHECK_FALSE(std::get<Pause>(p.steps[2].action).duration);
  REQUIRE(p.gates.size() == 1);
  CHECK(std::get<ScrapeQuery>(p.gates[0].provider).preset == "sglang");
  CHECK(p.gates[0].compare->max_ratio == std::optional<double>(1.2));
  CHECK(p.gates[0].inconclusive_limit == 4);
  CHECK(p.progress_deadline == std::optional<Duration>(Duration(2 * 3600 * 1000)));
}

TEST_CASE("a scaffolded LoRA canary keeps its adapters block", "[plan][scaffold]") {
  Scaffold s;
  s.plan.name = "food-review";
  s.plan.strategy = Strategy::loraCanary;
  s.plan.target = InferenceModelRewriteTarget{"rw", "llm-d.ai/v1alpha2", true, "food-review", "a-1", "a-2"};
  Adapters a;
  a.vllm_pool = "pool";
  a.load = {AdapterLoad{"a-2", "org/repo", std::string("base/model")}};
  a.unload_on_success = {"a-1"};
  s.plan.adapters = a;
  Gate listed;
  listed.name = "adapter-loaded";
  listed.provider = HttpProbe{"/health", 200, std::nullopt, std::string("a-2"), "canary", Duration(5000)};
  s.plan.gates = {listed};
  s.plan.steps = {step(SetWeight{10}), step(Analysis{{"adapter-loaded"}, std::nullopt})};

  const Plan p = reload(s).plan;
  const auto& t = std::get<InferenceModelRewriteTarget>(p.target);
  CHECK(t.api_version == "llm-d.ai/v1alpha2");
  CHECK(t.canary == "a-2");
  REQUIRE(p.adapters);
  CHECK(p.adapters->vllm_pool == "pool");
  CHECK(p.adapters->load.at(0).base_model == std::optional<std::string>("base/model"));
  CHECK(p.adapters->unload_on_success == std::vector<std::string>{"a-1"});
  CHECK(std::get<HttpProbe>(p.gates.at(0).provider).model_listed == std::optional<std::string>("a-2"));
}

TEST_CASE("a scaffolded rolling plan carries its template, with notes inside it", "[plan][scaffold]") {
  Scaffold s;
  s.plan.name = "ms";
  s.plan.strategy = Strategy::rolling;
  ModelServingTarget t;
  t.name = "llama";
  t.api_version = "workload.matrixinfer.ai/v1alpha1";
  t.template_ = nlohmann::json::parse(R"({"roles":[{"name":"server","entryTemplate":{"spec":{"containers":[
      {"name":"vllm","image":"vllm/vllm-openai:v0.9.2","args":["--port","8000"]}]}}}]})");
  s.plan.target = t;
  s.template_notes = {{"image: vllm/vllm-openai:v0.9.2", "EDIT: the new image"}};
  s.plan.steps = {step(UpdateReplicas{1, false}), step(UpdateReplicas{50, true}), step(UpdateReplicas{100, true})};

  const std::string text = render_scaffold(s);
  CHECK(text.find("image: vllm/vllm-openai:v0.9.2   # EDIT: the new image\n") != std::string::npos);
  CHECK(text.find("- updateReplicas: \"50%\"\n") != std::string::npos);
  const Plan p = reload(s).plan;
  const auto& rt = std::get<ModelServingTarget>(p.target);
  CHECK(rt.api_version == "workload.matrixinfer.ai/v1alpha1");
  CHECK(rt.template_ == t.template_);
  CHECK(std::get<UpdateReplicas>(p.steps[1].action).percent);
}
