// Which HTTPRoute rule a request takes, as Gateway API defines it (pure: no store, no I/O). The
// synthetic clients (traffic.cpp) and the gateway's listeners (gateway_listeners.cpp) both choose
// rules here, so that both route the same way. Semantics from gateway-api apis/v1/httproute_types.go
// (HTTPRouteRule.Matches: precedence; HTTPPathMatch: PathPrefix element by element) and
// apis/v1/shared_types.go (ParentReference: sectionName, port).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace rollout::sandbox {

// What routing looks at in a request.
struct RequestFacts {
  std::string method = "POST";
  std::string path = "/v1/completions";  // without the query string
  std::map<std::string, std::string> headers;  // lower-case names
  std::multimap<std::string, std::string> query;
};

// How well one match of a rule fits a request, compared by Gateway API's precedence: Exact path,
// then the longest prefix, then a method match, then the most header matches, then the most
// query-parameter matches.
struct MatchRank {
  bool exact_path = false;
  size_t prefix_length = 0;
  bool method = false;
  size_t headers = 0;
  size_t query = 0;
  auto operator<=>(const MatchRank&) const = default;
};

// The best-fitting match of `rule` for `request`; nullopt when none fits (a rule without matches
// matches every request as a PathPrefix "/").
std::optional<MatchRank> rule_match(const nlohmann::json& rule, const RequestFacts& request);

// PathPrefix as Gateway API means it: element by element, a trailing "/" ignored ("/abc" matches
// "/abc", "/abc/" and "/abc/def", not "/abcd").
bool path_prefix_matches(const std::string& prefix, const std::string& path);

struct RuleChoice {
  size_t route = 0;  // index into the routes given
  size_t rule = 0;   // index into that route's spec.rules
};

// The rule that takes `request` across `routes` (HTTPRoute objects): the best match by MatchRank,
// ties going to the oldest route (creationTimestamp), then "namespace/name" alphabetically, then
// the first rule in list order. Hostnames are not compared (every route is taken to match the
// request's host).
std::optional<RuleChoice> choose_rule(const std::vector<const nlohmann::json*>& routes, const RequestFacts& request);

// A Gateway's listener as routes attach to it.
struct ListenerRef {
  std::string gateway_namespace, gateway_name;
  std::string listener_name;
  int port = 0;
  std::string allowed_from = "Same";  // allowedRoutes.namespaces.from: Same (the default) or All
};

// `route` names the listener's Gateway in a parentRef (group gateway.networking.k8s.io and kind
// Gateway by default, namespace the route's by default), and its sectionName and port, when set,
// name this listener; the listener admits the route's namespace.
bool route_attaches(const nlohmann::json& route, const ListenerRef& listener);

// The "model" of an OpenAI request body; empty when the body is not JSON or has none.
std::string requested_model(const std::string& body);

}  // namespace rollout::sandbox
