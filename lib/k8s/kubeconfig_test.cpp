#include "k8s/kubeconfig.hpp"

#include <catch2/catch.hpp>

#include "k8s/fake_machine.hpp"
#include "util/base64.hpp"

using namespace rollout;
using namespace rollout::k8s;

namespace {

// A kubeconfig with one cluster, user and context, all named after `name`.
std::string single(const std::string& name, const std::string& server, const std::string& extra = "") {
  return "clusters:\n- name: " + name + "\n  cluster: {server: " + server + "}\nusers:\n- name: " + name +
         "\n  user: {token: token-" + name + "}\ncontexts:\n- name: " + name + "\n  context: {cluster: " + name +
         ", user: " + name + "}\n" + extra;
}

const std::string kHomeConfig = "/home/me/.kube/config";

}  // namespace

TEST_CASE("the kubeconfig in ~/.kube/config is used when KUBECONFIG is not set", "[kubeconfig]") {
  FakeMachine m;
  m.files[kHomeConfig] = single("dev", "https://dev:6443", "current-context: dev\n");
  auto r = m.load();
  REQUIRE(r.ok());
  CHECK(r->context_name == "dev");
  CHECK(r->cluster_name == "dev");
  CHECK(r->user_name == "dev");
  CHECK(r->cluster.server == "https://dev:6443");
  CHECK(r->user.token == "token-dev");
  CHECK(r->namespace_ == "default");
  CHECK_FALSE(r->in_cluster);
  CHECK(r->files == std::vector<std::string>{kHomeConfig});
}

TEST_CASE("a KUBECONFIG list merges by name, the first definition winning", "[kubeconfig]") {
  FakeMachine m;
  m.vars["KUBECONFIG"] = "/a/config:/b/config:/c/config";
  m.files["/b/config"] = R"(
clusters:
- {name: shared, cluster: {server: https://from-b}}
- {name: only-b, cluster: {server: https://only-b}}
users:
- {name: shared, user: {token: token-b}}
contexts:
- {name: shared, context: {cluster: shared, user: shared, namespace: ns-b}}
- {name: b-ctx, context: {cluster: only-b, user: shared}}
current-context: b-ctx
)";
  m.files["/a/config"] = single("shared", "https://from-a");  // no current-context
  m.files["/c/config"] = single("other", "https://from-c", "current-context: other\n");
  auto r = m.load();
  REQUIRE(r.ok());
  // current-context: /a sets none, so /b's wins over /c's.
  CHECK(r->context_name == "b-ctx");
  CHECK(r->cluster.server == "https://only-b");
  // The user "shared" comes whole from /a, the first file defining it.
  CHECK(r->user.token == "token-shared");
  CHECK(r->files == std::vector<std::string>{"/a/config", "/b/config", "/c/config"});

  auto shared = m.load({.kubeconfig = "", .context = "shared", .namespace_ = ""});
  REQUIRE(shared.ok());
  CHECK(shared->cluster.server == "https://from-a");
  CHECK(shared->namespace_ == "default");  // /a's context "shared" has none; /b's is ignored entirely
  CHECK(m.load({.kubeconfig = "", .context = "other", .namespace_ = ""})->cluster.server == "https://from-c");
}

TEST_CASE("missing and empty KUBECONFIG entries are skipped", "[kubeconfig]") {
  FakeMachine m;
  m.vars["KUBECONFIG"] = ":/missing/config::/b/config:/b/config:";
  m.files["/b/config"] = single("b", "https://b", "current-context: b\n");
  m.files[kHomeConfig] = single("home", "https://home", "current-context: home\n");
  auto r = m.load();
  REQUIRE(r.ok());
  CHECK(r->cluster.server == "https://b");
  CHECK(r->files == std::vector<std::string>{"/b/config"});  // read once; ~/.kube/config not consulted

  m.vars["KUBECONFIG"] = "/missing/one:/missing/two";
  auto none = m.load();
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().kind == ErrorKind::not_found);
  CHECK(none.error().message ==
        "no kubeconfig found (looked for /missing/one, /missing/two) and not running in a pod; pass --kubeconfig or "
        "set KUBECONFIG");
}

TEST_CASE("an unreadable KUBECONFIG entry is an error, not skipped", "[kubeconfig]") {
  FakeMachine m;
  m.vars["KUBECONFIG"] = "/locked/config";
  m.files["/locked/config"] = "";
  Environment env = m.env();
  env.read_file = [](const std::string& p) -> Result<std::string> {
    return make_error(ErrorKind::invalid, "cannot read " + p + ": Permission denied");
  };
  auto r = load_rest_config({}, env);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "cannot read kubeconfig: cannot read /locked/config: Permission denied");
}

TEST_CASE("a --kubeconfig file is used alone and must exist", "[kubeconfig]") {
  FakeMachine m;
  m.vars["KUBECONFIG"] = "/a/config";
  m.files["/a/config"] = single("a", "https://a", "current-context: a\n");
  m.files[kHomeConfig] = single("home", "https://home", "current-context: home\n");
  m.files["/x/config"] = single("x", "https://x", "current-context: x\n");
  auto r = m.load({.kubeconfig = "/x/config", .context = "", .namespace_ = ""});
  REQUIRE(r.ok());
  CHECK(r->cluster.server == "https://x");
  CHECK(r->files == std::vector<std::string>{"/x/config"});
  // Names defined only in KUBECONFIG's files are not visible.
  CHECK(m.error({.kubeconfig = "/x/config", .context = "a", .namespace_ = ""}) ==
        "context \"a\" (from --context) is not defined in /x/config (contexts defined: \"x\")");

  auto missing = m.load({.kubeconfig = "/nope/config", .context = "", .namespace_ = ""});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::not_found);
  CHECK(missing.error().message == "kubeconfig /nope/config (from --kubeconfig) does not exist");
}

TEST_CASE("the --context flag overrides current-context", "[kubeconfig]") {
  FakeMachine m;
  m.files[kHomeConfig] = R"(
clusters:
- {name: prod, cluster: {server: https://prod}}
- {name: staging, cluster: {server: https://staging}}
users:
- {name: me, user: {token: t}}
contexts:
- {name: prod, context: {cluster: prod, user: me}}
- {name: staging, context: {cluster: staging, user: me}}
current-context: prod
)";
  CHECK(m.load()->cluster.server == "https://prod");
  auto r = m.load({.kubeconfig = "", .context = "staging", .namespace_ = ""});
  REQUIRE(r.ok());
  CHECK(r->context_name == "staging");
  CHECK(r->cluster.server == "https://staging");
}

TEST_CASE("missing contexts, clusters and users are named in errors", "[kubeconfig]") {
  FakeMachine m;
  m.files[kHomeConfig] = R"(clusters:
- {name: prod, cluster: {server: https://prod}}
users:
- {name: me, user: {token: t}}
contexts:
- {name: staging, context: {cluster: prod, user: me}}
- {name: lost-cluster, context: {cluster: gone, user: me}}
- {name: lost-user, context: {cluster: prod, user: ghost}}
- {name: no-cluster, context: {user: me}}
current-context: stagign
)";
  auto r = m.load();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::invalid);
  CHECK(r.error().message ==
        "context \"stagign\" (from current-context in /home/me/.kube/config) is not defined in "
        "/home/me/.kube/config; did you mean \"staging\"? (contexts defined: \"lost-cluster\", \"lost-user\", "
        "\"no-cluster\" and \"staging\")");
  CHECK(m.error({.kubeconfig = "", .context = "lost-cluster", .namespace_ = ""}) ==
        "/home/me/.kube/config:7:3: context \"lost-cluster\": cluster \"gone\" is not defined in "
        "/home/me/.kube/config (clusters defined: \"prod\")");
  CHECK(m.error({.kubeconfig = "", .context = "lost-user", .namespace_ = ""}) ==
        "/home/me/.kube/config:8:3: context \"lost-user\": user \"ghost\" is not defined in "
        "/home/me/.kube/config (users defined: \"me\")");
  CHECK(m.error({.kubeconfig = "", .context = "no-cluster", .namespace_ = ""}) ==
        "/home/me/.kube/config:9:3: context \"no-cluster\": no cluster is set");
}

TEST_CASE("no current context is an error that lists the contexts", "[kubeconfig]") {
  FakeMachine m;
  m.files[kHomeConfig] = single("dev", "https://dev");
  CHECK(m.error() ==
        "no current context: /home/me/.kube/config sets no current-context; pass --context NAME (contexts "
        "defined: \"dev\")");
  CHECK(m.load({.kubeconfig = "", .context = "dev", .namespace_ = ""}).ok());
}

TEST_CASE("a context without a user makes anonymous requests", "[kubeconfig]") {
  FakeMachine m;
  m.files[kHomeConfig] =
      "clusters: [{name: c, cluster: {server: https://c}}]\n"
      "contexts: [{name: c, context: {cluster: c}}]\ncurrent-context: c\n";
  auto r = m.load();
  REQUIRE(r.ok());
  CHECK(r->user_name.empty());
  CHECK(r->user.token.empty());
  CHECK_FALSE(r->user.exec);
}

TEST_CASE("the namespace comes from -n, else the context, else default", "[kubeconfig]") {
  FakeMachine m;
  m.files[kHomeConfig] = R"(clusters: [{name: c, cluster: {server: https://c}}]
users: [{name: u, user: {}}]
contexts:
- {name: with-ns, context: {cluster: c, user: u, namespace: team-a}}
- {name: without-ns, context: {cluster: c, user: u}}
- {name: bad-ns, context: {cluster: c, user: u, namespace: Team_A}}
current-context: with-ns
)";
  CHECK(m.load()->namespace_ == "team-a");
  CHECK(m.load({.kubeconfig = "", .context = "", .namespace_ = "flag-ns"})->namespace_ == "flag-ns");
  CHECK(m.load({.kubeconfig = "", .context = "without-ns", .namespace_ = ""})->namespace_ == "default");
  CHECK(m.load({.kubeconfig = "", .context = "without-ns", .namespace_ = "x"})->namespace_ == "x");
  CHECK(m.error({.kubeconfig = "", .context = "bad-ns", .namespace_ = ""}) ==
        "/home/me/.kube/config:6:3: context \"bad-ns\": namespace \"Team_A\" is not a valid namespace name");
}

TEST_CASE("data fields are decoded and bad base64 is reported with the file", "[kubeconfig]") {
  FakeMachine m;
  m.vars["KUBECONFIG"] = "/etc/k/one.yaml";
  m.files["/etc/k/one.yaml"] =
      "clusters: [{name: c, cluster: {server: https://c, certificate-authority-data: " + base64_encode("CA PEM") +
      "}}]\nusers: [{name: u, user: {client-certificate-data: " + base64_encode("CERT PEM") +
      ", client-key-data: " + base64_encode("KEY PEM") +
      "}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n";
  auto r = m.load();
  REQUIRE(r.ok());
  CHECK(r->cluster.certificate_authority_data == "CA PEM");
  CHECK(r->user.client_certificate_data == "CERT PEM");
  CHECK(r->user.client_key_data == "KEY PEM");

  m.files["/etc/k/one.yaml"] = "users:\n- name: u\n  user:\n    client-key-data: \"!!notbase64\"\n";
  CHECK(m.error() ==
        "/etc/k/one.yaml:4:22: users[\"u\"].user.client-key-data: not valid base64: invalid character '!' at "
        "offset 0");
}

TEST_CASE("relative paths resolve against the file that defined them", "[kubeconfig]") {
  FakeMachine m;
  m.vars["KUBECONFIG"] = "/one/config:/two/sub/config";
  m.files["/one/config"] = "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n";
  m.files["/two/sub/config"] =
      "clusters: [{name: c, cluster: {server: https://c, certificate-authority: ca.pem}}]\n"
      "users: [{name: u, user: {client-certificate: ../me.crt, client-key: ../me.key}}]\n";
  m.files["/two/sub/ca.pem"] = "CA";
  m.files["/two/me.crt"] = "CERT";
  m.files["/two/me.key"] = "KEY";
  auto r = m.load();
  REQUIRE(r.ok());
  CHECK(r->cluster.certificate_authority == "/two/sub/ca.pem");
  CHECK(r->user.client_certificate == "/two/me.crt");
  CHECK(r->user.client_key == "/two/me.key");
  m.files.erase("/two/me.key");
  CHECK(m.error() == "/two/sub/config:2:9: user \"u\": client-key file /two/me.key does not exist");
}
