#include "util/yaml_json.hpp"

#include <cmath>
#include <regex>

namespace rollout {

namespace {

bool is_bool_literal(const std::string& s) {
  return s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE";
}

}  // namespace

ScalarKind scalar_kind(const YamlNode& node) {
  static const std::regex integer("[-+]?[0-9]+");
  static const std::regex number(
      "[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");
  if (node.quoted) return ScalarKind::string;
  if (is_bool_literal(node.scalar)) return ScalarKind::boolean;
  if (std::regex_match(node.scalar, integer)) return ScalarKind::integer;
  if (std::regex_match(node.scalar, number)) return ScalarKind::number;
  return ScalarKind::string;
}

nlohmann::json yaml_node_to_json(const YamlNode& node) {
  switch (node.type) {
    case YamlNode::Type::null: return nullptr;
    case YamlNode::Type::scalar:
      switch (scalar_kind(node)) {
        case ScalarKind::boolean: return node.scalar[0] == 't' || node.scalar[0] == 'T';
        case ScalarKind::integer:
          if (node.scalar.size() < 18) return std::stoll(node.scalar);
          return node.scalar;
        case ScalarKind::number: {
          double d = std::strtod(node.scalar.c_str(), nullptr);
          if (std::isfinite(d)) return d;
          return node.scalar;
        }
        case ScalarKind::string: return node.scalar;
      }
      break;
    case YamlNode::Type::sequence: {
      auto out = nlohmann::json::array();
      for (const auto& item : node.items) out.push_back(yaml_node_to_json(*item));
      return out;
    }
    case YamlNode::Type::map: {
      auto out = nlohmann::json::object();
      for (const auto& [k, v] : node.entries) out[k->scalar] = yaml_node_to_json(*v);
      return out;
    }
  }
  return nullptr;
}

Result<nlohmann::json> parse_yaml_as_json(std::string_view text) {
  YamlParse parsed = parse_yaml(text);
  if (!parsed.diagnostics.empty()) {
    const auto& d = parsed.diagnostics.items().front();
    return make_error(ErrorKind::invalid,
                      std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column) + ": " + d.message);
  }
  if (parsed.documents.empty()) return make_error(ErrorKind::invalid, "empty YAML document");
  return yaml_node_to_json(*parsed.documents.front().root);
}

}  // namespace rollout
