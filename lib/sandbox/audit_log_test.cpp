#include "sandbox/audit_log.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "util/base64.hpp"

using namespace rollout;
using namespace rollout::sandbox;
using nlohmann::json;

namespace {

std::vector<json> read_lines(const std::string& path) {
  std::vector<json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

HttpRequest request(const std::string& method, const std::string& path, const std::string& body = "") {
  HttpRequest r;
  r.method = method;
  r.path = path;
  r.body = body;
  r.headers["user-agent"] = "rollout/0.1 (linux)";
  r.headers["authorization"] = "Basic " + base64_encode("alice:s3cret-password");
  return r;
}

}  // namespace

TEST_CASE("audit timestamps are metav1.MicroTime in UTC", "[sandbox][audit]") {
  const WallTime t = WallTime(std::chrono::microseconds(1764770000123456LL));
  CHECK(format_micro_time(t) == "2025-12-03T13:53:20.123456Z");
  CHECK(format_micro_time(WallTime(std::chrono::seconds(0))) == "1970-01-01T00:00:00.000000Z");
}

TEST_CASE("every API request and every change of the simulation is one audit Event line", "[sandbox][audit]") {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("rollout-audit-" + std::to_string(getpid()) + ".log")).string();
  std::filesystem::remove(path);
  {
    TypeRegistry types;
    ObjectStore store(types);
    Credentials creds;
    creds.basic_users["alice"] = "s3cret-password";
    ApiHandler api(types, store, creds);
    auto log = AuditLog::open(path);
    REQUIRE(log.ok());
    AuditLog* audit = log->get();
    api.set_audit_log(audit);
    store.set_observer([audit](const ObjectChange& c) {
      if (!serving_api_request()) audit->write(audit_event(c, std::chrono::system_clock::now(), audit->next_id()));
    });
    auto create = request("POST", "/api/v1/namespaces/default/configmaps",
                          R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}})");
    create.query.emplace("fieldManager", "rollout");
    REQUIRE(api.handle(create).status == 201);
    REQUIRE(api.handle(request("GET", "/api/v1/namespaces/default/configmaps/missing")).status == 404);
    REQUIRE(api.handle(request("GET", "/sandbox/stats")).status == 200);  // not an API request: not logged
    // A change made outside any request: what a simulated kubelet writes.
    const ResourceType pods = *types.find("", "v1", "pods");
    REQUIRE(store
                .create(pods, "default",
                        json{{"apiVersion", "v1"},
                             {"kind", "Pod"},
                             {"metadata", {{"name", "p"}}},
                             {"status", {{"conditions", json::array({{{"type", "Ready"}, {"status", "True"}}})}}}},
                        {})
                .ok());
  }
  const auto lines = read_lines(path);
  std::filesystem::remove(path);
  REQUIRE(lines.size() == 3);
  const json& created = lines[0];
  CHECK(created["kind"] == "Event");
  CHECK(created["apiVersion"] == "audit.k8s.io/v1");
  CHECK(created["stage"] == "ResponseComplete");
  CHECK(created["verb"] == "create");
  CHECK(created["requestURI"] == "/api/v1/namespaces/default/configmaps?fieldManager=rollout");
  CHECK(created["user"]["username"] == "alice");
  CHECK(created["userAgent"] == "rollout/0.1 (linux)");
  CHECK(created["objectRef"] == json{{"resource", "configmaps"}, {"namespace", "default"}, {"apiVersion", "v1"}});
  CHECK(created["responseStatus"]["code"] == 201);
  CHECK(created["requestReceivedTimestamp"].get<std::string>() <= created["stageTimestamp"].get<std::string>());
  CHECK(created.dump().find("s3cret") == std::string::npos);  // never the credential
  CHECK(lines[1]["verb"] == "get");
  CHECK(lines[1]["objectRef"]["name"] == "missing");
  CHECK(lines[1]["responseStatus"]["code"] == 404);
  const json& pod = lines[2];
  CHECK(pod["user"]["username"] == "system:node:sandbox");
  CHECK(pod["level"] == "RequestResponse");
  CHECK(pod["verb"] == "create");
  CHECK(pod["requestURI"] == "/api/v1/namespaces/default/pods");
  CHECK(pod["responseObject"]["metadata"]["name"] == "p");  // the object itself: its status shows Ready
  CHECK(lines[0]["auditID"] != lines[1]["auditID"]);
}
