#include "actuators/http_route.hpp"

#include <algorithm>
#include <map>

#include "actuators/live.hpp"

namespace rollout::actuators {

using nlohmann::json;

namespace {

const char* kApi = "gateway.networking.k8s.io/v1";
const char* kKind = "HTTPRoute";
constexpr size_t kMaxBackendRefs = 16;
constexpr size_t kMaxRules = 16;

std::string label(const plan::BackendRef& b) {
  return b.kind + " " + b.name;
}

json rules_of(const json& route) {
  if (!route.is_object() || !route.contains("spec")) return json::array();
  return route["spec"].value("rules", json::array());
}

bool holds(const json& rule, const plan::BackendRef& b) {
  const json refs = rule.value("backendRefs", json::array());
  return std::any_of(refs.begin(), refs.end(), [&](const json& r) { return same_backend(r, b); });
}

// The backendRef for `b`: the rule's own entry when it has one (keeping its port and namespace).
json backend_ref(const json& rule, const plan::BackendRef& b) {
  for (const auto& r : rule.value("backendRefs", json::array()))
    if (same_backend(r, b)) return r;
  json ref = {{"group", b.group}, {"kind", b.kind}, {"name", b.name}};
  if (b.port) ref["port"] = *b.port;
  return ref;
}

void set_weights(json& rule, const plan::BackendRef& stable, const plan::BackendRef& canary, int weight) {
  const int w = std::clamp(weight, 0, 100);
  bool has_canary = false;
  for (auto& ref : rule["backendRefs"]) {
    if (same_backend(ref, stable)) ref["weight"] = 100 - w;  // at 0 the stable has 100: never all-zero
    if (same_backend(ref, canary)) {
      ref["weight"] = w;
      has_canary = true;
    }
  }
  if (!has_canary && w > 0) {
    json ref = backend_ref(rule, canary);
    ref["weight"] = w;
    rule["backendRefs"].push_back(ref);
  }
}

bool mirrors_to(const json& filter, const plan::BackendRef& b) {
  return filter.is_object() && filter.value("type", "") == "RequestMirror" &&
         same_backend(filter.value("requestMirror", json::object()).value("backendRef", json::object()), b);
}

// Drops the RequestMirror filters toward `canary`, then adds one at `percent` (if any).
void set_mirror(json& rule, const plan::BackendRef& canary, std::optional<int> percent) {
  json filters = json::array();
  for (const auto& f : rule.value("filters", json::array()))
    if (!mirrors_to(f, canary)) filters.push_back(f);
  if (percent && *percent > 0) {
    json ref = backend_ref(json::object(), canary);
    ref.erase("weight");
    filters.push_back({{"type", "RequestMirror"}, {"requestMirror", {{"backendRef", ref}, {"percent", *percent}}}});
  }
  if (filters.empty())
    rule.erase("filters");
  else
    rule["filters"] = filters;
}

// The managed rule's matches, each also requiring the header, sending everything to the canary.
json header_rule(const json& rule, const plan::BackendRef& canary, const HeaderRoute& header) {
  json matches = rule.value("matches", json::array());
  if (matches.empty()) matches = json::array({{{"path", {{"type", "PathPrefix"}, {"value", "/"}}}}});
  for (auto& m : matches) {
    json headers = json::array();
    for (const auto& h : m.value("headers", json::array()))
      if (h.value("name", "") != header.name) headers.push_back(h);
    headers.push_back({{"type", header.match}, {"name", header.name}, {"value", header.value}});
    m["headers"] = headers;
  }
  json ref = backend_ref(rule, canary);
  ref["weight"] = 1;
  return {{"matches", matches}, {"backendRefs", json::array({ref})}};
}

void finish(json& rule, const plan::BackendRef& canary) {
  json ref = backend_ref(rule, canary);
  ref["weight"] = 100;
  rule["backendRefs"] = json::array({ref});
  set_mirror(rule, canary, std::nullopt);
}

std::string parent_label(const json& parent, size_t i) {
  const json ref = parent.value("parentRef", json::object());
  std::string out = "status.parents[" + std::to_string(i) + "]";
  if (ref.contains("name")) out += " (" + ref.value("kind", "Gateway") + " " + ref.value("name", "") + ")";
  return out;
}

std::string condition_problem(const json& parent, const std::string& type, int64_t generation) {
  const json conditions = parent.value("conditions", json::array());
  const json* c = find_condition(conditions, type);
  if (!c) return "no " + type + " condition yet";
  const int64_t observed = c->value("observedGeneration", int64_t{0});
  if (observed < generation)
    return type + " is at observedGeneration " + std::to_string(observed) + ", the route is at generation " +
           std::to_string(generation);
  const std::string status = c->value("status", "Unknown");
  if (status == "True") return "";
  return type + " is " + status + " (" + c->value("reason", "") + ": " + c->value("message", "") + ")";
}

}  // namespace

bool same_backend(const json& ref, const plan::BackendRef& backend) {
  if (!ref.is_object()) return false;
  return ref.value("name", "") == backend.name && ref.value("kind", "Service") == backend.kind &&
         ref.value("group", "") == backend.group;
}

std::string route_not_programmed(const json& route) {
  const int64_t generation = route.value("metadata", json::object()).value("generation", int64_t{0});
  const json parents = route.value("status", json::object()).value("parents", json::array());
  if (parents.empty()) return "status.parents is empty: no gateway has accepted the route yet";
  for (size_t i = 0; i < parents.size(); ++i)
    for (const char* type : {"Accepted", "ResolvedRefs"})
      if (auto problem = condition_problem(parents[i], type, generation); !problem.empty())
        return parent_label(parents[i], i) + ": " + problem;
  return "";
}

Result<size_t> HttpRouteActuator::managed_rule(const json& route) const {
  const json rules = rules_of(route);
  const std::string where = describe(route) + ": spec.rules";
  if (target_.rule) {
    const size_t i = static_cast<size_t>(*target_.rule);
    if (i >= rules.size())
      return make_error(ErrorKind::invalid, where + "[" + std::to_string(i) + "] does not exist (the route has " +
                                                std::to_string(rules.size()) + " rules)");
    if (!holds(rules[i], target_.stable))
      return make_error(ErrorKind::invalid,
                        where + "[" + std::to_string(i) + "]: no backendRef to " + label(target_.stable));
    return i;
  }
  for (size_t i = 0; i < rules.size(); ++i)
    if (holds(rules[i], target_.stable)) return i;
  return make_error(ErrorKind::invalid, where + ": no rule has a backendRef to " + label(target_.stable));
}

Result<std::vector<ObjectRef>> HttpRouteActuator::resolve(k8s::Client& client, const std::string& ns) const {
  if (target_.name) {
    auto route = get_object(client, kApi, kKind, ns, *target_.name);
    if (!route.ok()) return route.error();
    return std::vector<ObjectRef>{{kApi, kKind, ns, *target_.name}};
  }
  auto api = client.resource(kApi, kKind);
  if (!api.ok()) return api.error();
  const std::string selector = label_selector(target_.match_labels);
  auto routes = client.list(*api, ns, selector);
  if (!routes.ok()) return routes.error();
  std::vector<ObjectRef> out;
  for (const auto& r : routes->value("items", json::array())) out.push_back({kApi, kKind, ns, object_name(r)});
  if (out.empty())
    return make_error(ErrorKind::not_found, "no HTTPRoute in namespace " + ns + " matches the selector " + selector);
  std::sort(out.begin(), out.end(), [](const ObjectRef& a, const ObjectRef& b) { return a.name < b.name; });
  return out;
}

Result<std::string> HttpRouteActuator::check_rule(const json& live) const {
  auto index = managed_rule(live);
  if (!index.ok()) return index.error();
  const json rule = rules_of(live)[*index];
  const std::string where = describe(live) + ": spec.rules[" + std::to_string(*index) + "].backendRefs";
  const size_t refs = rule.value("backendRefs", json::array()).size() + (holds(rule, target_.canary) ? 0 : 1);
  if (refs > kMaxBackendRefs)
    return make_error(ErrorKind::invalid, where + ": " + std::to_string(refs) + " backends with the canary, more " +
                                              "than Gateway API's limit of " + std::to_string(kMaxBackendRefs));
  const json canary = backend_ref(rule, target_.canary);
  if (target_.canary.kind == "Service" && !canary.contains("port"))
    return make_error(ErrorKind::invalid, where + ": the canary Service " + target_.canary.name + " needs a port");
  return where;
}

Status HttpRouteActuator::check_canary(k8s::Client& client, const std::string& ns, const std::string& where) const {
  auto pool = get_object(client, backend_api_version(target_.canary.kind, target_.canary.group), target_.canary.kind,
                         ns, target_.canary.name);
  if (!pool.ok() && pool.error().kind == ErrorKind::not_found)
    return make_error(ErrorKind::not_found, "canary " + label(target_.canary) + " does not exist in namespace " + ns +
                                                " (" + where + " would send traffic to it)");
  if (!pool.ok()) return pool.error();
  return ok_status();
}

Status HttpRouteActuator::check(k8s::Client& client, const json& live) const {
  auto where = check_rule(live);
  if (!where.ok()) return where.error();
  return check_canary(client, object_namespace(live, client), *where);
}

Status HttpRouteActuator::check_all(k8s::Client& client, const std::vector<json>& lives) const {
  std::map<std::string, std::string> namespaces;  // ns -> the first route's `where`, for the message
  for (const auto& live : lives) {
    auto where = check_rule(live);
    if (!where.ok()) return where.error();
    namespaces.emplace(object_namespace(live, client), *where);
  }
  for (const auto& [ns, where] : namespaces)
    if (auto s = check_canary(client, ns, where); !s.ok()) return s;
  return ok_status();
}

Result<json> HttpRouteActuator::desired(const json& original, const Position& position) const {
  auto index = managed_rule(original);
  if (!index.ok()) return index.error();
  json out = original;
  json& rules = out["spec"]["rules"];
  json& rule = rules[*index];
  if (position.finished) {
    finish(rule, target_.canary);
    return out;
  }
  set_weights(rule, target_.stable, target_.canary, position.weight);
  set_mirror(rule, target_.canary, position.mirror);
  if (position.header) {
    rules.insert(rules.begin() + static_cast<std::ptrdiff_t>(*index),
                 header_rule(rules[*index], target_.canary, *position.header));
    if (rules.size() > kMaxRules)
      return make_error(ErrorKind::invalid, describe(original) + ": spec.rules: the header rule would make " +
                                                std::to_string(rules.size()) + " rules, more than Gateway API's " +
                                                "limit of " + std::to_string(kMaxRules));
  }
  return out;
}

Status HttpRouteActuator::verify(k8s::Client& client, const json& written, const Position&, const Wait& wait) const {
  auto api = client.resource(kApi, kKind);
  if (!api.ok()) return api.error();
  const std::string ns = object_namespace(written, client), route = object_name(written);
  return poll_until(wait, "HTTPRoute " + route + " was not programmed", [&]() -> Result<std::string> {
    auto live = client.get(*api, ns, route);
    if (!live.ok()) return live.error();
    return route_not_programmed(*live);
  });
}

// One LIST (per namespace) per round instead of a GET per route: a step over a fleet of routes is
// verified together, as soon as the gateway has programmed the last one.
Status HttpRouteActuator::verify_all(k8s::Client& client, const std::vector<json>& written,
                                     const std::vector<json>& originals, const Position& position,
                                     const Wait& wait) const {
  if (written.size() <= 1) return Actuator::verify_all(client, written, originals, position, wait);
  auto api = client.resource(kApi, kKind);
  if (!api.ok()) return api.error();
  std::map<std::string, std::map<std::string, long long>> wanted;  // ns -> route -> generation written
  for (const auto& w : written)
    wanted[object_namespace(w, client)][object_name(w)] = w["metadata"].value("generation", 0LL);
  const std::string selector = target_.name ? "" : label_selector(target_.match_labels);
  return poll_until(wait, std::to_string(written.size()) + " HTTPRoutes were not programmed",
                    [&]() -> Result<std::string> {
                      for (const auto& [ns, routes] : wanted) {
                        auto list = client.list(*api, ns, selector);
                        if (!list.ok()) return list.error();
                        size_t seen = 0;
                        for (const auto& live : (*list)["items"]) {
                          auto it = routes.find(object_name(live));
                          if (it == routes.end()) continue;
                          ++seen;
                          if (live["metadata"].value("generation", 0LL) < it->second)
                            return "HTTPRoute " + it->first + " is older than what was written";
                          if (auto why = route_not_programmed(live); !why.empty()) return "HTTPRoute " + it->first + ": " + why;
                        }
                        if (seen < routes.size()) return make_error(ErrorKind::not_found, "an HTTPRoute of the step was deleted in namespace " + ns);
                      }
                      return std::string();
                    });
}

std::optional<ObjectRef> HttpRouteActuator::stable_backend_object(const json& original) const {
  const plan::BackendRef& b = target_.stable;
  return ObjectRef{backend_api_version(b.kind, b.group), b.kind, object_namespace(original), b.name};
}

std::optional<BackendPool> HttpRouteActuator::backend(const json&, Role role) const {
  const plan::BackendRef& b = role == Role::stable ? target_.stable : target_.canary;
  return BackendPool{b.name, b.kind, b.group};
}

}  // namespace rollout::actuators
