// The kinds the sandbox API server serves: built-in ones and those registered by applying a
// CustomResourceDefinition. Discovery documents and URL routing are both derived from here.
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace rollout::sandbox {

// A scale subresource (autoscaling/v1 Scale), as a CRD's subresources.scale declares it: JSON
// paths such as ".spec.replicas". Built-in kinds read their selector from a LabelSelector object
// (".spec.selector"), custom ones from a string.
struct ScalePaths {
  std::string spec_replicas = ".spec.replicas";
  std::string status_replicas = ".status.replicas";
  std::string label_selector;  // empty: Scale.status.selector stays unset
};

struct ResourceType {
  std::string group;  // "" for the core group
  std::string version;
  std::string kind;
  std::string plural;
  std::string singular;
  bool namespaced = true;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  bool status_subresource = false;  // PUT/PATCH .../status changes only status; the main path never does
  bool generation = false;          // metadata.generation counts spec changes
  bool custom = false;              // defined by a CustomResourceDefinition
  std::optional<ScalePaths> scale;  // GET/PUT/PATCH .../scale
  nlohmann::json schema;            // a CRD version's openAPIV3Schema (null: none given)

  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  std::string list_kind() const { return kind + "List"; }
  // "/api/v1" or "/apis/GROUP/VERSION"
  std::string group_version_path() const;
};

// Thread-safe: CRDs register kinds while requests are served.
class TypeRegistry {
 public:
  TypeRegistry();  // starts with the built-in kinds

  std::optional<ResourceType> find(const std::string& group, const std::string& version,
                                   const std::string& plural) const;
  std::optional<ResourceType> find_kind(const std::string& api_version, const std::string& kind) const;
  std::vector<ResourceType> all() const;

  // Stops serving the built-in kinds of these API groups ("llm-d.ai") or group versions
  // ("inference.networking.x-k8s.io/v1alpha2"), as on a cluster without those CRDs. An entry
  // that names no built-in kind is an error naming it.
  std::optional<std::string> disable(const std::vector<std::string>& apis);

  // A field error ("spec.group: Required value") if `crd` is not a usable CustomResourceDefinition.
  static std::optional<std::string> validate_crd(const nlohmann::json& crd);
  // Registers (or replaces) the kinds of a valid CustomResourceDefinition.
  std::optional<std::string> register_crd(const nlohmann::json& crd);
  // Removes the kinds of a deleted CRD.
  void unregister_crd(const nlohmann::json& crd);

 private:
  void add(ResourceType t);
  mutable std::mutex mu_;
  std::vector<ResourceType> types_;
};

}  // namespace rollout::sandbox
