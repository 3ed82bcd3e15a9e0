#include "k8s/kubeconfig_check.hpp"

#include "k8s/exec_credential.hpp"
#include "util/text.hpp"

namespace rollout::k8s {

namespace {

// A referenced file (certificate-authority, client-key, ...) must exist, as client-go checks.
template <typename T>
Status check_file(const Defined<T>& at, const std::string& what, const char* field, const std::string& path,
                  const Environment& env) {
  if (path.empty() || env.file_exists(path)) return ok_status();
  return error_at(at, what, std::string(field) + " file " + path + " does not exist");
}

Status check_proxy_url(const Defined<ClusterInfo>& c, const std::string& what) {
  const std::string& url = c.value.proxy_url;
  if (url.empty()) return ok_status();
  for (const char* scheme : {"http://", "https://", "socks5://"})
    if (starts_with(url, scheme)) return ok_status();
  return error_at(c, what, "proxy-url must start with http://, https:// or socks5://");
}

Status check_client_certificate(const Defined<AuthInfo>& u, const std::string& what, const Environment& env) {
  const AuthInfo& a = u.value;
  const bool has_cert = !a.client_certificate.empty() || !a.client_certificate_data.empty();
  if (!has_cert) return ok_status();
  if (!a.client_certificate.empty() && !a.client_certificate_data.empty())
    return error_at(u, what, "client-certificate and client-certificate-data are both set; keep one");
  if (!a.client_key.empty() && !a.client_key_data.empty())
    return error_at(u, what, "client-key and client-key-data are both set; keep one");
  if (a.client_key.empty() && a.client_key_data.empty())
    return error_at(u, what, "a client certificate needs client-key or client-key-data");
  if (Status s = check_file(u, what, "client-certificate", a.client_certificate, env); !s.ok()) return s;
  return check_file(u, what, "client-key", a.client_key, env);
}

}  // namespace

Status check_cluster(const std::string& name, const Defined<ClusterInfo>& cluster, const Environment& env) {
  const ClusterInfo& c = cluster.value;
  const std::string what = "cluster " + quote(name);
  if (c.server.empty()) return error_at(cluster, what, "no server is set");
  if (!c.certificate_authority.empty() && !c.certificate_authority_data.empty())
    return error_at(cluster, what, "certificate-authority and certificate-authority-data are both set; keep one");
  if (c.insecure_skip_tls_verify && (!c.certificate_authority.empty() || !c.certificate_authority_data.empty()))
    return error_at(cluster, what, "insecure-skip-tls-verify cannot be combined with a certificate authority");
  if (Status s = check_proxy_url(cluster, what); !s.ok()) return s;
  return check_file(cluster, what, "certificate-authority", c.certificate_authority, env);
}

Status check_user(const std::string& name, const Defined<AuthInfo>& user, const Environment& env) {
  const AuthInfo& a = user.value;
  const std::string what = "user " + quote(name);
  if ((!a.token.empty() || !a.token_file.empty()) && (!a.username.empty() || !a.password.empty()))
    return error_at(user, what,
                    "both a token and a username/password are set; only one authentication method is allowed");
  if (Status s = check_client_certificate(user, what, env); !s.ok()) return s;
  if (a.token.empty())
    if (Status s = check_file(user, what, "tokenFile", a.token_file, env); !s.ok()) return s;
  if (!a.auth_provider.empty())
    return error_at(user, what,
                    "auth-provider " + quote(a.auth_provider) +
                        " is not supported; use a credential plugin (exec), e.g. kubelogin for OIDC");
  if (!a.impersonate.empty()) return error_at(user, what, "impersonation (as) is not supported");
  if (a.exec)
    if (Status s = check_exec_config(*a.exec); !s.ok()) return error_at(user, what + ": exec", s.error().message);
  return ok_status();
}

bool is_namespace_name(const std::string& ns) {
  if (ns.empty() || ns.size() > 63 || ns.front() == '-' || ns.back() == '-') return false;
  for (char c : ns)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

}  // namespace rollout::k8s
