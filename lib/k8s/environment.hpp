// The process environment and file system as configuration loading sees them: a seam, so tests
// can describe a machine (variables, files) without touching the real one.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "util/result.hpp"

namespace rollout::k8s {

struct Environment {
  std::function<std::optional<std::string>(const std::string& name)> getenv;
  std::function<Result<std::string>(const std::string& path)> read_file;  // not_found when missing
  std::function<bool(const std::string& path)> file_exists;

  // The real process environment and file system.
  static Environment system();
};

}  // namespace rollout::k8s
