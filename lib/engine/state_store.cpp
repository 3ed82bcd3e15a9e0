#include "engine/state_store.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <random>

#include "util/timestamp.hpp"

namespace rollout::engine {

using nlohmann::json;

namespace {

constexpr const char* kHolder = "rollout.dev/lock-holder";
constexpr const char* kHost = "rollout.dev/lock-host";
constexpr const char* kPid = "rollout.dev/lock-pid";
constexpr const char* kSince = "rollout.dev/lock-since";
constexpr const char* kRenewed = "rollout.dev/lock-renewed";


json parse_data(const json& data, const char* key, json fallback) {
  if (!data.contains(key) || !data[key].is_string()) return fallback;
  json j = json::parse(data[key].get<std::string>(), nullptr, false);
  return j.is_discarded() ? fallback : j;
}

json lock_annotations(const LockHolder* h) {
  if (!h) return {{kHolder, nullptr}, {kHost, nullptr}, {kPid, nullptr}, {kSince, nullptr}, {kRenewed, nullptr}};
  return {{kHolder, h->id},
          {kHost, h->host},
          {kPid, std::to_string(h->pid)},
          {kSince, h->since},
          {kRenewed, h->renewed}};
}

Error conflict_error(const std::string& what) { return make_error(ErrorKind::conflict, what); }

}  // namespace

std::string LockHolder::describe() const {
  return "pid " + std::to_string(pid) + " on " + host + " since " + since;
}

LockHolder this_process_holder(Clock& clock) {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  LockHolder h;
  h.id = std::to_string(rng());
  h.host = host;
  h.pid = static_cast<int>(getpid());
  h.since = format_rfc3339(clock.wall());
  h.renewed = h.since;
  return h;
}

StateSnapshot decode_state_config_map(const json& cm) {
  StateSnapshot s;
  s.exists = true;
  s.resource_version = cm["metadata"].value("resourceVersion", "");
  const json data = cm.value("data", json::object());
  json state = parse_data(data, "state.json", nullptr);
  if (!state.is_null()) {
    auto decoded = state_from_json(state);
    if (decoded.ok()) s.state = std::move(*decoded);
  }
  s.control = control_from_json(parse_data(data, "control.json", json::object()));
  const json history = parse_data(data, "history.json", json::array());
  if (history.is_array())
    for (const auto& r : history) s.history.push_back(run_record_from_json(r));
  const json ann = cm["metadata"].value("annotations", json::object());
  if (ann.contains(kHolder) && ann[kHolder].is_string() && !ann[kHolder].get<std::string>().empty()) {
    LockHolder h;
    h.id = ann.value(kHolder, "");
    h.host = ann.value(kHost, "");
    h.pid = std::atoi(ann.value(kPid, "0").c_str());
    h.since = ann.value(kSince, "");
    h.renewed = ann.value(kRenewed, "");
    s.lock = h;
  }
  return s;
}

void trim_measurements(RolloutState& state) {
  constexpr size_t kMaxMeasurements = 200;
  if (state.measurements.size() > kMaxMeasurements)
    state.measurements.erase(state.measurements.begin(),
                             state.measurements.end() - static_cast<long>(kMaxMeasurements));
}

ConfigMapStore::ConfigMapStore(k8s::Client& client, std::string ns, std::string rollout_name, Clock& clock,
                               Duration lease)
    : client_(client), ns_(std::move(ns)), name_(std::move(rollout_name)), config_map_("rollout-" + name_),
      clock_(clock), lease_(lease) {}

std::string ConfigMapStore::now() const { return format_rfc3339(clock_.wall()); }

Result<k8s::ApiResource> ConfigMapStore::resource() { return client_.resource("v1", "ConfigMap"); }

Result<StateSnapshot> ConfigMapStore::read() {
  auto r = resource();
  if (!r.ok()) return r.error();
  auto cm = client_.get(*r, ns_, config_map_);
  if (!cm.ok()) {
    if (cm.error().kind == ErrorKind::not_found) return StateSnapshot{};
    return cm.error();
  }
  return decode_state_config_map(*cm);
}

bool ConfigMapStore::stale(const LockHolder& holder) const {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  if (holder.host == host && holder.pid > 0 && kill(holder.pid, 0) != 0 && errno == ESRCH) return true;
  auto renewed = parse_rfc3339(holder.renewed);
  if (!renewed.ok()) return true;
  return clock_.wall() - *renewed > lease_;
}

Status ConfigMapStore::acquire(const LockHolder& me) {
  auto r = resource();
  if (!r.ok()) return r.error();
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto cm = client_.get(*r, ns_, config_map_);
    if (!cm.ok() && cm.error().kind != ErrorKind::not_found) return cm.error();
    if (!cm.ok()) {
      json obj = {{"apiVersion", "v1"},
                  {"kind", "ConfigMap"},
                  {"metadata",
                   {{"name", config_map_},
                    {"namespace", ns_},
                    {"labels", {{"app.kubernetes.io/managed-by", "rollout"}, {"rollout.dev/name", name_}}},
                    {"annotations", lock_annotations(&me)}}},
                  {"data", json::object()}};
      auto created = client_.create(*r, ns_, obj);
      if (created.ok()) return ok_status();
      if (created.error().code == 409) continue;  // someone else created it first: look again
      return created.error();
    }
    const StateSnapshot snap = decode_state_config_map(*cm);
    if (snap.lock && snap.lock->id != me.id && !stale(*snap.lock))
      return make_error(ErrorKind::locked, "rollout " + name_ + " is being applied by " + snap.lock->describe() +
                                               " (lock in ConfigMap " + ns_ + "/" + config_map_ +
                                               "); wait for it, or use `rollout abort " + name_ + "`");
    json obj = *cm;
    obj["metadata"]["annotations"] = obj["metadata"].value("annotations", json::object());
    const json mine = lock_annotations(&me);
    obj["metadata"]["annotations"].update(mine);
    auto updated = client_.update(*r, ns_, obj);
    if (updated.ok()) return ok_status();
    if (updated.error().kind != ErrorKind::conflict) return updated.error();
  }
  return make_error(ErrorKind::locked, "rollout " + name_ + ": could not take the lock in ConfigMap " +
                                           config_map_ + " (it kept changing)");
}

Status ConfigMapStore::release(const LockHolder& me) {
  auto r = resource();
  if (!r.ok()) return r.error();
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto cm = client_.get(*r, ns_, config_map_);
    if (!cm.ok()) return cm.error().kind == ErrorKind::not_found ? ok_status() : Status(cm.error());
    const StateSnapshot snap = decode_state_config_map(*cm);
    if (!snap.lock || snap.lock->id != me.id) return ok_status();
    json obj = *cm;
    for (const auto& k : {kHolder, kHost, kPid, kSince, kRenewed}) obj["metadata"]["annotations"].erase(k);
    auto updated = client_.update(*r, ns_, obj);
    if (updated.ok() || updated.error().kind != ErrorKind::conflict) return updated.ok() ? ok_status() : updated.error();
  }
  return conflict_error("could not release the lock of rollout " + name_);
}

Status ConfigMapStore::save(RolloutState& state, const LockHolder& me) {
  auto r = resource();
  if (!r.ok()) return r.error();
  state.updated_at = now();
  trim_measurements(state);
  // Only while the lock is still ours: a run that could not renew its lease in time may have been
  // taken over, and must then stop rather than write over the new holder's state. The `test`
  // operation makes the API server refuse the patch (422) unless the holder is still `me`.
  auto pointer = [](std::string key) {
    for (size_t at = key.find('/'); at != std::string::npos; at = key.find('/', at + 2)) key.replace(at, 1, "~1");
    return key;
  };
  const json ops = json::array(
      {{{"op", "test"}, {"path", "/metadata/annotations/" + pointer(kHolder)}, {"value", me.id}},
       {{"op", "add"}, {"path", "/metadata/annotations/" + pointer(kRenewed)}, {"value", now()}},
       {{"op", "add"}, {"path", "/metadata/labels/" + pointer("rollout.dev/phase")}, {"value", to_string(state.phase)}},
       {{"op", "add"}, {"path", "/data/state.json"}, {"value", to_json(state).dump()}}});
  auto p = client_.patch(*r, ns_, config_map_, k8s::PatchKind::json, ops);
  if (p.ok()) return ok_status();
  if (p.error().code != 422) return p.error();
  auto cm = client_.get(*r, ns_, config_map_);
  const std::string holder =
      cm.ok() && decode_state_config_map(*cm).lock ? decode_state_config_map(*cm).lock->describe() : "nobody";
  return make_error(ErrorKind::locked, "rollout " + name_ + ": the lock in ConfigMap " + ns_ + "/" + config_map_ +
                                           " is no longer this apply's (held by " + holder + "); stopping");
}

Status ConfigMapStore::append_history(const RunRecord& record) {
  auto r = resource();
  if (!r.ok()) return r.error();
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto cm = client_.get(*r, ns_, config_map_);
    if (!cm.ok()) return cm.error();
    json obj = *cm;
    json history = parse_data(obj.value("data", json::object()), "history.json", json::array());
    // A run's record once: a run stopped after recording it records it again when resumed.
    for (auto it = history.begin(); it != history.end();)
      it = it->is_object() && it->value("runId", "") == record.run_id ? history.erase(it) : it + 1;
    history.push_back(to_json(record));
    constexpr size_t kMaxRuns = 50;
    while (history.size() > kMaxRuns) history.erase(history.begin());
    obj["data"]["history.json"] = history.dump();
    auto updated = client_.update(*r, ns_, obj);
    if (updated.ok()) return ok_status();
    if (updated.error().kind != ErrorKind::conflict) return updated.error();
  }
  return conflict_error("could not record the run in ConfigMap " + config_map_);
}

// The state and the requests share one ConfigMap, so the update is guarded by the resourceVersion
// of the read that `change` judged: a request accepted for a running rollout cannot land on one
// that ended in between.
Status ConfigMapStore::update_control(const ControlChange& change) {
  auto r = resource();
  if (!r.ok()) return r.error();
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto cm = client_.get(*r, ns_, config_map_);
    if (!cm.ok()) return cm.error();
    json obj = *cm;
    ControlRequests c = control_from_json(parse_data(obj.value("data", json::object()), "control.json", {}));
    if (auto s = change(decode_state_config_map(obj).state, c); !s.ok()) return s;
    obj["data"]["control.json"] = to_json(c).dump();
    auto updated = client_.update(*r, ns_, obj);
    if (updated.ok()) return ok_status();
    if (updated.error().kind != ErrorKind::conflict) return updated.error();
  }
  return conflict_error("could not write the request to ConfigMap " + config_map_ + ": it kept changing");
}

Status ConfigMapStore::watch(const std::function<bool()>& should_stop,
                         const std::function<void(const StateSnapshot&)>& on_change) {
  auto r = resource();
  if (!r.ok()) return r.error();
  k8s::WatchOptions options;
  options.field_selector = "metadata.name=" + config_map_;
  options.should_stop = should_stop;
  options.timeout_seconds = 60;
  return client_.watch(*r, ns_, options, [&](const k8s::WatchEvent& e) {
    if (e.type != "DELETED") on_change(decode_state_config_map(e.object));
    return !should_stop();
  });
}

}  // namespace rollout::engine
