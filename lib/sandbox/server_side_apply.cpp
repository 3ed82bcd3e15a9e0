#include "sandbox/server_side_apply.hpp"

#include <ctime>

#include "sandbox/patch.hpp"

namespace rollout::sandbox {

using nlohmann::json;

namespace {

// Identity fields are never owned: they name the object rather than describe it.
bool identity(const std::string& key, int depth) {
  return depth == 0 && (key == "apiVersion" || key == "kind");
}

json field_set_at(const json& v, int depth) {
  json set = json::object();
  if (!v.is_object()) return set;
  for (const auto& [k, child] : v.items()) {
    if (identity(k, depth)) continue;
    if (depth == 1 && (k == "name" || k == "namespace")) continue;
    set["f:" + k] = child.is_object() && !child.empty() ? field_set_at(child, depth + 1) : json::object();
  }
  return set;
}

// Fields in `before` that `after` no longer has: {} marks a whole field to remove.
json removed_fields(const json& before, const json& after) {
  json out = json::object();
  for (const auto& [k, sub] : before.items()) {
    if (!after.contains(k)) {
      out[k] = json::object();
    } else if (!sub.empty() && !after[k].empty()) {
      json deeper = removed_fields(sub, after[k]);
      if (!deeper.empty()) out[k] = deeper;
    }
  }
  return out;
}

void remove(json& obj, const json& removed) {
  if (!obj.is_object()) return;
  for (const auto& [k, sub] : removed.items()) {
    const std::string key = k.substr(2);
    if (!obj.contains(key)) continue;
    if (sub.empty())
      obj.erase(key);
    else
      remove(obj[key], sub);
  }
}

std::string now_rfc3339() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

}  // namespace

json field_set(const json& applied) {
  return field_set_at(applied, 0);
}

json server_side_apply(const json& live, const json& applied, const std::string& manager, bool strategic) {
  json merged = live;
  if (strategic) {
    merged = strategic_merge(live, applied);
  } else {
    for (const auto& [k, v] : applied.items()) {
      if (k == "metadata" && v.is_object() && merged.contains("metadata")) {
        json patch = v;
        merged["metadata"].merge_patch(patch);
      } else if (v.is_object() && merged.contains(k) && merged[k].is_object()) {
        merged[k].merge_patch(v);
      } else {
        merged[k] = v;
      }
    }
  }
  json managed = live.value("metadata", json::object()).value("managedFields", json::array());
  json before = json::object();
  json entries = json::array();
  for (const auto& e : managed) {
    if (e.value("manager", "") == manager && e.value("operation", "") == "Apply")
      before = e.value("fieldsV1", json::object());
    else
      entries.push_back(e);
  }
  const json now = field_set(applied);
  remove(merged, removed_fields(before, now));
  entries.push_back({{"manager", manager},
                     {"operation", "Apply"},
                     {"apiVersion", applied.value("apiVersion", live.value("apiVersion", ""))},
                     {"time", now_rfc3339()},
                     {"fieldsType", "FieldsV1"},
                     {"fieldsV1", now}});
  merged["metadata"]["managedFields"] = entries;
  return merged;
}

}  // namespace rollout::sandbox
