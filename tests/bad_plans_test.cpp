// tests/bad-plans/: every malformed plan is rejected with exactly the errors its
// "# expect: LINE:COL: message" comments list, in order.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "plan/loader.hpp"

namespace fs = std::filesystem;

namespace {

std::vector<std::string> expectations(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  const std::string marker = "# expect: ";
  for (std::string line; std::getline(in, line);)
    if (line.rfind(marker, 0) == 0) out.push_back(p.string() + ":" + line.substr(marker.size()));
  return out;
}

}  // namespace

TEST_CASE("every bad plan is rejected with its expected errors", "[bad-plans]") {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(std::string(ROLLOUT_SOURCE_DIR) + "/tests/bad-plans"))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 40);
  for (const auto& f : files) {
    INFO(f.filename().string());
    auto expected = expectations(f);
    REQUIRE_FALSE(expected.empty());
    auto file = rollout::plan::load_plan_file(f.string());
    CHECK_FALSE(file.ok());
    CHECK(file.messages() == expected);
  }
}
