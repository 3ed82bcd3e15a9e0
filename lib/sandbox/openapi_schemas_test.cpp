#include "sandbox/openapi_schemas.hpp"

#include <catch2/catch.hpp>

#include "sandbox/api_handler.hpp"
#include "sandbox/discovery.hpp"
#include "sandbox/protobuf.hpp"

using namespace rollout::sandbox;
using nlohmann::json;

TEST_CASE("/openapi/v2 and v3 publish the same schemas, v2 also as protobuf", "[sandbox][openapi]") {
  TypeRegistry types;
  json v2 = openapi_v2_doc(types);
  const json& route = v2["definitions"]["io.k8s.networking.gateway.v1.HTTPRoute"];
  CHECK(route["x-kubernetes-group-version-kind"][0]["kind"] == "HTTPRoute");
  CHECK(route["properties"]["metadata"]["$ref"] == "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
  CHECK(route["properties"]["spec"]["properties"]["rules"]["items"]["properties"]["backendRefs"]["items"]["properties"]
            .contains("weight"));
  CHECK(v2["definitions"].contains("io.k8s.api.core.v1.ConfigMap"));
  CHECK_FALSE(v2["definitions"].contains("io.k8s.api.apps.v1.Deployment"));  // no schema: not validated
  auto v3 = openapi_v3_group_version(types, "gateway.networking.k8s.io", "v1");
  REQUIRE(v3);
  CHECK((*v3)["components"]["schemas"]["io.k8s.networking.gateway.v1.HTTPRoute"]["properties"]["metadata"]["$ref"] ==
        "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");

  // gnostic openapi_v2.Document: field 1 swagger "2.0", field 2 info, field 9 definitions.
  std::string pb = encode_openapi_v2(v2);
  CHECK(pb.substr(0, 5) == std::string("\x0a\x03" "2.0", 5));
  CHECK(pb.find("x-kubernetes-group-version-kind") != std::string::npos);

  // kubectl 1.20 asks for ...@v1.0+protobuf and parses the answer's type with Go's mime package.
  ObjectStore store(types);
  Credentials creds;
  creds.allow_anonymous = true;
  ApiHandler api(types, store, creds);
  HttpRequest req;
  req.method = "GET";
  req.path = "/openapi/v2";
  req.headers["accept"] = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
  auto answer = api.handle(req);
  CHECK(answer.status == 200);
  CHECK(answer.content_type == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf");
  CHECK(answer.body == pb);
  req.headers["accept"] = "application/json";
  CHECK(json::parse(api.handle(req).body)["swagger"] == "2.0");
}

TEST_CASE("a CRD's openAPIV3Schema is published as v2 allows", "[sandbox][openapi]") {
  TypeRegistry types;
  json crd = json::parse(R"({"metadata":{"name":"widgets.example.com"},"spec":{"group":"example.com",
    "names":{"plural":"widgets","kind":"Widget"},"scope":"Namespaced","versions":[{"name":"v1","served":true,
    "storage":true,"schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":{"type":"object",
    "properties":{"size":{"x-kubernetes-int-or-string":true,"anyOf":[{"type":"integer"},{"type":"string"}]},
    "extra":{"type":"object","x-kubernetes-preserve-unknown-fields":true,"properties":{"a":{"type":"string"}}},
    "note":{"type":"string","nullable":true}}}}}}}]}})");
  REQUIRE_FALSE(types.register_crd(crd));
  json v2 = openapi_v2_doc(types);
  const json& spec = v2["definitions"]["com.example.v1.Widget"]["properties"]["spec"]["properties"];
  CHECK_FALSE(spec["size"].contains("anyOf"));
  CHECK_FALSE(spec["size"].contains("type"));
  CHECK_FALSE(spec["extra"].contains("properties"));
  CHECK_FALSE(spec["note"].contains("nullable"));
}
