// RFC 3339 timestamps ("2024-05-01T12:00:00Z", "2024-05-01T14:00:00.5+02:00"): how Kubernetes
// writes times (metav1.Time), e.g. an exec credential's expirationTimestamp.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace rollout {

using TimePoint = std::chrono::system_clock::time_point;

// Parses an RFC 3339 date-time with an optional fraction and a "Z" or "+hh:mm" offset.
Result<TimePoint> parse_rfc3339(std::string_view text);

// Formats in UTC with whole seconds, e.g. "2024-05-01T12:00:00Z".
std::string format_rfc3339(TimePoint t);

}  // namespace rollout
