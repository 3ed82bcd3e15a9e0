// In-cluster configuration (the pod's service account), chosen when there is no kubeconfig.
#include <catch2/catch.hpp>

#include "k8s/fake_machine.hpp"
#include "k8s/kubeconfig.hpp"

using namespace rollout;
using namespace rollout::k8s;

namespace {

const std::string kSa = "/var/run/secrets/kubernetes.io/serviceaccount";

FakeMachine pod() {
  FakeMachine m;
  m.vars["KUBERNETES_SERVICE_HOST"] = "10.96.0.1";
  m.vars["KUBERNETES_SERVICE_PORT"] = "443";
  m.files[kSa + "/token"] = "eyJhbGciOi.sa-token";
  m.files[kSa + "/ca.crt"] = "CA PEM";
  m.files[kSa + "/namespace"] = "  inference-prod\n";
  return m;
}

}  // namespace

TEST_CASE("in a pod without a kubeconfig, the service account is used", "[kubeconfig][in-cluster]") {
  auto r = pod().load();
  REQUIRE(r.ok());
  CHECK(r->in_cluster);
  CHECK(r->cluster.server == "https://10.96.0.1:443");
  CHECK(r->cluster.certificate_authority == kSa + "/ca.crt");
  CHECK(r->user.token_file == kSa + "/token");  // re-read as the kubelet rotates it
  CHECK(r->user.token.empty());
  CHECK(r->namespace_ == "inference-prod");
  CHECK(r->context_name.empty());
  CHECK(r->files.empty());
}

TEST_CASE("in-cluster namespace: -n, then POD_NAMESPACE, then the file, then default", "[kubeconfig][in-cluster]") {
  FakeMachine m = pod();
  m.vars["POD_NAMESPACE"] = "from-downward-api";
  CHECK(m.load()->namespace_ == "from-downward-api");
  CHECK(m.load({.kubeconfig = "", .context = "", .namespace_ = "flag"})->namespace_ == "flag");
  m.vars.erase("POD_NAMESPACE");
  m.files.erase(kSa + "/namespace");
  CHECK(m.load()->namespace_ == "default");
}

TEST_CASE("in-cluster brackets an IPv6 host and goes without a missing CA", "[kubeconfig][in-cluster]") {
  FakeMachine m = pod();
  m.vars["KUBERNETES_SERVICE_HOST"] = "fd00:10:96::1";
  m.files.erase(kSa + "/ca.crt");
  auto r = m.load();
  REQUIRE(r.ok());
  CHECK(r->cluster.server == "https://[fd00:10:96::1]:443");
  CHECK(r->cluster.certificate_authority.empty());
}

TEST_CASE("in-cluster needs the Service variables and the token file", "[kubeconfig][in-cluster]") {
  FakeMachine no_token = pod();
  no_token.files.erase(kSa + "/token");
  auto r = no_token.load();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::not_found);
  CHECK(r.error().message ==
        "no kubeconfig found (looked for /home/me/.kube/config) and not running in a pod; pass --kubeconfig or set "
        "KUBECONFIG");
  FakeMachine no_port = pod();
  no_port.vars["KUBERNETES_SERVICE_PORT"] = "";
  CHECK_FALSE(no_port.load().ok());
  FakeMachine nothing;
  nothing.vars.clear();
  CHECK(nothing.error() ==
        "no kubeconfig found (KUBECONFIG and HOME are not set) and not running in a pod; pass --kubeconfig or set "
        "KUBECONFIG");
}

TEST_CASE("a kubeconfig wins over the service account; an empty one does not", "[kubeconfig][in-cluster]") {
  FakeMachine m = pod();
  m.files["/home/me/.kube/config"] =
      "clusters: [{name: c, cluster: {server: https://outside}}]\n"
      "contexts: [{name: c, context: {cluster: c}}]\ncurrent-context: c\n";
  auto r = m.load();
  REQUIRE(r.ok());
  CHECK_FALSE(r->in_cluster);
  CHECK(r->cluster.server == "https://outside");

  m.files["/home/me/.kube/config"] = "apiVersion: v1\nkind: Config\npreferences: {}\n";
  CHECK(m.load()->in_cluster);
  FakeMachine outside;
  outside.files["/home/me/.kube/config"] = "";
  CHECK(outside.error() == "kubeconfig /home/me/.kube/config defines no clusters, users or contexts");
}

TEST_CASE("in a pod without a kubeconfig, --context is an error, not ignored", "[kubeconfig][in-cluster]") {
  CHECK(pod().error({.kubeconfig = "", .context = "prod", .namespace_ = ""}) ==
        "--context \"prod\" names a kubeconfig context, but there is no kubeconfig (this is a pod, which uses its "
        "service account)");
}
