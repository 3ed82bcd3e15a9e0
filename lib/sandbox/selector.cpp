#include "sandbox/selector.hpp"

#include <algorithm>
#include <cctype>

namespace rollout::sandbox {

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// Splits on commas that are not inside parentheses.
std::vector<std::string> split_top(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!trim(cur).empty() || !out.empty()) out.push_back(trim(cur));
  return out;
}

bool valid_key(const std::string& k) {
  if (k.empty() || k.size() > 316) return false;
  return std::all_of(k.begin(), k.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/';
  });
}

// A value as k8s.io/apimachinery/pkg/labels/selector.go reads it: a token that is not an identifier
// (parseExactValue: "found '(', expected: identifier"), then validateLabelValue's regex.
std::optional<std::string> invalid_value(const std::string& key, const std::string& value, size_t index) {
  if (!value.empty() && std::string("()!=,<>").find(value[0]) != std::string::npos)
    return "found '" + std::string(1, value[0]) + "', expected: identifier";
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  bool ok = value.size() <= 63 && (value.empty() || (alnum(value.front()) && alnum(value.back())));
  for (char c : value) ok = ok && (alnum(c) || c == '-' || c == '_' || c == '.');
  if (ok) return std::nullopt;
  return "values[" + std::to_string(index) + "][" + key + "]: Invalid value: \"" + value +
         "\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and "
         "must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex "
         "used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
}

}  // namespace

std::map<std::string, std::string> labels_of(const nlohmann::json& object) {
  std::map<std::string, std::string> out;
  if (!object.contains("metadata") || !object["metadata"].contains("labels")) return out;
  for (const auto& [k, v] : object["metadata"]["labels"].items())
    if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

std::optional<LabelSelector> LabelSelector::parse(const std::string& text, std::string* error) {
  LabelSelector sel;
  for (const std::string& part : split_top(text)) {
    Requirement r;
    size_t pos;
    if (part.empty()) {
      if (error) *error = "empty requirement in label selector \"" + text + "\"";
      return std::nullopt;
    }
    if (part[0] == '!') {
      r = {trim(part.substr(1)), Op::not_exists, {}};
    } else if ((pos = part.find(" notin ")) != std::string::npos || (pos = part.find(" in ")) != std::string::npos) {
      bool notin = part.compare(pos, 7, " notin ") == 0;
      r.key = trim(part.substr(0, pos));
      r.op = notin ? Op::notin : Op::in;
      std::string set = trim(part.substr(pos + (notin ? 7 : 4)));
      if (set.size() < 2 || set.front() != '(' || set.back() != ')') {
        if (error) *error = "expected a value set in parentheses in \"" + part + "\"";
        return std::nullopt;
      }
      for (const auto& v : split_top(set.substr(1, set.size() - 2))) r.values.push_back(v);
    } else if ((pos = part.find("!=")) != std::string::npos) {
      r = {trim(part.substr(0, pos)), Op::ne, {trim(part.substr(pos + 2))}};
    } else if ((pos = part.find("==")) != std::string::npos) {
      r = {trim(part.substr(0, pos)), Op::eq, {trim(part.substr(pos + 2))}};
    } else if ((pos = part.find('=')) != std::string::npos) {
      r = {trim(part.substr(0, pos)), Op::eq, {trim(part.substr(pos + 1))}};
    } else {
      r = {part, Op::exists, {}};
    }
    if (!valid_key(r.key)) {
      if (error) *error = "invalid label key \"" + r.key + "\"";
      return std::nullopt;
    }
    for (size_t i = 0; i < r.values.size(); ++i) {
      if (auto why = invalid_value(r.key, r.values[i], i)) {
        if (error) *error = *why;
        return std::nullopt;
      }
    }
    sel.reqs_.push_back(r);
  }
  return sel;
}

LabelSelector LabelSelector::from_map(const std::map<std::string, std::string>& labels) {
  LabelSelector sel;
  for (const auto& [k, v] : labels) sel.reqs_.push_back({k, Op::eq, {v}});
  return sel;
}

bool LabelSelector::matches(const std::map<std::string, std::string>& labels) const {
  for (const auto& r : reqs_) {
    auto it = labels.find(r.key);
    bool has = it != labels.end();
    auto in_values = [&] { return has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end(); };
    switch (r.op) {
      case Op::eq:
      case Op::in:
        if (!in_values()) return false;
        break;
      case Op::ne:
      case Op::notin:
        if (in_values()) return false;
        break;
      case Op::exists:
        if (!has) return false;
        break;
      case Op::not_exists:
        if (has) return false;
        break;
    }
  }
  return true;
}

std::optional<FieldSelector> FieldSelector::parse(const std::string& text, std::string* error) {
  FieldSelector sel;
  for (const std::string& part : split_top(text)) {
    size_t pos;
    Requirement r;
    if ((pos = part.find("!=")) != std::string::npos) {
      r = {trim(part.substr(0, pos)), false, trim(part.substr(pos + 2))};
    } else if ((pos = part.find("==")) != std::string::npos) {
      r = {trim(part.substr(0, pos)), true, trim(part.substr(pos + 2))};
    } else if ((pos = part.find('=')) != std::string::npos) {
      r = {trim(part.substr(0, pos)), true, trim(part.substr(pos + 1))};
    } else {
      if (error) *error = "invalid field selector requirement \"" + part + "\"";
      return std::nullopt;
    }
    if (r.field != "metadata.name" && r.field != "metadata.namespace") {
      if (error) *error = "field label not supported: " + r.field;
      return std::nullopt;
    }
    sel.reqs_.push_back(r);
  }
  return sel;
}

bool FieldSelector::matches(const nlohmann::json& object) const {
  // Any JSON: a metadata, name or namespace of another type reads as absent (""), never throws.
  static const nlohmann::json kNone = nlohmann::json::object();
  auto it = object.is_object() ? object.find("metadata") : object.end();
  const auto& meta = it != object.end() && it->is_object() ? *it : kNone;
  for (const auto& r : reqs_) {
    auto field = meta.find(r.field == "metadata.name" ? "name" : "namespace");
    std::string actual = field != meta.end() && field->is_string() ? field->get<std::string>() : "";
    if ((actual == r.value) != r.equal) return false;
  }
  return true;
}

}  // namespace rollout::sandbox
