#include "actuators/lora_config.hpp"

#include <algorithm>
#include <map>
#include <regex>

namespace rollout::actuators {

namespace {

const char* kRoot = "vLLMLoRAConfig";

bool present(const YAML::Node& n) {
  return n.IsDefined() && !n.IsNull();
}

std::string scalar(const YAML::Node& entry, const char* key) {
  const YAML::Node v = entry[key];
  return v.IsDefined() && v.IsScalar() ? v.Scalar() : "";
}

// Would this string, written plain, read back as something other than a string (YAML 1.1 or 1.2)?
bool ambiguous(const std::string& s) {
  static const std::regex special(
      "|~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N|"
      "[-+]?(\\.inf|\\.Inf|\\.INF)|\\.nan|\\.NaN|\\.NAN");
  static const std::regex number(
      "[-+]?(0x[0-9a-fA-F_]+|0o[0-7]+|[0-9][0-9_:]*(\\.[0-9_]*)?([eE][-+]?[0-9]+)?|"
      "\\.[0-9]+([eE][-+]?[0-9]+)?)");
  return std::regex_match(s, special) || std::regex_match(s, number);
}

// Plain scalars as written; strings that were quoted (or are new) stay strings when read back.
void emit_scalar(YAML::Emitter& out, const YAML::Node& n) {
  if (n.Tag() != "?" && ambiguous(n.Scalar()))
    out << YAML::DoubleQuoted << n.Scalar();
  else
    out << n.Scalar();
}

const std::vector<std::string>& key_order(const std::string& path) {
  static const std::map<std::string, std::vector<std::string>> orders = {
      {"", {kRoot}},
      {kRoot, {"name", "port", "defaultBaseModel", "ensureExist", "ensureNotExist"}},
      {std::string(kRoot) + ".ensureExist", {"models"}},
      {std::string(kRoot) + ".ensureNotExist", {"models"}},
      {std::string(kRoot) + ".ensureExist.models[]", {"id", "source", "base-model"}},
      {std::string(kRoot) + ".ensureNotExist.models[]", {"id", "source", "base-model"}},
  };
  static const std::vector<std::string> none;
  auto it = orders.find(path);
  return it == orders.end() ? none : it->second;
}

void emit_node(YAML::Emitter& out, const YAML::Node& n, const std::string& path);

void emit_map(YAML::Emitter& out, const YAML::Node& n, const std::string& path) {
  const auto& order = key_order(path);
  std::vector<std::pair<YAML::Node, YAML::Node>> items;
  for (const auto& key : order)
    for (auto it = n.begin(); it != n.end(); ++it)
      if (it->first.Scalar() == key) items.emplace_back(it->first, it->second);
  for (auto it = n.begin(); it != n.end(); ++it)
    if (std::find(order.begin(), order.end(), it->first.Scalar()) == order.end())
      items.emplace_back(it->first, it->second);
  out << YAML::BeginMap;
  for (const auto& [k, v] : items) {
    out << YAML::Key;
    emit_scalar(out, k);
    out << YAML::Value;
    emit_node(out, v, (path.empty() ? "" : path + ".") + k.Scalar());
  }
  out << YAML::EndMap;
}

void emit_node(YAML::Emitter& out, const YAML::Node& n, const std::string& path) {
  if (n.IsMap() && n.size() == 0) {
    out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
  } else if (n.IsMap()) {
    emit_map(out, n, path);
  } else if (n.IsSequence() && n.size() == 0) {
    out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
  } else if (n.IsSequence()) {
    out << YAML::BeginSeq;
    for (const auto& item : n) emit_node(out, item, path + "[]");
    out << YAML::EndSeq;
  } else if (n.IsScalar()) {
    emit_scalar(out, n);
  } else {
    out << YAML::Null;
  }
}

Status check_section(const YAML::Node& config, const char* name) {
  const YAML::Node section = config[name];
  if (!present(section)) return ok_status();
  const std::string where = std::string(kRoot) + "." + name;
  if (!section.IsMap()) return make_error(ErrorKind::invalid, where + " is not a map");
  const YAML::Node models = section["models"];
  if (!present(models)) return ok_status();
  if (!models.IsSequence()) return make_error(ErrorKind::invalid, where + ".models is not a list");
  for (size_t i = 0; i < models.size(); ++i)
    if (!models[i].IsMap() || scalar(models[i], "id").empty())
      return make_error(ErrorKind::invalid, where + ".models[" + std::to_string(i) + "] has no id");
  return ok_status();
}

size_t find_id(const std::vector<YAML::Node>& list, const std::string& id) {
  for (size_t i = 0; i < list.size(); ++i)
    if (scalar(list[i], "id") == id) return i;
  return list.size();
}

}  // namespace

Result<LoraConfig> LoraConfig::parse(const std::string& text) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return make_error(ErrorKind::invalid, "line " + std::to_string(e.mark.line + 1) + ", column " +
                                              std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (!root.IsMap() || !root[kRoot].IsMap())
    return make_error(ErrorKind::invalid, std::string("no ") + kRoot + " map at the top");
  for (const char* section : {"ensureExist", "ensureNotExist"})
    if (auto s = check_section(root[kRoot], section); !s.ok()) return s.error();
  return LoraConfig(root);
}

std::vector<YAML::Node> LoraConfig::entries(const char* section) const {
  std::vector<YAML::Node> out;
  const YAML::Node s = root_[kRoot][section];
  if (!present(s) || !present(s["models"])) return out;
  for (const auto& m : s["models"]) out.push_back(m);
  return out;
}

void LoraConfig::set_entries(const char* section, const std::vector<YAML::Node>& list) {
  YAML::Node config = root_[kRoot];
  if (list.empty() && !present(config[section])) return;  // no need to add an empty section
  if (!present(config[section])) config[section] = YAML::Node(YAML::NodeType::Map);
  YAML::Node models(YAML::NodeType::Sequence);
  for (const auto& m : list) models.push_back(m);
  config[section]["models"] = models;
}

std::vector<LoraModel> LoraConfig::models(const char* section) const {
  std::vector<LoraModel> out;
  for (const auto& e : entries(section)) {
    LoraModel m{scalar(e, "id"), scalar(e, "source"), std::nullopt};
    if (present(e["base-model"])) m.base_model = scalar(e, "base-model");
    out.push_back(m);
  }
  return out;
}

void LoraConfig::load(const LoraModel& model) {
  YAML::Node entry(YAML::NodeType::Map);
  entry["id"] = model.id;
  entry["source"] = model.source;
  if (model.base_model) entry["base-model"] = *model.base_model;
  auto exist = entries("ensureExist");
  if (size_t i = find_id(exist, model.id); i < exist.size())
    exist[i] = entry;
  else
    exist.push_back(entry);
  auto gone = entries("ensureNotExist");
  if (size_t i = find_id(gone, model.id); i < gone.size()) gone.erase(gone.begin() + static_cast<std::ptrdiff_t>(i));
  set_entries("ensureExist", exist);
  set_entries("ensureNotExist", gone);
}

void LoraConfig::unload(const std::string& id) {
  auto exist = entries("ensureExist"), gone = entries("ensureNotExist");
  YAML::Node entry(YAML::NodeType::Map);
  entry["id"] = id;
  if (size_t i = find_id(exist, id); i < exist.size()) {
    const YAML::Node old = exist[i];
    if (!scalar(old, "source").empty()) entry["source"] = scalar(old, "source");
    exist.erase(exist.begin() + static_cast<std::ptrdiff_t>(i));
  }
  if (size_t i = find_id(gone, id); i < gone.size())
    gone[i] = entry;
  else
    gone.push_back(entry);
  set_entries("ensureExist", exist);
  set_entries("ensureNotExist", gone);
}

std::string LoraConfig::emit() const {
  YAML::Emitter out;
  out.SetIndent(2);
  emit_node(out, root_, "");
  return std::string(out.c_str()) + "\n";
}

}  // namespace rollout::actuators
