#include "sandbox/audit_log.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "util/base64.hpp"

namespace rollout::sandbox {

using nlohmann::json;

namespace {

thread_local bool in_api_request = false;

// Who sent it, as the authenticator named them; never the credential itself.
std::string username(const HttpRequest& req) {
  if (req.client_cert_verified) {
    const std::string& s = req.client_cert_subject;
    const auto cn = s.find("CN=");
    if (cn == std::string::npos) return s;
    return s.substr(cn + 3, s.find_first_of(",/", cn + 3) - (cn + 3));
  }
  const std::string auth = req.header("authorization");
  if (auth.rfind("Bearer ", 0) == 0) return "sandbox-token";
  if (auth.rfind("Basic ", 0) == 0) {
    if (auto decoded = base64_decode(auth.substr(6))) return decoded->substr(0, decoded->find(':'));
  }
  return "system:anonymous";
}

std::string request_uri(const HttpRequest& req) {
  std::string uri = req.path;
  char sep = '?';
  for (const auto& [k, v] : req.query) {
    uri += sep + k + "=" + v;
    sep = '&';
  }
  return uri;
}

std::string audit_id(uint64_t id) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012llx", static_cast<unsigned long long>(id));
  return buf;
}

json object_ref(const std::string& group, const std::string& version, const std::string& plural,
                const std::string& ns, const std::string& name, const std::string& sub) {
  json ref = {{"resource", plural}};
  if (!ns.empty()) ref["namespace"] = ns;
  if (!name.empty()) ref["name"] = name;
  if (!group.empty()) ref["apiGroup"] = group;
  if (!version.empty()) ref["apiVersion"] = version;
  // "proxy/health" is subresource "proxy" (apiserver's RequestInfo keeps the rest in its parts).
  if (!sub.empty()) ref["subresource"] = sub.substr(0, sub.find('/'));
  return ref;
}

}  // namespace

std::string format_micro_time(WallTime t) {
  using namespace std::chrono;
  const auto us = duration_cast<microseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>((us % 1000000 + 1000000) % 1000000));
  return buf;
}

json audit_event(const HttpRequest& req, const std::string& verb, const std::optional<ResourcePath>& rp, int code,
                 WallTime received, WallTime completed, const std::string& stage, uint64_t id) {
  std::string audit_verb = verb;
  if (verb == "nonResource") {
    audit_verb = req.method;
    for (char& c : audit_verb) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  json e = {{"kind", "Event"},
            {"apiVersion", "audit.k8s.io/v1"},
            {"level", "Metadata"},
            {"auditID", audit_id(id)},
            {"stage", stage},
            {"requestURI", request_uri(req)},
            {"verb", audit_verb},
            {"user", {{"username", username(req)}}},
            {"sourceIPs", json::array({"127.0.0.1"})},
            {"userAgent", req.header("user-agent")},
            {"responseStatus", {{"metadata", json::object()}, {"code", code}}},
            {"requestReceivedTimestamp", format_micro_time(received)},
            {"stageTimestamp", format_micro_time(completed)}};
  if (rp && !rp->plural.empty())
    e["objectRef"] = object_ref(rp->group, rp->version, rp->plural, rp->namespace_, rp->name, rp->subresource);
  return e;
}

json audit_event(const ObjectChange& change, WallTime at, uint64_t id) {
  const json& obj = *change.object;
  const bool pod = change.group.empty() && change.plural == "pods";
  const std::string verb = change.type == "ADDED" ? "create" : change.type == "DELETED" ? "delete" : "update";
  const std::string name = obj.contains("metadata") ? obj["metadata"].value("name", "") : "";
  std::string version = obj.value("apiVersion", "");
  if (const auto slash = version.find('/'); slash != std::string::npos) version = version.substr(slash + 1);
  std::string uri = change.group.empty() ? "/api/" + version : "/apis/" + change.group + "/" + version;
  if (!change.namespace_.empty()) uri += "/namespaces/" + change.namespace_;
  uri += "/" + change.plural;
  if (verb != "create") uri += "/" + name;
  json e = {{"kind", "Event"},
            {"apiVersion", "audit.k8s.io/v1"},
            {"level", pod ? "RequestResponse" : "Metadata"},
            {"auditID", audit_id(id)},
            {"stage", "ResponseComplete"},
            {"requestURI", uri},
            {"verb", verb},
            {"user", {{"username", pod ? "system:node:sandbox" : "system:kube-controller-manager"}}},
            {"sourceIPs", json::array({"127.0.0.1"})},
            {"userAgent", "rollout-sandbox"},
            {"objectRef", object_ref(change.group, version, change.plural, change.namespace_, name, "")},
            {"responseStatus", {{"metadata", json::object()}, {"code", verb == "create" ? 201 : 200}}},
            {"requestReceivedTimestamp", format_micro_time(at)},
            {"stageTimestamp", format_micro_time(at)}};
  if (pod && verb != "delete") e["responseObject"] = obj;
  return e;
}

bool serving_api_request() {
  return in_api_request;
}

ApiRequestScope::ApiRequestScope() : outer_(in_api_request) {
  in_api_request = true;
}

ApiRequestScope::~ApiRequestScope() {
  in_api_request = outer_;
}

Result<std::unique_ptr<AuditLog>> AuditLog::open(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (!f) return make_error(ErrorKind::usage, "--audit-log-path " + path + ": " + std::strerror(errno));
  return std::unique_ptr<AuditLog>(new AuditLog(f));
}

AuditLog::~AuditLog() {
  std::fclose(file_);
}

uint64_t AuditLog::next_id() {
  std::lock_guard lock(mu_);
  return ++id_;
}

void AuditLog::write(const json& event) {
  const std::string line = event.dump() + "\n";
  std::lock_guard lock(mu_);
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fflush(file_);
}

}  // namespace rollout::sandbox
