// The REST client against a real sandbox API server over HTTPS, in every auth mode.
#include "k8s/client.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "k8s/fake_machine.hpp"
#include "k8s/kubeconfig.hpp"
#include "sandbox/sandbox_server.hpp"
#include "util/base64.hpp"

using namespace rollout;
using namespace rollout::k8s;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct Sandbox {
  sandbox::SandboxServer server;
  explicit Sandbox(sandbox::SandboxOptions o = defaults()) : server(o) { REQUIRE(server.start().ok()); }
  static sandbox::SandboxOptions defaults() {
    sandbox::SandboxOptions o;
    o.port = 0;
    return o;
  }
  std::string dir() const { return fs::path(server.kubeconfig_path()).parent_path().string(); }
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Client client_for(const RestConfig& config, const Environment& env, std::vector<Duration>* sleeps = nullptr) {
  auto t = make_curl_transport(config, env);
  REQUIRE(t.ok());
  Client::Sleeper sleeper;
  if (sleeps) sleeper = [sleeps](Duration d) { sleeps->push_back(d); };
  return Client(std::move(*t), config.namespace_, RetryPolicy{8, Duration(1), Duration(5)}, sleeper);
}

Client client_for_context(Sandbox& sb, const std::string& context, std::vector<Duration>* sleeps = nullptr) {
  ConfigOverrides o;
  o.kubeconfig = sb.server.kubeconfig_path();
  o.context = context;
  auto config = load_rest_config(o, Environment::system());
  REQUIRE(config.ok());
  return client_for(*config, Environment::system(), sleeps);
}

json configmap(const std::string& name, const std::string& value = "v") {
  return {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}}}, {"data", {{"k", value}}}};
}

}  // namespace

TEST_CASE("client certificate auth: discovery and the verbs", "[k8s][client]") {
  Sandbox sb;
  Client c = client_for_context(sb, "rollout-sandbox");
  auto route = c.resource("gateway.networking.k8s.io/v1", "HTTPRoute");
  REQUIRE(route.ok());
  CHECK(route->plural == "httproutes");
  auto cm = c.resource("v1", "ConfigMap");
  REQUIRE(cm.ok());
  auto created = c.create(*cm, "default", configmap("a"));
  REQUIRE(created.ok());
  auto got = c.get(*cm, "default", "a");
  REQUIRE(got.ok());
  CHECK(got->at("data").at("k") == "v");
  auto patched = c.patch(*cm, "default", "a", PatchKind::merge, json{{"data", {{"k", "w"}}}});
  REQUIRE(patched.ok());
  CHECK(patched->at("data").at("k") == "w");
  auto listed = c.list(*cm, "default");
  REQUIRE(listed.ok());
  CHECK(listed->at("items").size() == 1);
  REQUIRE(c.remove(*cm, "default", "a").ok());
  auto missing = c.get(*cm, "default", "a");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::not_found);
  CHECK(missing.error().message == "configmaps \"a\" not found");
  CHECK(missing.error().reason == "NotFound");
  auto unknown = c.resource("example.com/v1", "Widget");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().kind == ErrorKind::not_found);
}

TEST_CASE("bearer token auth, and a wrong token is refused", "[k8s][client]") {
  Sandbox sb;
  Client c = client_for_context(sb, "rollout-sandbox-token");
  auto cm = c.resource("v1", "ConfigMap");
  REQUIRE(cm.ok());
  REQUIRE(c.create(*cm, "default", configmap("t")).ok());

  ConfigOverrides o;
  o.kubeconfig = sb.server.kubeconfig_path();
  o.context = "rollout-sandbox-token";
  auto config = *load_rest_config(o, Environment::system());
  config.user.token = "wrong";
  Client bad = client_for(config, Environment::system());
  auto r = bad.get(*cm, "default", "t");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == 401);
}

TEST_CASE("exec credential plugin auth, cached between requests", "[k8s][client]") {
  Sandbox sb;
  const std::string dir = sb.dir();
  const std::string plugin = dir + "/plugin.sh", count = dir + "/runs";
  std::ofstream(plugin) << "#!/bin/sh\necho run >> " << count << "\n"
                        << "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
                           "\"status\":{\"token\":\""
                        << sb.server.token() << "\"}}'\n";
  fs::permissions(plugin, fs::perms::owner_all);
  std::string kc = slurp(sb.server.kubeconfig_path());
  kc +=
      "- name: exec-user\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
      "      command: " +
      plugin + "\n      interactiveMode: Never\n";
  std::ofstream(dir + "/kubeconfig-exec") << kc;
  // contexts: point the default context at the exec user
  ConfigOverrides o;
  o.kubeconfig = dir + "/kubeconfig-exec";
  auto config = load_rest_config(o, Environment::system());
  REQUIRE(config.ok());
  config->user = AuthInfo{};
  ExecConfig exec;
  exec.api_version = "client.authentication.k8s.io/v1";
  exec.command = plugin;
  exec.interactive_mode = InteractiveMode::never;
  config->user.exec = exec;
  Client c = client_for(*config, Environment::system());
  auto cm = c.resource("v1", "ConfigMap");
  REQUIRE(cm.ok());
  REQUIRE(c.create(*cm, "default", configmap("e")).ok());
  REQUIRE(c.get(*cm, "default", "e").ok());
  CHECK(slurp(count) == "run\n");  // one plugin run for three requests
}

TEST_CASE("in-cluster service account auth", "[k8s][client]") {
  Sandbox sb;
  std::string server = sb.server.url();
  std::string ca_b64 = slurp(sb.server.kubeconfig_path());
  ca_b64 = ca_b64.substr(ca_b64.find("certificate-authority-data: ") + 28);
  ca_b64 = ca_b64.substr(0, ca_b64.find('\n'));
  FakeMachine m;
  m.vars["KUBERNETES_SERVICE_HOST"] = "127.0.0.1";
  m.vars["KUBERNETES_SERVICE_PORT"] = std::to_string(sb.server.port());
  m.files["/var/run/secrets/kubernetes.io/serviceaccount/token"] = sb.server.token() + "\n";
  m.files["/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"] = *base64_decode(ca_b64);
  m.files["/var/run/secrets/kubernetes.io/serviceaccount/namespace"] = "default";
  auto config = m.load();
  REQUIRE(config.ok());
  CHECK(config->in_cluster);
  Client c = client_for(*config, m.env());
  auto ns = c.resource("v1", "Namespace");
  REQUIRE(ns.ok());
  REQUIRE(c.get(*ns, "", "default").ok());
}

TEST_CASE("optimistic concurrency: stale updates and guarded patches are conflicts", "[k8s][client]") {
  Sandbox sb;
  Client c = client_for_context(sb, "rollout-sandbox");
  auto cm = *c.resource("v1", "ConfigMap");
  auto created = *c.create(cm, "default", configmap("x"));
  const std::string rv = created["metadata"]["resourceVersion"];
  REQUIRE(c.patch(cm, "default", "x", PatchKind::merge, json{{"data", {{"k", "other"}}}}).ok());
  json stale = created;
  stale["data"]["k"] = "mine";
  auto u = c.update(cm, "default", stale);
  REQUIRE_FALSE(u.ok());
  CHECK(u.error().kind == ErrorKind::conflict);
  CHECK(u.error().code == 409);
  auto guarded = c.patch_if_unchanged(cm, "default", "x", rv,
                                      json::array({{{"op", "replace"}, {"path", "/data/k"}, {"value", "mine"}}}));
  REQUIRE_FALSE(guarded.ok());
  CHECK(guarded.error().kind == ErrorKind::conflict);
  auto fresh = *c.get(cm, "default", "x");
  auto ok = c.patch_if_unchanged(cm, "default", "x", fresh["metadata"]["resourceVersion"],
                                 json::array({{{"op", "replace"}, {"path", "/data/k"}, {"value", "mine"}}}));
  REQUIRE(ok.ok());
  CHECK(ok->at("data").at("k") == "mine");
}

TEST_CASE("server dry run changes nothing", "[k8s][client]") {
  Sandbox sb;
  Client c = client_for_context(sb, "rollout-sandbox");
  auto cm = *c.resource("v1", "ConfigMap");
  REQUIRE(c.create(cm, "default", configmap("d"), DryRun::server).ok());
  CHECK_FALSE(c.get(cm, "default", "d").ok());
}

TEST_CASE("retries ride out injected 500s and honour Retry-After on 429", "[k8s][client]") {
  Sandbox sb;
  std::vector<Duration> sleeps;
  Client c = client_for_context(sb, "rollout-sandbox", &sleeps);
  auto cm = *c.resource("v1", "ConfigMap");
  REQUIRE(c.create(cm, "default", configmap("r")).ok());
  sandbox::FaultConfig f;
  f.error_rate = 0.5;
  sb.server.api().set_faults(f);
  for (int i = 0; i < 20; ++i) REQUIRE(c.get(cm, "default", "r").ok());
  CHECK(c.stats().retries > 0);
  f.error_rate = 0;
  f.throttle_rate = 1;
  sb.server.api().set_faults(f);
  sleeps.clear();
  auto r = c.get(cm, "default", "r");
  REQUIRE_FALSE(r.ok());  // always throttled: gives up after max_attempts
  CHECK(r.error().code == 429);
  REQUIRE_FALSE(sleeps.empty());
  CHECK(sleeps.front() == Duration(1000));  // Retry-After: 1
  f.throttle_rate = 0;
  sb.server.api().set_faults(f);
  auto missing = c.get(cm, "default", "nope");  // a 404 is never retried
  CHECK(missing.error().kind == ErrorKind::not_found);
}

TEST_CASE("proxied requests retry the API server's own refusals and pass the pod's answers through",
          "[k8s][client]") {
  Sandbox sb;
  std::vector<Duration> sleeps;
  Client c = client_for_context(sb, "rollout-sandbox", &sleeps);
  HttpCall call;
  call.method = "GET";
  call.path = "/api/v1/namespaces/default/pods/no-such-pod:8000/proxy/health";
  sandbox::FaultConfig f;
  f.throttle_rate = 1;  // the API server refuses everything with 429 + Retry-After + Status
  sb.server.api().set_faults(f);
  auto r = c.send_proxied(call);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == 429);
  CHECK(r.error().kind == ErrorKind::unavailable);
  CHECK(r.error().message.find("not the pod") != std::string::npos);
  REQUIRE_FALSE(sleeps.empty());  // retried with the client's policy, as any API call
  CHECK(sleeps.front() == Duration(1000));  // Retry-After: 1
  CHECK(c.stats().retries == static_cast<int>(sleeps.size()));
  f.throttle_rate = 0;
  sb.server.api().set_faults(f);
  sleeps.clear();
  auto answered = c.send_proxied(call);  // the proxy's own answer about the pod: passed through
  REQUIRE(answered.ok());
  CHECK(answered->status == 404);
  CHECK(sleeps.empty());
}

TEST_CASE("watch sees every change, resumes dropped streams and re-lists after 410", "[k8s][client]") {
  auto o = Sandbox::defaults();
  o.event_window = 4;
  Sandbox sb(o);
  Client c = client_for_context(sb, "rollout-sandbox");
  auto cm = *c.resource("v1", "ConfigMap");
  REQUIRE(c.create(cm, "default", configmap("w0")).ok());

  SECTION("dropped watches resume from the last resourceVersion") {
    sandbox::FaultConfig f;
    f.drop_watch_after = 1;
    sb.server.api().set_faults(f);
    std::vector<std::string> seen;
    std::thread writer([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      for (int i = 1; i <= 3; ++i) (void)c.create(cm, "default", configmap("w" + std::to_string(i)));
    });
    WatchOptions wo;
    auto s = c.watch(cm, "default", wo, [&](const WatchEvent& e) {
      seen.push_back(e.type + " " + e.object["metadata"].value("name", ""));
      return seen.size() < 4;
    });
    writer.join();
    REQUIRE(s.ok());
    CHECK(seen == std::vector<std::string>{"ADDED w0", "ADDED w1", "ADDED w2", "ADDED w3"});
    CHECK(c.stats().watch_resumes > 0);
  }

  SECTION("a resourceVersion older than the server keeps is re-listed") {
    auto list = *c.list(cm, "default");
    std::string old_rv = list["metadata"]["resourceVersion"];
    for (int i = 1; i <= 6; ++i) REQUIRE(c.create(cm, "default", configmap("n" + std::to_string(i))).ok());
    std::vector<std::string> seen;
    WatchOptions wo;
    wo.resource_version = old_rv;
    auto s = c.watch(cm, "default", wo, [&](const WatchEvent& e) {
      seen.push_back(e.type + " " + e.object["metadata"].value("name", ""));
      return seen.size() < 7;
    });
    REQUIRE(s.ok());
    CHECK(c.stats().relists == 1);
    CHECK(seen.size() == 7);  // w0 and n1..n6, reported after the re-list
  }

  SECTION("should_stop ends an idle watch") {
    auto start = std::chrono::steady_clock::now();
    WatchOptions wo;
    wo.should_stop = [&] { return std::chrono::steady_clock::now() - start > std::chrono::milliseconds(1500); };
    auto s = c.watch(cm, "default", wo, [](const WatchEvent&) { return true; });
    REQUIRE(s.ok());
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  }
}

TEST_CASE("one client serves 16 threads at once: discovery, writes guarded by resourceVersion, counters",
          "[k8s][client][concurrency]") {
  Sandbox sb;  // HTTPS with a client certificate: connections and TLS sessions are reused across threads
  Client c = client_for_context(sb, "rollout-sandbox");
  const uint64_t server_before = sb.server.api().request_counts().total;
  std::atomic<int> failed{0}, conflicts{0};  // Catch2 assertions are not for other threads
  {
    auto cm = c.resource("v1", "ConfigMap");
    REQUIRE(cm.ok());
    REQUIRE(c.create(*cm, "default", configmap("shared", "0")).ok());
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      // Every thread asks discovery for a kind not cached yet: the cache is filled concurrently.
      auto cm = c.resource("v1", "ConfigMap");
      auto route = c.resource("gateway.networking.k8s.io/v1", "HTTPRoute");
      if (!cm.ok() || !route.ok() || route->plural != "httproutes") {
        ++failed;
        return;
      }
      if (!c.create(*cm, "default", configmap("own-" + std::to_string(t))).ok()) ++failed;
      for (int n = 0; n < 10; ++n) {
        for (;;) {
          auto current = c.get(*cm, "default", "shared");
          if (!current.ok()) {
            ++failed;
            return;
          }
          const int value = std::stoi((*current)["data"].value("k", std::string("0")));
          json ops = json::array({{{"op", "replace"}, {"path", "/data/k"}, {"value", std::to_string(value + 1)}}});
          auto written = c.patch_if_unchanged(*cm, "default", "shared",
                                              (*current)["metadata"]["resourceVersion"].get<std::string>(), ops);
          if (written.ok()) break;
          if (written.error().kind != ErrorKind::conflict) {
            ++failed;
            return;
          }
          ++conflicts;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failed == 0);
  auto cm = c.resource("v1", "ConfigMap");
  REQUIRE(cm.ok());
  auto shared = c.get(*cm, "default", "shared");
  REQUIRE(shared.ok());
  CHECK((*shared)["data"]["k"] == "160");
  auto listed = c.list(*cm, "default");
  REQUIRE(listed.ok());
  CHECK(listed->at("items").size() == 17);
  // The client counts every request it sent; the sandbox counts every one it served.
  CHECK(static_cast<uint64_t>(c.stats().requests.load()) == sb.server.api().request_counts().total - server_before);
  CHECK(c.stats().retries == 0);
}
