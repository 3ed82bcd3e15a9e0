// unified_diff (util/yaml_diff.hpp) against GNU diff -u, which every Debian install has.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>

#include "util/subprocess.hpp"
#include "util/yaml_diff.hpp"

using namespace rollout;
using namespace std::chrono_literals;

namespace {

std::string numbered_lines(int from, int to) {
  std::string out;
  for (int i = from; i <= to; ++i) out += "line " + std::to_string(i) + "\n";
  return out;
}

}  // namespace

TEST_CASE("unified_diff of equal texts is empty", "[yaml_diff]") {
  CHECK(unified_diff("", "", "a", "b").empty());
  CHECK(unified_diff("x\ny\n", "x\ny\n", "a", "b").empty());
}

TEST_CASE("unified_diff shows one change with three lines of context", "[yaml_diff]") {
  const std::string before = numbered_lines(1, 20);
  std::string after = before;
  after.replace(after.find("line 10\n"), 8, "line ten\n");
  CHECK(unified_diff(before, after, "live", "desired") ==
        "--- live\n+++ desired\n@@ -7,7 +7,7 @@\n line 7\n line 8\n line 9\n-line 10\n+line ten\n line 11\n"
        " line 12\n line 13\n");
}

TEST_CASE("unified_diff at the edges of the texts", "[yaml_diff]") {
  const std::string base = numbered_lines(1, 5);
  CHECK(unified_diff(base, "new\n" + base, "a", "b") ==
        "--- a\n+++ b\n@@ -1,3 +1,4 @@\n+new\n line 1\n line 2\n line 3\n");
  CHECK(unified_diff(base, base + "new\n", "a", "b") ==
        "--- a\n+++ b\n@@ -3,3 +3,4 @@\n line 3\n line 4\n line 5\n+new\n");
  CHECK(unified_diff("a\nb\n", "", "a", "b") == "--- a\n+++ b\n@@ -1,2 +0,0 @@\n-a\n-b\n");
  CHECK(unified_diff("", "a\n", "a", "b") == "--- a\n+++ b\n@@ -0,0 +1 @@\n+a\n");
  CHECK(unified_diff("a\nb", "a\nb\n", "a", "b") ==
        "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
}

TEST_CASE("unified_diff splits distant changes into hunks and merges close ones", "[yaml_diff]") {
  const std::string before = numbered_lines(1, 30);
  auto change = [](std::string text, int line) {
    const std::string old = "line " + std::to_string(line) + "\n";
    return text.replace(text.find(old), old.size(), "changed " + std::to_string(line) + "\n");
  };
  const std::string distant = unified_diff(before, change(change(before, 5), 20), "a", "b");
  CHECK(distant.find("@@ -2,7 +2,7 @@") != std::string::npos);
  CHECK(distant.find("@@ -17,7 +17,7 @@") != std::string::npos);
  // Six unchanged lines between changes: their contexts touch, so diff -u prints one hunk; seven: two.
  CHECK(unified_diff(before, change(change(before, 5), 12), "a", "b").find("@@ -2,14 +2,14 @@") != std::string::npos);
  CHECK(unified_diff(before, change(change(before, 5), 13), "a", "b").find("@@ -10,7 +10,7 @@") != std::string::npos);
  CHECK(unified_diff(before, change(before, 5), "a", "b", 0) == "--- a\n+++ b\n@@ -5 +5 @@\n-line 5\n+changed 5\n");
}

namespace {

// GNU diff's hunks for the same texts: its output without the two label lines.
std::string gnu_diff_hunks(const std::string& before, const std::string& after, int context) {
  const auto dir = std::filesystem::temp_directory_path() / ("rollout-yaml-diff-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "a", std::ios::binary) << before;
  std::ofstream(dir / "b", std::ios::binary) << after;
  auto r = run_process({"/usr/bin/diff", "-U" + std::to_string(context), (dir / "a").string(), (dir / "b").string()},
                       {}, "", Duration(10s));
  std::filesystem::remove_all(dir);
  if (!r.ok()) return "error: " + r.error().message;
  const std::string& out = r->stdout_data;
  const size_t second = out.find('\n', out.find('\n') + 1);
  return second == std::string::npos ? "" : out.substr(second + 1);
}

std::string hunks(const std::string& diff) {
  const size_t second = diff.find('\n', diff.find('\n') + 1);
  return second == std::string::npos ? "" : diff.substr(second + 1);
}

// A YAML-like text with repeated lines (so a change could be shown in several places) and random edits of it:
// deletions and insertions of new lines, and with `repeats` also insertions of lines the text already has.
struct RandomEdit {
  std::string before, after;
};

RandomEdit random_edit(std::mt19937& rng, bool repeats) {
  static const std::vector<std::string> common = {"", "}", "  - name: x", "---", "    port: 80"};
  std::vector<std::string> lines;
  for (size_t n = rng() % 40; n > 0; --n)
    lines.push_back(rng() % 3 == 0 ? common[rng() % common.size()] : "line " + std::to_string(rng() % 1000));
  std::vector<std::string> edited = lines;
  for (size_t edits = 1 + rng() % 4; edits > 0; --edits) {
    const size_t at = edited.empty() ? 0 : rng() % (edited.size() + 1);
    const auto pos = edited.begin() + static_cast<long>(at);
    const size_t count = std::min<size_t>(1 + rng() % 3, edited.size() - at);
    switch (rng() % 3) {
      case 0: edited.erase(pos, pos + static_cast<long>(count)); break;
      case 1: edited.insert(pos, repeats ? common[rng() % common.size()] : "added " + std::to_string(rng())); break;
      default: edited.insert(pos, "new " + std::to_string(rng() % 1000)); break;
    }
  }
  auto join = [&rng](const std::vector<std::string>& ls) {
    std::string out;
    for (const auto& l : ls) out += l + "\n";
    if (!out.empty() && rng() % 8 == 0) out.pop_back();
    return out;
  };
  return {join(lines), join(edited)};
}

size_t count_lines_starting(const std::string& hunk_text, char prefix) {
  size_t n = 0;
  for (size_t at = 0; at < hunk_text.size(); at = hunk_text.find('\n', at) + 1)
    if (hunk_text[at] == prefix && hunk_text.compare(at, 3, "---") != 0 && hunk_text.compare(at, 3, "+++") != 0) ++n;
  return n;
}

}  // namespace

TEST_CASE("unified_diff prints the hunks GNU diff -u prints", "[yaml_diff]") {
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    const auto [before, after] = random_edit(rng, false);
    const int context = i % 5 == 0 ? static_cast<int>(rng() % 3) : 3;
    INFO("before:\n" << before << "\nafter:\n" << after);
    REQUIRE(hunks(unified_diff(before, after, "a", "b", context)) == gnu_diff_hunks(before, after, context));
  }
}

// When several shortest edit scripts exist (a line moved past a copy of another), dtl and GNU diff's own
// search may settle on different ones; both are equally short, and GNU's choice wins almost always.
TEST_CASE("unified_diff is as short as GNU diff -u where the edit is ambiguous", "[yaml_diff]") {
  std::mt19937 rng(11);
  int identical = 0;
  const int cases = 200;
  for (int i = 0; i < cases; ++i) {
    const auto [before, after] = random_edit(rng, true);
    const std::string ours = hunks(unified_diff(before, after, "a", "b")), gnu = gnu_diff_hunks(before, after, 3);
    INFO("before:\n" << before << "\nafter:\n" << after << "\nours:\n" << ours << "\nGNU:\n" << gnu);
    CHECK(count_lines_starting(ours, '-') == count_lines_starting(gnu, '-'));
    CHECK(count_lines_starting(ours, '+') == count_lines_starting(gnu, '+'));
    if (ours == gnu) ++identical;
  }
  CHECK(identical >= cases * 95 / 100);
}
