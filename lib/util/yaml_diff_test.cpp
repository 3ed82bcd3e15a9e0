#include "util/yaml_diff.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "util/yaml_json.hpp"

using namespace rollout;
using nlohmann::json;

namespace {

json round_trip(const json& value) {
  auto parsed = parse_yaml_as_json(to_yaml(value));
  if (!parsed.ok()) return json{{"parse error", parsed.error().message}, {"yaml", to_yaml(value)}};
  return *parsed;
}

const json kHttpRoute = json::parse(R"({
  "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
  "metadata": {"name": "llm", "namespace": "default", "labels": {"app": "llm"}, "annotations": {}},
  "spec": {
    "parentRefs": [{"name": "gateway", "sectionName": "http"}],
    "rules": [{
      "matches": [{"path": {"type": "PathPrefix", "value": "/v1"}}],
      "backendRefs": [{"name": "llm-stable", "port": 8000, "weight": 90},
                      {"group": "inference.networking.x-k8s.io", "kind": "InferencePool", "name": "llm-canary",
                       "weight": 10}]}]},
  "status": {"parents": []}
})");

const json kConfigMap = {
    {"apiVersion", "v1"},
    {"kind", "ConfigMap"},
    {"metadata", {{"name", "lora"}, {"labels", {{"app.kubernetes.io/managed-by", "rollout"}}}}},
    {"data",
     {{"configmap.yaml",
       "vLLMLoRAConfig:\n  name: pool\n  ensureExist:\n    models:\n    - id: tweet\n      source: hf\n"},
      {"no-final-newline", "a\nb"},
      {"blank-lines", "a\n\n\nb\n\n"},
      {"indented", "  first line indented\nsecond\n"},
      {"leading-newline", "\n  x\n"},
      {"only-newlines", "\n\n"},
      {"trailing-space", "a \nb\n"},
      {"tabs", "a\tb\nc\n"},
      {"crlf", "a\r\nb\r\n"}}}};

}  // namespace

TEST_CASE("to_yaml prints objects as kubectl does", "[yaml_diff]") {
  CHECK(to_yaml(kHttpRoute) == R"(apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  annotations: {}
  labels:
    app: llm
  name: llm
  namespace: default
spec:
  parentRefs:
  - name: gateway
    sectionName: http
  rules:
  - backendRefs:
    - name: llm-stable
      port: 8000
      weight: 90
    - group: inference.networking.x-k8s.io
      kind: InferencePool
      name: llm-canary
      weight: 10
    matches:
    - path:
        type: PathPrefix
        value: /v1
status:
  parents: []
)");
  const json cm = {{"data", {{"configmap.yaml", "a: 1\nb:\n- x\n"}, {"flag", "true"}, {"n", "1.0"}}}};
  // "n" is a boolean to YAML 1.1 readers, so kubectl quotes it even as a key.
  CHECK(to_yaml(cm) == "data:\n  configmap.yaml: |\n    a: 1\n    b:\n    - x\n  flag: \"true\"\n  \"n\": \"1.0\"\n");
}

TEST_CASE("to_yaml quotes strings only when a plain scalar would read differently", "[yaml_diff]") {
  CHECK(to_yaml("plain text") == "plain text\n");
  CHECK(to_yaml("--port=8000") == "--port=8000\n");
  CHECK(to_yaml("10Gi") == "10Gi\n");
  CHECK(to_yaml("true") == "\"true\"\n");
  CHECK(to_yaml("yes") == "\"yes\"\n");
  CHECK(to_yaml("1.0") == "\"1.0\"\n");
  CHECK(to_yaml("") == "\"\"\n");
  CHECK(to_yaml("null") == "\"null\"\n");
  CHECK(to_yaml("a: b") == "'a: b'\n");
  CHECK(to_yaml("- x") == "'- x'\n");
  CHECK(to_yaml("#c") == "'#c'\n");
  CHECK(to_yaml(" lead") == "' lead'\n");
  CHECK(to_yaml("it's") == "it's\n");
  CHECK(to_yaml("'q'") == "'''q'''\n");
  CHECK(to_yaml("tab\there") == "\"tab\\there\"\n");
  CHECK(to_yaml("a\nb") == "|-\n  a\n  b\n");
  CHECK(to_yaml(json::object()) == "{}\n");
  CHECK(to_yaml(json::array()) == "[]\n");
  CHECK(to_yaml(nullptr) == "null\n");
  CHECK(to_yaml(json::array({json::array({1, 2}), json::object({{"a", json::array()}})})) == "- - 1\n  - 2\n- a: []\n");
}

TEST_CASE("to_yaml output reads back as the same value", "[yaml_diff]") {
  const std::vector<json> values = {
      kHttpRoute,
      kConfigMap,
      "true",
      "1.0",
      "",
      "a: b",
      "- x",
      "#c",
      " lead",
      "trail ",
      "yes",
      "No",
      "on",
      "OFF",
      "y",
      "~",
      "null",
      "0x1F",
      "0o17",
      "1_000",
      "1:20",
      ".5",
      "-.inf",
      ".NaN",
      "1e3",
      "+1",
      "-",
      "?",
      ":",
      "? x",
      ": x",
      "-x",
      "a #b",
      "a#b",
      "a:b",
      "a:",
      "---",
      "...",
      "--- x",
      "<<",
      "[x]",
      "{x}",
      "*alias",
      "&anchor",
      "!tag",
      "|",
      ">",
      "%",
      "@",
      "`",
      "\"",
      "'",
      "\\",
      "é ü 日本語 🚀",
      "\u00a0nbsp",
      "bell\a",
      "nul",
      std::string("a\0b", 3),
      "line\u2028sep",
      "\u0085",
      "\ufeffbom",
      "\x7f",
      "a\r\nb",
      "a\n",
      "a\n\n",
      "\n",
      "\n\n",
      " \n",
      "\n ",
      "a\n b",
      " a\nb",
      "a\n\tb",
      "a\n\n\nb",
      json::object(),
      json::array(),
      json::array({json::object(), json::array(), json::array({json::array()})}),
      json{{"a", json::object()}, {"b", json::array()}, {"c", {{"d", json::object()}}}},
      json{{"", 1}, {"true", 2}, {"null", 3}, {"a: b", 4}, {"- k", 5}, {"multi\nline", 6}, {"1", 7}, {" ", 8}},
      0,
      1,
      -1,
      42,
      -1234567890123456,
      1.5,
      -0.25,
      1e100,
      -2.5e-10,
      100.0,
      0.1,
      true,
      false,
      nullptr};
  for (const auto& value : values) {
    INFO(to_yaml(value));
    CHECK(round_trip(value) == value);
  }
}

namespace {

// Random JSON leaning on what is hard for YAML: indicator characters, spaces, newlines, look-alike numbers.
class RandomJson {
 public:
  explicit RandomJson(unsigned seed) : rng_(seed) {}

  json value(int depth) {
    switch (pick(depth > 0 ? 8 : 6)) {
      case 0: return nullptr;
      case 1: return pick(2) == 0;
      case 2: return static_cast<int64_t>(rng_() % 2000000000000000ULL) - 1000000000000000LL;
      case 3: return std::ldexp(static_cast<double>(rng_()) / 4294967296.0 - 0.5, static_cast<int>(pick(200)) - 100);
      case 4:
      case 5: return text();
      case 6: return array(depth - 1);
      default: return object(depth - 1);
    }
  }

 private:
  size_t pick(size_t n) { return rng_() % n; }

  std::string text() {
    static const std::vector<std::string> pieces = {
        "a",    "Z",    "0",   "7",  ".",   "-",   "+",   "e",      " ",      " ",   "\n", "\n", ":",
        ": ",   "#",    " #",  "'",  "\"",  "\\",  "[",   "]",      "{",      "}",   ",",  "&",  "*",
        "!",    "|",    ">",   "%",  "@",   "`",   "?",   "~",      "\t",     "\r",  "é",  "日", "🚀",
        "true", "null", "yes", "0x", "1.5", "---", "...", "\u2028", "\u0085", "\x01"};
    std::string out;
    for (size_t n = pick(8); n > 0; --n) out += pieces[pick(pieces.size())];
    return out;
  }
  json array(int depth) {
    json out = json::array();
    for (size_t n = pick(4); n > 0; --n) out.push_back(value(depth));
    return out;
  }
  json object(int depth) {
    json out = json::object();
    for (size_t n = pick(4); n > 0; --n) out[text()] = value(depth);
    return out;
  }

  std::mt19937 rng_;
};

}  // namespace

TEST_CASE("to_yaml round-trips thousands of random values", "[yaml_diff]") {
  RandomJson random(20240611);
  for (int i = 0; i < 3000; ++i) {
    const json value = random.value(4);
    INFO(value.dump() << "\n" << to_yaml(value));
    REQUIRE(round_trip(value) == value);
  }
}
