// Runs a program to completion with its output captured: for exec credential plugins and similar
// helpers. fork/exec with pipes rather than popen, because callers need stdin, stdout and stderr
// kept apart, a timeout that kills the program, and a clear error when it does not exist.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "util/duration.hpp"
#include "util/result.hpp"

namespace rollout {

struct ProcessResult {
  int exit_code = 0;  // the exit status, or -1 when a signal ended the process
  int signal = 0;     // the signal that ended it, or 0
  std::string stdout_data;
  std::string stderr_data;

  bool succeeded() const { return signal == 0 && exit_code == 0; }
};

using EnvVars = std::vector<std::pair<std::string, std::string>>;

// Runs argv[0] (searched in PATH unless it contains a '/') with this process's environment plus
// `extra_env` (which wins), writes `stdin_data` to its stdin, and waits at most `timeout`.
// A non-zero exit is a result, not an error. Errors: not_found (no such program), invalid (not
// executable), timeout (killed, with its whole process group, after `timeout`), internal.
Result<ProcessResult> run_process(const std::vector<std::string>& argv, const EnvVars& extra_env,
                                  const std::string& stdin_data, Duration timeout);

// The seam through which code runs processes; tests substitute fakes.
using ProcessRunner = std::function<Result<ProcessResult>(
    const std::vector<std::string>& argv, const EnvVars& extra_env, const std::string& stdin_data, Duration timeout)>;

// The last line(s) of a program's output, at most `max_chars`, trimmed: for error messages.
std::string output_tail(const std::string& output, size_t max_chars = 400);

}  // namespace rollout
