// For tests: a machine described in memory (environment variables and files) behind Environment.
#pragma once

#include <map>
#include <string>

#include "k8s/environment.hpp"
#include "k8s/kubeconfig.hpp"

namespace rollout::k8s {

struct FakeMachine {
  std::map<std::string, std::string> vars{{"HOME", "/home/me"}};
  std::map<std::string, std::string> files;

  Environment env() const {
    Environment e;
    e.getenv = [this](const std::string& name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
    e.read_file = [this](const std::string& path) -> Result<std::string> {
      auto it = files.find(path);
      if (it == files.end()) return make_error(ErrorKind::not_found, "cannot read " + path + ": No such file");
      return it->second;
    };
    e.file_exists = [this](const std::string& path) { return files.count(path) > 0; };
    return e;
  }

  Result<RestConfig> load(ConfigOverrides o = {}) const { return load_rest_config(o, env()); }

  // The error message of a load expected to fail ("" if it succeeded).
  std::string error(ConfigOverrides o = {}) const {
    auto r = load(std::move(o));
    return r.ok() ? "" : r.error().message;
  }
};

}  // namespace rollout::k8s
