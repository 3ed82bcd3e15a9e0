// HTTPRoute desired states against the InferencePool rollout seed (examples/sandbox/ and
// /work/shared/seeds/gie-inferencepool-rollout.md), and checks, resolve and verify in a sandbox.
#include "actuators/http_route.hpp"

#include "actuators/sandbox_fixture.hpp"

using namespace rollout;
using namespace rollout::actuators;
using nlohmann::json;

namespace {

plan::HttpRouteTarget seed_target() {
  plan::HttpRouteTarget t;
  t.name = "llm-route";
  t.stable.name = "vllm-llama3-8b-instruct";
  t.canary.name = "vllm-llama3-8b-instruct-new";
  return t;
}

json seed_route() {
  return testing::example("httproute-llm-route.yaml").at(0);
}

// The seed's "Direct traffic to the new inference pool" step (90/10).
const char* kSeedTenPercent = R"(
rules:
  - backendRefs:
      - group: inference.networking.k8s.io
        kind: InferencePool
        name: vllm-llama3-8b-instruct
        weight: 90
      - group: inference.networking.k8s.io
        kind: InferencePool
        name: vllm-llama3-8b-instruct-new
        weight: 10
    matches:
      - path:
          type: PathPrefix
          value: /
)";

// The seed's "Finish the rollout".
const char* kSeedFinish = R"(
rules:
  - backendRefs:
      - group: inference.networking.k8s.io
        kind: InferencePool
        name: vllm-llama3-8b-instruct-new
        weight: 100
    matches:
      - path:
          type: PathPrefix
          value: /
)";

Position at(int weight) {
  Position p;
  p.weight = weight;
  return p;
}

json weights(const json& rule) {
  json out = json::object();
  for (const auto& r : rule["backendRefs"]) out[r["name"].get<std::string>()] = r.value("weight", 1);
  return out;
}

json desired_ok(const HttpRouteActuator& a, const json& original, const Position& p) {
  auto d = a.desired(original, p);
  INFO((d.ok() ? "" : d.error().message));
  REQUIRE(d.ok());
  return *d;
}

}  // namespace

TEST_CASE("HTTPRoute: 10% is the seed's 90/10 split, finished is the seed's final YAML", "[actuators][httproute]") {
  HttpRouteActuator a(seed_target());
  const json original = seed_route();
  CHECK(desired_ok(a, original, at(10))["spec"]["rules"] == testing::yaml(kSeedTenPercent)["rules"]);
  Position finished;
  finished.finished = true;
  finished.weight = 100;
  CHECK(desired_ok(a, original, finished)["spec"]["rules"] == testing::yaml(kSeedFinish)["rules"]);
  // finished drops the header rule and the mirror too
  finished.header = HeaderRoute{"x-beta", "true", "Exact"};
  finished.mirror = 20;
  CHECK(desired_ok(a, original, finished)["spec"]["rules"] == testing::yaml(kSeedFinish)["rules"]);
  // everything outside the owned field is untouched
  json rest = desired_ok(a, original, at(10));
  rest["spec"].erase("rules");
  json orig_rest = original;
  orig_rest["spec"].erase("rules");
  CHECK(rest == orig_rest);
}

TEST_CASE("HTTPRoute: weights at 0, 50 and 100, never all zero", "[actuators][httproute]") {
  HttpRouteActuator a(seed_target());
  const json original = seed_route();
  CHECK(desired_ok(a, original, at(0)) == original);
  CHECK(weights(desired_ok(a, original, at(50))["spec"]["rules"][0]) ==
        json{{"vllm-llama3-8b-instruct", 50}, {"vllm-llama3-8b-instruct-new", 50}});
  CHECK(weights(desired_ok(a, original, at(100))["spec"]["rules"][0]) ==
        json{{"vllm-llama3-8b-instruct", 0}, {"vllm-llama3-8b-instruct-new", 100}});
  for (int w : {-5, 0, 1, 10, 99, 100, 150}) {
    int sum = 0;
    const json rule = desired_ok(a, original, at(w))["spec"]["rules"][0];
    for (const auto& r : rule["backendRefs"]) sum += r.value("weight", 1);
    CHECK(sum == 100);
  }
}

TEST_CASE("HTTPRoute: the canary backendRef is added when absent, other backends are left alone",
          "[actuators][httproute]") {
  json original = seed_route();
  auto& refs = original["spec"]["rules"][0]["backendRefs"];
  refs.erase(1);
  refs.push_back({{"name", "shadow"}, {"port", 8080}, {"weight", 5}});  // a Service by Gateway API defaults
  HttpRouteActuator a(seed_target());
  CHECK(desired_ok(a, original, at(0)) == original);  // 0%: nothing to add
  const json rule = desired_ok(a, original, at(10))["spec"]["rules"][0];
  REQUIRE(rule["backendRefs"].size() == 3);
  CHECK(rule["backendRefs"][1] == json{{"name", "shadow"}, {"port", 8080}, {"weight", 5}});
  CHECK(rule["backendRefs"][2] == json{{"group", "inference.networking.k8s.io"},
                                       {"kind", "InferencePool"},
                                       {"name", "vllm-llama3-8b-instruct-new"},
                                       {"weight", 10}});
  CHECK(weights(rule)["vllm-llama3-8b-instruct"] == 90);
}

TEST_CASE("HTTPRoute: Service backends with Gateway API defaults keep their port", "[actuators][httproute]") {
  plan::HttpRouteTarget t;
  t.name = "svc-route";
  t.stable = {"vllm-blue", "Service", "", 8000};
  t.canary = {"vllm-green", "Service", "", 8000};
  const json route = testing::yaml(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: svc-route}
spec:
  rules:
  - backendRefs:
    - {name: vllm-blue, port: 8000}
)");
  HttpRouteActuator a(t);
  CHECK(same_backend(route["spec"]["rules"][0]["backendRefs"][0], t.stable));
  const json rule = desired_ok(a, route, at(25))["spec"]["rules"][0];
  CHECK(rule["backendRefs"] == json::parse(R"([{"name":"vllm-blue","port":8000,"weight":75},
      {"group":"","kind":"Service","name":"vllm-green","port":8000,"weight":25}])"));
  Position mirror = at(0);
  mirror.mirror = 10;
  CHECK(desired_ok(a, route, mirror)["spec"]["rules"][0]["filters"] == json::parse(R"([{"type":"RequestMirror",
      "requestMirror":{"backendRef":{"group":"","kind":"Service","name":"vllm-green","port":8000},"percent":10}}])"));
}

TEST_CASE("HTTPRoute: a header route is a new rule before the managed one", "[actuators][httproute]") {
  HttpRouteActuator a(seed_target());
  Position p = at(10);
  p.header = HeaderRoute{"x-beta", "true", "Exact"};
  const json rules = desired_ok(a, seed_route(), p)["spec"]["rules"];
  REQUIRE(rules.size() == 2);
  CHECK(rules[0] == json::parse(R"({"matches":[{"path":{"type":"PathPrefix","value":"/"},
      "headers":[{"type":"Exact","name":"x-beta","value":"true"}]}],
      "backendRefs":[{"group":"inference.networking.k8s.io","kind":"InferencePool",
                      "name":"vllm-llama3-8b-instruct-new","weight":1}]})"));
  CHECK(rules[1] == testing::yaml(kSeedTenPercent)["rules"][0]);

  // every match of the managed rule gets the header; no matches means PathPrefix "/"
  json route = seed_route();
  route["spec"]["rules"][0]["matches"] = json::parse(
      R"([{"path":{"type":"Exact","value":"/v1/completions"},"headers":[{"name":"x-beta","value":"old"}]},
          {"path":{"type":"PathPrefix","value":"/v1/chat"}}])");
  route["spec"]["rules"][0]["filters"] = json::parse(R"([{"type":"RequestHeaderModifier"}])");
  p.header = HeaderRoute{"x-beta", "^y.*", "RegularExpression"};
  const json header_rule = desired_ok(a, route, p)["spec"]["rules"][0];
  CHECK(header_rule["matches"] == json::parse(R"([
      {"path":{"type":"Exact","value":"/v1/completions"},
       "headers":[{"type":"RegularExpression","name":"x-beta","value":"^y.*"}]},
      {"path":{"type":"PathPrefix","value":"/v1/chat"},
       "headers":[{"type":"RegularExpression","name":"x-beta","value":"^y.*"}]}])"));
  CHECK_FALSE(header_rule.contains("filters"));
  route["spec"]["rules"][0].erase("matches");
  CHECK(desired_ok(a, route, p)["spec"]["rules"][0]["matches"] ==
        json::parse(R"([{"path":{"type":"PathPrefix","value":"/"},
            "headers":[{"type":"RegularExpression","name":"x-beta","value":"^y.*"}]}])"));
}

TEST_CASE("HTTPRoute: a mirror filter toward the canary, other filters kept", "[actuators][httproute]") {
  HttpRouteActuator a(seed_target());
  json route = seed_route();
  route["spec"]["rules"][0]["filters"] = json::parse(R"([
      {"type":"RequestHeaderModifier","requestHeaderModifier":{"set":[{"name":"x","value":"1"}]}},
      {"type":"RequestMirror","requestMirror":{"backendRef":{"group":"inference.networking.k8s.io",
        "kind":"InferencePool","name":"vllm-llama3-8b-instruct-new"},"percent":50}}])");
  Position p = at(0);
  p.mirror = 10;
  const json filters = desired_ok(a, route, p)["spec"]["rules"][0]["filters"];
  CHECK(filters == json::parse(R"([
      {"type":"RequestHeaderModifier","requestHeaderModifier":{"set":[{"name":"x","value":"1"}]}},
      {"type":"RequestMirror","requestMirror":{"backendRef":{"group":"inference.networking.k8s.io",
        "kind":"InferencePool","name":"vllm-llama3-8b-instruct-new"},"percent":10}}])"));
  p.mirror.reset();
  CHECK(desired_ok(a, route, p)["spec"]["rules"][0]["filters"].size() == 1);
  Position seed_mirror = at(0);
  seed_mirror.mirror = 10;
  CHECK(desired_ok(a, seed_route(), seed_mirror)["spec"]["rules"][0]["filters"].size() == 1);
}

TEST_CASE("HTTPRoute: the managed rule and errors naming the route and field", "[actuators][httproute]") {
  json route = seed_route();
  route["spec"]["rules"].insert(route["spec"]["rules"].begin(),
                                json::parse(R"({"backendRefs":[{"name":"other","port":80}]})"));
  HttpRouteActuator a(seed_target());
  CHECK(*a.managed_rule(route) == 1);
  Position p = at(30);
  p.header = HeaderRoute{"x-beta", "true", "Exact"};
  const json rules = desired_ok(a, route, p)["spec"]["rules"];
  REQUIRE(rules.size() == 3);
  CHECK(rules[0] == route["spec"]["rules"][0]);
  CHECK(rules[1]["backendRefs"][0]["weight"] == 1);
  CHECK(weights(rules[2])["vllm-llama3-8b-instruct-new"] == 30);

  auto t = seed_target();
  t.rule = 0;
  auto wrong = HttpRouteActuator(t).desired(route, at(10));
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().message ==
        "HTTPRoute llm-route: spec.rules[0]: no backendRef to InferencePool vllm-llama3-8b-instruct");
  t.rule = 5;
  CHECK(HttpRouteActuator(t).managed_rule(route).error().message ==
        "HTTPRoute llm-route: spec.rules[5] does not exist (the route has 2 rules)");
  t = seed_target();
  t.stable.name = "missing";
  auto none = HttpRouteActuator(t).desired(route, at(10));
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().kind == ErrorKind::invalid);
  CHECK(none.error().message == "HTTPRoute llm-route: spec.rules: no rule has a backendRef to InferencePool missing");
  t = seed_target();
  t.stable.group = "inference.networking.x-k8s.io";  // same name, other group: not the stable
  CHECK_FALSE(HttpRouteActuator(t).managed_rule(seed_route()).ok());
}

TEST_CASE("HTTPRoute: backend() and the owned field", "[actuators][httproute]") {
  HttpRouteActuator a(seed_target());
  CHECK(a.name() == "httpRoute");
  CHECK(a.managed_fields() == std::vector<std::string>{"/spec/rules"});
  auto canary = a.backend(seed_route(), Role::canary);
  REQUIRE(canary);
  CHECK(canary->name == "vllm-llama3-8b-instruct-new");
  CHECK(canary->kind == "InferencePool");
  CHECK(canary->group == "inference.networking.k8s.io");
  CHECK(a.backend(seed_route(), Role::stable)->name == "vllm-llama3-8b-instruct");
}

TEST_CASE("HTTPRoute: programmed means every parent Accepted and ResolvedRefs at the generation",
          "[actuators][httproute]") {
  json route = seed_route();
  route["metadata"]["generation"] = 3;
  CHECK(route_not_programmed(route) == "status.parents is empty: no gateway has accepted the route yet");
  auto cond = [](const char* type, const char* status, int gen) {
    return json{{"type", type}, {"status", status}, {"observedGeneration", gen}, {"reason", "R"}, {"message", "m"}};
  };
  json parent = {{"parentRef", {{"name", "inference-gateway"}}},
                 {"conditions", {cond("Accepted", "True", 3), cond("ResolvedRefs", "True", 3)}}};
  route["status"]["parents"] = json::array({parent});  // not {parent}: clang reads that as a copy of parent, gcc as an array
  CHECK(route_not_programmed(route) == "");
  route["status"]["parents"][0]["conditions"][1] = cond("ResolvedRefs", "False", 3);
  CHECK(route_not_programmed(route) == "status.parents[0] (Gateway inference-gateway): ResolvedRefs is False (R: m)");
  route["status"]["parents"][0]["conditions"][1] = cond("ResolvedRefs", "True", 2);
  CHECK(route_not_programmed(route) ==
        "status.parents[0] (Gateway inference-gateway): ResolvedRefs is at observedGeneration 2, the route is at "
        "generation 3");
  route["status"]["parents"] = {parent, {{"conditions", {cond("Accepted", "True", 3)}}}};
  CHECK(route_not_programmed(route) == "status.parents[1]: no ResolvedRefs condition yet");
}

TEST_CASE("HTTPRoute in a sandbox: check, write, verify at the new observedGeneration", "[actuators][httproute]") {
  testing::SandboxCluster c;
  c.apply_example("httproute-llm-route.yaml");
  HttpRouteActuator a(seed_target());
  auto refs = a.resolve(*c.client, c.ns);
  REQUIRE(refs.ok());
  CHECK(*refs == std::vector<ObjectRef>{{"gateway.networking.k8s.io/v1", "HTTPRoute", "default", "llm-route"}});

  json live = c.get("gateway.networking.k8s.io/v1", "HTTPRoute", "llm-route");
  auto missing = a.check(*c.client, live);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::not_found);
  CHECK(missing.error().message ==
        "canary InferencePool vllm-llama3-8b-instruct-new does not exist in namespace default "
        "(HTTPRoute llm-route: spec.rules[0].backendRefs would send traffic to it)");
  c.apply_example("inferencepools.yaml");
  REQUIRE(a.check(*c.client, live).ok());
  CHECK(a.check(*c.client, seed_route()).ok());  // no metadata.namespace: the client's default

  REQUIRE(testing::eventually(
      [&] { return route_not_programmed(c.get("gateway.networking.k8s.io/v1", "HTTPRoute", "llm-route")) == ""; },
      std::chrono::seconds(10)));
  live = c.get("gateway.networking.k8s.io/v1", "HTTPRoute", "llm-route");
  auto d = a.desired(live, at(10));
  REQUIRE(d.ok());
  const json written = c.update(*d);
  const int64_t generation = written["metadata"]["generation"];
  CHECK(generation > live["metadata"].value("generation", int64_t{0}));
  Wait wait;
  wait.timeout = Duration(10000);
  wait.poll = Duration(100);
  auto verified = a.verify(*c.client, written, at(10), wait);
  INFO((verified.ok() ? "" : verified.error().message));
  REQUIRE(verified.ok());
  const json after = c.get("gateway.networking.k8s.io/v1", "HTTPRoute", "llm-route");
  for (const auto& cond : after["status"]["parents"][0]["conditions"]) CHECK(cond["observedGeneration"] == generation);
  CHECK(weights(after["spec"]["rules"][0])["vllm-llama3-8b-instruct-new"] == 10);
}

TEST_CASE("HTTPRoute in a sandbox: verify times out naming the condition", "[actuators][httproute]") {
  testing::SandboxCluster c;
  c.apply_example("httproute-llm-route.yaml");
  c.apply_example("inferencepools.yaml");
  // The sandbox's gateway controller writes the route's status (ResolvedRefs turns True once the
  // pools exist) on its own thread: let it settle, or that write lands between the GET and the
  // update below (409, 14% of runs on a busy machine).
  REQUIRE(testing::eventually(
      [&] { return route_not_programmed(c.get("gateway.networking.k8s.io/v1", "HTTPRoute", "llm-route")).empty(); },
      std::chrono::seconds(10)));
  auto t = seed_target();
  t.canary.name = "no-such-pool";
  HttpRouteActuator a(t);
  json live = c.get("gateway.networking.k8s.io/v1", "HTTPRoute", "llm-route");
  auto d = a.desired(live, at(10));
  REQUIRE(d.ok());
  const json written = c.update(*d);
  Wait wait;
  wait.timeout = Duration(2000);
  wait.poll = Duration(100);
  auto verified = a.verify(*c.client, written, at(10), wait);
  REQUIRE_FALSE(verified.ok());
  CHECK(verified.error().kind == ErrorKind::timeout);
  CHECK_THAT(verified.error().message,
             Catch::StartsWith("HTTPRoute llm-route was not programmed within 2s: status.parents[0] (Gateway "
                               "inference-gateway): ResolvedRefs is False (BackendNotFound:") &&
                 Catch::Contains("no-such-pool"));

  wait.cancelled = [] { return true; };
  auto cancelled = a.verify(*c.client, written, at(10), wait);
  CHECK(cancelled.error().kind == ErrorKind::aborted);
}

TEST_CASE("HTTPRoute in a sandbox: a selector resolves every matching route", "[actuators][httproute]") {
  testing::SandboxCluster c;
  json route = seed_route();
  for (const char* name : {"tenant-b", "tenant-a", "unlabelled"}) {
    route["metadata"] = {{"name", name}};
    if (std::string(name) != "unlabelled") route["metadata"]["labels"] = {{"rollout.dev/pool", "llama3"}};
    c.create(route);
  }
  auto t = seed_target();
  t.name.reset();
  t.match_labels = {{"rollout.dev/pool", "llama3"}};
  auto refs = HttpRouteActuator(t).resolve(*c.client, c.ns);
  REQUIRE(refs.ok());
  REQUIRE(refs->size() == 2);
  CHECK((*refs)[0].name == "tenant-a");
  CHECK((*refs)[1].name == "tenant-b");
  t.match_labels = {{"rollout.dev/pool", "mistral"}};
  auto none = HttpRouteActuator(t).resolve(*c.client, c.ns);
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().kind == ErrorKind::not_found);
  CHECK(none.error().message == "no HTTPRoute in namespace default matches the selector rollout.dev/pool=mistral");
  t = seed_target();
  t.name = "nope";
  CHECK(HttpRouteActuator(t).resolve(*c.client, c.ns).error().message ==
        "HTTPRoute nope not found in namespace default");
}

TEST_CASE("HTTPRoute in a sandbox: check_all reads the canary pool once for a fleet of routes",
          "[actuators][httproute]") {
  testing::SandboxCluster c;
  json route = seed_route();
  std::vector<json> lives;
  for (int i = 0; i < 5; ++i) {
    route["metadata"] = {{"name", "tenant-" + std::to_string(i)}};
    lives.push_back(c.create(route));
  }
  HttpRouteActuator a(seed_target());
  auto missing = a.check_all(*c.client, lives);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::not_found);
  CHECK_THAT(missing.error().message, Catch::StartsWith("canary InferencePool vllm-llama3-8b-instruct-new does not "
                                                        "exist in namespace default (HTTPRoute tenant-0:"));
  c.apply_example("inferencepools.yaml");
  const int before = c.client->stats().requests;
  REQUIRE(a.check_all(*c.client, lives).ok());
  CHECK(c.client->stats().requests - before == 1);  // one GET of the pool, not one per route

  json bad = lives[3];
  bad["spec"]["rules"][0]["backendRefs"].erase(0);  // no stable backend any more
  lives[3] = bad;
  auto invalid = a.check_all(*c.client, lives);
  REQUIRE_FALSE(invalid.ok());
  CHECK(invalid.error().kind == ErrorKind::invalid);
  CHECK_THAT(invalid.error().message, Catch::StartsWith("HTTPRoute tenant-3: spec.rules"));
}
