// The exit codes of SPEC.md section 2, and the one mapping from error kinds to them.
#pragma once

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

}  // namespace rollout::cli
