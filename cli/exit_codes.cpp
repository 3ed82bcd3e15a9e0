#include "cli/exit_codes.hpp"

namespace rollout::cli {

int exit_code_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::usage:
    case ErrorKind::invalid:
    case ErrorKind::not_found: return kExitUsage;
    case ErrorKind::gate_failed: return kExitGateFailed;
    case ErrorKind::aborted: return kExitAborted;
    case ErrorKind::timeout: return kExitDeadline;
    case ErrorKind::unavailable: return kExitInfrastructure;
    case ErrorKind::locked: return kExitLocked;
    case ErrorKind::internal:
    case ErrorKind::conflict:
    case ErrorKind::unimplemented: return kExitInternal;
  }
  return kExitInternal;
}

}  // namespace rollout::cli
