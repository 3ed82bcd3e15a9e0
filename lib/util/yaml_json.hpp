// YAML to JSON with the YAML 1.2 core schema: quoted scalars are strings, plain scalars are
// numbers or booleans only when they look exactly like one. Used for free-form plan templates
// and for YAML request bodies (server-side apply).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "util/result.hpp"
#include "util/yaml_tree.hpp"

namespace rollout {

enum class ScalarKind { string, integer, number, boolean };
ScalarKind scalar_kind(const YamlNode& node);

nlohmann::json yaml_node_to_json(const YamlNode& node);

// The first document of `text` as JSON; ErrorKind::invalid with "LINE:COL: message" on bad YAML.
Result<nlohmann::json> parse_yaml_as_json(std::string_view text);

}  // namespace rollout
