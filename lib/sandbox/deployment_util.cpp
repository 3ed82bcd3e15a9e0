#include "sandbox/deployment_util.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "sandbox/selector.hpp"

namespace rollout::sandbox::deploy {

namespace {

json object_at(const json& o, const char* key) {
  if (!o.is_object()) return json::object();
  auto it = o.find(key);
  return it != o.end() && it->is_object() ? *it : json::object();
}

json rolling_update(const json& d) {
  return object_at(object_at(object_at(d, "spec"), "strategy"), "rollingUpdate");
}

std::string created(const json& rs) {
  return object_at(rs, "metadata").value("creationTimestamp", "");
}

// ReplicaSetsByCreationTimestamp.Less (controller_utils.go).
bool older(const json& a, const json& b) {
  return created(a) == created(b) ? name_of(a) < name_of(b) : created(a) < created(b);
}

}  // namespace

int spec_replicas(const json& obj) {
  const json spec = object_at(obj, "spec");
  auto it = spec.find("replicas");
  return it != spec.end() && it->is_number_integer() ? it->get<int>() : 1;
}

int status_int(const json& obj, const char* key) {
  const json status = object_at(obj, "status");
  auto it = status.find(key);
  return it != status.end() && it->is_number_integer() ? it->get<int>() : 0;
}

std::string name_of(const json& obj) {
  return object_at(obj, "metadata").value("name", "");
}
std::string uid_of(const json& obj) {
  return object_at(obj, "metadata").value("uid", "");
}

std::string annotation(const json& obj, const std::string& key) {
  const json a = object_at(object_at(obj, "metadata"), "annotations");
  auto it = a.find(key);
  return it != a.end() && it->is_string() ? it->get<std::string>() : "";
}

bool is_rolling_update(const json& d) {
  return object_at(object_at(d, "spec"), "strategy").value("type", "RollingUpdate") == "RollingUpdate";
}

bool paused(const json& d) {
  return object_at(d, "spec").value("paused", false);
}

int int_or_percent(const json& v, int total, bool round_up) {
  if (v.is_number_integer()) return v.get<int>();
  if (!v.is_string()) return 0;
  const std::string s = v.get<std::string>();
  if (s.empty() || s.back() != '%') return std::atoi(s.c_str());
  const double x = std::atof(s.c_str()) * total / 100.0;
  return static_cast<int>(round_up ? std::ceil(x) : std::floor(x));
}

std::pair<int, int> resolve_fenceposts(const json& max_surge, const json& max_unavailable, int desired) {
  const int surge = int_or_percent(max_surge.is_null() ? json(0) : max_surge, desired, true);
  int unavailable = int_or_percent(max_unavailable.is_null() ? json(0) : max_unavailable, desired, false);
  // Both resolving to zero (percentages rounded down) would block the rollout: 1 then.
  if (surge == 0 && unavailable == 0) unavailable = 1;
  return {surge, unavailable};
}

int max_surge(const json& d) {
  if (!is_rolling_update(d)) return 0;
  const json ru = rolling_update(d);
  return resolve_fenceposts(ru.value("maxSurge", json()), ru.value("maxUnavailable", json()), spec_replicas(d)).first;
}

int max_unavailable(const json& d) {
  if (!is_rolling_update(d) || spec_replicas(d) == 0) return 0;
  const json ru = rolling_update(d);
  const int u =
      resolve_fenceposts(ru.value("maxSurge", json()), ru.value("maxUnavailable", json()), spec_replicas(d)).second;
  return std::min(u, spec_replicas(d));
}

namespace {

// What decoding into Go structs makes of JSON: null, {} and [] are the zero values of pointers,
// structs, maps and slices, equal to an absent field under apiequality.Semantic.DeepEqual (kubectl
// sends `creationTimestamp: null` and `resources: {}` in the templates it writes, e.g. on undo).
json without_zero_values(const json& v) {
  if (v.is_object()) {
    json out = json::object();
    for (const auto& [k, x] : v.items()) {
      json c = without_zero_values(x);
      if (!c.is_null() && !(c.is_object() && c.empty()) && !(c.is_array() && c.empty()) &&
          !(c.is_string() && c.get<std::string>().empty()))
        out[k] = std::move(c);
    }
    return out;
  }
  if (v.is_array()) {
    json out = json::array();
    for (const auto& x : v) out.push_back(without_zero_values(x));
    return out;
  }
  return v;
}

}  // namespace

bool equal_ignore_hash(const json& t1, const json& t2) {
  auto strip = [](json t) {
    if (t.is_object() && t.contains("metadata") && t["metadata"].is_object() && t["metadata"].contains("labels") &&
        t["metadata"]["labels"].is_object())
      t["metadata"]["labels"].erase(kHashLabel);
    return without_zero_values(t);
  };
  return strip(t1) == strip(t2);
}

std::string compute_hash(const json& pod_template, std::optional<int> collision_count) {
  uint32_t h = 2166136261u;  // FNV-32a
  auto add = [&h](unsigned char c) { h = (h ^ c) * 16777619u; };
  for (char c : pod_template.dump()) add(static_cast<unsigned char>(c));
  if (collision_count) {
    const uint32_t n = static_cast<uint32_t>(*collision_count);
    for (int i = 0; i < 8; ++i) add(i < 4 ? static_cast<unsigned char>(n >> (8 * i)) : 0);  // 8 bytes, LE
  }
  // rand.SafeEncodeString over the decimal digits: no vowels, no look-alikes.
  const char* alphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (char c : std::to_string(h)) out += alphabet[static_cast<unsigned char>(c) % 27];
  return out;
}

void sort_by_creation(RSList& rss) {
  std::stable_sort(rss.begin(), rss.end(), older);
}

void sort_by_size_older(RSList& rss) {
  std::stable_sort(rss.begin(), rss.end(), [](const json& a, const json& b) {
    if (spec_replicas(a) == spec_replicas(b)) return older(a, b);
    return spec_replicas(a) > spec_replicas(b);
  });
}

void sort_by_size_newer(RSList& rss) {
  std::stable_sort(rss.begin(), rss.end(), [](const json& a, const json& b) {
    if (spec_replicas(a) == spec_replicas(b)) return older(b, a);
    return spec_replicas(a) > spec_replicas(b);
  });
}

RSList filter_active(const RSList& rss) {
  RSList out;
  for (const auto& rs : rss)
    if (spec_replicas(rs) > 0) out.push_back(rs);
  return out;
}

std::optional<json> find_new_replica_set(const json& d, RSList rss) {
  sort_by_creation(rss);
  const json tmpl = object_at(object_at(d, "spec"), "template");
  for (const auto& rs : rss)  // the oldest of several equal ones (kubernetes#40415)
    if (equal_ignore_hash(object_at(object_at(rs, "spec"), "template"), tmpl)) return rs;
  return std::nullopt;
}

std::pair<RSList, RSList> find_old_replica_sets(const json& d, const RSList& rss) {
  const auto new_rs = find_new_replica_set(d, rss);
  RSList required, all;
  for (const auto& rs : rss) {
    if (new_rs && uid_of(rs) == uid_of(*new_rs)) continue;
    all.push_back(rs);
    if (spec_replicas(rs) != 0) required.push_back(rs);
  }
  return {required, all};
}

int replica_count(const RSList& rss) {
  int n = 0;
  for (const auto& rs : rss) n += spec_replicas(rs);
  return n;
}
int actual_count(const RSList& rss) {
  int n = 0;
  for (const auto& rs : rss) n += status_int(rs, "replicas");
  return n;
}
int ready_count(const RSList& rss) {
  int n = 0;
  for (const auto& rs : rss) n += status_int(rs, "readyReplicas");
  return n;
}
int available_count(const RSList& rss) {
  int n = 0;
  for (const auto& rs : rss) n += status_int(rs, "availableReplicas");
  return n;
}

int new_rs_new_replicas(const json& d, const RSList& all, const json& new_rs) {
  if (!is_rolling_update(d)) return spec_replicas(d);  // Recreate
  const int surge = int_or_percent(rolling_update(d).value("maxSurge", json(0)), spec_replicas(d), true);
  const int current = replica_count(all);
  const int max_total = spec_replicas(d) + surge;
  if (current >= max_total) return spec_replicas(new_rs);  // cannot scale up
  const int up = std::min(max_total - current, spec_replicas(d) - spec_replicas(new_rs));
  return spec_replicas(new_rs) + up;
}

bool is_saturated(const json& d, const std::optional<json>& rs) {
  if (!rs) return false;
  const std::string desired = annotation(*rs, kDesiredReplicas);
  if (desired.empty() || desired.find_first_not_of("-0123456789") != std::string::npos) return false;
  return spec_replicas(*rs) == spec_replicas(d) && std::atoi(desired.c_str()) == spec_replicas(d) &&
         status_int(*rs, "availableReplicas") == spec_replicas(d);
}

std::optional<json> find_active_or_latest(const std::optional<json>& new_rs, RSList old) {
  if (!new_rs && old.empty()) return std::nullopt;
  std::stable_sort(old.begin(), old.end(), [](const json& a, const json& b) { return older(b, a); });
  RSList all = old;
  if (new_rs) all.push_back(*new_rs);
  const RSList active = filter_active(all);
  if (active.empty()) return new_rs ? *new_rs : old.front();  // no active one: the newest
  if (active.size() == 1) return active.front();
  return std::nullopt;
}

namespace {

// getReplicaSetFraction: this ReplicaSet's share of the change, from its max-replicas annotation.
int replica_set_fraction(const json& rs, const json& d) {
  if (spec_replicas(d) == 0) return -spec_replicas(rs);  // scaling to zero: all of it
  const int deployment_replicas = spec_replicas(d) + max_surge(d);
  int annotated = status_int(d, "replicas");  // no annotation: the Deployment's current size
  const std::string a = annotation(rs, kMaxReplicas);
  if (!a.empty() && a.find_first_not_of("0123456789") == std::string::npos) annotated = std::atoi(a.c_str());
  if (annotated == 0) return 0;  // never scale proportionally from zero (Go would divide by zero)
  const double size = static_cast<double>(spec_replicas(rs)) * deployment_replicas / annotated;
  return static_cast<int>(std::lround(size)) - spec_replicas(rs);  // integer.RoundToInt32
}

}  // namespace

int get_proportion(const json& rs, const json& d, int to_add, int added) {
  if (spec_replicas(rs) == 0 || to_add == 0 || to_add == added) return 0;
  const int fraction = replica_set_fraction(rs, d);
  const int allowed = to_add - added;
  // Never past what may still be added (scaling up) or removed (scaling down).
  return to_add > 0 ? std::min(fraction, allowed) : std::max(fraction, allowed);
}

int64_t revision_of(const json& rs) {
  const std::string v = annotation(rs, kRevision);
  if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stoll(v);
}

int64_t max_revision(const RSList& rss) {
  int64_t m = 0;
  for (const auto& rs : rss) m = std::max(m, revision_of(rs));
  return m;
}

namespace {

// annotationsToSkip: what a Deployment's annotations never pass on to its ReplicaSets.
bool skip_copy(const std::string& key) {
  static const std::set<std::string> skip = {"kubectl.kubernetes.io/last-applied-configuration",
                                             kRevision,
                                             kRevisionHistory,
                                             kDesiredReplicas,
                                             kMaxReplicas,
                                             "deprecated.deployment.rollback.to"};
  return skip.count(key) > 0;
}

// copyDeploymentAnnotationsToReplicaSet.
bool copy_annotations(const json& d, json& rs) {
  bool changed = false;
  json& ann = rs["metadata"]["annotations"];
  if (!ann.is_object()) ann = json::object();
  const json from = object_at(object_at(d, "metadata"), "annotations");
  for (const auto& [k, v] : from.items()) {
    if (skip_copy(k) || (ann.contains(k) && ann[k] == v)) continue;
    ann[k] = v;
    changed = true;
  }
  return changed;
}

// The revision-history annotation with `old_revision` appended, oldest entries dropped past the limit.
std::optional<std::string> appended_history(const std::string& history, const std::string& old_revision) {
  if (history.empty()) return old_revision;
  std::vector<std::string> revs;
  for (size_t b = 0;;) {
    size_t e = history.find(',', b);
    revs.push_back(history.substr(b, e == std::string::npos ? std::string::npos : e - b));
    if (e == std::string::npos) break;
    b = e + 1;
  }
  size_t total = history.size() + old_revision.size() + 1, start = 0;
  while (total > kMaxRevisionHistoryChars && start < revs.size()) total -= revs[start++].size() + 1;
  if (total > kMaxRevisionHistoryChars) return std::nullopt;
  std::string out;
  for (size_t i = start; i < revs.size(); ++i) out += revs[i] + ",";
  return out + old_revision;
}

}  // namespace

bool set_new_replica_set_annotations(const json& d, json& rs, const std::string& new_revision, bool exists) {
  bool changed = copy_annotations(d, rs);
  json& ann = rs["metadata"]["annotations"];
  const bool had = ann.contains(kRevision);
  const std::string old_revision = annotation(rs, kRevision);
  if (!old_revision.empty() && old_revision.find_first_not_of("0123456789") != std::string::npos) return false;
  const int64_t old_int = old_revision.empty() ? 0 : std::stoll(old_revision);
  const int64_t new_int = std::stoll(new_revision);
  if (old_int < new_int) {
    ann[kRevision] = new_revision;
    changed = true;
    // The ReplicaSet served an older revision before (a rollback to it): keep that in the history.
    if (had) {
      if (auto h = appended_history(annotation(rs, kRevisionHistory), old_revision)) ann[kRevisionHistory] = *h;
    }
  }
  if (!exists && set_replicas_annotations(rs, spec_replicas(d), spec_replicas(d) + max_surge(d))) changed = true;
  return changed;
}

bool set_replicas_annotations(json& rs, int desired, int max) {
  json& ann = rs["metadata"]["annotations"];
  if (!ann.is_object()) ann = json::object();
  bool changed = false;
  for (const auto& [key, value] : {std::pair{kDesiredReplicas, desired}, std::pair{kMaxReplicas, max}}) {
    if (ann.value(key, "") == std::to_string(value)) continue;
    ann[key] = std::to_string(value);
    changed = true;
  }
  return changed;
}

bool deployment_complete(const json& d, const json& s) {
  auto n = [&s](const char* k) { return s.value(k, 0); };
  return n("updatedReplicas") == spec_replicas(d) && n("replicas") == spec_replicas(d) &&
         n("availableReplicas") == spec_replicas(d) &&
         s.value("observedGeneration", int64_t{0}) >= object_at(d, "metadata").value("generation", int64_t{0});
}

bool deployment_progressing(const json& d, const json& s) {
  auto n = [&s](const char* k) { return s.value(k, 0); };
  auto o = [&d](const char* k) { return status_int(d, k); };
  const int old_old = o("replicas") - o("updatedReplicas"), new_old = n("replicas") - n("updatedReplicas");
  return n("updatedReplicas") > o("updatedReplicas") || new_old < old_old || n("readyReplicas") > o("readyReplicas") ||
         n("availableReplicas") > o("availableReplicas");
}

std::string selector_string(const json& sel) {
  std::vector<std::pair<std::string, std::string>> reqs;  // (key, text)
  const json match_labels = object_at(sel, "matchLabels");
  for (const auto& [k, v] : match_labels.items())
    reqs.emplace_back(k, k + "=" + (v.is_string() ? v.get<std::string>() : v.dump()));
  for (const auto& e : sel.is_object() ? sel.value("matchExpressions", json::array()) : json::array()) {
    const std::string key = e.value("key", ""), op = e.value("operator", "");
    auto values = e.value("values", std::vector<std::string>{});
    std::sort(values.begin(), values.end());
    std::string list;
    for (const auto& v : values) list += (list.empty() ? "" : ",") + v;
    if (op == "In") reqs.emplace_back(key, key + " in (" + list + ")");
    if (op == "NotIn") reqs.emplace_back(key, key + " notin (" + list + ")");
    if (op == "Exists") reqs.emplace_back(key, key);
    if (op == "DoesNotExist") reqs.emplace_back(key, "!" + key);
  }
  std::stable_sort(reqs.begin(), reqs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (const auto& r : reqs) out += (out.empty() ? "" : ",") + r.second;
  return out;
}

bool selector_matches(const json& label_selector, const json& labels) {
  std::string err;
  auto sel = LabelSelector::parse(selector_string(label_selector), &err);
  if (!sel) return false;
  std::map<std::string, std::string> l;
  if (labels.is_object())
    for (const auto& [k, v] : labels.items())
      if (v.is_string()) l[k] = v.get<std::string>();
  return sel->matches(l);
}

}  // namespace rollout::sandbox::deploy
