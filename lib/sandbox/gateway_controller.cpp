#include "sandbox/gateway_controller.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "sandbox/gateway_address.hpp"
#include "sandbox/gateway_status.hpp"

namespace rollout::sandbox {

using nlohmann::json;

namespace {

const char* kRouteApi = "gateway.networking.k8s.io/v1";
const char* kRouteGroup = "gateway.networking.k8s.io";
const char* kPoolApis[] = {"inference.networking.k8s.io/v1", "inference.networking.x-k8s.io/v1alpha2"};

int64_t generation(const json& obj) {
  return obj["metadata"].value("generation", int64_t{1});
}
std::string ns_of(const json& obj) {
  return obj["metadata"].value("namespace", "");
}
std::string ns_name(const json& obj) {
  return ns_of(obj) + "/" + obj["metadata"].value("name", "");
}

// A backendRef as "group/kind/namespace/name", the same string for a backend object's own change.
std::string backend_key(const std::string& group, const std::string& kind, const std::string& ns,
                        const std::string& name) {
  return group + "/" + kind + "/" + ns + "/" + name;
}

std::optional<ResourceType> backend_type(ControllerContext& ctx, const std::string& group, const std::string& kind) {
  if (kind == "Service" && group.empty()) return ctx.type("v1", "Service");
  if (kind == "InferencePool")
    return ctx.type(group + (group == "inference.networking.k8s.io" ? "/v1" : "/v1alpha2"), "InferencePool");
  return std::nullopt;
}

struct BackendRef {
  std::string group, kind, ns, name;
  std::string key() const { return backend_key(group, kind, ns, name); }
};

std::vector<BackendRef> backend_refs(const json& route) {
  std::vector<BackendRef> out;
  for (const auto& rule : route["spec"].value("rules", json::array()))
    for (const auto& ref : rule.value("backendRefs", json::array()))
      out.push_back({ref.value("group", ""), ref.value("kind", "Service"), ref.value("namespace", ns_of(route)),
                     ref.value("name", "")});
  return out;
}

// Level-triggered per object: a pass reconciles the Gateways, HTTPRoutes and InferencePools that
// changed, the routes whose backends appeared or went away, and the pools whose set of routes
// changed. Two indexes (route -> backends, pool -> routes) answer "what depends on this".
class GatewayController : public Controller {
 public:
  explicit GatewayController(std::shared_ptr<GatewayDataPlane> plane) : plane_(std::move(plane)) {}
  const char* name() const override { return "gateway"; }

  void reconcile(ControllerContext& ctx) override {
    std::set<std::string> gateways, routes, pools;  // "namespace/name"
    if (ctx.changed.everything) {
      route_backends_.clear();
      backend_routes_.clear();
      pool_routes_.clear();
      claim_recorded_addresses(ctx);
      for (const auto& gw : ctx.all(kRouteApi, "Gateway")) gateways.insert(ns_name(gw));
      for (const auto& route : ctx.all(kRouteApi, "HTTPRoute")) routes.insert(ns_name(route));
      for (const char* api : kPoolApis)
        for (const auto& pool : ctx.all(api, "InferencePool")) pools.insert(ns_name(pool));
    }
    for (const auto& c : ctx.changed.changes) {
      const std::string key = c.namespace_ + "/" + (*c.object)["metadata"].value("name", "");
      if (c.group == kRouteGroup && c.plural == "gateways") gateways.insert(key);
      if (c.group == kRouteGroup && c.plural == "httproutes") {
        routes.insert(key);
        for (const auto& parent : parent_gateways(*c.object)) gateways.insert(parent);  // attachedRoutes
      }
      const bool pool = c.plural == "inferencepools", service = c.group.empty() && c.plural == "services";
      if (pool) pools.insert(key);
      if ((pool || service) && c.type != "MODIFIED") {  // a backend appeared or went: its routes resolve anew
        auto it = backend_routes_.find(backend_key(c.group, pool ? "InferencePool" : "Service", c.namespace_,
                                                   (*c.object)["metadata"].value("name", "")));
        if (it != backend_routes_.end()) routes.insert(it->second.begin(), it->second.end());
      }
    }
    const auto now = std::chrono::steady_clock::now();
    for (auto it = retry_.begin(); it != retry_.end();) {  // listeners that could not be bound: try again
      if (it->second > now) {
        ++it;
        continue;
      }
      gateways.insert(it->first);
      it = retry_.erase(it);
    }
    for (const auto& key : gateways) reconcile_gateway(ctx, key);
    for (const auto& key : routes) reconcile_route(ctx, key, pools);
    for (const auto& key : pools) reconcile_pool(ctx, key);
  }

 private:
  static std::optional<json> fetch(ControllerContext& ctx, const char* api, const char* kind, const std::string& key) {
    auto t = ctx.type(api, kind);
    if (!t) return std::nullopt;
    const size_t slash = key.find('/');
    auto obj = ctx.store.get(*t, key.substr(0, slash), key.substr(slash + 1));
    if (!obj.ok()) return std::nullopt;
    return *obj;
  }

  // Gateways named by a route's parentRefs, as "namespace/name".
  static std::set<std::string> parent_gateways(const json& route) {
    std::set<std::string> out;
    for (const auto& p : route.value("spec", json::object()).value("parentRefs", json::array()))
      if (p.value("kind", "Gateway") == "Gateway") out.insert(p.value("namespace", ns_of(route)) + "/" + p.value("name", ""));
    return out;
  }

  // At the first pass (a restart with --data-dir), each Gateway keeps the address its status
  // records; two claiming one: the older keeps it.
  void claim_recorded_addresses(ControllerContext& ctx) {
    addresses_.clear();
    auto all = ctx.all(kRouteApi, "Gateway");
    std::sort(all.begin(), all.end(), [](const json& a, const json& b) {
      const std::string ta = a["metadata"].value("creationTimestamp", ""), tb = b["metadata"].value("creationTimestamp", "");
      return ta != tb ? ta < tb : ns_name(a) < ns_name(b);
    });
    std::set<int> taken;
    for (const auto& gw : all)
      if (auto n = recorded_address(gw); n && taken.insert(*n).second) addresses_[ns_name(gw)] = *n;
  }

  std::map<std::string, int> attached_routes(ControllerContext& ctx, const std::vector<ListenerRef>& listeners) {
    std::map<std::string, int> out;
    auto t = ctx.type(kRouteApi, "HTTPRoute");
    if (!t) return out;
    for (const auto& route : ctx.store.objects(*t, ""))
      for (const auto& l : listeners)
        if (route_attaches(*route, l)) ++out[l.listener_name];
    return out;
  }

  std::map<int, ListenerBind> program(const std::string& key, int n, const std::vector<ListenerRef>& listeners) {
    if (plane_) return plane_->program(key, loopback_address(n), listeners);
    std::map<int, ListenerBind> binds;
    for (const auto& l : listeners) binds[l.port] = {BindOutcome::bound, l.port, ""};
    return binds;
  }

  void reconcile_gateway(ControllerContext& ctx, const std::string& key) {
    auto gw = fetch(ctx, kRouteApi, "Gateway", key);
    if (!gw) {  // deleted: its listeners stop and its address is free again
      if (plane_) plane_->remove(key);
      addresses_.erase(key);
      retry_.erase(key);
      return;
    }
    const auto listeners = http_listeners(*gw);
    std::set<int> held;
    for (const auto& [other, n] : addresses_)
      if (other != key) held.insert(n);
    GatewayFacts facts;
    std::optional<int> programmed_at;
    auto recorded = addresses_.count(key) ? std::optional<int>(addresses_[key]) : recorded_address(*gw);
    facts.address = allocate_address(recorded, held, [&](int n) {
      facts.binds = program(key, n, listeners);
      programmed_at = n;
      for (const auto& [port, b] : facts.binds)
        if (b.outcome == BindOutcome::in_use) return false;  // another process holds it: the next address
      return true;
    });
    if (!facts.address) {
      if (plane_) plane_->remove(key);
      addresses_.erase(key);
    } else {
      if (programmed_at != facts.address) facts.binds = program(key, *facts.address, listeners);
      addresses_[key] = *facts.address;
      if (plane_) plane_->report(key, loopback_address(*facts.address), facts.binds);
    }
    facts.attached = attached_routes(ctx, listeners);
    if (!all_bound(*gw, facts) && !listeners.empty())
      retry_[key] = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    else
      retry_.erase(key);
    json status = gw->value("status", json::object());
    const json ours = gateway_status(*gw, facts, ctx.timestamp());  // named: no range over a temporary's items()
    for (auto it = ours.begin(); it != ours.end(); ++it) status[it.key()] = *it;
    if (!facts.address) status.erase("addresses");
    ctx.set_status(*gw, status);
  }

  // Replaces what the indexes know of `route_key`'s backends; pools gained or lost go to `pools`.
  void index_route(const std::string& route_key, const std::vector<BackendRef>& refs, std::set<std::string>& pools) {
    std::set<std::string> now;
    for (const auto& r : refs) now.insert(r.key());
    std::set<std::string>& before = route_backends_[route_key];
    for (const auto& b : before)
      if (!now.count(b)) backend_routes_[b].erase(route_key);
    for (const auto& b : now) backend_routes_[b].insert(route_key);
    before = now;
    std::set<std::string> pools_now;
    for (const auto& r : refs)
      if (r.kind == "InferencePool") pools_now.insert(r.ns + "/" + r.name);
    for (auto& [pool, users] : pool_routes_)
      if (users.count(route_key) && !pools_now.count(pool)) {
        users.erase(route_key);
        pools.insert(pool);
      }
    for (const auto& pool : pools_now)
      if (pool_routes_[pool].insert(route_key).second) pools.insert(pool);
    if (refs.empty()) route_backends_.erase(route_key);
  }

  void reconcile_route(ControllerContext& ctx, const std::string& key, std::set<std::string>& pools) {
    auto route = fetch(ctx, kRouteApi, "HTTPRoute", key);
    const auto refs = route ? backend_refs(*route) : std::vector<BackendRef>{};
    index_route(key, refs, pools);
    if (!route) return;
    std::string missing;
    for (const auto& ref : refs) {
      auto t = backend_type(ctx, ref.group, ref.kind);
      if (!t || !ctx.store.get(*t, ref.ns, ref.name).ok()) {
        missing = ref.kind + " " + ref.ns + "/" + ref.name;
        break;
      }
    }
    const std::string now = ctx.timestamp();
    const int64_t gen = generation(*route);
    json parents = json::array();
    for (const auto& parent : (*route)["spec"].value("parentRefs", json::array())) {
      json ref = parent;
      if (!ref.contains("group")) ref["group"] = kRouteGroup;
      if (!ref.contains("kind")) ref["kind"] = "Gateway";
      parents.push_back({{"parentRef", ref},
                         {"controllerName", kGatewayControllerName},
                         {"conditions",
                          {condition("Accepted", true, "Accepted", "route accepted by the sandbox gateway", gen, now),
                           missing.empty() ? condition("ResolvedRefs", true, "ResolvedRefs",
                                                       "all backend references resolved", gen, now)
                                           : condition("ResolvedRefs", false, "BackendNotFound",
                                                       "backend " + missing + " not found", gen, now)}}});
    }
    json status = route->value("status", json::object());
    status["parents"] = parents;
    ctx.set_status(*route, status);
  }

  // InferencePools referenced by a route are accepted by the gateway (v1: status.parents; v1alpha2: status.parent).
  void reconcile_pool(ControllerContext& ctx, const std::string& key) {
    auto users = pool_routes_.find(key);
    const bool used = users != pool_routes_.end() && !users->second.empty();
    if (users != pool_routes_.end() && !used) pool_routes_.erase(users);
    const std::string now = ctx.timestamp();
    for (const char* api : kPoolApis) {
      auto pool = fetch(ctx, api, "InferencePool", key);
      if (!pool) continue;
      json parents = json::array();
      if (used) {
        parents.push_back(
            {{"parentRef",
              {{"group", "gateway.networking.k8s.io"}, {"kind", "Gateway"}, {"name", "inference-gateway"}}},
             {"conditions",
              {condition("Accepted", true, "Accepted", "pool accepted by the sandbox gateway", generation(*pool), now),
               condition("ResolvedRefs", true, "ResolvedRefs", "endpoint picker resolved", generation(*pool), now)}}});
      }
      const bool legacy = std::string(api) != kPoolApis[0];
      json status = pool->value("status", json::object());
      status[legacy ? "parent" : "parents"] = parents;
      ctx.set_status(*pool, status);
    }
  }

  std::shared_ptr<GatewayDataPlane> plane_;
  std::map<std::string, int> addresses_;  // Gateway -> N of its 127.0.0.N
  std::map<std::string, std::chrono::steady_clock::time_point> retry_;  // Gateways with unbound listeners
  std::map<std::string, std::set<std::string>> route_backends_;  // route -> backend keys
  std::map<std::string, std::set<std::string>> backend_routes_;  // backend key -> routes
  std::map<std::string, std::set<std::string>> pool_routes_;     // pool "namespace/name" -> routes
};

}  // namespace

std::unique_ptr<Controller> make_gateway_controller(std::shared_ptr<GatewayDataPlane> plane) {
  return std::make_unique<GatewayController>(std::move(plane));
}

}  // namespace rollout::sandbox
