#include "util/yaml_tree.hpp"

#include <catch2/catch.hpp>

using namespace rollout;

TEST_CASE("the YAML tree keeps positions and quoting", "[yaml]") {
  auto p = parse_yaml("a: 1\nb:\n  - \"10\"\n  - x\n");
  REQUIRE(p.diagnostics.empty());
  REQUIRE(p.documents.size() == 1);
  const auto& root = *p.documents[0].root;
  REQUIRE(root.is_map());
  auto b = root.find("b");
  REQUIRE(b);
  REQUIRE(b->items.size() == 2);
  CHECK(b->items[0]->quoted);
  CHECK_FALSE(b->items[1]->quoted);
  CHECK(b->items[0]->pos.line == 3);
  CHECK(b->items[0]->pos.column == 5);
}

TEST_CASE("a scalar knows where its value stands verbatim", "[yaml]") {
  auto p = parse_yaml(
      "plain: a < 1\n"
      "double: \"a < 1\"\n"
      "single: 'a < 1'\n"
      "escaped: \"a \\x3c 1\"\n"
      "doubled: 'it''s'\n"
      "folded: >-\n  a < 1\n"
      "multi: a <\n  1\n");
  REQUIRE(p.diagnostics.empty());
  const auto& root = *p.documents[0].root;
  CHECK(root.find("plain")->verbatim_column == 8);
  CHECK(root.find("double")->verbatim_column == 10);
  CHECK(root.find("single")->verbatim_column == 10);
  CHECK(root.find("escaped")->scalar == "a < 1");
  CHECK(root.find("escaped")->verbatim_column == 0);
  CHECK(root.find("doubled")->verbatim_column == 0);
  CHECK(root.find("folded")->verbatim_column == 0);
  CHECK(root.find("multi")->scalar == "a < 1");
  CHECK(root.find("multi")->verbatim_column == 0);
}

TEST_CASE("duplicate keys are reported at the second occurrence", "[yaml]") {
  auto p = parse_yaml("a: 1\nb: 2\na: 3\n");
  REQUIRE(p.diagnostics.size() == 1);
  CHECK(p.diagnostics.items()[0].pos.line == 3);
  CHECK(p.diagnostics.items()[0].message == "duplicate key \"a\" (first defined at line 1)");
}

TEST_CASE("syntax errors carry a position and never throw", "[yaml]") {
  auto p = parse_yaml("a: [1, 2\nb: 3\n");
  REQUIRE_FALSE(p.diagnostics.empty());
  CHECK(p.diagnostics.items()[0].message.rfind("YAML syntax error", 0) == 0);
}

TEST_CASE("several documents are all returned", "[yaml]") {
  auto p = parse_yaml("a: 1\n---\nb: 2\n");
  CHECK(p.documents.size() == 2);
}

TEST_CASE("deep nesting is refused and does not crash", "[yaml]") {
  std::string deep(100000, '[');
  auto p = parse_yaml(deep);
  CHECK_FALSE(p.diagnostics.empty());
}

TEST_CASE("aliases share the anchored node", "[yaml]") {
  auto p = parse_yaml("a: &x {k: v}\nb: *x\n");
  REQUIRE(p.diagnostics.empty());
  const auto& root = *p.documents[0].root;
  CHECK(root.find("a") == root.find("b"));
}

TEST_CASE("input that makes yaml-cpp loop is reported and the parse ends", "[yaml]") {
  auto p = parse_yaml(",iVra,iVr");
  REQUIRE(p.diagnostics.size() == 1);
  CHECK(p.diagnostics.items()[0].message == "YAML syntax error: unexpected character; the parser cannot continue");
}
