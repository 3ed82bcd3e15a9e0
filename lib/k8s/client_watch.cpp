// Client::watch: a reflector in miniature. Lists (when no resourceVersion is given), then streams
// watch events; a dropped stream resumes from the last resourceVersion seen, and "410 Gone"
// re-lists and reports what changed meanwhile, so callers never miss a final state.
#include <map>

#include "k8s/client.hpp"

namespace rollout::k8s {

using nlohmann::json;

namespace {

std::string key_of(const json& obj) {
  const auto& m = obj.value("metadata", json::object());
  return m.value("namespace", "") + "/" + m.value("name", "");
}

std::string rv_of(const json& obj) {
  return obj.value("metadata", json::object()).value("resourceVersion", "");
}

// What the caller has been told about each object, to report differences after a re-list.
using Known = std::map<std::string, std::string>;  // key -> resourceVersion

}  // namespace

Status Client::watch(const ApiResource& r, const std::string& ns, const WatchOptions& options,
                     const std::function<bool(const WatchEvent&)>& on_event) {
  Known known;
  std::string rv = options.resource_version;
  bool stop = false;
  auto deliver = [&](const std::string& type, const json& obj) {
    if (type == "DELETED")
      known.erase(key_of(obj));
    else
      known[key_of(obj)] = rv_of(obj);
    if (!on_event({type, obj})) stop = true;
    return !stop;
  };
  // List and report the difference to what the caller knows.
  auto relist = [&]() -> Status {
    std::string p = r.path(ns);
    if (!options.label_selector.empty()) p += "?labelSelector=" + url_encode(options.label_selector);
    auto list = json_call([&] {
      HttpCall c;
      c.path = p;
      if (!options.field_selector.empty())
        c.path += std::string(p.find('?') == std::string::npos ? "?" : "&") +
                  "fieldSelector=" + url_encode(options.field_selector);
      return c;
    }());
    if (!list.ok()) return list.error();
    Known seen;
    for (const auto& item : list->value("items", json::array())) {
      const std::string k = key_of(item);
      seen[k] = rv_of(item);
      auto it = known.find(k);
      if (it == known.end()) {
        if (!deliver("ADDED", item)) return ok_status();
      } else if (it->second != rv_of(item)) {
        if (!deliver("MODIFIED", item)) return ok_status();
      }
    }
    for (auto it = known.begin(); it != known.end();) {
      if (seen.count(it->first)) {
        ++it;
        continue;
      }
      json gone = {{"metadata",
                    {{"name", it->first.substr(it->first.find('/') + 1)},
                     {"namespace", it->first.substr(0, it->first.find('/'))}}}};
      it = known.erase(it);
      if (!on_event({"DELETED", gone})) {
        stop = true;
        return ok_status();
      }
    }
    rv = list->value("metadata", json::object()).value("resourceVersion", "");
    return ok_status();
  };
  if (rv.empty()) {
    if (auto s = relist(); !s.ok()) return s;
  }
  int failures = 0;
  while (!stop) {
    if (options.should_stop && options.should_stop()) return ok_status();
    HttpCall c;
    c.path = r.path(ns) + "?watch=true&allowWatchBookmarks=true&resourceVersion=" + url_encode(rv) +
             "&timeoutSeconds=" + std::to_string(options.timeout_seconds);
    if (!options.label_selector.empty()) c.path += "&labelSelector=" + url_encode(options.label_selector);
    if (!options.field_selector.empty()) c.path += "&fieldSelector=" + url_encode(options.field_selector);
    c.timeout = std::chrono::milliseconds(0);
    std::string buffer;
    bool gone = false;
    std::string stream_error;
    ++stats_.requests;
    auto status = transport_->stream(c, [&](std::string_view chunk) {
      if (options.should_stop && options.should_stop()) return false;
      buffer.append(chunk);
      for (size_t nl; (nl = buffer.find('\n')) != std::string::npos;) {
        json ev = json::parse(buffer.substr(0, nl), nullptr, false);
        buffer.erase(0, nl + 1);
        if (!ev.is_object()) continue;
        const std::string type = ev.value("type", "");
        const json& obj = ev["object"];
        if (type == "ERROR") {
          gone = obj.value("code", 0) == 410;
          stream_error = obj.value("message", "watch error");
          return false;
        }
        if (!rv_of(obj).empty()) rv = rv_of(obj);
        if (type == "BOOKMARK") continue;
        if (!deliver(type, obj)) return false;
      }
      return true;
    });
    if (stop) return ok_status();
    if (status.ok() && (*status == 410 || gone)) {
      ++stats_.relists;
      if (auto s = relist(); !s.ok()) return s;
      failures = 0;
      continue;
    }
    if (status.ok() && *status == 200 && stream_error.empty()) {
      ++stats_.watch_resumes;  // the server closed the stream (timeout or dropped): resume
      failures = 0;
      continue;
    }
    if (status.ok() && !retryable_status(*status)) return error_from_status(*status, buffer, "watch " + r.path(ns));
    if (++failures >= retry_.max_attempts)
      return status.ok() ? error_from_status(*status, buffer, "watch " + r.path(ns)) : status.error();
    ++stats_.retries;
    sleep_(retry_.base * (1 << std::min(failures, 5)));
  }
  return ok_status();
}

}  // namespace rollout::k8s
