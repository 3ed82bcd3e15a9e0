// A YAML document tree that remembers where every node came from and whether a scalar was quoted,
// built from yaml-cpp's event parser because yaml-cpp's own Node silently accepts duplicate keys
// and forgets quoting (so "10" and 10 would look alike).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/diagnostic.hpp"

namespace rollout {

struct YamlNode;
using YamlNodePtr = std::shared_ptr<const YamlNode>;

struct YamlNode {
  enum class Type { null, scalar, sequence, map };
  Type type = Type::null;
  SourcePos pos;
  std::string scalar;              // for scalars
  bool quoted = false;             // scalar written quoted or as a block literal: always a string
  std::vector<YamlNodePtr> items;  // sequence items
  std::vector<std::pair<YamlNodePtr, YamlNodePtr>> entries;  // map entries (key, value), in order
  // > 0 when a scalar's value stands unchanged on its line from this column (plain, or quoted
  // without escapes), so that a column inside the value maps to the file; 0 otherwise.
  int verbatim_column = 0;

  bool is_null() const { return type == Type::null; }
  bool is_scalar() const { return type == Type::scalar; }
  bool is_sequence() const { return type == Type::sequence; }
  bool is_map() const { return type == Type::map; }
  // The value of map key `key`, or nullptr.
  YamlNodePtr find(std::string_view key) const;
  // "a string", "a number", "a list", "a mapping", "null": for type-mismatch messages.
  std::string describe() const;
};

struct YamlDocument {
  YamlNodePtr root;  // never null: an empty document has a null root
  SourcePos start;
};

struct YamlParse {
  std::vector<YamlDocument> documents;
  Diagnostics diagnostics;  // syntax errors, duplicate keys, non-scalar keys
};

// Parses every document in `text`. Never throws; problems are reported as diagnostics.
YamlParse parse_yaml(std::string_view text);

}  // namespace rollout
