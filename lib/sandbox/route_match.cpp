#include "sandbox/route_match.hpp"

#include <regex>

namespace rollout::sandbox {

using nlohmann::json;

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool regex_matches(const std::string& pattern, const std::string& value) {
  try {
    return std::regex_match(value, std::regex(pattern));
  } catch (const std::regex_error&) {
    return false;  // an invalid pattern matches nothing
  }
}

// The rank of one HTTPRouteMatch, or nullopt when it does not fit.
std::optional<MatchRank> match_rank(const json& m, const RequestFacts& req) {
  MatchRank rank;
  const json path = m.value("path", json{{"type", "PathPrefix"}, {"value", "/"}});
  const std::string type = path.value("type", "PathPrefix"), value = path.value("value", "/");
  if (type == "Exact") {
    if (req.path != value) return std::nullopt;
    rank.exact_path = true;
  } else if (type == "RegularExpression") {
    if (!regex_matches(value, req.path)) return std::nullopt;  // its precedence is implementation-specific: lowest
  } else {
    if (!path_prefix_matches(value, req.path)) return std::nullopt;
    rank.prefix_length = value.size();
  }
  if (m.contains("method")) {
    if (m.value("method", "") != req.method) return std::nullopt;
    rank.method = true;
  }
  for (const auto& h : m.value("headers", json::array())) {  // header names are case-insensitive
    auto it = req.headers.find(lower(h.value("name", "")));
    if (it == req.headers.end()) return std::nullopt;
    const bool ok = h.value("type", "Exact") == "RegularExpression" ? regex_matches(h.value("value", ""), it->second)
                                                                      : it->second == h.value("value", "");
    if (!ok) return std::nullopt;
    ++rank.headers;
  }
  for (const auto& q : m.value("queryParams", json::array())) {  // names are case-sensitive
    auto it = req.query.find(q.value("name", ""));
    if (it == req.query.end()) return std::nullopt;
    const bool ok = q.value("type", "Exact") == "RegularExpression" ? regex_matches(q.value("value", ""), it->second)
                                                                      : it->second == q.value("value", "");
    if (!ok) return std::nullopt;
    ++rank.query;
  }
  return rank;
}

std::string created(const json& route) {
  return route["metadata"].value("creationTimestamp", "");  // RFC 3339 in UTC: orders as text
}
std::string ns_name(const json& route) {
  return route["metadata"].value("namespace", "") + "/" + route["metadata"].value("name", "");
}

}  // namespace

bool path_prefix_matches(const std::string& prefix, const std::string& path) {
  std::string p = prefix;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (p == "/") return !path.empty() && path[0] == '/';
  if (path.compare(0, p.size(), p) != 0) return false;
  return path.size() == p.size() || path[p.size()] == '/';
}

std::optional<MatchRank> rule_match(const json& rule, const RequestFacts& request) {
  const json matches = rule.value("matches", json::array());
  if (matches.empty()) return match_rank(json::object(), request);
  std::optional<MatchRank> best;
  for (const auto& m : matches)
    if (auto r = match_rank(m, request); r && (!best || *r > *best)) best = r;
  return best;
}

std::optional<RuleChoice> choose_rule(const std::vector<const json*>& routes, const RequestFacts& request) {
  std::optional<RuleChoice> best;
  std::optional<MatchRank> best_rank;
  // Better when the rank is higher; on a tie, when the route is older, then sorts first by name
  // (rules of one route: the first stays, since only a strictly better rank replaces it).
  auto older = [&](size_t a, size_t b) {
    const json &ra = *routes[a], &rb = *routes[b];
    if (created(ra) != created(rb)) return created(ra) < created(rb);
    return ns_name(ra) < ns_name(rb);
  };
  for (size_t i = 0; i < routes.size(); ++i) {
    const json rules = (*routes[i])["spec"].value("rules", json::array());
    for (size_t k = 0; k < rules.size(); ++k) {
      auto rank = rule_match(rules[k], request);
      if (!rank) continue;
      const bool better = !best || *rank > *best_rank || (*rank == *best_rank && i != best->route && older(i, best->route));
      if (better) {
        best = RuleChoice{i, k};
        best_rank = rank;
      }
    }
  }
  return best;
}

bool route_attaches(const json& route, const ListenerRef& listener) {
  const std::string route_ns = route["metadata"].value("namespace", "default");
  if (listener.allowed_from == "Same" && route_ns != listener.gateway_namespace) return false;
  if (listener.allowed_from != "Same" && listener.allowed_from != "All") return false;  // Selector: not supported
  for (const auto& p : route["spec"].value("parentRefs", json::array())) {
    if (p.value("group", "gateway.networking.k8s.io") != "gateway.networking.k8s.io") continue;
    if (p.value("kind", "Gateway") != "Gateway") continue;
    if (p.value("name", "") != listener.gateway_name) continue;
    if (p.value("namespace", route_ns) != listener.gateway_namespace) continue;
    if (p.contains("sectionName") && p.value("sectionName", "") != listener.listener_name) continue;
    if (p.contains("port") && p.value("port", 0) != listener.port) continue;
    return true;
  }
  return false;
}

std::string requested_model(const std::string& body) {
  const json j = json::parse(body, nullptr, false);
  if (!j.is_object()) return "";
  auto it = j.find("model");
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace rollout::sandbox
