// Kubeconfig parsing and resolution as kubectl does it: the input is two files (split at the
// first NUL byte) merged through KUBECONFIG, resolved on a machine held in memory (no file is
// read, no plugin runs), then described for -v. Never a crash; errors are values.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "k8s/kubeconfig.hpp"
#include "k8s/kubeconfig_file.hpp"

using namespace rollout;
using namespace rollout::k8s;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return -1;
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  std::map<std::string, std::string> files{{"/k/a", input.substr(0, nul)}, {"/k/token", "file-token\n"}};
  if (nul != std::string::npos) files["/k/b"] = input.substr(nul + 1);
  (void)parse_kubeconfig("/k/a", files["/k/a"]);

  Environment env;
  env.getenv = [](const std::string& name) -> std::optional<std::string> {
    if (name == "KUBECONFIG") return "/k/a:/k/b";
    if (name == "HOME") return "/home/fuzz";
    return std::nullopt;
  };
  env.read_file = [&files](const std::string& path) -> Result<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return make_error(ErrorKind::not_found, "cannot read " + path);
    return it->second;
  };
  env.file_exists = [&files](const std::string& path) { return files.count(path) > 0; };
  auto config = load_rest_config({}, env);
  if (config.ok()) (void)describe(*config);
  return 0;
}
