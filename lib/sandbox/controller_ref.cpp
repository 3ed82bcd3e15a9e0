#include "sandbox/controller_ref.hpp"

#include "sandbox/deployment_util.hpp"

namespace rollout::sandbox {

using nlohmann::json;

std::optional<json> controller_of(const json& obj) {
  if (!obj.contains("metadata")) return std::nullopt;
  for (const auto& ref : obj["metadata"].value("ownerReferences", json::array()))
    if (ref.value("controller", false)) return ref;
  return std::nullopt;
}

json controller_ref(const json& owner) {
  return {{"apiVersion", owner.value("apiVersion", "")},
          {"kind", owner.value("kind", "")},
          {"name", owner["metadata"].value("name", "")},
          {"uid", owner["metadata"].value("uid", "")},
          {"controller", true},
          {"blockOwnerDeletion", true}};
}

namespace {

// The object with its ownerReferences changed, written only if nobody changed it since it was read.
std::optional<json> write_refs(ControllerContext& ctx, const ResourceType& type, json obj, json refs) {
  if (refs.empty())
    obj["metadata"].erase("ownerReferences");
  else
    obj["metadata"]["ownerReferences"] = std::move(refs);
  auto r = ctx.store.update(type, obj["metadata"].value("namespace", ""), obj["metadata"].value("name", ""), obj, {});
  if (!r.ok()) return std::nullopt;
  return *r;
}

}  // namespace

std::vector<json> claim_objects(ControllerContext& ctx, const ResourceType& type, const json& owner,
                                const json& label_selector, const std::vector<json>& candidates) {
  const std::string uid = owner["metadata"].value("uid", "");
  std::vector<json> claimed;
  for (const auto& obj : candidates) {
    const bool match = deploy::selector_matches(label_selector, obj["metadata"].value("labels", json::object()));
    if (auto ref = controller_of(obj)) {
      if (ref->value("uid", "") != uid) continue;  // someone else's
      if (match) {
        claimed.push_back(obj);
        continue;
      }
      // Ours but no longer selected: release it (drop our ownerReference).
      json refs = json::array();
      for (const auto& r : obj["metadata"]["ownerReferences"])
        if (r.value("uid", "") != uid) refs.push_back(r);
      (void)write_refs(ctx, type, obj, refs);
      continue;
    }
    // An orphan: adopt it when selected and not being deleted.
    if (!match || obj["metadata"].contains("deletionTimestamp")) continue;
    json refs = obj["metadata"].value("ownerReferences", json::array());
    refs.push_back(controller_ref(owner));
    if (auto adopted = write_refs(ctx, type, obj, refs)) claimed.push_back(*adopted);
  }
  return claimed;
}

}  // namespace rollout::sandbox
