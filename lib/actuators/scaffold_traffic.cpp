// plan new blueGreen and loraCanary: the traffic split found on an HTTPRoute, a Kthena ModelRoute,
// an InferenceModel or an InferenceModelRewrite, and what it could move to.
#include <algorithm>
#include <set>

#include "actuators/endpoints.hpp"
#include "actuators/live.hpp"
#include "actuators/scaffold_parts.hpp"

namespace rollout::actuators::scaffold {

using nlohmann::json;

namespace {

std::string listed(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// The canary among the candidates: --canary (which must exist), the only candidate, or an error
// naming them.
Result<std::string> pick_canary(const ScaffoldRequest& r, const std::string& kind, const std::string& stable,
                                const std::vector<std::string>& candidates) {
  if (!r.canary.empty()) {
    if (r.canary == stable)
      return make_error(ErrorKind::usage, "--canary " + r.canary + " is the stable backend the route serves today");
    if (std::find(candidates.begin(), candidates.end(), r.canary) == candidates.end())
      return make_error(ErrorKind::not_found,
                        "--canary: " + kind + " " + r.canary + " not found in namespace " + r.ns +
                            (candidates.empty() ? "" : " (candidates: " + listed(candidates) + ")"));
    return r.canary;
  }
  if (candidates.size() == 1) return candidates[0];
  if (candidates.empty())
    return make_error(ErrorKind::not_found, "no " + kind + " in namespace " + r.ns + " besides " + stable +
                                                " to move to: create the new one first, then run plan new again");
  return make_error(ErrorKind::usage, "several " + kind + "s could be the canary: " + listed(candidates) +
                                          "; pick one with --canary NAME");
}

std::vector<std::string> names_of(const json& list) {
  std::vector<std::string> out;
  for (const auto& o : list.value("items", json::array())) out.push_back(object_name(o));
  return out;
}

std::vector<plan::Step> traffic_steps(const std::vector<std::string>& measured, int first) {
  std::vector<std::string> last = {measured.empty() ? "canary-health" : measured.front()};
  std::vector<std::string> gates = measured.empty() ? last : measured;
  return {step(plan::SetWeight{first}), step(analysis(gates, 10)),  step(plan::Pause{}),    step(plan::SetWeight{50}),
          step(analysis(gates, 10)),    step(plan::SetWeight{100}), step(analysis(last, 5))};
}

void finish_traffic(plan::Scaffold& s, const ScaffoldRequest& r, const ModelServerGuess& server, bool compare,
                    int first) {
  std::vector<std::string> measured;
  s.plan.gates = gates_for(r, server.engine, compare, measured);
  s.plan.steps = traffic_steps(measured, first);
  s.plan.background = {"canary-health"};
  if (!measured.empty()) s.plan.background.insert(s.plan.background.begin(), measured.front());
  s.plan.progress_deadline = Duration(2 * 3600 * 1000);
  s.notes["spec.steps[2]"] = "a human look before half of all traffic moves: rollout promote " + s.plan.name;
  s.notes["spec.steps[6]"] = "no stable traffic left to compare";
  add_how_to_run(s, true);
}

// Backends one HTTPRoute rule could move to: same kind as stable, in the namespace, not carrying
// traffic anywhere in the route (a backendRef at weight 0, as the seed's route has, counts as free).
Result<std::vector<std::string>> route_candidates(k8s::Client& client, const ScaffoldRequest& r, const json& route,
                                                  const plan::BackendRef& stable) {
  std::set<std::string> busy = {stable.name};
  for (const auto& rule : route.value("spec", json::object()).value("rules", json::array()))
    for (const auto& ref : rule.value("backendRefs", json::array()))
      if (ref.value("weight", 1) > 0 && ref.value("kind", "Service") == stable.kind) busy.insert(ref.value("name", ""));
  auto api = client.resource(backend_api_version(stable.kind, stable.group), stable.kind);
  if (!api.ok()) return api.error();
  auto list = client.list(*api, r.ns);
  if (!list.ok()) return list.error();
  std::vector<std::string> out;
  for (const auto& n : names_of(*list))
    if (!busy.count(n)) out.push_back(n);
  return out;
}

Result<plan::Scaffold> from_http_route(k8s::Client& client, const ScaffoldRequest& r) {
  auto route = get_object(client, "gateway.networking.k8s.io/v1", "HTTPRoute", r.ns, r.route);
  if (!route.ok()) return route.error();
  const json rules = route->value("spec", json::object()).value("rules", json::array());
  std::optional<size_t> rule;
  for (size_t i = 0; i < rules.size() && !rule; ++i)
    if (heaviest(rules[i].value("backendRefs", json::array()))) rule = i;
  if (!rule) return make_error(ErrorKind::invalid, "HTTPRoute " + r.route + ": no rule has a backendRef to move from");
  const json ref = *heaviest(rules[*rule].value("backendRefs", json::array()));
  plan::HttpRouteTarget t;
  t.name = r.route;
  if (rules.size() > 1) t.rule = static_cast<int>(*rule);
  t.stable =
      plan::BackendRef{ref.value("name", ""), ref.value("kind", "Service"), ref.value("group", ""), std::nullopt};
  if (ref.contains("port")) t.stable.port = ref.value("port", 0);
  if (t.stable.kind != "InferencePool" && t.stable.kind != "Service")
    return make_error(ErrorKind::invalid, "HTTPRoute " + r.route + ": rule " + std::to_string(*rule) + " sends to " +
                                              t.stable.kind + " " + t.stable.name +
                                              ": a blueGreen plan moves between InferencePools or Services");
  if (t.stable.kind == "Service" && !t.stable.port)
    return make_error(ErrorKind::invalid, "HTTPRoute " + r.route + ": the backendRef to Service " + t.stable.name +
                                              " has no port (Gateway API requires one)");
  if (t.stable.kind == "InferencePool") {  // the generation the cluster serves, as the actuator finds it
    auto served = served_pool_group(client, BackendPool{t.stable.name, t.stable.kind, t.stable.group});
    if (!served.ok()) return served.error();
    t.stable.group = served->group;
  }
  auto candidates = route_candidates(client, r, *route, t.stable);
  if (!candidates.ok()) return candidates.error();
  auto canary = pick_canary(r, t.stable.kind, t.stable.name, *candidates);
  if (!canary.ok()) return canary.error();
  t.canary = t.stable;
  t.canary.name = *canary;

  plan::Scaffold s;
  s.plan.name = r.name.empty() ? plan_name(r.route, "-blue-green") : r.name;
  s.plan.strategy = plan::Strategy::blueGreen;
  s.plan.target = t;
  const auto server = backend_server(client, r.ns, BackendPool{t.stable.name, t.stable.kind, t.stable.group});
  s.header = {"Blue-green on HTTPRoute " + r.route + " (written by `rollout plan new` from the live objects)", "",
              "Found in namespace " + r.ns + ":",
              "  - rule " + std::to_string(*rule) + " of HTTPRoute " + r.route + " sends its traffic to " +
                  t.stable.kind + " " + t.stable.name + " (stable);",
              "  - " + t.stable.kind + "s it could move to: " + (candidates->empty() ? "none" : listed(*candidates)) +
                  "; canary: " + *canary + (r.canary.empty() ? " (the only one)" : " (--canary)") + "."};
  add_detection(s, server);
  s.header.push_back("What to edit: the weights in steps (10% -> 50% -> 100%), analysis durations, gate limits.");
  s.notes["spec.target.httpRoute.stable"] = "serving today";
  s.notes["spec.target.httpRoute.canary"] = "moving to";
  finish_traffic(s, r, server, true, 10);
  return s;
}

Result<plan::Scaffold> from_model_route(k8s::Client& client, const ScaffoldRequest& r) {
  const std::string api = "networking.serving.volcano.sh/v1alpha1";
  auto route = get_object(client, api, "ModelRoute", r.ns, r.model_route);
  if (!route.ok()) return route.error();
  const json rules = route->value("spec", json::object()).value("rules", json::array());
  if (rules.empty()) return make_error(ErrorKind::invalid, "ModelRoute " + r.model_route + ": spec.rules is empty");
  const auto ref = heaviest(rules[0].value("targetModels", json::array()));
  if (!ref) return make_error(ErrorKind::invalid, "ModelRoute " + r.model_route + ": rules[0] has no targetModels");
  plan::ModelRouteTarget t;
  t.name = r.model_route;
  if (rules.size() > 1) {
    if (rules[0].contains("name"))
      t.rule_name = rules[0].value("name", "");
    else
      t.rule_index = 0;
  }
  t.stable = ref->value("modelServerName", "");
  std::set<std::string> busy = {t.stable};
  for (const auto& rule : rules)
    for (const auto& m : rule.value("targetModels", json::array()))
      if (m.value("weight", 1) > 0) busy.insert(m.value("modelServerName", ""));
  auto servers_api = client.resource(api, "ModelServer");
  if (!servers_api.ok()) return servers_api.error();
  auto servers = client.list(*servers_api, r.ns);
  if (!servers.ok()) return servers.error();
  std::vector<std::string> candidates;
  for (const auto& n : names_of(*servers))
    if (!busy.count(n)) candidates.push_back(n);
  auto canary = pick_canary(r, "ModelServer", t.stable, candidates);
  if (!canary.ok()) return canary.error();
  t.canary = *canary;

  plan::Scaffold s;
  s.plan.name = r.name.empty() ? plan_name(r.model_route, "-blue-green") : r.name;
  s.plan.strategy = plan::Strategy::blueGreen;
  s.plan.target = t;
  ModelServerGuess server =
      backend_server(client, r.ns, BackendPool{t.stable, "ModelServer", "networking.serving.volcano.sh"});
  auto stable_obj = get_object(client, api, "ModelServer", r.ns, t.stable);
  if (stable_obj.ok() && server.engine.empty()) {
    std::string engine = stable_obj->value("spec", json::object()).value("inferenceEngine", "");
    std::transform(engine.begin(), engine.end(), engine.begin(), ::tolower);
    if (engine == "vllm" || engine == "sglang")
      server = {engine, "spec.inferenceEngine of ModelServer " + t.stable, ""};
  }
  s.header = {"Blue-green on Kthena ModelRoute " + r.model_route + " (written by `rollout plan new`)", "",
              "Found in namespace " + r.ns + ":",
              "  - ModelRoute " + r.model_route + " sends its traffic to ModelServer " + t.stable + " (stable);",
              "  - ModelServers it could move to: " + (candidates.empty() ? "none" : listed(candidates)) +
                  "; canary: " + t.canary + "."};
  add_detection(s, server);
  s.header.push_back("What to edit: the weights in steps, analysis durations, gate limits.");
  finish_traffic(s, r, server, true, 10);
  return s;
}

}  // namespace

Result<plan::Scaffold> blue_green(k8s::Client& client, const ScaffoldRequest& r) {
  return r.route.empty() ? from_model_route(client, r) : from_http_route(client, r);
}

}  // namespace rollout::actuators::scaffold
