// The LoRA syncer's `configmap.yaml` (REFERENCE.md "LoRA syncer ConfigMap"): parsed, edited as a
// rollout moves adapters between ensureExist and ensureNotExist, and emitted in block style with
// keys in a stable order (name, port, defaultBaseModel, ensureExist, ensureNotExist; id, source,
// base-model), unknown keys kept after them, so the same edit always gives the same bytes.
#pragma once

#include <yaml-cpp/yaml.h>
#include <optional>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace rollout::actuators {

struct LoraModel {
  std::string id;
  std::string source;
  std::optional<std::string> base_model;  // "base-model"
};

class LoraConfig {
 public:
  // ErrorKind::invalid for bad YAML ("line 3, column 5: ...") or a wrong shape
  // ("vLLMLoRAConfig.ensureExist.models is not a list").
  static Result<LoraConfig> parse(const std::string& text);

  LoraConfig(const LoraConfig& other) : root_(YAML::Clone(other.root_)) {}
  LoraConfig(LoraConfig&&) = default;
  LoraConfig& operator=(const LoraConfig& other) {
    root_ = YAML::Clone(other.root_);
    return *this;
  }
  LoraConfig& operator=(LoraConfig&&) = default;

  std::vector<LoraModel> ensure_exist() const { return models("ensureExist"); }
  std::vector<LoraModel> ensure_not_exist() const { return models("ensureNotExist"); }

  // Into ensureExist (replacing an entry with the same id in place) and out of ensureNotExist.
  void load(const LoraModel& model);
  // Out of ensureExist and into ensureNotExist (replacing an entry with the same id), with its source.
  void unload(const std::string& id);

  std::string emit() const;

 private:
  explicit LoraConfig(YAML::Node root) : root_(std::move(root)) {}
  std::vector<LoraModel> models(const char* section) const;
  std::vector<YAML::Node> entries(const char* section) const;
  void set_entries(const char* section, const std::vector<YAML::Node>& list);

  YAML::Node root_;
};

}  // namespace rollout::actuators
