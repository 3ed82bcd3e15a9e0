#include <catch2/catch.hpp>

#include "k8s/fake_machine.hpp"
#include "k8s/kubeconfig.hpp"
#include "util/base64.hpp"

using namespace rollout;
using namespace rollout::k8s;

namespace {

const std::string kToken = "eyJhbGciOiJSUzI1NiJ9.secret-token-value";
const std::string kPassword = "hunter2-password";
const std::string kKeyPem = "-----BEGIN PRIVATE KEY-----\nPRIVATEKEYBYTES\n-----END PRIVATE KEY-----\n";

RestConfig full_config() {
  FakeMachine m;
  m.files["/home/me/.kube/config"] = R"(
clusters:
- name: prod
  cluster:
    server: https://api.prod.example:6443
    certificate-authority-data: )" + base64_encode("CA PEM") +
                                     R"(
    proxy-url: http://proxyuser:proxy-secret@proxy.example:3128
users:
- name: admin
  user:
    client-certificate-data: )" + base64_encode("CERT PEM") +
                                     R"(
    client-key-data: )" + base64_encode(kKeyPem) +
                                     R"(
    token: )" + kToken + R"(
- name: basic
  user: {username: alice, password: )" +
                                     kPassword + R"(}
- name: plugin
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: kubelogin
      args: [get-token, --oidc-client-secret=arg-secret]
      env: [{name: CLIENT_SECRET, value: env-secret}]
      interactiveMode: Never
contexts:
- {name: prod, context: {cluster: prod, user: admin, namespace: serving}}
- {name: basic, context: {cluster: prod, user: basic}}
- {name: plugin, context: {cluster: prod, user: plugin}}
current-context: prod
)";
  return m.load().value();
}

void check_no_secrets(const std::string& text) {
  for (const std::string& secret : {kToken, kPassword, std::string("PRIVATEKEYBYTES"), std::string("proxy-secret"),
                                    std::string("arg-secret"), std::string("env-secret")})
    CHECK(text.find(secret) == std::string::npos);
}

}  // namespace

TEST_CASE("describe shows where a config points and how it authenticates", "[kubeconfig][describe]") {
  const std::string text = describe(full_config());
  CHECK(text ==
        "kubeconfig: /home/me/.kube/config\n"
        "context: prod\n"
        "cluster: prod\n"
        "server: https://api.prod.example:6443\n"
        "certificate authority: from certificate-authority-data (6 bytes)\n"
        "proxy-url: http://<redacted>@proxy.example:3128\n"
        "user: admin\n"
        "authentication: bearer token <redacted, 39 characters>\n"
        "authentication: client certificate (data, 8 bytes) with key (<redacted, 70 bytes>)\n"
        "namespace: serving\n");
  check_no_secrets(text);
}

TEST_CASE("describe never shows passwords, exec arguments or environment values", "[kubeconfig][describe]") {
  RestConfig c = full_config();
  c.user = AuthInfo{};
  c.user.username = "alice";
  c.user.password = kPassword;
  const std::string basic_text = describe(c);
  CHECK(basic_text.find("authentication: basic auth as \"alice\", password <redacted>\n") != std::string::npos);
  check_no_secrets(basic_text);

  c.user = AuthInfo{};
  c.user.exec = ExecConfig{"client.authentication.k8s.io/v1",
                           "kubelogin",
                           {"get-token", "--secret=arg-secret"},
                           {{"CLIENT_SECRET", "env-secret"}},
                           true,
                           InteractiveMode::never,
                           ""};
  const std::string exec_text = describe(c);
  CHECK(exec_text.find("authentication: exec plugin \"kubelogin\" (client.authentication.k8s.io/v1, 2 argument(s) "
                       "not shown, environment: CLIENT_SECRET, interactiveMode: Never, provideClusterInfo)\n") !=
        std::string::npos);
  check_no_secrets(exec_text);
}

TEST_CASE("describe shows in-cluster configuration and anonymous users", "[kubeconfig][describe]") {
  RestConfig c;
  c.in_cluster = true;
  c.cluster.server = "https://10.96.0.1:443";
  c.cluster.certificate_authority = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
  c.user.token_file = "/var/run/secrets/kubernetes.io/serviceaccount/token";
  c.namespace_ = "default";
  CHECK(describe(c) ==
        "configuration: in-cluster (the pod's service account)\n"
        "server: https://10.96.0.1:443\n"
        "certificate authority: file /var/run/secrets/kubernetes.io/serviceaccount/ca.crt\n"
        "authentication: bearer token from file /var/run/secrets/kubernetes.io/serviceaccount/token\n"
        "namespace: default\n");
  c.user = AuthInfo{};
  c.cluster.certificate_authority.clear();
  c.cluster.insecure_skip_tls_verify = true;
  const std::string text = describe(c);
  CHECK(text.find("certificate authority: the system's trusted roots\n") != std::string::npos);
  CHECK(text.find("insecure-skip-tls-verify: true (the server is not verified)\n") != std::string::npos);
  CHECK(text.find("authentication: none (anonymous requests)\n") != std::string::npos);
}
