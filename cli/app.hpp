// The `rollout` command tree (CLI11) and the single error boundary of the program.
#pragma once

namespace rollout::cli {

// Parses argv, runs the chosen command, and maps its outcome to an exit code (SPEC.md section 2).
int run(int argc, char** argv);

}  // namespace rollout::cli
