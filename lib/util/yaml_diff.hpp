// Objects as people read them and the difference between two versions: `rollout diff` shows what an
// apply would change as a unified diff of the objects in kubectl's YAML, so reviewers see familiar text.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace rollout {

// A JSON value as block-style YAML the way kubectl -o yaml prints objects: keys in the object's order
// (nlohmann::json sorts them), strings quoted only when a plain scalar would read back as something else
// ("true", "1.0", "", "a: b", "- x", " lead", "yes", ...): double quotes when it would read as another type
// or holds characters YAML cannot show, single quotes otherwise. Multi-line strings are literal block scalars
// (| |- |+) so a ConfigMap's embedded YAML shows line by line; empty containers are {} and [], and lists sit
// at their key's indentation with "- key: v" for objects. parse_yaml_as_json (util/yaml_json.hpp) reads the
// output back as the input, for valid UTF-8 strings and integers of fewer than 18 characters.
std::string to_yaml(const nlohmann::json& value);

// A unified diff of two texts, line by line, as GNU `diff -u` prints it ("--- from_label", "+++ to_label",
// then "@@ -a,b +c,d @@" hunks with `context` lines around each change, "\ No newline at end of file"
// where a text does not end with one); the empty string when the texts are equal.
std::string unified_diff(const std::string& before, const std::string& after, const std::string& from_label,
                         const std::string& to_label, int context = 3);

}  // namespace rollout
