// For the actuators' tests only: an in-process sandbox cluster holding the seeds' starting objects
// (examples/sandbox/), a Client to it, and readers for those YAML files.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "k8s/client.hpp"
#include "k8s/kubeconfig.hpp"
#include "sandbox/sandbox_server.hpp"
#include "util/yaml_json.hpp"

namespace rollout::actuators::testing {

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every document of a multi-document YAML text, as JSON (comment-only documents skipped).
inline std::vector<nlohmann::json> yaml_documents(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  std::string line, doc;
  auto flush = [&] {
    auto parsed = parse_yaml_as_json(doc);
    REQUIRE(parsed.ok());
    if (parsed->is_object()) out.push_back(*parsed);
    doc.clear();
  };
  while (std::getline(in, line)) {
    if (line == "---")
      flush();
    else
      doc += line + "\n";
  }
  flush();
  return out;
}

// examples/sandbox/NAME, every document.
inline std::vector<nlohmann::json> example(const std::string& name) {
  const std::string text = read_text(std::string(ROLLOUT_SOURCE_DIR) + "/examples/sandbox/" + name);
  REQUIRE_FALSE(text.empty());
  return yaml_documents(text);
}

// The first document of a YAML literal.
inline nlohmann::json yaml(const std::string& text) {
  auto docs = yaml_documents(text);
  REQUIRE(docs.size() == 1);
  return docs[0];
}

// A client for checks that must not touch a cluster: every request is ErrorKind::unavailable.
struct OfflineTransport : k8s::Transport {
  Result<k8s::HttpResult> send(const k8s::HttpCall& call) override {
    return make_error(ErrorKind::unavailable, "offline: " + call.path);
  }
  Result<long> stream(const k8s::HttpCall& call, const std::function<bool(std::string_view)>&) override {
    return make_error(ErrorKind::unavailable, "offline: " + call.path);
  }
};

inline std::unique_ptr<k8s::Client> offline_client() {
  return std::make_unique<k8s::Client>(std::make_unique<OfflineTransport>(), "default", k8s::RetryPolicy{1});
}

struct SandboxCluster {
  std::unique_ptr<sandbox::SandboxServer> server;
  std::unique_ptr<k8s::Client> client;
  const std::string ns = "default";

  // `disabled_apis`: API groups or GROUP/VERSIONs the sandbox does not serve (a cluster without
  // those CRDs).
  explicit SandboxCluster(sandbox::TrafficOptions traffic = {}, std::vector<std::string> disabled_apis = {}) {
    sandbox::SandboxOptions o;
    o.port = 0;
    o.tls = false;
    o.traffic = traffic;
    o.disabled_apis = std::move(disabled_apis);
    server = std::make_unique<sandbox::SandboxServer>(o);
    REQUIRE(server->start().ok());
    k8s::ConfigOverrides overrides;
    overrides.kubeconfig = server->kubeconfig_path();
    auto config = k8s::load_rest_config(overrides, k8s::Environment::system());
    REQUIRE(config.ok());
    auto transport = k8s::make_curl_transport(*config, k8s::Environment::system());
    REQUIRE(transport.ok());
    client = std::make_unique<k8s::Client>(std::move(*transport), ns, k8s::RetryPolicy{4, Duration(50), Duration(200)});
  }

  nlohmann::json create(const nlohmann::json& obj) {
    auto api = client->resource(obj.value("apiVersion", ""), obj.value("kind", ""));
    REQUIRE(api.ok());
    auto created = client->create(*api, ns, obj);
    INFO(obj.dump());
    REQUIRE(created.ok());
    return *created;
  }

  void apply_example(const std::string& name) {
    for (const auto& obj : example(name)) create(obj);
  }

  nlohmann::json get(const std::string& api_version, const std::string& kind, const std::string& name) {
    auto api = client->resource(api_version, kind);
    REQUIRE(api.ok());
    auto obj = client->get(*api, ns, name);
    REQUIRE(obj.ok());
    return *obj;
  }

  nlohmann::json update(const nlohmann::json& obj) {
    auto api = client->resource(obj.value("apiVersion", ""), obj.value("kind", ""));
    REQUIRE(api.ok());
    auto written = client->update(*api, ns, obj);
    INFO((written.ok() ? "" : written.error().message));
    REQUIRE(written.ok());
    return *written;
  }
};

// Polls `done` every 100 ms for up to `timeout`.
inline bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

}  // namespace rollout::actuators::testing
