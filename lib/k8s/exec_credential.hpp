// Credentials from a client-go credential plugin (users[].user.exec in a kubeconfig): runs the
// plugin with KUBERNETES_EXEC_INFO set, validates the ExecCredential it prints, and caches it until
// it expires or the API server rejects it (a 401 calls invalidate()). Cloud clusters (EKS, GKE, AKS,
// OIDC via kubelogin) authenticate this way.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "k8s/kubeconfig.hpp"
#include "util/duration.hpp"
#include "util/result.hpp"
#include "util/subprocess.hpp"

namespace rollout::k8s {

inline constexpr std::string_view kExecApiV1 = "client.authentication.k8s.io/v1";
inline constexpr std::string_view kExecApiV1beta1 = "client.authentication.k8s.io/v1beta1";

struct Credential {
  std::string token;                                                // bearer token (secret)
  std::string client_certificate_data;                              // PEM
  std::string client_key_data;                                      // PEM (secret)
  std::optional<std::chrono::system_clock::time_point> expiration;  // none: valid until rejected
};

// Whether rollout can run this plugin: a command, a supported apiVersion, and an interactive mode
// that works without a terminal (v1 requires one to be written). Errors are kind invalid.
Status check_exec_config(const ExecConfig& exec);

// The ExecCredential request passed to the plugin in KUBERNETES_EXEC_INFO. `ca_data` is the
// cluster's CA (PEM), sent only with provideClusterInfo.
std::string exec_info_json(const ExecConfig& exec, const ClusterInfo& cluster, const std::string& ca_data);

// Validates a plugin's stdout against the requested apiVersion. Errors never quote the output.
Result<Credential> parse_exec_credential(std::string_view output, const std::string& api_version);

class ExecCredentialProvider {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  // Read the cluster's CA file for provideClusterInfo (when it has no certificate-authority-data).
  using FileReader = std::function<Result<std::string>(const std::string& path)>;

  // Empty seams default to the system clock, run_process and reading the real file.
  ExecCredentialProvider(ExecConfig exec, ClusterInfo cluster, Clock clock = {}, ProcessRunner runner = {},
                         FileReader read_file = {});

  // The cached credential while it has not expired; otherwise runs the plugin.
  Result<Credential> get();
  // Forgets the cached credential, so the next get() runs the plugin (after a 401).
  void invalidate();

  // How long the plugin may run: it may be waiting for a login in a browser.
  static constexpr Duration kTimeout = std::chrono::minutes(5);

 private:
  Result<Credential> run();
  Error plugin_error(const ProcessResult& r) const;

  ExecConfig exec_;
  ClusterInfo cluster_;
  Clock clock_;
  ProcessRunner runner_;
  FileReader read_file_;
  std::mutex mutex_;  // one plugin run at a time; concurrent callers share its result
  std::optional<Credential> cached_;
};

}  // namespace rollout::k8s
