#include "k8s/kubeconfig_file.hpp"

#include <catch2/catch.hpp>

#include "util/base64.hpp"

using namespace rollout;
using namespace rollout::k8s;

namespace {
const std::string kPath = "/home/me/.kube/config";
}

TEST_CASE("a kubeconfig parses into named clusters, users and contexts", "[kubeconfig]") {
  const std::string text = R"(apiVersion: v1
kind: Config
current-context: dev
preferences: {}
clusters:
- name: dev-cluster
  cluster:
    server: https://dev.example:6443
    certificate-authority-data: )" +
                           base64_encode("-----BEGIN CERTIFICATE-----\nCA\n") +
                           R"(
    tls-server-name: api.dev
    proxy-url: http://proxy:3128
    extensions: [{name: x, extension: {}}]
users:
- name: alice
  user:
    client-certificate-data: )" +
                           base64_encode("CERT PEM") +
                           R"(
    client-key-data: )" + base64_encode("KEY PEM") +
                           R"(
    token: abc.def
    username: alice
    password: hunter2
contexts:
- name: dev
  context: {cluster: dev-cluster, user: alice, namespace: team-a}
)";
  auto f = parse_kubeconfig(kPath, text);
  REQUIRE(f.ok());
  CHECK(f->current_context == "dev");
  const auto& c = f->clusters.at("dev-cluster");
  CHECK(c.value.server == "https://dev.example:6443");
  CHECK(c.value.certificate_authority_data == "-----BEGIN CERTIFICATE-----\nCA\n");
  CHECK(c.value.tls_server_name == "api.dev");
  CHECK(c.value.proxy_url == "http://proxy:3128");
  CHECK_FALSE(c.value.insecure_skip_tls_verify);
  CHECK(c.file == kPath);
  CHECK(c.pos.line == 6);
  const auto& u = f->users.at("alice").value;
  CHECK(u.client_certificate_data == "CERT PEM");
  CHECK(u.client_key_data == "KEY PEM");
  CHECK(u.token == "abc.def");
  CHECK(u.username == "alice");
  CHECK(u.password == "hunter2");
  CHECK_FALSE(u.exec);
  const auto& ctx = f->contexts.at("dev").value;
  CHECK(ctx.cluster == "dev-cluster");
  CHECK(ctx.user == "alice");
  CHECK(ctx.namespace_ == "team-a");
}

TEST_CASE("relative file references resolve against the kubeconfig's directory", "[kubeconfig]") {
  auto f = parse_kubeconfig(kPath, R"(
clusters:
- name: c
  cluster: {server: https://c, certificate-authority: certs/ca.pem}
- name: abs
  cluster: {server: https://c, certificate-authority: /etc/ca.pem}
users:
- name: u
  user:
    client-certificate: ../pki/me.crt
    client-key: ./me.key
    tokenFile: token
    exec: {command: ./bin/get-token, apiVersion: client.authentication.k8s.io/v1, interactiveMode: Never}
- name: path-plugin
  user:
    exec: {command: aws, apiVersion: client.authentication.k8s.io/v1beta1}
)");
  REQUIRE(f.ok());
  CHECK(f->clusters.at("c").value.certificate_authority == "/home/me/.kube/certs/ca.pem");
  CHECK(f->clusters.at("abs").value.certificate_authority == "/etc/ca.pem");
  const auto& u = f->users.at("u").value;
  CHECK(u.client_certificate == "/home/me/pki/me.crt");
  CHECK(u.client_key == "/home/me/.kube/me.key");
  CHECK(u.token_file == "/home/me/.kube/token");
  CHECK(u.exec->command == "/home/me/.kube/bin/get-token");
  CHECK(f->users.at("path-plugin").value.exec->command == "aws");  // looked up in PATH, not resolved
}

TEST_CASE("an exec plugin is read with its arguments, ordered environment and modes", "[kubeconfig]") {
  auto f = parse_kubeconfig(kPath, R"(
users:
- name: eks
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: aws
      args: [eks, get-token, --cluster-name, prod]
      env:
      - {name: AWS_PROFILE, value: prod}
      - {name: AWS_REGION, value: eu-west-1}
      - {name: EMPTY}
      provideClusterInfo: true
      interactiveMode: IfAvailable
      installHint: Install the AWS CLI.
- name: beta
  user:
    exec: {command: gke-gcloud-auth-plugin, apiVersion: client.authentication.k8s.io/v1beta1}
)");
  REQUIRE(f.ok());
  const ExecConfig& e = *f->users.at("eks").value.exec;
  CHECK(e.api_version == "client.authentication.k8s.io/v1");
  CHECK(e.command == "aws");
  CHECK(e.args == std::vector<std::string>{"eks", "get-token", "--cluster-name", "prod"});
  using Env = std::vector<std::pair<std::string, std::string>>;
  CHECK(e.env == Env{{"AWS_PROFILE", "prod"}, {"AWS_REGION", "eu-west-1"}, {"EMPTY", ""}});
  CHECK(e.provide_cluster_info);
  CHECK(e.interactive_mode == InteractiveMode::if_available);
  CHECK(e.install_hint == "Install the AWS CLI.");
  // v1beta1 defaults interactiveMode to IfAvailable, as client-go does; v1 leaves it unset.
  CHECK(f->users.at("beta").value.exec->interactive_mode == InteractiveMode::if_available);
}

TEST_CASE("empty kubeconfig files parse as empty", "[kubeconfig]") {
  CHECK(parse_kubeconfig(kPath, "")->empty());
  CHECK(parse_kubeconfig(kPath, "# nothing\n")->empty());
  CHECK(parse_kubeconfig(kPath, "apiVersion: v1\nkind: Config\nclusters: []\npreferences: {}\n")->empty());
}

TEST_CASE("kubeconfig errors name the file, the line and the field", "[kubeconfig]") {
  const auto error = [](const std::string& text) {
    auto f = parse_kubeconfig(kPath, text);
    REQUIRE_FALSE(f.ok());
    CHECK(f.error().kind == ErrorKind::invalid);
    return f.error().message;
  };
  CHECK(error("users:\n- name: alice\n  user:\n    client-key-data: bm90%IGJhc2U2NA==\n") ==
        "/home/me/.kube/config:4:22: users[\"alice\"].user.client-key-data: not valid base64: invalid character "
        "'%' at offset 4");
  CHECK(error("clusters:\n- name: c\n  cluster:\n    server: https://c\n    certificate-authority-data: abc\n") ==
        "/home/me/.kube/config:5:33: clusters[\"c\"].cluster.certificate-authority-data: not valid base64: truncated "
        "data (missing '=' padding?) at offset 3");
  CHECK(error("clusters:\n- name: c\n  cluster: {server: https://c, insecure-skip-tls-verify: \"true\"}\n") ==
        "/home/me/.kube/config:3:58: clusters[\"c\"].cluster.insecure-skip-tls-verify: expected true or false, not "
        "the value \"true\"");
  CHECK(error("clusters:\n- name: c\n  cluster: {server: https://a}\n- name: c\n  cluster: {server: https://b}\n") ==
        "/home/me/.kube/config:4:3: clusters[\"c\"]: duplicate name \"c\" (first defined at line 2)");
  CHECK(error("clusters: {c: {server: https://a}}\n") ==
        "/home/me/.kube/config:1:11: clusters: expected a list, not a mapping");
  CHECK(error("users:\n- name: u\n  user:\n    exec: {command: x, apiVersion: v, interactiveMode: Sometimes}\n") ==
        "/home/me/.kube/config:4:56: users[\"u\"].user.exec.interactiveMode: \"Sometimes\" is not an interactive "
        "mode (use Never, IfAvailable or Always)");
  CHECK(error("users:\n- name: u\n  user:\n    exec: {command: x, env: [{value: v}]}\n") ==
        "/home/me/.kube/config:4:30: users[\"u\"].user.exec.env[0].name: an environment variable needs a name");
  CHECK(error("kind: Pod\n") == "/home/me/.kube/config:1:7: kind: expected Config, not \"Pod\"");
  CHECK(error("- a\n- b\n") ==
        "/home/me/.kube/config:1:1: expected a kubeconfig (a mapping with clusters, users and contexts), not a list");
  CHECK(error("clusters:\n\t- name: c\n").rfind("/home/me/.kube/config:", 0) == 0);
  CHECK(error("contexts:\n- name: c\n  context: {cluster: [a]}\n") ==
        "/home/me/.kube/config:3:22: contexts[\"c\"].context.cluster: expected a string, not a list");
}
