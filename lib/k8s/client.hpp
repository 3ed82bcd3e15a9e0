// A Kubernetes API client: discovery (kind -> resource path, cached), get/list/create/update/
// patch/delete with dryRun, optimistic concurrency, watch with resume and re-list, and retries
// with capped exponential backoff and jitter for 429 (honouring Retry-After), 5xx and lost
// connections. Errors carry the API's Status: code, reason and message. One Client may be used
// from many threads at once: the discovery cache is locked, counters are atomic, and the
// transport is thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "k8s/transport.hpp"
#include "util/duration.hpp"
#include "util/result.hpp"

namespace rollout::k8s {

// A resource as discovery describes it.
struct ApiResource {
  std::string group, version, kind, plural;
  bool namespaced = true;
  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  // "/apis/GROUP/VERSION/namespaces/NS/PLURAL[/NAME]"
  std::string path(const std::string& ns, const std::string& name = "") const;
};

enum class PatchKind { merge, json, strategic };
enum class DryRun { none, server };

struct RetryPolicy {
  int max_attempts = 6;
  Duration base{200};
  Duration cap{5000};
};

struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED
  nlohmann::json object;
};

struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  std::string resource_version;       // empty: list first and report every object as ADDED
  int timeout_seconds = 300;          // server-side length of one watch request; it is resumed after
  std::function<bool()> should_stop;  // polled about once a second while idle
};

// Counters safe to read while other threads use the client (a Client may serve many threads).
struct ClientStats {
  std::atomic<int> requests{0};  // HTTP requests sent: every attempt, watch stream and send_once
  std::atomic<int> retries{0};
  std::atomic<int> watch_resumes{0};
  std::atomic<int> relists{0};
};

class Client {
 public:
  using Sleeper = std::function<void(Duration)>;
  Client(std::unique_ptr<Transport> transport, std::string default_namespace, RetryPolicy retry = {},
         Sleeper sleep = {});

  const std::string& default_namespace() const { return namespace_; }
  const ClientStats& stats() const { return stats_; }

  // Discovery: where objects of `kind` in `api_version` live. Cached; refreshed once on a miss.
  Result<ApiResource> resource(const std::string& api_version, const std::string& kind);
  // Discovery: does the API server serve `kind` in `api_version`? false (not an error) when the
  // group version (GET /apis) or the kind (GET /apis/GROUP/VERSION) is not there, as on a cluster
  // without that CRD. Both answers are cached for the client's life (one run).
  Result<bool> serves(const std::string& api_version, const std::string& kind);
  // Discovery: the versions of `group` the API server serves (GET /apis, read once per client,
  // i.e. once per run); empty when the group is not installed.
  Result<std::vector<std::string>> group_versions(const std::string& group);

  Result<nlohmann::json> get(const ApiResource& r, const std::string& ns, const std::string& name);
  Result<nlohmann::json> list(const ApiResource& r, const std::string& ns, const std::string& label_selector = "");
  Result<nlohmann::json> create(const ApiResource& r, const std::string& ns, const nlohmann::json& obj,
                                DryRun dry = DryRun::none);
  // PUT; the object's metadata.resourceVersion makes it conditional (409 Conflict if stale).
  Result<nlohmann::json> update(const ApiResource& r, const std::string& ns, const nlohmann::json& obj,
                                DryRun dry = DryRun::none);
  Result<nlohmann::json> patch(const ApiResource& r, const std::string& ns, const std::string& name, PatchKind kind,
                               const nlohmann::json& body, DryRun dry = DryRun::none, bool status = false);
  // A JSON patch that applies only if the object is still at `resource_version` (a leading `test`
  // operation); a changed object is ErrorKind::conflict.
  Result<nlohmann::json> patch_if_unchanged(const ApiResource& r, const std::string& ns, const std::string& name,
                                            const std::string& resource_version, const nlohmann::json& operations,
                                            DryRun dry = DryRun::none);
  Result<nlohmann::json> remove(const ApiResource& r, const std::string& ns, const std::string& name,
                                DryRun dry = DryRun::none);

  // Calls `on_event` for every change until it returns false or should_stop says so. Dropped
  // streams resume from the last resourceVersion; "410 Gone" re-lists and reports the difference.
  Status watch(const ApiResource& r, const std::string& ns, const WatchOptions& options,
               const std::function<bool(const WatchEvent&)>& on_event);

  // One request as given, without retries: for paths that are not objects, such as the pod
  // proxy (".../pods/NAME:PORT/proxy/health"), whose 5xx answers are the model server's own.
  Result<HttpResult> send_once(const HttpCall& call) {
    ++stats_.requests;
    return transport_->send(call);
  }
  // A request through the API server's proxy (".../pods/NAME:PORT/proxy/..."): what the pod answers
  // passes through unchanged, whatever its status, but the API server's own refusals (a 429 or a
  // 500 whose body is a metav1.Status) say nothing about the pod and are retried as any API call.
  // When they persist, the error carries their code (ErrorKind::unavailable).
  Result<HttpResult> send_proxied(const HttpCall& call);

 private:
  Result<HttpResult> call(HttpCall call);
  Result<nlohmann::json> json_call(HttpCall call);
  Result<std::vector<ApiResource>> discover(const std::string& api_version);

  std::unique_ptr<Transport> transport_;
  std::string namespace_;
  RetryPolicy retry_;
  Sleeper sleep_;
  ClientStats stats_;
  std::mutex cache_mu_;
  std::map<std::string, std::vector<ApiResource>> discovery_;
  std::optional<std::map<std::string, std::vector<std::string>>> groups_;  // GET /apis, once
};

// The error for a non-2xx answer, from its metav1.Status body when there is one.
Error error_from_status(long code, const std::string& body, const std::string& what);

// 429 and the 5xx answers worth retrying.
bool retryable_status(long status);

// Percent-encodes a query parameter value.
std::string url_encode(const std::string& value);

}  // namespace rollout::k8s
