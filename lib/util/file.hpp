// Whole-file reads with errors as values, for small configuration files (kubeconfig, tokens).
#pragma once

#include <string>

#include "util/result.hpp"

namespace rollout {

// The file's bytes. A missing file is ErrorKind::not_found; other failures (a directory,
// permission denied) are ErrorKind::invalid. Messages name the path.
Result<std::string> read_file(const std::string& path);

// Whether anything exists at `path` (a dangling symlink does not).
bool file_exists(const std::string& path);

}  // namespace rollout
