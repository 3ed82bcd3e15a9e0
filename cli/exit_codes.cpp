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

const std::vector<ExitCodeMeaning>& exit_code_meanings() {
  static const std::vector<ExitCodeMeaning> table = {
      {kExitOk, "completed (or dry-run, diff or validate succeeded; or --until-pause reached a pause)"},
      {kExitInternal, "unexpected internal error"},
      {kExitUsage, "usage error or invalid plan"},
      {kExitGateFailed, "a gate failed: the rollout was rolled back (or paused, with onFailure: pause)"},
      {kExitAborted, "aborted by a user (rollout abort or the interactive prompt)"},
      {kExitDeadline, "deadline exceeded (--timeout or spec.progressDeadline)"},
      {kExitInfrastructure,
       "infrastructure error: cluster, load balancer or metrics backend unreachable after retries"},
      {kExitLocked, "another apply holds this rollout's lock"},
  };
  return table;
}

}  // namespace rollout::cli
