// Which cluster to talk to, as whom, and in which namespace: resolved from kubeconfig files (or
// from the service account when running in a pod) exactly as kubectl (client-go's clientcmd)
// resolves them, so `rollout` and `kubectl` always agree on where they point.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "k8s/environment.hpp"
#include "util/result.hpp"

namespace rollout::k8s {

struct ClusterInfo {
  std::string server;                      // "https://host:port"
  std::string certificate_authority_data;  // PEM bytes (certificate-authority-data, decoded)
  std::string certificate_authority;       // path (absolute once loaded)
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;
  std::string proxy_url;
};

// How a credential plugin may interact with the user (client.authentication.k8s.io/v1 requires it).
enum class InteractiveMode { unset, never, if_available, always };

// A client-go credential plugin (users[].user.exec).
struct ExecConfig {
  std::string api_version;  // client.authentication.k8s.io/v1 or v1beta1
  std::string command;      // absolute if it was written with a '/', else looked up in PATH
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;  // in order
  bool provide_cluster_info = false;
  InteractiveMode interactive_mode = InteractiveMode::unset;
  std::string install_hint;
};

struct AuthInfo {
  std::string client_certificate_data;  // PEM
  std::string client_certificate;       // path
  std::string client_key_data;          // PEM (secret)
  std::string client_key;               // path
  std::string token;                    // secret
  std::string token_file;               // path, re-read when the token rotates
  std::string username;
  std::string password;  // secret
  std::optional<ExecConfig> exec;
  // Read only to refuse them (check_user): ignoring them would send requests as someone else.
  std::string auth_provider;  // auth-provider.name (legacy oidc/gcp/azure plugins)
  std::string impersonate;    // as
};

// Everything a REST client needs to reach the API server.
struct RestConfig {
  std::string context_name;  // empty in-cluster
  std::string cluster_name;
  std::string user_name;
  ClusterInfo cluster;
  AuthInfo user;
  std::string namespace_;
  bool in_cluster = false;
  std::vector<std::string> files;  // the kubeconfig files read, in precedence order
};

// What the command line says (--kubeconfig, --context, -n); empty means "not given".
struct ConfigOverrides {
  std::string kubeconfig;
  std::string context;
  std::string namespace_;
};

// Files: --kubeconfig alone (it must exist); else each file in $KUBECONFIG (colon-separated; empty
// and missing entries skipped); else ~/.kube/config. Merged by name, the first file to define a
// cluster, user or context wins, as does the first to set current-context. With no configuration
// at all, the pod's service account (in-cluster) when KUBERNETES_SERVICE_HOST/PORT are set.
// Namespace: -n, else the context's, else "default". Errors (invalid, not_found) name the file
// and the field.
Result<RestConfig> load_rest_config(const ConfigOverrides& overrides, const Environment& env);

// A multi-line summary for -v output. Never includes a secret: tokens, passwords, key data, exec
// arguments and environment values are redacted (only their sizes or names are shown).
std::string describe(const RestConfig& config);

}  // namespace rollout::k8s
