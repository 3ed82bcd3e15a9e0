// The examples every command's --help ends with, in one table keyed by command path; the man
// page's EXAMPLES section is made from the same table.
#pragma once

#include <string>
#include <vector>

#include "cli/command_info.hpp"

namespace rollout::cli {

// Examples of a command, by its path below `rollout`: "" for rollout itself, "plan validate".
// Empty for a path the table does not know.
const std::vector<Example>& help_examples(const std::string& path);

// "Examples:" and the examples, indented as --help prints them ("" when there are none).
std::string examples_text(const std::vector<Example>& examples);

}  // namespace rollout::cli
