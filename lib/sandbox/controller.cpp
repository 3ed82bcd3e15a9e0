#include "sandbox/controller.hpp"

#include <ctime>

namespace rollout::sandbox {

using nlohmann::json;

std::vector<json> ControllerContext::all(const std::string& api_version, const std::string& kind) const {
  auto t = types.find_kind(api_version, kind);
  if (!t) return {};
  auto list = store.list(*t, "", {});
  if (!list.ok()) return {};
  return (*list)["items"].get<std::vector<json>>();
}

std::optional<ResourceType> ControllerContext::type(const std::string& api_version, const std::string& kind) const {
  return types.find_kind(api_version, kind);
}

std::string ControllerContext::timestamp() const {
  std::time_t t = std::chrono::system_clock::to_time_t(now());
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

namespace {

// Keeps lastTransitionTime of conditions whose status did not change.
void keep_transition_times(json& status, const json& old) {
  for (auto& [key, value] : status.items()) {
    if (key == "conditions" && value.is_array() && old.contains("conditions")) {
      for (auto& c : value)
        for (const auto& o : old["conditions"])
          if (o.value("type", "") == c.value("type", "") && o.value("status", "") == c.value("status", ""))
            c["lastTransitionTime"] = o.value("lastTransitionTime", c.value("lastTransitionTime", ""));
    } else if (value.is_array() && old.contains(key) && old[key].is_array()) {
      for (size_t i = 0; i < value.size() && i < old[key].size(); ++i)
        if (value[i].is_object() && old[key][i].is_object()) keep_transition_times(value[i], old[key][i]);
    } else if (value.is_object() && old.contains(key) && old[key].is_object()) {
      keep_transition_times(value, old[key]);
    }
  }
}

}  // namespace

void ControllerContext::set_status(const json& obj, json status) const {
  auto t = types.find_kind(obj.value("apiVersion", ""), obj.value("kind", ""));
  if (!t) return;
  const json old = obj.value("status", json::object());
  keep_transition_times(status, old);
  if (status == old) return;
  json updated = obj;
  updated["status"] = status;
  updated["metadata"].erase("resourceVersion");  // last writer wins: controllers own status
  WriteOptions o;
  o.status = t->status_subresource;
  (void)store.update(*t, obj["metadata"].value("namespace", ""), obj["metadata"]["name"], updated, o);
}

json condition(const std::string& type, bool status, const std::string& reason, const std::string& message,
               int64_t observed_generation, const std::string& now) {
  return {{"type", type},       {"status", status ? "True" : "False"},       {"reason", reason},
          {"message", message}, {"observedGeneration", observed_generation}, {"lastTransitionTime", now}};
}

ControllerManager::ControllerManager(ObjectStore& store, TypeRegistry& types, Clock now)
    : ctx_{store, types, now ? now : [] { return std::chrono::system_clock::now(); }, StoreChanges{}} {}

ControllerManager::~ControllerManager() {
  stop();
}

void ControllerManager::add(std::unique_ptr<Controller> c) {
  controllers_.push_back(std::move(c));
}

void ControllerManager::run_once() {
  auto changes = first_ ? std::nullopt : ctx_.store.changes_after(seen_);
  if (!changes || first_) seen_ = ctx_.store.resource_version();  // before reading everything: nothing is missed
  ctx_.changed.everything = !changes.has_value();
  ctx_.changed.changes = changes ? std::move(*changes) : std::vector<ObjectChange>{};
  if (!ctx_.changed.changes.empty()) seen_ = ctx_.changed.changes.back().resource_version;
  first_ = false;
  for (auto& c : controllers_) c->reconcile(ctx_);
}

void ControllerManager::start(std::chrono::milliseconds period) {
  running_ = true;
  // A pass runs soon after any write (what level triggers are for: a route is Accepted at its new
  // generation within milliseconds) and at least every `period` for what time drives (pod
  // startup, rollouts). Checking the resourceVersion every 10 ms is a shared lock and a read.
  thread_ = std::thread([this, period] {
    const auto check = std::chrono::milliseconds(10);
    while (running_) {
      run_once();
      const uint64_t after = ctx_.store.resource_version();
      const auto deadline = std::chrono::steady_clock::now() + period;
      do {
        std::this_thread::sleep_for(check);
      } while (running_ && ctx_.store.resource_version() == after && std::chrono::steady_clock::now() < deadline);
    }
  });
}

void ControllerManager::stop() {
  running_ = false;
  if (thread_.joinable()) thread_.join();
}

}  // namespace rollout::sandbox
