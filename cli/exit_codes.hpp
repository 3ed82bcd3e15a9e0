// The exit codes of SPEC.md section 2, and the one mapping from error kinds to them.
#pragma once

#include <vector>

#include "util/result.hpp"

namespace rollout::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitInternal = 1,
  kExitUsage = 2,  // usage error or invalid plan
  kExitGateFailed = 3,
  kExitAborted = 4,
  kExitDeadline = 5,
  kExitInfrastructure = 6,
  kExitLocked = 7,
};

int exit_code_for(ErrorKind kind);

// What each exit code means, as SPEC.md's table says (for the man page's EXIT STATUS).
struct ExitCodeMeaning {
  int code;
  const char* meaning;
};
const std::vector<ExitCodeMeaning>& exit_code_meanings();

}  // namespace rollout::cli
