// A CLI11-free description of the command tree, for completion scripts and docs.
#pragma once

#include <string>
#include <vector>

namespace rollout::cli {

struct OptionInfo {
  std::vector<std::string> names;  // "-n", "--namespace"
  std::string description;
  bool takes_value = false;
  std::vector<std::string> choices;  // fixed values, if any
  bool file_value = false;           // the value is a path
  bool optional_value = false;       // --flag or --flag=value
  std::string value_name;            // what the value is, as --help shows it: TEXT, FLOAT, FROM=TO
};

// One example of a command: what it does ("" continues the previous example) and the command line.
struct Example {
  std::string what;
  std::string command;
};

struct CommandInfo {
  std::string name;
  std::string description;
  std::vector<OptionInfo> options;
  std::vector<CommandInfo> subcommands;
  bool file_args = false;                // positional arguments are files
  std::vector<std::string> arg_choices;  // fixed values of the positional argument, if any
  std::vector<OptionInfo> arguments;     // positional arguments; names[0] as the synopsis shows it: "FILE..."
  std::vector<Example> examples;         // cli/help_examples.cpp
};

// The whole tree, as registered in cli/app.cpp (hidden commands left out).
CommandInfo command_tree();

// Completion scripts generated from the tree.
std::string bash_completion(const CommandInfo& root);
std::string zsh_completion(const CommandInfo& root);
std::string fish_completion(const CommandInfo& root);

// The manual page rollout(1), in man(7) roff, generated from the tree (cli/manpage.cpp).
std::string man_page(const CommandInfo& root);

}  // namespace rollout::cli
