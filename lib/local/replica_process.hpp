// A replica as a process on this machine: started detached (its own session and process group,
// stdout and stderr to a log file, CUDA_VISIBLE_DEVICES set) so that it outlives the `apply` that
// started it, recorded by pid and start time so that a later run adopts it instead of starting a
// duplicate, and stopped gracefully: SIGTERM, then SIGKILL after the grace time.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "plan/plan.hpp"
#include "util/duration.hpp"
#include "util/result.hpp"

namespace rollout::local {

// {gpu} {port} {name} {model} in one template string.
std::string expand(const std::string& text, const plan::LocalReplica& r, const std::string& model);
std::vector<std::string> expand_all(const std::vector<std::string>& argv, const plan::LocalReplica& r,
                                    const std::string& model);

// One process: its pid and start time (a pid alone may be reused).
struct ProcessRecord {
  int pid = 0;
  long long start = 0;
  bool operator==(const ProcessRecord&) const = default;
};

// Still the same process (alive, same start time).
bool running(const ProcessRecord& p);

// Starts argv detached: double fork, setsid, stdin from /dev/null, stdout and stderr appended to
// `log_file`, this environment plus `env`. The process is no child of ours, so nothing reaps
// or kills it when we exit.
Result<ProcessRecord> start_detached(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                                     const std::string& log_file);

// SIGTERM to the process (its whole group when it leads one, as the processes we start do), then
// SIGKILL to what is left after `grace`; returns once it is gone. True if it needed SIGKILL.
Result<bool> stop_process(int pid, Duration grace);

}  // namespace rollout::local
