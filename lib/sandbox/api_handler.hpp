// The Kubernetes REST API of the sandbox, independent of the HTTP library: discovery, the
// resource paths with their verbs, watch streams, authentication and fault injection.
// api_server.cpp adapts it to cpp-httplib; tests call it directly.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>

#include "sandbox/store.hpp"

namespace rollout::sandbox {

class AuditLog;

struct HttpRequest {
  std::string method;
  std::string path;
  std::multimap<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  bool client_cert_verified = false;  // TLS client certificate signed by the sandbox CA
  std::string client_cert_subject;
  std::string query_value(const std::string& key) const;
  std::string header(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;
};

// Faults injected into API requests (not into /sandbox/ admin requests), for tests and benchmarks.
struct FaultConfig {
  double error_rate = 0;     // share of requests answered 500
  double throttle_rate = 0;  // share answered 429 with Retry-After
  int latency_ms = 0;        // added to every request
  int drop_watch_after = 0;  // close watch streams after this many events (0: never)
  nlohmann::json to_json() const;
  static std::optional<FaultConfig> from_json(const nlohmann::json& j, std::string* error);
};

// A parsed resource URL: /api/v1/namespaces/NS/PLURAL/NAME/SUB or /apis/GROUP/VERSION/...
struct ResourcePath {
  std::string group, version, namespace_, plural, name, subresource;
};
std::optional<ResourcePath> parse_resource_path(const std::string& path);

// API requests served, by Kubernetes verb (get, list, watch, create, update, patch, delete,
// deletecollection) and non-resource (discovery, /version, OpenAPI); /sandbox/ and health checks
// are not counted. GET /sandbox/stats reads them, DELETE /sandbox/stats starts again from zero.
struct RequestCounts {
  uint64_t total = 0;
  std::map<std::string, uint64_t> by_verb;
  std::map<std::string, uint64_t> by_resource;  // "httproutes.gateway.networking.k8s.io", "configmaps"
  nlohmann::json to_json() const;
};

// The verb a request is counted under, as the Kubernetes audit log names it.
std::string request_verb(const HttpRequest& req, const std::optional<ResourcePath>& rp, bool watch);

struct Credentials {
  std::set<std::string> tokens;                    // accepted bearer tokens
  std::map<std::string, std::string> basic_users;  // user -> password
  bool allow_anonymous = false;                    // plain-HTTP sandboxes
};

class ApiHandler {
 public:
  ApiHandler(TypeRegistry& types, ObjectStore& store, Credentials creds, FaultConfig faults = {});

  // Everything except watch streams.
  HttpResponse handle(const HttpRequest& req);
  bool is_watch(const HttpRequest& req) const;
  // Streams watch events as JSON lines through `write` until it returns false, the request's
  // timeoutSeconds passes, a fault drops it, or stop() is called. Returns the HTTP status.
  int watch(const HttpRequest& req, const std::function<bool(const std::string&)>& write);

  // What answers /api/v1/namespaces/NS/pods/NAME[:PORT]/proxy/PATH: gets the pod object and the
  // request with its path rewritten to /PATH; nullopt means the pod's server is not running.
  using PodProxy = std::function<std::optional<HttpResponse>(const nlohmann::json& pod, const HttpRequest& req)>;
  void set_pod_proxy(PodProxy proxy) { pod_proxy_ = std::move(proxy); }

  // Every API request served (not /sandbox/ or health checks) goes to this log; null: none.
  void set_audit_log(AuditLog* log) { audit_ = log; }

  void set_faults(const FaultConfig& f);
  FaultConfig faults() const;
  RequestCounts request_counts() const;
  void stop();

  std::string server_version_json() const;

 private:
  std::optional<HttpResponse> authenticate(const HttpRequest& req) const;
  std::optional<HttpResponse> inject_fault(const HttpRequest& req);
  HttpResponse serve(const HttpRequest& req);
  HttpResponse admin(const HttpRequest& req);
  HttpResponse discovery(const HttpRequest& req) const;
  HttpResponse openapi(const HttpRequest& req) const;
  HttpResponse resource(const HttpRequest& req);
  HttpResponse proxy(const HttpRequest& req, const ResourcePath& rp);
  HttpResponse scale(const HttpRequest& req, const ResourcePath& rp, const ResourceType& type);
  void count(const HttpRequest& req, bool watch);

  TypeRegistry& types_;
  ObjectStore& store_;
  Credentials creds_;
  mutable std::mutex mu_;
  FaultConfig faults_;
  std::mt19937 rng_{12345};
  bool stopping_ = false;
  PodProxy pod_proxy_;
  AuditLog* audit_ = nullptr;
  mutable std::mutex counts_mu_;
  RequestCounts counts_;
};

}  // namespace rollout::sandbox
