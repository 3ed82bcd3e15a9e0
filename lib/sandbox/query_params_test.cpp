#include "sandbox/query_params.hpp"

#include <catch2/catch.hpp>

#include "sandbox/api_handler.hpp"

using namespace rollout::sandbox;
using nlohmann::json;

namespace {

HttpRequest request(const std::string& method, const std::string& path,
                    std::initializer_list<std::pair<std::string, std::string>> query) {
  HttpRequest r;
  r.method = method;
  r.path = path;
  for (const auto& [k, v] : query) r.query.emplace(k, v);
  return r;
}

}  // namespace

// apimachinery/pkg/runtime/conversion.go, Convert_Slice_string_To_bool: only "0" and "false" (any
// case) are false; every other value, "" included, is true. The Python client sends `watch=True`.
TEST_CASE("boolean query parameters decode as the API server's conversion does", "[sandbox][query]") {
  for (const char* v : {"true", "True", "TRUE", "1", "t", "yes", ""})
    CHECK(query_bool(request("GET", "/api/v1/pods", {{"watch", v}}), "watch"));
  for (const char* v : {"false", "False", "FALSE", "fAlSe", "0"})
    CHECK_FALSE(query_bool(request("GET", "/api/v1/pods", {{"watch", v}}), "watch"));
  CHECK_FALSE(query_bool(request("GET", "/api/v1/pods", {}), "watch"));
}

// Go's strconv.ParseInt(s, 10, 64), errors worded as Go words them.
TEST_CASE("integer query parameters parse as strconv.ParseInt", "[sandbox][query]") {
  CHECK(*parse_int64("30") == 30);
  CHECK(*parse_int64("+7") == 7);
  CHECK(*parse_int64("-1") == -1);
  CHECK(*parse_int64("9223372036854775807") == INT64_MAX);
  CHECK(*parse_int64("-9223372036854775808") == INT64_MIN);
  CHECK(parse_int64("abc").error().message == "strconv.ParseInt: parsing \"abc\": invalid syntax");
  CHECK(parse_int64("").error().message == "strconv.ParseInt: parsing \"\": invalid syntax");
  CHECK(parse_int64("1.5").error().message == "strconv.ParseInt: parsing \"1.5\": invalid syntax");
  CHECK(parse_int64(" 1").error().message == "strconv.ParseInt: parsing \" 1\": invalid syntax");
  CHECK(parse_int64("9223372036854775808").error().message ==
        "strconv.ParseInt: parsing \"9223372036854775808\": value out of range");
  CHECK(parse_int64("99999999999999999999x").error().message ==
        "strconv.ParseInt: parsing \"99999999999999999999x\": value out of range");
}

TEST_CASE("list options: bad integers are 400, contradicting resourceVersionMatch 422", "[sandbox][query]") {
  auto q = list_query(request("GET", "/api/v1/pods", {{"watch", "1"}, {"timeoutSeconds", "5"}, {"limit", "10"}}));
  REQUIRE(q.ok());
  CHECK(q->watch);
  CHECK(*q->timeout_seconds == 5);
  CHECK(q->limit == 10);
  auto bad = list_query(request("GET", "/api/v1/pods", {{"timeoutSeconds", "soon"}}));
  CHECK(bad.error().code == 400);
  CHECK(bad.error().message == "strconv.ParseInt: parsing \"soon\": invalid syntax");
  CHECK(list_query(request("GET", "/api/v1/pods", {{"limit", "x"}})).error().code == 400);
  // apiserver/pkg/apis/meta/internalversion/validation/validation.go, ValidateListOptions.
  auto unless = list_query(request("GET", "/api/v1/pods", {{"resourceVersionMatch", "NotOlderThan"}}));
  CHECK(unless.error().code == 422);
  CHECK(unless.error().message ==
        "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden "
        "unless resourceVersion is provided");
  auto unsupported =
      list_query(request("GET", "/api/v1/pods", {{"resourceVersion", "5"}, {"resourceVersionMatch", "exact"}}));
  CHECK(unsupported.error().message ==
        "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Unsupported value: \"exact\": supported "
        "values: \"Exact\", \"NotOlderThan\", \"\"");
  CHECK(list_query(request("GET", "/api/v1/pods", {{"resourceVersion", "0"}, {"resourceVersionMatch", "Exact"}}))
            .error()
            .message.find("resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"") != std::string::npos);
  CHECK(list_query(request("GET", "/api/v1/pods", {{"resourceVersion", "5"}, {"resourceVersionMatch", "Exact"}})).ok());
  // Watches are validated by other rules: resourceVersionMatch is not refused there.
  CHECK(list_query(request("GET", "/api/v1/pods", {{"watch", "true"}, {"resourceVersionMatch", "Exact"}})).ok());
}

// apimachinery/pkg/apis/meta/v1/validation/validation.go: ValidateDryRun, ValidatePatchOptions,
// ValidateFieldManager, ValidateDeleteOptions; errors.NewInvalid joins several in brackets.
TEST_CASE("write options are validated as the API server validates them", "[sandbox][query]") {
  auto path = "/api/v1/namespaces/default/configmaps";
  CHECK(write_query(request("POST", path, {{"dryRun", "All"}}), "create")->dry_run);
  auto dry = write_query(request("POST", path, {{"dryRun", "true"}}), "create");
  CHECK(dry.error().code == 422);
  CHECK(dry.error().message ==
        "CreateOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: []string{\"true\"}: supported values: "
        "\"All\"");
  auto force = write_query(request("PATCH", path, {{"force", "true"}}), "patch", PatchType::merge);
  CHECK(force.error().message ==
        "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch");
  CHECK(write_query(request("PATCH", path, {{"force", "true"}, {"fieldManager", "me"}}), "patch", PatchType::apply)
            ->force == true);
  auto manager = write_query(request("PATCH", path, {}), "patch", PatchType::apply);
  CHECK(manager.error().message ==
        "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
  auto both = write_query(request("PATCH", path, {{"dryRun", "x"}}), "patch", PatchType::apply);
  CHECK(both.error().message ==
        "PatchOptions.meta.k8s.io \"\" is invalid: [fieldManager: Required value: is required for apply patch, "
        "dryRun: Unsupported value: []string{\"x\"}: supported values: \"All\"]");
  CHECK(write_query(request("PUT", path, {{"fieldManager", std::string(129, 'm')}}), "update").error().message ==
        "UpdateOptions.meta.k8s.io \"\" is invalid: fieldManager: Too long: may not be more than 128 bytes");
  CHECK(write_query(request("PUT", path, {{"fieldManager", "a\x01"}}), "update").error().message ==
        "UpdateOptions.meta.k8s.io \"\" is invalid: fieldManager: Invalid value: \"a\\x01\": invalid character "
        "U+0001 (at position 1)");
  CHECK(write_query(request("DELETE", path, {{"propagationPolicy", "Background"}}), "delete").ok());
  CHECK(write_query(request("DELETE", path, {{"propagationPolicy", "background"}}), "delete").error().message ==
        "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"background\": supported "
        "values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"");
}

TEST_CASE("the API handler answers bad query parameters as a real API server", "[sandbox][query]") {
  TypeRegistry types;
  ObjectStore store(types);
  Credentials creds;
  creds.allow_anonymous = true;
  ApiHandler api(types, store, creds);
  // `watch=True`, as the Python client sends it, is a watch.
  CHECK(api.is_watch(request("GET", "/api/v1/namespaces/default/pods", {{"watch", "True"}})));
  CHECK_FALSE(api.is_watch(request("GET", "/api/v1/namespaces/default/pods", {{"watch", "False"}})));
  // A watch whose options do not decode is answered with the error, not streamed.
  auto bad_watch = request("GET", "/api/v1/namespaces/default/pods", {{"watch", "1"}, {"timeoutSeconds", "x"}});
  CHECK_FALSE(api.is_watch(bad_watch));
  auto answer = api.handle(bad_watch);
  CHECK(answer.status == 400);
  CHECK(json::parse(answer.body)["reason"] == "BadRequest");
  auto create = request("POST", "/api/v1/namespaces/default/configmaps", {{"dryRun", "all"}});
  create.body = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}})";
  answer = api.handle(create);
  CHECK(answer.status == 422);
  CHECK(json::parse(answer.body)["reason"] == "Invalid");
  CHECK(api.handle(request("GET", "/api/v1/namespaces/default/configmaps/x", {})).status == 404);  // nothing stored
  CHECK(api.handle(request("GET", "/version/", {})).status == 200);
}
