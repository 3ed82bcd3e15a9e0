#include "k8s/exec_credential.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "util/base64.hpp"
#include "util/file.hpp"
#include "util/timestamp.hpp"

using namespace rollout;
using namespace rollout::k8s;
using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

namespace {

// A scratch directory holding a plugin script, removed afterwards.
struct PluginDir {
  std::filesystem::path path;
  PluginDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "rollout-exec-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~PluginDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
  std::string write_plugin(const std::string& body) const {
    const std::string p = file("plugin");
    std::ofstream(p) << "#!/bin/sh\n" << body;
    ::chmod(p.c_str(), 0755);
    return p;
  }
  int runs() const {
    auto count = read_file(file("count"));
    return count.ok() ? std::stoi(*count) : 0;
  }
};

// Counts its runs, records its arguments and KUBERNETES_EXEC_INFO, and prints a token credential
// whose apiVersion and expiry come from the environment the kubeconfig gives it.
const char* kTokenPlugin = R"(n=$(cat "$DIR/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$DIR/count"
printf '%s' "$KUBERNETES_EXEC_INFO" > "$DIR/info.json"
printf '%s\n' "$@" > "$DIR/args"
expiry=""
[ -n "$EXPIRY" ] && expiry=",\"expirationTimestamp\":\"$EXPIRY\""
printf '{"kind":"ExecCredential","apiVersion":"%s","status":{"token":"token-%s"%s}}' "$API" "$n" "$expiry"
)";

ExecConfig exec_for(const PluginDir& dir, const std::string& command, const std::string& api = std::string(kExecApiV1),
                    const std::string& expiry = "") {
  ExecConfig e;
  e.api_version = api;
  e.command = command;
  e.args = {"get-token", "--cluster", "prod"};
  e.env = {{"DIR", dir.path.string()}, {"API", api}, {"EXPIRY", expiry}};
  e.interactive_mode = InteractiveMode::never;
  return e;
}

const Clock::time_point kStart = parse_rfc3339("2025-01-01T10:00:00Z").value();

}  // namespace

TEST_CASE("a plugin's credential is cached until it expires", "[exec]") {
  PluginDir dir;
  Clock::time_point now = kStart;
  ExecCredentialProvider p(
      exec_for(dir, dir.write_plugin(kTokenPlugin), std::string(kExecApiV1), "2025-01-01T10:10:00Z"), ClusterInfo{},
      [&] { return now; });
  auto first = p.get();
  REQUIRE(first.ok());
  CHECK(first->token == "token-1");
  CHECK(first->expiration == parse_rfc3339("2025-01-01T10:10:00Z").value());
  now = kStart + 9min;
  CHECK(p.get()->token == "token-1");
  CHECK(dir.runs() == 1);
  now = kStart + 10min;  // expired: run again
  CHECK(p.get()->token == "token-2");
  CHECK(dir.runs() == 2);
  CHECK(read_file(dir.file("args")).value() == "get-token\n--cluster\nprod\n");
}

TEST_CASE("a credential without expiry is kept until invalidated", "[exec]") {
  PluginDir dir;
  ExecCredentialProvider p(exec_for(dir, dir.write_plugin(kTokenPlugin)), ClusterInfo{});
  CHECK(p.get()->token == "token-1");
  CHECK(p.get()->token == "token-1");
  CHECK_FALSE(p.get()->expiration);
  p.invalidate();  // e.g. the API server answered 401
  CHECK(p.get()->token == "token-2");
  CHECK(dir.runs() == 2);
}

TEST_CASE("KUBERNETES_EXEC_INFO carries the request and, if asked, the cluster", "[exec]") {
  PluginDir dir;
  ClusterInfo cluster;
  cluster.server = "https://api.prod:6443";
  cluster.certificate_authority_data = "CA PEM";
  cluster.tls_server_name = "api.internal";
  cluster.proxy_url = "http://proxy:3128";
  ExecConfig e = exec_for(dir, dir.write_plugin(kTokenPlugin));
  REQUIRE(ExecCredentialProvider(e, cluster).get().ok());
  CHECK(nlohmann::json::parse(read_file(dir.file("info.json")).value()) ==
        nlohmann::json::parse(R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1",
                                  "spec":{"interactive":false}})"));
  e.provide_cluster_info = true;
  REQUIRE(ExecCredentialProvider(e, cluster).get().ok());
  const auto info = nlohmann::json::parse(read_file(dir.file("info.json")).value());
  CHECK(info["spec"] == nlohmann::json::parse(R"({"interactive":false,"cluster":{
      "server":"https://api.prod:6443","certificate-authority-data":")" +
                                              base64_encode("CA PEM") + R"(",
      "tls-server-name":"api.internal","proxy-url":"http://proxy:3128"}})"));
}

TEST_CASE("with provideClusterInfo, a CA file is read and sent as data", "[exec]") {
  PluginDir dir;
  ClusterInfo cluster;
  cluster.server = "https://c";
  cluster.certificate_authority = "/etc/ca.pem";
  cluster.insecure_skip_tls_verify = false;
  ExecConfig e = exec_for(dir, dir.write_plugin(kTokenPlugin), std::string(kExecApiV1beta1));
  e.provide_cluster_info = true;
  const auto files = [](const std::string& path) -> Result<std::string> {
    if (path == "/etc/ca.pem") return std::string("FILE CA");
    return make_error(ErrorKind::not_found, "cannot read " + path);
  };
  REQUIRE(ExecCredentialProvider(e, cluster, {}, {}, files).get().ok());
  const auto info = nlohmann::json::parse(read_file(dir.file("info.json")).value());
  CHECK(info["apiVersion"] == "client.authentication.k8s.io/v1beta1");
  CHECK(info["spec"]["cluster"]["certificate-authority-data"] == base64_encode("FILE CA"));

  cluster.certificate_authority = "/missing.pem";
  auto r = ExecCredentialProvider(e, cluster, {}, {}, files).get();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("cannot send the cluster's CA: cannot read /missing.pem") != std::string::npos);
}

TEST_CASE("v1beta1 plugins work, and the apiVersion must match the request", "[exec]") {
  PluginDir dir;
  const std::string plugin = dir.write_plugin(kTokenPlugin);
  CHECK(ExecCredentialProvider(exec_for(dir, plugin, std::string(kExecApiV1beta1)), ClusterInfo{}).get()->token ==
        "token-1");
  ExecConfig mismatch = exec_for(dir, plugin, std::string(kExecApiV1beta1));
  mismatch.env[1].second = std::string(kExecApiV1);  // the plugin answers v1 to a v1beta1 request
  auto r = ExecCredentialProvider(mismatch, ClusterInfo{}).get();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::invalid);
  CHECK(r.error().message == "credential plugin \"" + plugin +
                                 "\" printed no usable credential: its output has apiVersion "
                                 "\"client.authentication.k8s.io/v1\", but the kubeconfig asks for "
                                 "\"client.authentication.k8s.io/v1beta1\"");
  CHECK(r.error().message.find("token-") == std::string::npos);
}

TEST_CASE("interactive modes rollout cannot honour are refused before running", "[exec]") {
  PluginDir dir;
  ExecConfig e = exec_for(dir, dir.write_plugin(kTokenPlugin));
  e.interactive_mode = InteractiveMode::unset;
  auto unset = ExecCredentialProvider(e, ClusterInfo{}).get();
  REQUIRE_FALSE(unset.ok());
  CHECK(unset.error().message.find("interactiveMode must be set with apiVersion client.authentication.k8s.io/v1") !=
        std::string::npos);
  e.interactive_mode = InteractiveMode::always;
  auto always = ExecCredentialProvider(e, ClusterInfo{}).get();
  REQUIRE_FALSE(always.ok());
  CHECK(always.error().message.find("interactiveMode is Always, but rollout runs credential plugins without a "
                                    "terminal") != std::string::npos);
  CHECK(dir.runs() == 0);
  e.interactive_mode = InteractiveMode::if_available;
  CHECK(ExecCredentialProvider(e, ClusterInfo{}).get().ok());
}

TEST_CASE("a failing plugin's error carries its stderr but never its output", "[exec]") {
  PluginDir dir;
  const std::string plugin = dir.write_plugin(
      "echo '{\"status\":{\"token\":\"leaked-secret\"}}'\n"
      "echo 'error: SSO session expired' >&2\necho 'run: aws sso login' >&2\nexit 255\n");
  auto r = ExecCredentialProvider(exec_for(dir, plugin), ClusterInfo{}).get();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::unavailable);
  CHECK(r.error().message ==
        "credential plugin \"" + plugin + "\" failed (exit code 255): error: SSO session expired\nrun: aws sso login");
}

TEST_CASE("bad plugin output is refused without quoting the output", "[exec]") {
  PluginDir dir;
  const std::string plugin =
      dir.write_plugin("echo 'warning: cache miss' >&2\nprintf '{\"status\":{\"token\":\"leaked-secret\"'\n");
  auto r = ExecCredentialProvider(exec_for(dir, plugin), ClusterInfo{}).get();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::invalid);
  CHECK(r.error().message == "credential plugin \"" + plugin +
                                 "\" printed no usable credential: its output is not JSON (syntax error at byte "
                                 "35); its stderr ends: warning: cache miss");
}

TEST_CASE("a missing plugin is reported with its install hint", "[exec]") {
  PluginDir dir;
  ExecConfig e = exec_for(dir, "rollout-test-no-such-plugin");
  e.install_hint = "Install it with: brew install no-such-plugin\n";
  auto r = ExecCredentialProvider(e, ClusterInfo{}).get();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::not_found);
  CHECK(r.error().message ==
        "credential plugin: program \"rollout-test-no-such-plugin\" not found in PATH. Install it with: brew install "
        "no-such-plugin");
}

TEST_CASE("runner errors such as a timeout pass through with their kind", "[exec]") {
  PluginDir dir;
  std::vector<std::string> seen_argv;
  EnvVars seen_env;
  Duration seen_timeout{};
  const ProcessRunner runner = [&](const std::vector<std::string>& argv, const EnvVars& env, const std::string&,
                                   Duration timeout) -> Result<ProcessResult> {
    seen_argv = argv;
    seen_env = env;
    seen_timeout = timeout;
    return make_error(ErrorKind::timeout, "\"aws\" did not finish within 5m and was killed");
  };
  auto r = ExecCredentialProvider(exec_for(dir, "aws"), ClusterInfo{}, {}, runner).get();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::timeout);
  CHECK(r.error().message == "credential plugin: \"aws\" did not finish within 5m and was killed");
  CHECK(seen_argv == std::vector<std::string>{"aws", "get-token", "--cluster", "prod"});
  CHECK(seen_env.back().first == "KUBERNETES_EXEC_INFO");
  CHECK(seen_env.front() == std::pair<std::string, std::string>{"DIR", dir.path.string()});
  CHECK(seen_timeout == ExecCredentialProvider::kTimeout);
}

TEST_CASE("ExecCredential output is validated", "[exec]") {
  const std::string v1(kExecApiV1);
  const auto error = [&](const std::string& out) {
    auto r = parse_exec_credential(out, v1);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("s3cret") == std::string::npos);
    return r.error().message;
  };
  const auto with_status = [&](const std::string& status) {
    return R"({"kind":"ExecCredential","apiVersion":")" + v1 + R"(","status":)" + status + "}";
  };
  auto cert = parse_exec_credential(with_status(R"({"clientCertificateData":"CERT","clientKeyData":"KEY"})"), v1);
  REQUIRE(cert.ok());
  CHECK(cert->client_certificate_data == "CERT");
  CHECK(cert->client_key_data == "KEY");
  CHECK(cert->token.empty());
  CHECK(error("[1]") == "its output is a JSON array, not an ExecCredential");
  CHECK(error(R"({"kind":"Secret","apiVersion":"v1","status":{"token":"s3cret"}})") ==
        "its output has kind \"Secret\", not \"ExecCredential\"");
  CHECK(error(R"({"kind":"ExecCredential","apiVersion":")" + v1 + R"("})") == "its ExecCredential has no status");
  CHECK(error(with_status("{}")) ==
        "the ExecCredential has neither status.token nor status.clientCertificateData/clientKeyData");
  CHECK(error(with_status(R"({"clientCertificateData":"CERT"})")) ==
        "the ExecCredential has only one of status.clientCertificateData and status.clientKeyData");
  CHECK(error(with_status(R"({"token":42})")) == "status.token is number, not a string");
  CHECK(error(with_status(R"({"token":"s3cret","expirationTimestamp":"tomorrow"})")) ==
        "status.expirationTimestamp: \"tomorrow\" is not an RFC 3339 time (expected a time like "
        "2024-05-01T12:00:00Z)");
  CHECK(error(R"({"kind":"ExecCredential","status":{"token":"s3cret")") ==
        "its output is not JSON (syntax error at byte 52)");
}
