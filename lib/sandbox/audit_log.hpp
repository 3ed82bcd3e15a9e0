// The sandbox's audit log (`sandbox up --audit-log-path FILE`): one JSON line per API request in
// the form kube-apiserver writes with --audit-log-path and the "json" format, an audit.k8s.io/v1
// Event (k8s.io/apiserver/pkg/apis/audit/v1/types.go) at stage ResponseComplete (a watch at
// ResponseStarted), with requestReceivedTimestamp and stageTimestamp in microseconds as upstream's
// metav1.MicroTime. The simulation's own writes (what kubelets and controllers would send to a
// real API server) are logged too, as user system:node:sandbox (pods) or
// system:kube-controller-manager, the pods with their object (level RequestResponse) so that a
// Ready transition can be told apart. Benchmarks read both ends of a reaction off this one clock.
#pragma once

#include <chrono>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "sandbox/api_handler.hpp"
#include "sandbox/store.hpp"
#include "util/result.hpp"

namespace rollout::sandbox {

using WallTime = std::chrono::system_clock::time_point;

// "2026-12-03T13:53:17.123456Z": metav1.MicroTime's RFC 3339 form.
std::string format_micro_time(WallTime t);

// The Event for one API request (pure).
nlohmann::json audit_event(const HttpRequest& req, const std::string& verb, const std::optional<ResourcePath>& rp,
                           int code, WallTime received, WallTime completed, const std::string& stage,
                           uint64_t id);
// The Event for a change the simulation made to the store (pure).
nlohmann::json audit_event(const ObjectChange& change, WallTime at, uint64_t id);

// True while this thread serves an API request: the store's changes made inside one are logged
// with that request, not again as the simulation's.
bool serving_api_request();
class ApiRequestScope {
 public:
  ApiRequestScope();
  ~ApiRequestScope();
  ApiRequestScope(const ApiRequestScope&) = delete;
  ApiRequestScope& operator=(const ApiRequestScope&) = delete;

 private:
  bool outer_;
};

class AuditLog {
 public:
  static Result<std::unique_ptr<AuditLog>> open(const std::string& path);  // appends
  ~AuditLog();
  void write(const nlohmann::json& event);  // one line, flushed
  uint64_t next_id();

 private:
  explicit AuditLog(std::FILE* f) : file_(f) {}
  std::mutex mu_;
  std::FILE* file_;
  uint64_t id_ = 0;
};

}  // namespace rollout::sandbox
