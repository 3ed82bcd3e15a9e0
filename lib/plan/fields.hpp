// The plan format's object types and their fields, in one table. The decoder rejects any key
// not listed here, and a test checks plans/schema.json against it, so the two cannot drift.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rollout::plan {

struct FieldSpec {
  std::string name;
  bool required = false;
};

struct ObjectSpec {
  std::string type;               // e.g. "HttpRouteTarget"; a $defs name in plans/schema.json
  std::vector<FieldSpec> fields;  // in documentation order
};

// Every object type of the plan format. "RolloutPlan" is the root.
const std::vector<ObjectSpec>& object_specs();

// The spec of `type`; throws std::logic_error for an unknown type (a programming error).
const ObjectSpec& object_spec(std::string_view type);

}  // namespace rollout::plan
