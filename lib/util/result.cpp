#include "util/result.hpp"

namespace rollout {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::internal: return "internal";
    case ErrorKind::usage: return "usage";
    case ErrorKind::invalid: return "invalid";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::conflict: return "conflict";
    case ErrorKind::unavailable: return "unavailable";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::gate_failed: return "gate_failed";
    case ErrorKind::aborted: return "aborted";
    case ErrorKind::locked: return "locked";
    case ErrorKind::unimplemented: return "unimplemented";
  }
  return "internal";
}

}  // namespace rollout
