#include "sandbox/api_handler.hpp"

#include <catch2/catch.hpp>

using namespace rollout::sandbox;
using nlohmann::json;

namespace {

HttpRequest request(std::string method, std::string path, std::string body, std::string content_type = "") {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  if (!content_type.empty()) r.headers["content-type"] = std::move(content_type);
  return r;
}

}  // namespace

// Found by tests/fuzz/sandbox_api_fuzz: a body field of the wrong type threw nlohmann's type_error
// out of the handler (a dropped connection) instead of the API server's 400.
TEST_CASE("a body whose fields have the wrong type is a 400, not an exception", "[sandbox][api][fuzz]") {
  TypeRegistry types;
  ObjectStore store(types);
  Credentials creds;
  creds.allow_anonymous = true;
  ApiHandler api(types, store, creds);
  const std::string cms = "/api/v1/namespaces/default/configmaps";
  for (const char* body : {R"({"metadata":{"name":5}})", R"({"metadata":{"generateName":5}})",
                           R"({"metadata":{"name":"a","resourceVersion":1}})"}) {
    auto answer = api.handle(request("POST", cms, body));
    CHECK(answer.status == 400);
    CHECK(json::parse(answer.body)["reason"] == "BadRequest");
  }
  // Nothing was stored, and the handler still serves.
  CHECK(json::parse(api.handle(request("GET", cms, "")).body)["items"].empty());
  CHECK(api.handle(request("POST", cms, R"({"metadata":{"name":"ok"}})")).status == 201);
}

// Found by tests/fuzz/sandbox_api_fuzz: a path with invalid UTF-8 (a client's %FD) made the
// answer's JSON (the 404's message, then /sandbox/stats' resource names) throw type_error.316.
TEST_CASE("names and paths with invalid UTF-8 are answered, with U+FFFD", "[sandbox][api][fuzz]") {
  TypeRegistry types;
  ObjectStore store(types);
  Credentials creds;
  creds.allow_anonymous = true;
  ApiHandler api(types, store, creds);
  auto missing = api.handle(request("GET", "/api/v1/namespaces/default/configmaps/a\xfd", ""));
  CHECK(missing.status == 404);
  CHECK(json::parse(missing.body)["message"].get<std::string>().find("\xEF\xBF\xBD") != std::string::npos);
  CHECK(api.handle(request("GET", "/apis/x\xfd/v1/namespaces/default/things", "")).status == 404);
  auto stats = api.handle(request("GET", "/sandbox/stats", ""));
  CHECK(stats.status == 200);
  CHECK(json::parse(stats.body)["requests"] == 2);
}
