// The shipped plans in plans/ are valid; the validator survives arbitrary input.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "plan/loader.hpp"

namespace fs = std::filesystem;
using namespace rollout::plan;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<fs::path> files_in(const std::string& dir, const std::string& ext) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(std::string(ROLLOUT_SOURCE_DIR) + "/" + dir))
    if (e.path().extension() == ext) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("every plan in plans/ validates", "[plans]") {
  auto plans = files_in("plans", ".yaml");
  REQUIRE(plans.size() >= 10);
  for (const auto& p : plans) {
    PlanFile f = load_plan_file(p.string());
    INFO(p.string());
    CHECK(f.messages() == std::vector<std::string>{});
    CHECK(f.plans.size() >= 1);
  }
}

TEST_CASE("validation never crashes or hangs on mangled plans", "[plans][fuzz]") {
  std::vector<std::string> seeds;
  for (const auto& p : files_in("plans", ".yaml")) seeds.push_back(slurp(p));
  for (const auto& p : files_in("tests/bad-plans", ".yaml")) seeds.push_back(slurp(p));
  REQUIRE_FALSE(seeds.empty());
  std::mt19937 rng(20261122);
  const std::string alphabet = " \n\t:-[]{}#&*!|>'\"%@`,?0123456789abcxyz\x01\xff";
  size_t runs = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text = seeds[rng() % seeds.size()];
    int edits = 1 + rng() % 8;
    for (int e = 0; e < edits && !text.empty(); ++e) {
      size_t at = rng() % text.size();
      switch (rng() % 4) {
        case 0: text[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: text.erase(at, 1 + rng() % 16); break;
        case 2: text.insert(at, text.substr(rng() % text.size(), 1 + rng() % 32)); break;
        case 3: text.resize(at); break;
      }
    }
    PlanFile f = load_plan_text("fuzz.yaml", text);
    for (const auto& d : f.diagnostics) {
      REQUIRE(d.pos.line >= 1);
      REQUIRE(d.pos.column >= 1);
      REQUIRE_FALSE(d.message.empty());
    }
    ++runs;
  }
  CHECK(runs == 20000);
}

TEST_CASE("alias bombs in free-form templates are refused", "[plans]") {
  std::string text =
      "apiVersion: rollout/v1alpha1\nkind: RolloutPlan\nmetadata: {name: x}\nspec:\n  strategy: rolling\n"
      "  target:\n    deployment:\n      name: d\n      template:\n        a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i)
    text += "        a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) + ", *a" +
            std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" +
            std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" +
            std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + "]\n";
  PlanFile f = load_plan_text("bomb.yaml", text);
  REQUIRE(f.diagnostics.size() == 1);
  CHECK(f.diagnostics[0].message ==
        "spec.target.deployment.template: too large once aliases are expanded (over 100000 nodes)");
}

TEST_CASE("validation never crashes on random bytes", "[plans][fuzz]") {
  std::mt19937 rng(7);
  for (int i = 0; i < 5000; ++i) {
    std::string text(rng() % 256, '\0');
    for (auto& c : text) c = static_cast<char>(rng() % 256);
    PlanFile f = load_plan_text("random.yaml", text);
    REQUIRE_FALSE(f.ok());
  }
}
