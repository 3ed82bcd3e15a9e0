#include "sandbox/api_handler.hpp"

#include <chrono>
#include <sstream>
#include <thread>

#include "sandbox/audit_log.hpp"
#include "sandbox/discovery.hpp"
#include "sandbox/protobuf.hpp"
#include "util/base64.hpp"

namespace rollout::sandbox {

using nlohmann::json;

std::string HttpRequest::query_value(const std::string& key) const {
  auto it = query.find(key);
  return it == query.end() ? "" : it->second;
}

std::string HttpRequest::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

json FaultConfig::to_json() const {
  return {{"errorRate", error_rate},
          {"throttleRate", throttle_rate},
          {"latencyMs", latency_ms},
          {"dropWatchAfter", drop_watch_after}};
}

std::optional<FaultConfig> FaultConfig::from_json(const json& j, std::string* error) {
  FaultConfig f;
  try {
    f.error_rate = j.value("errorRate", 0.0);
    f.throttle_rate = j.value("throttleRate", 0.0);
    f.latency_ms = j.value("latencyMs", 0);
    f.drop_watch_after = j.value("dropWatchAfter", 0);
  } catch (const json::exception& e) {
    if (error) *error = e.what();
    return std::nullopt;
  }
  if (f.error_rate < 0 || f.error_rate > 1 || f.throttle_rate < 0 || f.throttle_rate > 1 || f.latency_ms < 0 ||
      f.drop_watch_after < 0) {
    if (error) *error = "rates must be within 0..1 and counts not negative";
    return std::nullopt;
  }
  return f;
}

std::optional<ResourcePath> parse_resource_path(const std::string& path) {
  std::vector<std::string> seg;
  std::stringstream ss(path);
  for (std::string s; std::getline(ss, s, '/');)
    if (!s.empty()) seg.push_back(s);
  ResourcePath r;
  size_t i = 0;
  if (seg.size() >= 2 && seg[0] == "api") {
    r.version = seg[1];
    i = 2;
  } else if (seg.size() >= 3 && seg[0] == "apis") {
    r.group = seg[1];
    r.version = seg[2];
    i = 3;
  } else {
    return std::nullopt;
  }
  std::vector<std::string> rest(seg.begin() + static_cast<long>(i), seg.end());
  if (rest.empty()) return std::nullopt;
  // namespaces/NS/PLURAL/... is namespaced; namespaces, namespaces/NAME and namespaces/NAME/status are Namespace
  // itself.
  if (rest[0] == "namespaces" && rest.size() >= 3 && rest[2] != "status" && rest[2] != "finalize") {
    r.namespace_ = rest[1];
    rest.erase(rest.begin(), rest.begin() + 2);
  }
  r.plural = rest[0];
  if (rest.size() > 1) r.name = rest[1];
  if (rest.size() > 2) {
    for (size_t k = 2; k < rest.size(); ++k) r.subresource += (k > 2 ? "/" : "") + rest[k];
  }
  return r;
}

json RequestCounts::to_json() const {
  return {{"requests", total}, {"byVerb", by_verb}, {"byResource", by_resource}};
}

std::string request_verb(const HttpRequest& req, const std::optional<ResourcePath>& rp, bool watch) {
  if (!rp || rp->plural.empty()) return "nonResource";
  if (watch) return "watch";
  if (req.method == "GET") return rp->name.empty() ? "list" : "get";
  if (req.method == "POST") return "create";
  if (req.method == "PUT") return "update";
  if (req.method == "PATCH") return "patch";
  if (req.method == "DELETE") return rp->name.empty() ? "deletecollection" : "delete";
  return "other";
}

namespace {

HttpResponse json_response(int status, const json& body) {
  // Names and paths are the client's bytes: invalid UTF-8 becomes U+FFFD, as Go's encoding/json
  // writes it, rather than nlohmann's type_error.316 thrown out of the handler.
  return {status, "application/json", body.dump(-1, ' ', false, json::error_handler_t::replace), {}};
}

HttpResponse error_response(const Error& e, const std::string& plural = "", const std::string& name = "") {
  HttpResponse r = json_response(e.code ? e.code : 500, status_body(e, plural, name));
  if (e.code == 429) r.headers["Retry-After"] = "1";
  return r;
}

}  // namespace

ApiHandler::ApiHandler(TypeRegistry& types, ObjectStore& store, Credentials creds, FaultConfig faults)
    : types_(types), store_(store), creds_(std::move(creds)), faults_(faults) {}

void ApiHandler::set_faults(const FaultConfig& f) {
  std::lock_guard lock(mu_);
  faults_ = f;
}

FaultConfig ApiHandler::faults() const {
  std::lock_guard lock(mu_);
  return faults_;
}

RequestCounts ApiHandler::request_counts() const {
  std::lock_guard lock(counts_mu_);
  return counts_;
}

void ApiHandler::count(const HttpRequest& req, bool watch) {
  std::optional<ResourcePath> rp;
  if (req.path.rfind("/api", 0) == 0) rp = parse_resource_path(req.path);
  const std::string verb = request_verb(req, rp, watch);
  std::lock_guard lock(counts_mu_);
  ++counts_.total;
  ++counts_.by_verb[verb];
  if (rp && !rp->plural.empty()) ++counts_.by_resource[rp->group.empty() ? rp->plural : rp->plural + "." + rp->group];
}

void ApiHandler::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  store_.wake_all();
}

std::string ApiHandler::server_version_json() const {
  return json{{"major", "1"},
              {"minor", "32"},
              {"gitVersion", "v1.32.0-rollout-sandbox"},
              {"gitCommit", "rollout-sandbox"},
              {"gitTreeState", "clean"},
              {"buildDate", "2026-01-01T00:00:00Z"},
              {"goVersion", "go1.23"},
              {"compiler", "gc"},
              {"platform", "linux/amd64"}}
      .dump();
}

std::optional<HttpResponse> ApiHandler::authenticate(const HttpRequest& req) const {
  if (req.client_cert_verified || creds_.allow_anonymous) return std::nullopt;
  const std::string auth = req.header("authorization");
  if (auth.rfind("Bearer ", 0) == 0 && creds_.tokens.count(auth.substr(7))) return std::nullopt;
  if (auth.rfind("Basic ", 0) == 0) {
    auto decoded = base64_decode(auth.substr(6));
    if (decoded) {
      auto colon = decoded->find(':');
      auto it = creds_.basic_users.find(decoded->substr(0, colon));
      if (colon != std::string::npos && it != creds_.basic_users.end() && it->second == decoded->substr(colon + 1))
        return std::nullopt;
    }
  }
  return json_response(401, status_body(api_error(401, "Unauthorized", "Unauthorized")));
}

std::optional<HttpResponse> ApiHandler::inject_fault(const HttpRequest& req) {
  if (req.path.rfind("/api", 0) != 0) return std::nullopt;
  FaultConfig f;
  double roll;
  {
    std::lock_guard lock(mu_);
    f = faults_;
    roll = std::uniform_real_distribution<double>(0, 1)(rng_);
  }
  if (f.latency_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(f.latency_ms));
  if (roll < f.error_rate)
    return error_response(api_error(
        500, "InternalError", "an error on the server (\"injected fault\") has prevented the request from succeeding"));
  if (roll < f.error_rate + f.throttle_rate)
    return error_response(api_error(429, "TooManyRequests",
                                    "the server has received too many requests and has asked us to try again later"));
  return std::nullopt;
}

HttpResponse ApiHandler::handle(const HttpRequest& req) {
  const bool api = req.path.rfind("/sandbox/", 0) != 0 && req.path != "/healthz" && req.path != "/readyz" &&
                   req.path != "/livez";
  if (!audit_ || !api) return serve(req);
  const ApiRequestScope scope;  // the store's changes made here are this request's
  const auto received = std::chrono::system_clock::now();
  HttpResponse res = serve(req);
  std::optional<ResourcePath> rp;
  if (req.path.rfind("/api", 0) == 0) rp = parse_resource_path(req.path);
  audit_->write(audit_event(req, request_verb(req, rp, false), rp, res.status, received,
                            std::chrono::system_clock::now(), "ResponseComplete", audit_->next_id()));
  return res;
}

HttpResponse ApiHandler::serve(const HttpRequest& req) {
  if (req.path == "/healthz" || req.path == "/readyz" || req.path == "/livez") return {200, "text/plain", "ok", {}};
  if (auto denied = authenticate(req)) return *denied;
  if (req.path.rfind("/sandbox/", 0) == 0) return admin(req);
  count(req, false);
  if (auto fault = inject_fault(req)) return *fault;
  // `/version/` too: the real server's go-restful route matches both (the Python client asks for it).
  if (req.path == "/version" || req.path == "/version/") return {200, "application/json", server_version_json(), {}};
  if (req.path.rfind("/openapi/", 0) == 0) return openapi(req);
  auto rp = parse_resource_path(req.path);
  if (!rp || rp->plural.empty()) return discovery(req);
  try {
    return resource(req);
  } catch (const json::type_error& e) {
    // A field of the body with the wrong type (`"metadata": {"name": 5}`), read where the store
    // expects its type: the API server's decoder refuses such a body with a 400 BadRequest
    // (apimachinery's json decoding: "cannot unmarshal number into Go struct field ...").
    return error_response(api_error(400, "BadRequest", std::string("the request body does not decode: ") + e.what()));
  }
}

HttpResponse ApiHandler::admin(const HttpRequest& req) {
  if (req.path == "/sandbox/stats") {
    if (req.method == "DELETE") {
      std::lock_guard lock(counts_mu_);
      counts_ = {};
    } else if (req.method != "GET") {
      return error_response(api_error(405, "MethodNotAllowed", "use GET or DELETE"));
    }
    return json_response(200, request_counts().to_json());
  }
  if (req.path != "/sandbox/faults")
    return error_response(api_error(404, "NotFound", "the server could not find the requested resource"));
  if (req.method == "GET") return json_response(200, faults().to_json());
  if (req.method != "PUT" && req.method != "POST")
    return error_response(api_error(405, "MethodNotAllowed", "use GET or PUT"));
  std::string why;
  json body = json::parse(req.body, nullptr, false);
  auto f = body.is_discarded() ? std::nullopt : FaultConfig::from_json(body, &why);
  if (!f) return error_response(api_error(400, "BadRequest", "invalid fault configuration: " + why));
  set_faults(*f);
  return json_response(200, f->to_json());
}

HttpResponse ApiHandler::openapi(const HttpRequest& req) const {
  // kubectl <= 1.26 asks for protobuf only (client-go discovery OpenAPISchema); others for JSON.
  // Asked as ...spec.v2@v1.0+protobuf, answered as ...spec.v2.v1.0+protobuf: Go's mime parser
  // refuses the '@' (kube-openapi pkg/handler/handler.go, subTypeProtobufDeprecated).
  if (req.path == "/openapi/v2" || req.path == "/openapi/v2/") {
    constexpr const char* proto = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";
    if (req.header("accept").find("application/com.github.proto-openapi.spec.v2") != std::string::npos)
      return {200, proto, encode_openapi_v2(openapi_v2_doc(types_)), {}};
    return json_response(200, openapi_v2_doc(types_));
  }
  if (req.path == "/openapi/v3") return json_response(200, openapi_v3_index(types_));
  auto rp = req.path.rfind("/openapi/v3/", 0) == 0 ? parse_resource_path(req.path.substr(11) + "/x") : std::nullopt;
  if (rp) {
    if (auto doc = openapi_v3_group_version(types_, rp->group, rp->version)) return json_response(200, *doc);
  }
  return error_response(api_error(404, "NotFound", "the server could not find the requested resource"));
}

HttpResponse ApiHandler::discovery(const HttpRequest& req) const {
  std::string path = req.path;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (req.method != "GET")
    return error_response(
        api_error(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"));
  if (path == "/api") return json_response(200, api_versions_doc(req.header("host")));
  if (path == "/apis") return json_response(200, api_group_list_doc(types_));
  std::optional<json> doc;
  std::vector<std::string> seg;
  std::stringstream ss(path);
  for (std::string s; std::getline(ss, s, '/');)
    if (!s.empty()) seg.push_back(s);
  if (seg.size() == 2 && seg[0] == "api") doc = api_resource_list_doc(types_, "", seg[1]);
  if (seg.size() == 2 && seg[0] == "apis") doc = api_group_doc(types_, seg[1]);
  if (seg.size() == 3 && seg[0] == "apis") doc = api_resource_list_doc(types_, seg[1], seg[2]);
  if (!doc) return error_response(api_error(404, "NotFound", "the server could not find the requested resource"));
  return json_response(200, *doc);
}

}  // namespace rollout::sandbox
