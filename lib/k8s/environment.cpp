#include "k8s/environment.hpp"

#include <cstdlib>

#include "util/file.hpp"

namespace rollout::k8s {

Environment Environment::system() {
  Environment env;
  env.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  env.read_file = [](const std::string& path) { return rollout::read_file(path); };
  env.file_exists = [](const std::string& path) { return rollout::file_exists(path); };
  return env;
}

}  // namespace rollout::k8s
