// A plan written out for a person to edit (`rollout plan new`): the typed Plan as block YAML in
// the field order of the shipped plans/, with a header comment saying what was found and what
// to edit, and comments at the end of the lines that need a look. Rendering is pure; what goes
// into the plan is found in the cluster by actuators/scaffold.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "plan/plan.hpp"

namespace rollout::plan {

struct Scaffold {
  Plan plan;
  std::vector<std::string> header;  // comment lines above the plan, without the leading "# "
  // Field path ("spec.target.httpRoute.canary.name", "spec.steps[2]", "spec.gates[0]") -> a
  // comment at the end of its line (for a block: on the line that opens it).
  std::map<std::string, std::string> notes;
  // Inside the target's free-form template: the first line containing the text gets the comment
  // ("image: vllm/vllm-openai:v0.9.2" -> "EDIT: the new image").
  std::vector<std::pair<std::string, std::string>> template_notes;
};

// The plan as YAML that load_plan_text reads back as the same plan. Local targets and
// finalize are not written (plan new never makes them): std::logic_error.
std::string render_scaffold(const Scaffold& s);

}  // namespace rollout::plan
