#include "k8s/client.hpp"

#include <algorithm>
#include <random>
#include <thread>

namespace rollout::k8s {

using nlohmann::json;

std::string ApiResource::path(const std::string& ns, const std::string& name) const {
  std::string p = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  if (namespaced && !ns.empty()) p += "/namespaces/" + ns;
  p += "/" + plural;
  if (!name.empty()) p += "/" + name;
  return p;
}

std::string url_encode(const std::string& value) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

bool retryable_status(long status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

Error error_from_status(long code, const std::string& body, const std::string& what) {
  json status = json::parse(body, nullptr, false);
  std::string message, reason;
  if (status.is_object() && status.value("kind", "") == "Status") {
    message = status.value("message", "");
    reason = status.value("reason", "");
  }
  if (message.empty())
    message = what + ": HTTP " + std::to_string(code) + (body.empty() ? "" : ": " + body.substr(0, 200));
  ErrorKind kind = ErrorKind::internal;
  if (code == 404)
    kind = ErrorKind::not_found;
  else if (code == 409 || code == 410)
    kind = ErrorKind::conflict;
  else if (code == 400 || code == 415 || code == 422)
    kind = ErrorKind::invalid;
  else if (code == 401 || code == 403) {
    kind = ErrorKind::unavailable;
    message += code == 401 ? " (the API server rejected the kubeconfig's credentials)" : " (not allowed for this user)";
  } else if (code == 429 || code >= 500)
    kind = ErrorKind::unavailable;
  Error e = make_error(kind, message);
  e.code = static_cast<int>(code);
  e.reason = reason;
  return e;
}

Client::Client(std::unique_ptr<Transport> transport, std::string default_namespace, RetryPolicy retry, Sleeper sleep)
    : transport_(std::move(transport)),
      namespace_(std::move(default_namespace)),
      retry_(retry),
      sleep_(std::move(sleep)) {
  if (!sleep_) sleep_ = [](Duration d) { std::this_thread::sleep_for(d); };
}

namespace {

Duration backoff(const RetryPolicy& p, int attempt, const std::string& retry_after) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  if (!retry_after.empty() && std::all_of(retry_after.begin(), retry_after.end(), ::isdigit))
    return std::min<Duration>(Duration(60000), Duration(std::stol(retry_after) * 1000));  // the server knows best
  auto exp = p.base * (1LL << std::min(attempt, 16));
  auto capped = std::min<Duration>(exp, p.cap);
  double jitter = std::uniform_real_distribution<double>(0.5, 1.0)(rng);
  return Duration(static_cast<long long>(static_cast<double>(capped.count()) * jitter));
}

HttpCall request(std::string method, std::string path, std::string body = "", std::string content_type = "") {
  HttpCall c;
  c.method = std::move(method);
  c.path = std::move(path);
  c.body = std::move(body);
  c.content_type = std::move(content_type);
  return c;
}

std::string query_join(const std::string& path, const std::string& param) {
  return path + (path.find('?') == std::string::npos ? "?" : "&") + param;
}

}  // namespace

Result<HttpResult> Client::call(HttpCall c) {
  for (int attempt = 0;; ++attempt) {
    ++stats_.requests;
    auto r = transport_->send(c);
    const bool last = attempt + 1 >= retry_.max_attempts;
    if (!r.ok()) {
      const bool transient =
          r.error().kind == ErrorKind::unavailable || (r.error().kind == ErrorKind::timeout && c.method == "GET");
      if (!transient || last) return r;
      ++stats_.retries;
      sleep_(backoff(retry_, attempt, ""));
      continue;
    }
    if (retryable_status(r->status) && !last) {
      ++stats_.retries;
      sleep_(backoff(retry_, attempt, r->retry_after));
      continue;
    }
    return r;
  }
}

namespace {

// The API server's own refusal rather than the proxied server's answer. Its priority and fairness
// filter rejects with 429, Retry-After and a metav1.Status body (apiserver/pkg/server/filters/
// priority-and-fairness.go, tooManyRequests -> responsewriters.ErrorNegotiated), as its other
// errors are Status objects; a model server's own 429 or 500 has no such body.
bool refused_by_api_server(const HttpResult& r) {
  if (r.status != 429 && r.status != 500) return false;
  const json body = json::parse(r.body, nullptr, false);
  return body.is_object() && body.value("kind", "") == "Status" && body.value("apiVersion", "") == "v1";
}

}  // namespace

Result<HttpResult> Client::send_proxied(const HttpCall& c) {
  for (int attempt = 0;; ++attempt) {
    ++stats_.requests;
    auto r = transport_->send(c);
    if (!r.ok() || !refused_by_api_server(*r)) return r;
    if (attempt + 1 >= retry_.max_attempts) {
      Error e = error_from_status(r->status, r->body, c.method + " " + c.path);
      e.message = "the API server refused the proxied request (not the pod's answer): " + e.message;
      return e;
    }
    ++stats_.retries;
    sleep_(backoff(retry_, attempt, r->retry_after));
  }
}

Result<json> Client::json_call(HttpCall c) {
  const std::string what = c.method + " " + c.path.substr(0, c.path.find('?'));
  auto r = call(c);
  if (!r.ok()) return r.error();
  if (r->status < 200 || r->status > 299) return error_from_status(r->status, r->body, what);
  json body = json::parse(r->body, nullptr, false);
  if (body.is_discarded())
    return make_error(ErrorKind::unavailable, what + ": the API server answered with invalid JSON");
  return body;
}

Result<std::vector<ApiResource>> Client::discover(const std::string& api_version) {
  const bool core = api_version.find('/') == std::string::npos;
  auto doc = json_call(request("GET", core ? "/api/" + api_version : "/apis/" + api_version));
  if (!doc.ok()) {
    if (doc.error().kind == ErrorKind::not_found)
      return make_error(ErrorKind::not_found, "the API server does not serve " + api_version +
                                                  " (is the CustomResourceDefinition installed?)");
    return doc.error();
  }
  std::vector<ApiResource> out;
  const std::string group = core ? "" : api_version.substr(0, api_version.find('/'));
  const std::string version = core ? api_version : api_version.substr(api_version.find('/') + 1);
  for (const auto& r : doc->value("resources", json::array())) {
    std::string name = r.value("name", "");
    if (name.find('/') != std::string::npos) continue;  // subresources
    out.push_back({group, version, r.value("kind", ""), name, r.value("namespaced", true)});
  }
  return out;
}

Result<ApiResource> Client::resource(const std::string& api_version, const std::string& kind) {
  for (int pass = 0; pass < 2; ++pass) {
    {
      std::lock_guard lock(cache_mu_);
      auto it = discovery_.find(api_version);
      if (it != discovery_.end()) {
        for (const auto& r : it->second)
          if (r.kind == kind) return r;
        if (pass == 1) break;
      }
    }
    auto found = discover(api_version);
    if (!found.ok()) return found.error();
    std::lock_guard lock(cache_mu_);
    discovery_[api_version] = *found;
  }
  return make_error(ErrorKind::not_found, "the API server has no kind " + kind + " in " + api_version);
}

Result<bool> Client::serves(const std::string& api_version, const std::string& kind) {
  const auto slash = api_version.find('/');
  if (slash != std::string::npos) {  // a named group: is the version in /apis at all (cached)?
    auto versions = group_versions(api_version.substr(0, slash));
    if (!versions.ok()) return versions.error();
    if (std::find(versions->begin(), versions->end(), api_version.substr(slash + 1)) == versions->end()) return false;
  }
  auto r = resource(api_version, kind);
  if (r.ok()) return true;
  if (r.error().kind == ErrorKind::not_found) return false;
  return r.error();
}

Result<std::vector<std::string>> Client::group_versions(const std::string& group) {
  {
    std::lock_guard lock(cache_mu_);
    if (groups_) {
      auto it = groups_->find(group);
      return it == groups_->end() ? std::vector<std::string>{} : it->second;
    }
  }
  auto doc = json_call(request("GET", "/apis"));  // APIGroupList
  if (!doc.ok()) return doc.error();
  std::map<std::string, std::vector<std::string>> groups;
  for (const auto& g : doc->value("groups", json::array())) {
    auto& versions = groups[g.value("name", "")];
    for (const auto& v : g.value("versions", json::array())) versions.push_back(v.value("version", ""));
  }
  std::lock_guard lock(cache_mu_);
  groups_ = std::move(groups);
  auto it = groups_->find(group);
  return it == groups_->end() ? std::vector<std::string>{} : it->second;
}

Result<json> Client::get(const ApiResource& r, const std::string& ns, const std::string& name) {
  return json_call(request("GET", r.path(ns, name)));
}

Result<json> Client::list(const ApiResource& r, const std::string& ns, const std::string& label_selector) {
  std::string p = r.path(ns);
  if (!label_selector.empty()) p = query_join(p, "labelSelector=" + url_encode(label_selector));
  return json_call(request("GET", p));
}

namespace {
std::string with_dry_run(const std::string& path, DryRun dry) {
  return dry == DryRun::server ? query_join(path, "dryRun=All") : path;
}
}  // namespace

Result<json> Client::create(const ApiResource& r, const std::string& ns, const json& obj, DryRun dry) {
  return json_call(request("POST", with_dry_run(r.path(ns), dry), obj.dump(), "application/json"));
}

Result<json> Client::update(const ApiResource& r, const std::string& ns, const json& obj, DryRun dry) {
  const std::string name = obj.value("metadata", json::object()).value("name", "");
  return json_call(request("PUT", with_dry_run(r.path(ns, name), dry), obj.dump(), "application/json"));
}

Result<json> Client::patch(const ApiResource& r, const std::string& ns, const std::string& name, PatchKind kind,
                           const json& body, DryRun dry, bool status) {
  static const char* types[] = {"application/merge-patch+json", "application/json-patch+json",
                                "application/strategic-merge-patch+json"};
  std::string p = r.path(ns, name) + (status ? "/status" : "");
  return json_call(request("PATCH", with_dry_run(p, dry), body.dump(), types[static_cast<int>(kind)]));
}

Result<json> Client::patch_if_unchanged(const ApiResource& r, const std::string& ns, const std::string& name,
                                        const std::string& resource_version, const json& operations, DryRun dry) {
  json ops = json::array({{{"op", "test"}, {"path", "/metadata/resourceVersion"}, {"value", resource_version}}});
  for (const auto& op : operations) ops.push_back(op);
  auto result = patch(r, ns, name, PatchKind::json, ops, dry);
  if (!result.ok() && result.error().code == 422) {
    Error e = result.error();
    e.kind = ErrorKind::conflict;
    e.message = r.plural + " \"" + name + "\" changed since resourceVersion " + resource_version + ": " + e.message;
    return e;
  }
  return result;
}

Result<json> Client::remove(const ApiResource& r, const std::string& ns, const std::string& name, DryRun dry) {
  return json_call(request("DELETE", with_dry_run(r.path(ns, name), dry)));
}

}  // namespace rollout::k8s
