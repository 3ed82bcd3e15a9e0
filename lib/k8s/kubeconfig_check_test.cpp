// The selected cluster and user are checked as client-go checks them before use.
#include "k8s/kubeconfig_check.hpp"

#include <catch2/catch.hpp>

#include "k8s/fake_machine.hpp"

using namespace rollout;
using namespace rollout::k8s;

namespace {

const std::string kConfig = "/home/me/.kube/config";

// A kubeconfig whose current context joins `cluster` and `user` (flow mappings' contents).
FakeMachine machine(const std::string& cluster, const std::string& user) {
  FakeMachine m;
  m.files[kConfig] = "clusters: [{name: c, cluster: {" + cluster + "}}]\nusers: [{name: u, user: {" + user +
                     "}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n";
  return m;
}

std::string cluster_error(const std::string& cluster) {
  return machine(cluster, "").error();
}
std::string user_error(const std::string& user) {
  return machine("server: https://c", user).error();
}

}  // namespace

TEST_CASE("the selected cluster must be usable", "[kubeconfig][check]") {
  CHECK(cluster_error("server: https://c").empty());
  CHECK(cluster_error("tls-server-name: x") == kConfig + ":1:12: cluster \"c\": no server is set");
  CHECK(cluster_error("server: https://c, certificate-authority: /ca.pem, certificate-authority-data: QQ==") ==
        kConfig + ":1:12: cluster \"c\": certificate-authority and certificate-authority-data are both set; keep one");
  CHECK(cluster_error("server: https://c, insecure-skip-tls-verify: true, certificate-authority-data: QQ==") ==
        kConfig + ":1:12: cluster \"c\": insecure-skip-tls-verify cannot be combined with a certificate authority");
  CHECK(cluster_error("server: https://c, certificate-authority: ca.pem") ==
        kConfig + ":1:12: cluster \"c\": certificate-authority file /home/me/.kube/ca.pem does not exist");
  CHECK(cluster_error("server: https://c, proxy-url: ftp://proxy") ==
        kConfig + ":1:12: cluster \"c\": proxy-url must start with http://, https:// or socks5://");
  CHECK(cluster_error("server: https://c, proxy-url: 'socks5://proxy:1080'").empty());
}

TEST_CASE("the selected user must have one consistent way to authenticate", "[kubeconfig][check]") {
  CHECK(user_error("token: t").empty());
  CHECK(user_error("token: t, username: admin, password: p") ==
        kConfig +
            ":2:9: user \"u\": both a token and a username/password are set; only one authentication method is "
            "allowed");
  CHECK(user_error("client-certificate-data: QQ==") ==
        kConfig + ":2:9: user \"u\": a client certificate needs client-key or client-key-data");
  CHECK(user_error("client-certificate-data: QQ==, client-certificate: /c.crt, client-key-data: QQ==") ==
        kConfig + ":2:9: user \"u\": client-certificate and client-certificate-data are both set; keep one");
  CHECK(user_error("client-certificate: me.crt, client-key-data: QQ==") ==
        kConfig + ":2:9: user \"u\": client-certificate file /home/me/.kube/me.crt does not exist");
  CHECK(user_error("tokenFile: /var/token") == kConfig + ":2:9: user \"u\": tokenFile file /var/token does not exist");
  FakeMachine with_file = machine("server: https://c", "tokenFile: /var/token");
  with_file.files["/var/token"] = "t";
  CHECK(with_file.load().ok());
}

TEST_CASE("the selected user's exec plugin must be runnable without a terminal", "[kubeconfig][check]") {
  CHECK(user_error("exec: {command: aws, apiVersion: client.authentication.k8s.io/v1beta1}").empty());
  CHECK(
      user_error("exec: {command: aws, apiVersion: client.authentication.k8s.io/v1, interactiveMode: Never}").empty());
  CHECK(user_error("exec: {command: aws, apiVersion: client.authentication.k8s.io/v1}") ==
        kConfig +
            ":2:9: user \"u\": exec: interactiveMode must be set with apiVersion client.authentication.k8s.io/v1 "
            "(rollout runs credential plugins without a terminal: use Never or IfAvailable)");
  CHECK(user_error("exec: {command: aws, apiVersion: client.authentication.k8s.io/v1, interactiveMode: Always}")
            .find("user \"u\": exec: interactiveMode is Always, but rollout runs credential plugins without a "
                  "terminal") != std::string::npos);
  CHECK(user_error("exec: {command: aws, apiVersion: client.authentication.k8s.io/v1alpha1}") ==
        kConfig +
            ":2:9: user \"u\": exec: apiVersion \"client.authentication.k8s.io/v1alpha1\" is not supported (use "
            "client.authentication.k8s.io/v1 or client.authentication.k8s.io/v1beta1)");
  CHECK(user_error("exec: {apiVersion: client.authentication.k8s.io/v1beta1}") ==
        kConfig + ":2:9: user \"u\": exec: command is empty: it must name the credential plugin to run");
}

TEST_CASE("auth-provider and impersonation are refused rather than ignored", "[kubeconfig][check]") {
  CHECK(user_error("auth-provider: {name: oidc, config: {id-token: x}}") ==
        kConfig +
            ":2:9: user \"u\": auth-provider \"oidc\" is not supported; use a credential plugin (exec), e.g. "
            "kubelogin for OIDC");
  CHECK(user_error("token: t, as: admin") == kConfig + ":2:9: user \"u\": impersonation (as) is not supported");
}

TEST_CASE("entries the context does not select are not checked", "[kubeconfig][check]") {
  FakeMachine m;
  m.files[kConfig] =
      "clusters: [{name: c, cluster: {server: https://c}}, {name: broken, cluster: {}}]\n"
      "users: [{name: u, user: {token: t}}, {name: bad, user: {client-certificate-data: QQ==}}]\n"
      "contexts: [{name: x, context: {cluster: c, user: u}}, {name: y, context: {cluster: broken, user: bad}}]\n"
      "current-context: x\n";
  CHECK(m.load().ok());
  CHECK(m.error({.kubeconfig = "", .context = "y", .namespace_ = ""}) ==
        kConfig + ":1:53: cluster \"broken\": no server is set");
}

TEST_CASE("namespace names are RFC 1123 labels", "[kubeconfig][check]") {
  CHECK(is_namespace_name("default"));
  CHECK(is_namespace_name("team-a1"));
  CHECK(is_namespace_name(std::string(63, 'a')));
  CHECK_FALSE(is_namespace_name(std::string(64, 'a')));
  CHECK_FALSE(is_namespace_name(""));
  CHECK_FALSE(is_namespace_name("-a"));
  CHECK_FALSE(is_namespace_name("a-"));
  CHECK_FALSE(is_namespace_name("Team"));
  CHECK_FALSE(is_namespace_name("a.b"));
}
