#include "plan/reader.hpp"

#include <cmath>
#include <regex>
#include <stdexcept>

#include "util/text.hpp"
#include "util/yaml_json.hpp"

namespace rollout::plan {

namespace {

bool is_yaml11_bool(const std::string& s) {
  static const char* words[] = {"yes", "Yes", "YES", "no",  "No", "NO", "on", "On",
                                "ON",  "off", "Off", "OFF", "y",  "Y",  "n",  "N"};
  for (const char* w : words)
    if (s == w) return true;
  return false;
}

// Counts nodes reachable from `node` (aliases counted every time), stopping early past `limit`.
size_t expanded_size(const YamlNode& node, size_t limit, size_t acc = 0) {
  ++acc;
  for (const auto& item : node.items) {
    if (acc > limit) return acc;
    acc = expanded_size(*item, limit, acc);
  }
  for (const auto& [k, v] : node.entries) {
    if (acc > limit) return acc;
    acc = expanded_size(*v, limit, acc + 1);
  }
  return acc;
}

std::string with_path(const std::string& path, const std::string& message) {
  return path.empty() ? message : path + ": " + message;
}

}  // namespace

std::string describe_value(const YamlNode& node) {
  if (!node.is_scalar()) return node.describe();
  switch (scalar_kind(node)) {
    case ScalarKind::integer:
    case ScalarKind::number: return "the number " + node.scalar;
    case ScalarKind::boolean: return "the boolean " + node.scalar;
    case ScalarKind::string: break;
  }
  return "the string " + quote(node.scalar);
}

std::optional<std::string> read_string(ReadContext& ctx, const YamlNode& node, const std::string& path) {
  if (node.is_scalar() && scalar_kind(node) == ScalarKind::string) return node.scalar;
  std::string hint = node.is_scalar() ? " (quote it: " + quote(node.scalar) + ")" : "";
  ctx.diags.add(node.pos, with_path(path, "expected a string, got " + describe_value(node) + hint));
  return std::nullopt;
}

std::optional<long long> read_integer(ReadContext& ctx, const YamlNode& node, const std::string& path, long long min,
                                      long long max) {
  if (!node.is_scalar() || scalar_kind(node) != ScalarKind::integer) {
    ctx.diags.add(node.pos, with_path(path, "expected a whole number, got " + describe_value(node)));
    return std::nullopt;
  }
  const std::string& s = node.scalar;
  const size_t digits = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (s.size() > digits + 1 && s[digits] == '0') {
    ctx.diags.add(node.pos, with_path(path, "ambiguous number " + s +
                                                ": leading zeros are not allowed (YAML 1.1 reads it as octal)"));
    return std::nullopt;
  }
  long long v = 0;
  if (s.size() - digits > 12 || (v = std::stoll(s)) < min || v > max) {
    ctx.diags.add(node.pos, with_path(path, s + " is out of range: must be between " + std::to_string(min) + " and " +
                                                std::to_string(max)));
    return std::nullopt;
  }
  return v;
}

std::optional<Duration> read_duration(ReadContext& ctx, const YamlNode& node, const std::string& path) {
  if (!node.is_scalar()) {
    ctx.diags.add(node.pos, with_path(path, "expected a duration such as \"90s\", \"5m\" or \"1h30m\", got " +
                                                describe_value(node)));
    return std::nullopt;
  }
  std::string why;
  auto d = parse_duration(node.scalar, &why);
  if (!d) {
    std::string hint;
    if (scalar_kind(node) == ScalarKind::integer) hint = " (did you mean " + quote(node.scalar + "s") + "?)";
    ctx.diags.add(node.pos, with_path(path, "invalid duration " + quote(node.scalar) + ": " + why + hint));
  }
  return d;
}

std::optional<nlohmann::json> yaml_to_json(ReadContext& ctx, const YamlNode& node, const std::string& path) {
  if (expanded_size(node, 100000) > 100000) {
    ctx.diags.add(node.pos, with_path(path, "too large once aliases are expanded (over 100000 nodes)"));
    return std::nullopt;
  }
  return yaml_node_to_json(node);
}

ObjectReader::ObjectReader(ReadContext& ctx, const YamlNodePtr& node, std::string path, std::string_view type)
    : ctx_(ctx), node_(node), path_(std::move(path)), spec_(&object_spec(type)) {
  if (!node_) return;
  ctx_.positions.emplace(path_, node_->pos);
  if (!node_->is_map()) {
    ctx_.diags.add(node_->pos, with_path(path_, "expected a mapping, got " + describe_value(*node_)));
    return;
  }
  valid_ = true;
  check_keys(*spec_);
}

void ObjectReader::check_keys(const ObjectSpec& spec) {
  std::vector<std::string> names;
  for (const auto& f : spec.fields) names.push_back(f.name);
  for (const auto& [key, value] : node_->entries) {
    bool known = false;
    for (const auto& n : names) known = known || n == key->scalar;
    if (known) {
      ctx_.positions.emplace(child_path(key->scalar), value->pos);
      continue;
    }
    std::string msg = "unknown field " + quote(key->scalar);
    if (key->scalar == "<<") msg = "merge keys (<<) are not supported";
    std::string suggestion = closest_match(key->scalar, names);
    if (!suggestion.empty()) msg += " (did you mean " + quote(suggestion) + "?)";
    ctx_.diags.add(key->pos, with_path(path_, msg));
  }
  for (const auto& f : spec.fields) {
    if (f.required && !node_->find(f.name)) {
      ctx_.diags.add(node_->pos, with_path(path_, "missing required field " + quote(f.name)));
    }
  }
}

YamlNodePtr ObjectReader::raw(std::string_view key) const {
  bool known = false;
  for (const auto& f : spec_->fields) known = known || f.name == key;
  if (!known) throw std::logic_error("field " + std::string(key) + " is not in the table for " + spec_->type);
  if (!valid_) return nullptr;
  auto v = node_->find(key);
  return v;
}

std::vector<std::string> ObjectReader::present_keys() const {
  std::vector<std::string> keys;
  if (!valid_) return keys;
  for (const auto& [k, v] : node_->entries) {
    for (const auto& f : spec_->fields)
      if (f.name == k->scalar) keys.push_back(k->scalar);
  }
  return keys;
}

std::optional<std::string> ObjectReader::string(std::string_view key) {
  auto v = raw(key);
  if (!v) return std::nullopt;
  return read_string(ctx_, *v, child_path(key));
}

std::optional<std::string> ObjectReader::one_of(std::string_view key, const std::vector<std::string>& allowed) {
  auto s = string(key);
  if (!s) return std::nullopt;
  for (const auto& a : allowed)
    if (a == *s) return s;
  std::string msg = quote(*s) + " is not one of " + quoted_list(allowed);
  std::string suggestion = closest_match(*s, allowed);
  if (!suggestion.empty()) msg += " (did you mean " + quote(suggestion) + "?)";
  error_at(key, msg);
  return std::nullopt;
}

std::optional<int> ObjectReader::integer(std::string_view key, long long min, long long max) {
  auto v = raw(key);
  if (!v) return std::nullopt;
  auto i = read_integer(ctx_, *v, child_path(key), min, max);
  if (!i) return std::nullopt;
  return static_cast<int>(*i);
}

std::optional<double> ObjectReader::number(std::string_view key) {
  auto v = raw(key);
  if (!v) return std::nullopt;
  if (v->is_scalar()) {
    auto kind = scalar_kind(*v);
    if (kind == ScalarKind::integer || kind == ScalarKind::number) {
      double d = std::strtod(v->scalar.c_str(), nullptr);
      if (std::isfinite(d)) return d;
    }
  }
  ctx_.diags.add(v->pos, with_path(child_path(key), "expected a finite number, got " + describe_value(*v)));
  return std::nullopt;
}

std::optional<bool> ObjectReader::boolean(std::string_view key) {
  auto v = raw(key);
  if (!v) return std::nullopt;
  if (v->is_scalar() && scalar_kind(*v) == ScalarKind::boolean) return v->scalar[0] == 't' || v->scalar[0] == 'T';
  std::string hint = v->is_scalar() && !v->quoted && is_yaml11_bool(v->scalar)
                         ? " (YAML 1.1 booleans such as yes/no/on/off are not accepted)"
                         : "";
  ctx_.diags.add(v->pos, with_path(child_path(key), "expected true or false, got " + describe_value(*v) + hint));
  return std::nullopt;
}

std::optional<Duration> ObjectReader::duration(std::string_view key) {
  auto v = raw(key);
  if (!v) return std::nullopt;
  return read_duration(ctx_, *v, child_path(key));
}

std::optional<std::vector<std::string>> ObjectReader::strings(std::string_view key, bool allow_empty) {
  auto v = raw(key);
  if (!v) return std::nullopt;
  const std::string path = child_path(key);
  if (!v->is_sequence()) {
    ctx_.diags.add(v->pos, with_path(path, "expected a list of strings, got " + describe_value(*v)));
    return std::nullopt;
  }
  if (!allow_empty && v->items.empty()) {
    ctx_.diags.add(v->pos, with_path(path, "must not be empty"));
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (size_t i = 0; i < v->items.size(); ++i) {
    std::string item_path = path + "[" + std::to_string(i) + "]";
    ctx_.positions.emplace(item_path, v->items[i]->pos);
    auto s = read_string(ctx_, *v->items[i], item_path);
    if (s) out.push_back(*s);
    ok = ok && s.has_value();
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::map<std::string, std::string>> ObjectReader::string_map(std::string_view key) {
  auto v = raw(key);
  if (!v) return std::nullopt;
  const std::string path = child_path(key);
  if (!v->is_map()) {
    ctx_.diags.add(v->pos, with_path(path, "expected a mapping of strings, got " + describe_value(*v)));
    return std::nullopt;
  }
  std::map<std::string, std::string> out;
  bool ok = true;
  for (const auto& [k, val] : v->entries) {
    auto s = read_string(ctx_, *val, path + "." + k->scalar);
    if (s) out[k->scalar] = *s;
    ok = ok && s.has_value();
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<nlohmann::json> ObjectReader::free_form(std::string_view key) {
  auto v = raw(key);
  if (!v) return std::nullopt;
  const std::string path = child_path(key);
  if (!v->is_map()) {
    ctx_.diags.add(v->pos, with_path(path, "expected a mapping, got " + describe_value(*v)));
    return std::nullopt;
  }
  return yaml_to_json(ctx_, *v, path);
}

void ObjectReader::error(const std::string& message) {
  ctx_.diags.add(pos(), with_path(path_, message));
}

void ObjectReader::error_at(std::string_view key, const std::string& message) {
  auto v = raw(key);
  ctx_.diags.add(v ? v->pos : pos(), with_path(v ? child_path(key) : path_, message));
}

void ObjectReader::error_near(std::string_view key, const std::string& message) {
  SourcePos at = pos();
  if (raw(key))
    for (const auto& [k, v] : node_->entries)
      if (k->scalar == key) at = k->pos;
  ctx_.diags.add(at, with_path(path_, message));
}

}  // namespace rollout::plan
