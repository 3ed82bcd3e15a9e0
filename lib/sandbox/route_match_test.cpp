// Gateway API's rule choice: PathPrefix element by element, the precedence across rules and
// routes (Exact, longest prefix, method, headers, query; then oldest route, name, rule order), and
// which routes attach to a listener.
#include "sandbox/route_match.hpp"

#include <catch2/catch.hpp>

using namespace rollout::sandbox;
using nlohmann::json;

namespace {

json route(const std::string& name, const std::string& created, json rules, json parents = nullptr,
           const std::string& ns = "default") {
  if (parents.is_null()) parents = json::array({{{"name", "inference-gateway"}}});
  return {{"metadata", {{"name", name}, {"namespace", ns}, {"creationTimestamp", created}}},
          {"spec", {{"parentRefs", parents}, {"rules", rules}}}};
}

json prefix(const std::string& value) {
  return {{"path", {{"type", "PathPrefix"}, {"value", value}}}};
}

RequestFacts post(const std::string& path, std::map<std::string, std::string> headers = {}) {
  RequestFacts r;
  r.path = path;
  r.headers = std::move(headers);
  return r;
}

}  // namespace

TEST_CASE("PathPrefix matches element by element, a trailing slash ignored", "[sandbox][routing]") {
  CHECK(path_prefix_matches("/", "/v1/completions"));
  CHECK(path_prefix_matches("/v1", "/v1/completions"));
  CHECK(path_prefix_matches("/v1/", "/v1/completions"));
  CHECK(path_prefix_matches("/v1", "/v1"));
  CHECK_FALSE(path_prefix_matches("/v1", "/v1x/completions"));
  CHECK_FALSE(path_prefix_matches("/v1/completions", "/v1/chat/completions"));
}

TEST_CASE("the rule taken follows Gateway API precedence", "[sandbox][routing]") {
  const json any = route("any", "2024-01-01T00:00:00Z", {{{"matches", {prefix("/")}}}});
  const json longer = route("v1", "2024-01-02T00:00:00Z", {{{"matches", {prefix("/v1")}}}});
  const json exact =
      route("exact", "2024-01-03T00:00:00Z", {{{"matches", {{{"path", {{"type", "Exact"}, {"value", "/v1/models"}}}}}}}});
  std::vector<const json*> routes{&any, &longer, &exact};
  CHECK(choose_rule(routes, post("/v1/completions"))->route == 1);  // the longest prefix
  CHECK(choose_rule(routes, post("/v1/models"))->route == 2);       // Exact beats any prefix
  CHECK(choose_rule(routes, post("/health"))->route == 0);

  SECTION("headers count; the first matching rule of a route wins a tie") {
    const json beta = route("beta", "2024-01-01T00:00:00Z",
                            {{{"matches", {prefix("/")}}, {"backendRefs", json::array()}},
                             {{"matches", {{{"path", {{"type", "PathPrefix"}, {"value", "/"}}},
                                            {"headers", {{{"name", "X-Beta"}, {"value", "true"}}}}}}}},
                             {{"matches", {prefix("/")}}}});
    CHECK(choose_rule({&beta}, post("/v1/completions", {{"x-beta", "true"}}))->rule == 1);
    CHECK(choose_rule({&beta}, post("/v1/completions", {{"x-beta", "false"}}))->rule == 0);
    CHECK(choose_rule({&beta}, post("/v1/completions"))->rule == 0);
  }
  SECTION("a method match outranks headers; no match at all: none") {
    json get_only = route("get", "2024-01-05T00:00:00Z", {{{"matches", {{{"method", "GET"}}}}}});
    CHECK(choose_rule({&any, &get_only}, [] {
            RequestFacts r = post("/v1/models");
            r.method = "GET";
            return r;
          }())->route == 1);
    CHECK(choose_rule({&get_only}, post("/v1/models")) == std::nullopt);
  }
  SECTION("equal matches: the oldest route, then namespace/name") {
    const json newer = route("a-newer", "2024-02-01T00:00:00Z", {{{"matches", {prefix("/")}}}});
    const json same_time = route("aaa", "2024-01-01T00:00:00Z", {{{"matches", {prefix("/")}}}});
    CHECK(choose_rule({&newer, &any}, post("/x"))->route == 1);
    CHECK(choose_rule({&any, &same_time}, post("/x"))->route == 1);  // "default/aaa" < "default/any"
  }
  SECTION("a rule without matches takes every path") {
    const json bare = route("bare", "2024-01-01T00:00:00Z", {{{"backendRefs", json::array()}}});
    CHECK(choose_rule({&bare}, post("/anything"))->rule == 0);
  }
}

TEST_CASE("routes attach to a listener by parentRef, sectionName, port and namespace", "[sandbox][routing]") {
  const ListenerRef http{"default", "inference-gateway", "http", 80, "Same"};
  CHECK(route_attaches(route("r", "", json::array()), http));
  CHECK(route_attaches(route("r", "", json::array(), {{{"name", "inference-gateway"}, {"sectionName", "http"}}}), http));
  CHECK_FALSE(
      route_attaches(route("r", "", json::array(), {{{"name", "inference-gateway"}, {"sectionName", "https"}}}), http));
  CHECK_FALSE(route_attaches(route("r", "", json::array(), {{{"name", "inference-gateway"}, {"port", 8080}}}), http));
  CHECK_FALSE(route_attaches(route("r", "", json::array(), {{{"name", "other"}}}), http));
  CHECK_FALSE(route_attaches(route("r", "", json::array(), {{{"name", "inference-gateway"}, {"kind", "Service"}}}), http));
  // Another namespace: only when the listener admits All namespaces (the default is Same).
  const json elsewhere =
      route("r", "", json::array(), {{{"name", "inference-gateway"}, {"namespace", "default"}}}, "team-a");
  CHECK_FALSE(route_attaches(elsewhere, http));
  CHECK(route_attaches(elsewhere, ListenerRef{"default", "inference-gateway", "http", 80, "All"}));
}

TEST_CASE("the model a request asks for", "[sandbox][routing]") {
  CHECK(requested_model(R"({"model":"food-review","prompt":"x"})") == "food-review");
  CHECK(requested_model(R"({"prompt":"x"})").empty());
  CHECK(requested_model("not json").empty());
  CHECK(requested_model("").empty());
}
