// describe(): the resolved configuration for -v output. Secrets never appear, only their sizes.
#include <string>

#include "k8s/kubeconfig.hpp"
#include "util/text.hpp"

namespace rollout::k8s {

namespace {

// A URL with any "user:password@" replaced, e.g. a proxy-url that carries credentials.
std::string without_userinfo(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  const size_t end = std::min(url.find_first_of("/?#", start), url.size());
  const size_t at = url.rfind('@', end == 0 ? 0 : end - 1);
  if (at == std::string::npos || at < start || at >= end) return url;
  return url.substr(0, start) + "<redacted>@" + url.substr(at + 1);
}

std::string bytes(const std::string& data) {
  return std::to_string(data.size()) + " bytes";
}

std::string certificate_authority(const ClusterInfo& c) {
  if (!c.certificate_authority_data.empty())
    return "from certificate-authority-data (" + bytes(c.certificate_authority_data) + ")";
  if (!c.certificate_authority.empty()) return "file " + c.certificate_authority;
  return "the system's trusted roots";
}

std::string interactive_mode(InteractiveMode m) {
  switch (m) {
    case InteractiveMode::unset: return "unset";
    case InteractiveMode::never: return "Never";
    case InteractiveMode::if_available: return "IfAvailable";
    case InteractiveMode::always: return "Always";
  }
  return "unset";
}

// Arguments and environment values are left out: plugins are often given secrets that way.
std::string exec_plugin(const ExecConfig& e) {
  std::string names;
  for (const auto& [name, value] : e.env) names += (names.empty() ? "" : ", ") + name;
  return "exec plugin " + quote(e.command) + " (" + e.api_version + ", " + std::to_string(e.args.size()) +
         " argument(s) not shown, environment: " + (names.empty() ? "none" : names) +
         ", interactiveMode: " + interactive_mode(e.interactive_mode) +
         (e.provide_cluster_info ? ", provideClusterInfo" : "") + ")";
}

std::vector<std::string> authentication(const AuthInfo& u) {
  std::vector<std::string> out;
  if (u.exec) out.push_back(exec_plugin(*u.exec));
  if (!u.token.empty())
    out.push_back("bearer token <redacted, " + std::to_string(u.token.size()) + " characters>");
  else if (!u.token_file.empty())
    out.push_back("bearer token from file " + u.token_file);
  if (!u.client_certificate.empty() || !u.client_certificate_data.empty()) {
    const std::string cert =
        u.client_certificate.empty() ? "data, " + bytes(u.client_certificate_data) : "file " + u.client_certificate;
    const std::string key =
        u.client_key.empty() ? "<redacted, " + bytes(u.client_key_data) + ">" : "file " + u.client_key;
    out.push_back("client certificate (" + cert + ") with key (" + key + ")");
  }
  if (!u.username.empty() || !u.password.empty())
    out.push_back("basic auth as " + quote(u.username) + ", password <redacted>");
  if (out.empty()) out.push_back("none (anonymous requests)");
  return out;
}

}  // namespace

std::string describe(const RestConfig& c) {
  std::string out;
  const auto line = [&](const std::string& key, const std::string& value) { out += key + ": " + value + "\n"; };
  if (c.in_cluster) {
    line("configuration", "in-cluster (the pod's service account)");
  } else {
    std::string files;
    for (const auto& f : c.files) files += (files.empty() ? "" : ", ") + f;
    line("kubeconfig", files);
    line("context", c.context_name);
    line("cluster", c.cluster_name);
  }
  line("server", without_userinfo(c.cluster.server));
  line("certificate authority", certificate_authority(c.cluster));
  if (c.cluster.insecure_skip_tls_verify) line("insecure-skip-tls-verify", "true (the server is not verified)");
  if (!c.cluster.tls_server_name.empty()) line("tls-server-name", c.cluster.tls_server_name);
  if (!c.cluster.proxy_url.empty()) line("proxy-url", without_userinfo(c.cluster.proxy_url));
  if (!c.user_name.empty()) line("user", c.user_name);
  for (const auto& auth : authentication(c.user)) line("authentication", auth);
  line("namespace", c.namespace_);
  return out;
}

}  // namespace rollout::k8s
