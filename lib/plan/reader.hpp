// Reads one plan object from the YAML tree: checks its keys against the field table, reports
// missing, unknown and mistyped fields with positions, and records every field's position in a
// SourceMap so later checks can point at the right line. Reading continues past errors so that
// `plan validate` reports every problem at once.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plan/fields.hpp"
#include "util/diagnostic.hpp"
#include "util/duration.hpp"
#include "util/yaml_json.hpp"
#include "util/yaml_tree.hpp"

namespace rollout::plan {

// Field path ("spec.steps[2].setWeight") -> where its value was written.
using SourceMap = std::map<std::string, SourcePos>;

// Shared by every reader of one document.
struct ReadContext {
  Diagnostics& diags;
  SourceMap& positions;
};

std::string describe_value(const YamlNode& node);  // "the number 10", "a list", ...

class ObjectReader {
 public:
  // `path` is the field path of this object ("spec.target.httpRoute"); `type` names its ObjectSpec.
  ObjectReader(ReadContext& ctx, const YamlNodePtr& node, std::string path, std::string_view type);

  bool valid() const { return valid_; }  // the node is a mapping
  const std::string& path() const { return path_; }
  SourcePos pos() const { return node_ ? node_->pos : SourcePos{}; }
  ReadContext& context() { return ctx_; }

  // The raw value of `key` (nullptr if absent). `key` must be in the field table.
  YamlNodePtr raw(std::string_view key) const;
  bool has(std::string_view key) const { return raw(key) != nullptr; }
  std::string child_path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  // Keys present, in document order (for blocks that must hold exactly one of several keys).
  std::vector<std::string> present_keys() const;

  std::optional<std::string> string(std::string_view key);
  // A string that must be one of `allowed` (with a did-you-mean suggestion otherwise).
  std::optional<std::string> one_of(std::string_view key, const std::vector<std::string>& allowed);
  std::optional<int> integer(std::string_view key, long long min, long long max);
  std::optional<double> number(std::string_view key);
  std::optional<bool> boolean(std::string_view key);
  std::optional<Duration> duration(std::string_view key);
  std::optional<std::vector<std::string>> strings(std::string_view key, bool allow_empty = true);
  std::optional<std::map<std::string, std::string>> string_map(std::string_view key);
  std::optional<nlohmann::json> free_form(std::string_view key);  // any mapping, as JSON

  // Report `message` prefixed with a field path: error() at this object, error_at() at the value
  // of `key` naming that field, error_near() at `key` itself naming this object (for a key that
  // should not be there, whose value may start on a later line).
  void error(const std::string& message);
  void error_at(std::string_view key, const std::string& message);
  void error_near(std::string_view key, const std::string& message);

 private:
  void check_keys(const ObjectSpec& spec);

  ReadContext& ctx_;
  YamlNodePtr node_;
  std::string path_;
  const ObjectSpec* spec_;
  bool valid_ = false;
};

// Scalar conversions used by ObjectReader and for list items; each reports its own error.
std::optional<std::string> read_string(ReadContext& ctx, const YamlNode& node, const std::string& path);
std::optional<long long> read_integer(ReadContext& ctx, const YamlNode& node, const std::string& path, long long min,
                                      long long max);
std::optional<Duration> read_duration(ReadContext& ctx, const YamlNode& node, const std::string& path);

// Converts a YAML subtree to JSON (for free-form templates), reporting what JSON cannot hold.
std::optional<nlohmann::json> yaml_to_json(ReadContext& ctx, const YamlNode& node, const std::string& path);

}  // namespace rollout::plan
