// rollout and kubectl agree on where a kubeconfig points: each scenario is resolved by
// load_rest_config and by the real `kubectl config view --minify`. Skipped without kubectl.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "k8s/kubeconfig.hpp"
#include "util/base64.hpp"
#include "util/subprocess.hpp"

namespace fs = std::filesystem;
using namespace rollout;
using namespace rollout::k8s;

namespace {

struct Scenario {
  std::map<std::string, std::string> files;  // name in a scratch directory -> content
  std::string kubeconfig_env;                // KUBECONFIG, with "@/" standing for the directory
  ConfigOverrides overrides;                 // "@/" likewise in overrides.kubeconfig
};

std::string expand(std::string s, const std::string& dir) {
  for (size_t at = s.find("@/"); at != std::string::npos; at = s.find("@/", at + dir.size())) s.replace(at, 1, dir);
  return s;
}

// kubectl's view of the scenario: the minified config as JSON, or nullopt if kubectl refused it
// (or is not installed: then `missing` is set).
std::optional<nlohmann::json> kubectl_view(const Scenario& s, const std::string& dir, bool& missing) {
  std::vector<std::string> argv{"kubectl", "config", "view", "--minify", "--raw", "-o", "json"};
  if (!s.overrides.kubeconfig.empty()) argv.push_back("--kubeconfig=" + expand(s.overrides.kubeconfig, dir));
  if (!s.overrides.context.empty()) argv.push_back("--context=" + s.overrides.context);
  auto r = run_process(argv, {{"KUBECONFIG", expand(s.kubeconfig_env, dir)}, {"HOME", dir}}, "",
                       Duration(std::chrono::seconds(60)));
  missing = !r.ok() && r.error().kind == ErrorKind::not_found;
  if (!r.ok() || !r->succeeded()) return std::nullopt;
  return nlohmann::json::parse(r->stdout_data);
}

Result<RestConfig> rollout_view(const Scenario& s, const std::string& dir) {
  Environment env = Environment::system();
  const std::string kubeconfig = expand(s.kubeconfig_env, dir);
  env.getenv = [kubeconfig, dir](const std::string& name) -> std::optional<std::string> {
    if (name == "KUBECONFIG") return kubeconfig;
    if (name == "HOME") return dir;
    return std::nullopt;  // in particular, not in a pod
  };
  ConfigOverrides o = s.overrides;
  o.kubeconfig = expand(o.kubeconfig, dir);
  return load_rest_config(o, env);
}

std::string at(const nlohmann::json& j, const nlohmann::json::json_pointer& p) {
  return j.contains(p) ? j.at(p).get<std::string>() : "";
}

void check_agreement(const Scenario& s) {
  std::string tmpl = (fs::temp_directory_path() / "rollout-kubectl-XXXXXX").string();
  const std::string dir = ::mkdtemp(tmpl.data());
  for (const auto& [name, content] : s.files) std::ofstream(dir + "/" + name) << content;
  bool missing = false;
  const auto theirs = kubectl_view(s, dir, missing);
  const auto ours = rollout_view(s, dir);
  fs::remove_all(dir);
  if (missing) {
    WARN("kubectl is not installed: agreement not checked");
    return;
  }
  INFO("KUBECONFIG=" << s.kubeconfig_env << " --context=" << s.overrides.context);
  REQUIRE(theirs.has_value() == ours.ok());
  if (!ours.ok()) return;
  using P = nlohmann::json::json_pointer;
  const nlohmann::json& k = *theirs;
  CHECK(ours->context_name == at(k, P("/current-context")));
  CHECK(ours->cluster.server == at(k, P("/clusters/0/cluster/server")));
  const std::string ns = at(k, P("/contexts/0/context/namespace"));
  CHECK(ours->namespace_ == (ns.empty() ? "default" : ns));
  CHECK(ours->user.token == at(k, P("/users/0/user/token")));
  CHECK(base64_encode(ours->cluster.certificate_authority_data) ==
        at(k, P("/clusters/0/cluster/certificate-authority-data")));
}

std::string config(const std::string& tag, const std::string& current = "", const std::string& ns = "") {
  return "apiVersion: v1\nkind: Config\nclusters:\n- name: shared\n  cluster: {server: https://" + tag +
         ".shared, certificate-authority-data: " + base64_encode("CA " + tag) + "}\n- name: only-" + tag +
         "\n  cluster: {server: https://only-" + tag + "}\nusers:\n- name: shared\n  user: {token: token-" + tag +
         "}\ncontexts:\n- name: shared\n  context: {cluster: shared, user: shared" +
         (ns.empty() ? "" : ", namespace: " + ns) + "}\n- name: ctx-" + tag + "\n  context: {cluster: only-" + tag +
         ", user: shared}\n" + (current.empty() ? "" : "current-context: " + current + "\n");
}

}  // namespace

TEST_CASE("rollout resolves KUBECONFIG lists as kubectl does", "[kubeconfig][kubectl]") {
  const std::map<std::string, std::string> files{
      {"a", config("a", "", "ns-a")}, {"b", config("b", "ctx-b", "ns-b")}, {"c", config("c", "shared")}};
  check_agreement({files, "@/a:@/b", {}});                  // current-context from the first file setting one
  check_agreement({files, "@/c:@/b", {}});                  // the first file's current-context wins
  check_agreement({files, "@/b:@/a", {"", "shared", ""}});  // maps: the first definition wins, whole
  check_agreement({files, "@/a:@/b", {"", "shared", ""}});
  check_agreement({files, ":@/missing::@/a:@/b:", {}});    // missing and empty entries are skipped
  check_agreement({files, "@/a:@/b", {"", "ctx-a", ""}});  // --context
  check_agreement({files, "@/a:@/b", {"", "nope", ""}});   // an unknown context fails for both
  check_agreement({files, "@/a", {}});                     // no current context fails for both
}

TEST_CASE("rollout treats --kubeconfig as kubectl does", "[kubeconfig][kubectl]") {
  const std::map<std::string, std::string> files{{"a", config("a", "ctx-a")}, {"b", config("b", "ctx-b")}};
  check_agreement({files, "@/a", {"@/b", "", ""}});
  check_agreement({files, "@/a", {"@/b", "ctx-a", ""}});
  check_agreement({files, "@/a", {"@/missing", "", ""}});
}
