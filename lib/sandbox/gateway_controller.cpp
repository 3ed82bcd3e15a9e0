#include "sandbox/gateway_controller.hpp"

#include <set>

namespace rollout::sandbox {

using nlohmann::json;

namespace {

const char* kRouteApi = "gateway.networking.k8s.io/v1";

int64_t generation(const json& obj) {
  return obj["metadata"].value("generation", int64_t{1});
}
std::string ns_of(const json& obj) {
  return obj["metadata"].value("namespace", "");
}

// Does every backendRef of the route name an object that exists?
std::string missing_backend(ControllerContext& ctx, const json& route) {
  for (const auto& rule : route["spec"].value("rules", json::array())) {
    for (const auto& ref : rule.value("backendRefs", json::array())) {
      const std::string kind = ref.value("kind", "Service"), group = ref.value("group", "");
      const std::string name = ref.value("name", "");
      const std::string ns = ref.value("namespace", ns_of(route));
      std::optional<ResourceType> t;
      if (kind == "Service" && group.empty()) t = ctx.type("v1", "Service");
      if (kind == "InferencePool") {
        t = ctx.type(group + (group == "inference.networking.k8s.io" ? "/v1" : "/v1alpha2"), "InferencePool");
      }
      if (!t || !ctx.store.get(*t, ns, name).ok()) return kind + " " + ns + "/" + name;
    }
  }
  return "";
}

class GatewayController : public Controller {
 public:
  const char* name() const override { return "gateway"; }

  void reconcile(ControllerContext& ctx) override {
    for (const auto& gw : ctx.all(kRouteApi, "Gateway")) reconcile_gateway(ctx, gw);
    std::set<std::string> pools_in_use;
    for (const auto& route : ctx.all(kRouteApi, "HTTPRoute")) reconcile_route(ctx, route, pools_in_use);
    reconcile_pools(ctx, "inference.networking.k8s.io/v1", pools_in_use, false);
    reconcile_pools(ctx, "inference.networking.x-k8s.io/v1alpha2", pools_in_use, true);
  }

 private:
  void reconcile_gateway(ControllerContext& ctx, const json& gw) {
    const std::string now = ctx.timestamp();
    json status = {
        {"addresses", {{{"type", "IPAddress"}, {"value", "127.0.0.1"}}}},
        {"conditions",
         {condition("Accepted", true, "Accepted", "accepted by the sandbox gateway", generation(gw), now),
          condition("Programmed", true, "Programmed", "programmed in the sandbox gateway", generation(gw), now)}}};
    ctx.set_status(gw, status);
  }

  void reconcile_route(ControllerContext& ctx, const json& route, std::set<std::string>& pools) {
    const std::string now = ctx.timestamp();
    const std::string missing = missing_backend(ctx, route);
    json parents = json::array();
    for (const auto& parent : route["spec"].value("parentRefs", json::array())) {
      json ref = parent;
      if (!ref.contains("group")) ref["group"] = "gateway.networking.k8s.io";
      if (!ref.contains("kind")) ref["kind"] = "Gateway";
      parents.push_back(
          {{"parentRef", ref},
           {"controllerName", kGatewayControllerName},
           {"conditions",
            {condition("Accepted", true, "Accepted", "route accepted by the sandbox gateway", generation(route), now),
             missing.empty() ? condition("ResolvedRefs", true, "ResolvedRefs", "all backend references resolved",
                                         generation(route), now)
                             : condition("ResolvedRefs", false, "BackendNotFound", "backend " + missing + " not found",
                                         generation(route), now)}}});
    }
    json status = route.value("status", json::object());
    status["parents"] = parents;
    ctx.set_status(route, status);
    for (const auto& rule : route["spec"].value("rules", json::array()))
      for (const auto& ref : rule.value("backendRefs", json::array()))
        if (ref.value("kind", "") == "InferencePool")
          pools.insert(ref.value("namespace", ns_of(route)) + "/" + ref.value("name", ""));
  }

  // InferencePools referenced by a route are accepted by the gateway (v1: status.parents; v1alpha2: status.parent).
  void reconcile_pools(ControllerContext& ctx, const std::string& api, const std::set<std::string>& in_use,
                       bool legacy) {
    const std::string now = ctx.timestamp();
    for (const auto& pool : ctx.all(api, "InferencePool")) {
      const bool used = in_use.count(ns_of(pool) + "/" + pool["metadata"].value("name", ""));
      json parents = json::array();
      if (used) {
        parents.push_back(
            {{"parentRef",
              {{"group", "gateway.networking.k8s.io"}, {"kind", "Gateway"}, {"name", "inference-gateway"}}},
             {"conditions",
              {condition("Accepted", true, "Accepted", "pool accepted by the sandbox gateway", generation(pool), now),
               condition("ResolvedRefs", true, "ResolvedRefs", "endpoint picker resolved", generation(pool), now)}}});
      }
      json status = pool.value("status", json::object());
      status[legacy ? "parent" : "parents"] = parents;
      ctx.set_status(pool, status);
    }
  }
};

}  // namespace

std::unique_ptr<Controller> make_gateway_controller() {
  return std::make_unique<GatewayController>();
}

}  // namespace rollout::sandbox
