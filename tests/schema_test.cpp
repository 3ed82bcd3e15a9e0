// plans/schema.json (for editors) and the validator's field table describe the same format.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "plan/fields.hpp"

using nlohmann::json;

namespace {

json load_schema() {
  std::ifstream in(std::string(ROLLOUT_SOURCE_DIR) + "/plans/schema.json");
  return json::parse(in);
}

}  // namespace

TEST_CASE("schema.json has exactly the validator's object types", "[schema]") {
  json schema = load_schema();
  std::set<std::string> in_schema, in_table;
  for (const auto& [name, def] : schema.at("$defs").items()) in_schema.insert(name);
  for (const auto& spec : rollout::plan::object_specs()) in_table.insert(spec.type);
  CHECK(in_schema == in_table);
  CHECK(schema.at("$ref") == "#/$defs/RolloutPlan");
}

TEST_CASE("schema.json has exactly the validator's fields and required fields", "[schema]") {
  json defs = load_schema().at("$defs");
  for (const auto& spec : rollout::plan::object_specs()) {
    INFO(spec.type);
    REQUIRE(defs.contains(spec.type));
    const json& def = defs.at(spec.type);
    CHECK(def.at("additionalProperties") == false);
    std::vector<std::string> props, required, table_fields, table_required;
    for (const auto& [name, p] : def.at("properties").items()) {
      props.push_back(name);
      CHECK(p.contains("description"));
    }
    if (def.contains("required")) required = def.at("required").get<std::vector<std::string>>();
    for (const auto& f : spec.fields) {
      table_fields.push_back(f.name);
      if (f.required) table_required.push_back(f.name);
    }
    std::sort(props.begin(), props.end());
    std::sort(table_fields.begin(), table_fields.end());
    std::sort(required.begin(), required.end());
    std::sort(table_required.begin(), table_required.end());
    CHECK(props == table_fields);
    CHECK(required == table_required);
  }
}
