#include "sandbox/selector.hpp"

#include <catch2/catch.hpp>

using namespace rollout::sandbox;

// Values are tokens as k8s.io/apimachinery/pkg/labels/selector.go lexes them, then label values
// (validateLabelValue): the Python client's `label_selector="a=(b"` is a 400 on a real server.
TEST_CASE("label selector values are identifiers and valid label values", "[sandbox][selector]") {
  std::string err;
  CHECK_FALSE(LabelSelector::parse("a=(b", &err));
  CHECK(err == "found '(', expected: identifier");
  CHECK_FALSE(LabelSelector::parse("a=b!", &err));
  CHECK(err.rfind("values[0][a]: Invalid value: \"b!\": a valid label must be an empty string", 0) == 0);
  CHECK_FALSE(LabelSelector::parse("tier in (web, -x)", &err));
  CHECK(err.rfind("values[1][tier]: Invalid value: \"-x\"", 0) == 0);
  CHECK(LabelSelector::parse("a=", &err));  // the empty value is a value
  CHECK(LabelSelector::parse("app=vllm-llama3-8b-instruct,tier in (a.b, c_d),!gone", &err));
}

// Found by tests/fuzz/sandbox_patch_fuzz: an object whose metadata is not an object threw
// nlohmann's type_error out of FieldSelector::matches.
TEST_CASE("a field selector matches any JSON without throwing", "[sandbox][selector][fuzz]") {
  std::string error;
  auto selector = FieldSelector::parse("metadata.name!=x", &error);
  REQUIRE(selector);
  CHECK(selector->matches(nlohmann::json::parse(R"({"metadata":"app=d"})")));
  CHECK(selector->matches(nlohmann::json::parse(R"({"metadata":{"name":5}})")));
  CHECK(selector->matches(nlohmann::json::parse("[1]")));
  CHECK_FALSE(selector->matches(nlohmann::json::parse(R"({"metadata":{"name":"x"}})")));
}
