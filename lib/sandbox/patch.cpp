#include "sandbox/patch.hpp"

#include "sandbox/api_error.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace rollout::sandbox {

using nlohmann::json;

namespace {

json strategic_merge_in(const json& original, const json& patch, const std::string& parent);

// patchMergeKey of list fields in the built-in API types, by field name (and parent for "ports").
std::string merge_key(const std::string& field, const std::string& parent) {
  static const std::map<std::string, std::string> keys = {
      {"containers", "name"},
      {"initContainers", "name"},
      {"ephemeralContainers", "name"},
      {"env", "name"},
      {"volumeMounts", "mountPath"},
      {"volumeDevices", "devicePath"},
      {"volumes", "name"},
      {"imagePullSecrets", "name"},
      {"conditions", "type"},
      {"ownerReferences", "uid"},
      {"hostAliases", "ip"},
      {"topologySpreadConstraints", "topologyKey"},
      {"resourceClaims", "name"},
  };
  if (field == "ports") return parent == "spec" ? "port" : "containerPort";
  auto it = keys.find(field);
  return it == keys.end() ? "" : it->second;
}

// Primitive lists whose patch strategy is "merge" (a union), not replacement.
bool merges_primitives(const std::string& field) {
  return field == "finalizers";
}

json merge_list_by_key(const json& original, const json& patch, const std::string& key, const std::string& field) {
  json out = original.is_array() ? original : json::array();
  for (const auto& item : patch) {
    if (!item.is_object() || !item.contains(key)) {
      out.push_back(item);
      continue;
    }
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const json& o) { return o.is_object() && o.contains(key) && o[key] == item[key]; });
    const bool del = item.value("$patch", "") == "delete";
    if (del) {
      if (it != out.end()) out.erase(it);
    } else if (it != out.end()) {
      *it = strategic_merge_in(*it, item, field);
    } else {
      out.push_back(strategic_merge_in(json::object(), item, field));
    }
  }
  return out;
}

// Reorders `list` so that items named in `order` (by merge key, or by value) come first, in that order.
json apply_order(const json& list, const json& order, const std::string& key) {
  if (!list.is_array() || !order.is_array()) return list;
  json out = json::array();
  std::vector<bool> used(list.size(), false);
  for (const auto& o : order) {
    for (size_t i = 0; i < list.size(); ++i) {
      if (used[i]) continue;
      bool same = key.empty()
                      ? list[i] == o
                      : (list[i].is_object() && o.is_object() && list[i].value(key, json()) == o.value(key, json()));
      if (same) {
        out.push_back(list[i]);
        used[i] = true;
        break;
      }
    }
  }
  for (size_t i = 0; i < list.size(); ++i)
    if (!used[i]) out.push_back(list[i]);
  return out;
}

json merge_field(const json& original, const std::string& field, const json& value, const std::string& parent) {
  if (value.is_object() && value.value("$patch", "") == "replace") {
    json replaced = value;
    replaced.erase("$patch");
    return replaced;
  }
  if (value.is_object()) return strategic_merge_in(original.is_object() ? original : json::object(), value, field);
  if (value.is_array()) {
    std::string key = merge_key(field, parent);
    bool replace = std::any_of(value.begin(), value.end(),
                               [](const json& i) { return i.is_object() && i.value("$patch", "") == "replace"; });
    if (replace) {
      json out = json::array();
      for (const auto& i : value)
        if (!(i.is_object() && i.contains("$patch"))) out.push_back(i);
      return out;
    }
    if (!key.empty()) return merge_list_by_key(original, value, key, field);
    if (merges_primitives(field) && original.is_array()) {
      json out = original;
      for (const auto& v : value)
        if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
      return out;
    }
  }
  return value;
}

}  // namespace

json strategic_merge(const json& original, const json& patch) {
  return strategic_merge_in(original, patch, "");
}

namespace {

json strategic_merge_in(const json& original, const json& patch, const std::string& parent) {
  if (!patch.is_object()) return patch;
  if (patch.value("$patch", "") == "replace") {
    json out = patch;
    out.erase("$patch");
    return out;
  }
  json out = original.is_object() ? original : json::object();
  std::map<std::string, json> orders;
  for (const auto& [k, v] : patch.items()) {
    if (k == "$patch" || k == "$retainKeys") continue;
    if (k.rfind("$setElementOrder/", 0) == 0) {
      orders[k.substr(17)] = v;
    } else if (k.rfind("$deleteFromPrimitiveList/", 0) == 0) {
      std::string field = k.substr(25);
      if (out.contains(field) && out[field].is_array())
        for (const auto& d : v)
          out[field].erase(std::remove(out[field].begin(), out[field].end(), d), out[field].end());
    } else if (v.is_null()) {
      out.erase(k);
    } else {
      out[k] = merge_field(out.value(k, json()), k, v, parent);
    }
  }
  for (const auto& [field, order] : orders)
    if (out.contains(field)) out[field] = apply_order(out[field], order, merge_key(field, parent));
  if (patch.contains("$retainKeys") && patch["$retainKeys"].is_array()) {
    std::set<std::string> keep;
    for (const auto& k : patch["$retainKeys"]) keep.insert(k.get<std::string>());
    for (auto it = out.begin(); it != out.end();) it = keep.count(it.key()) ? std::next(it) : out.erase(it);
  }
  return out;
}

}  // namespace

std::optional<PatchType> patch_type_from_content_type(const std::string& content_type) {
  std::string ct = content_type.substr(0, content_type.find(';'));
  if (ct == "application/merge-patch+json") return PatchType::merge;
  if (ct == "application/json-patch+json") return PatchType::json;
  if (ct == "application/strategic-merge-patch+json") return PatchType::strategic;
  if (ct == "application/apply-patch+yaml" || ct == "application/apply-patch+json") return PatchType::apply;
  return std::nullopt;
}

// The directives of a strategic merge patch must have the shapes the API server reads them with,
// else it refuses the patch (k8s.io/apimachinery/pkg/util/strategicpatch/patch.go: mergeMap,
// handleDirectiveInMergeMap; apiserver/pkg/endpoints/handlers/patch.go:
// interpretStrategicMergePatchError): a list directive that is not a list is a 400, a `$patch`
// that is not a string an "unknown patch type" (a 500, as any error it does not classify).
std::optional<Error> strategic_patch_error(const json& patch) {
  if (patch.is_array()) {
    for (const auto& item : patch)
      if (auto e = strategic_patch_error(item)) return e;
    return std::nullopt;
  }
  if (!patch.is_object()) return std::nullopt;
  for (const auto& [k, v] : patch.items()) {
    if (k == "$patch" && !v.is_string())
      return api_error(500, "InternalError", "unknown patch type: " + v.dump() + " in map: " + patch.dump());
    if (k == "$retainKeys" && !(v.is_array() && std::all_of(v.begin(), v.end(), [](const json& x) { return x.is_string(); })))
      return api_error(400, "BadRequest", "invalid patch format of retainKeys");
    if (k.rfind("$setElementOrder/", 0) == 0 && !v.is_array())
      return api_error(400, "BadRequest", "invalid patch format of setElementOrder list");
    if (k.rfind("$deleteFromPrimitiveList/", 0) == 0 && !v.is_array())
      return api_error(400, "BadRequest", "invalid patch format of primitive list");
    if (auto e = strategic_patch_error(v)) return e;
  }
  return std::nullopt;
}

Result<json> apply_patch(const json& live, PatchType type, const json& patch) {
  switch (type) {
    case PatchType::merge: {
      if (!patch.is_object()) return api_error(400, "BadRequest", "a JSON merge patch must be an object");
      json out = live;
      out.merge_patch(patch);
      return out;
    }
    case PatchType::json:
      if (!patch.is_array()) return api_error(400, "BadRequest", "a JSON patch must be an array of operations");
      try {
        return live.patch(patch);
      } catch (const json::exception& e) {
        return api_error(422, "Invalid", std::string("the JSON patch could not be applied: ") + e.what());
      }
    case PatchType::strategic:
    case PatchType::apply:
      if (!patch.is_object()) return api_error(400, "BadRequest", "a strategic merge patch must be an object");
      if (auto e = strategic_patch_error(patch)) return *e;
      return strategic_merge(live, patch);
  }
  return api_error(415, "UnsupportedMediaType", "unsupported patch type");
}

}  // namespace rollout::sandbox
