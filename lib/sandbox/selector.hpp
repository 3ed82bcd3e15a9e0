// Kubernetes label and field selectors, as `kubectl get -l` and watch requests send them.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace rollout::sandbox {

class LabelSelector {
 public:
  // Parses "a=b,c!=d,e in (f,g),h notin (i),j,!k"; nullopt with `error` set on bad syntax.
  static std::optional<LabelSelector> parse(const std::string& text, std::string* error);
  // From a `matchLabels` map (e.g. an InferencePool's spec.selector).
  static LabelSelector from_map(const std::map<std::string, std::string>& labels);
  bool matches(const std::map<std::string, std::string>& labels) const;
  bool empty() const { return reqs_.empty(); }

 private:
  enum class Op { eq, ne, in, notin, exists, not_exists };
  struct Requirement {
    std::string key;
    Op op;
    std::vector<std::string> values;
  };
  std::vector<Requirement> reqs_;
};

// Field selectors: metadata.name and metadata.namespace with =, == and !=.
class FieldSelector {
 public:
  static std::optional<FieldSelector> parse(const std::string& text, std::string* error);
  bool matches(const nlohmann::json& object) const;

 private:
  struct Requirement {
    std::string field;
    bool equal;
    std::string value;
  };
  std::vector<Requirement> reqs_;
};

std::map<std::string, std::string> labels_of(const nlohmann::json& object);

}  // namespace rollout::sandbox
