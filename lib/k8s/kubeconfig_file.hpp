// One kubeconfig file, parsed: its named clusters, users and contexts. Each entry remembers where
// it was defined, because an error about a merged configuration must say which file to fix.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "k8s/kubeconfig.hpp"
#include "util/diagnostic.hpp"
#include "util/result.hpp"

namespace rollout::k8s {

struct ContextInfo {
  std::string cluster;
  std::string user;
  std::string namespace_;
};

// A cluster, user or context together with the place that defined it.
template <typename T>
struct Defined {
  T value;
  std::string file;
  SourcePos pos;
};

struct KubeconfigFile {
  std::string path;
  std::string current_context;
  std::map<std::string, Defined<ClusterInfo>> clusters;
  std::map<std::string, Defined<AuthInfo>> users;
  std::map<std::string, Defined<ContextInfo>> contexts;

  // Nothing a client could use (client-go then falls back to the in-cluster configuration).
  bool empty() const { return current_context.empty() && clusters.empty() && users.empty() && contexts.empty(); }
};

// Parses the kubeconfig YAML read from `path` (which should be absolute): base64 data fields are
// decoded and relative file references resolved against the directory of `path`. Unknown keys are
// ignored, as kubectl ignores them. Errors (kind invalid) read "PATH:LINE:COL: field: problem".
Result<KubeconfigFile> parse_kubeconfig(const std::string& path, std::string_view text);

}  // namespace rollout::k8s
