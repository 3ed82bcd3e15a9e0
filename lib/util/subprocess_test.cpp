#include "util/subprocess.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>

using namespace rollout;
using namespace std::chrono_literals;

namespace {
Result<ProcessResult> sh(const std::string& script, const std::string& input = "", EnvVars env = {},
                         Duration timeout = Duration(10s)) {
  return run_process({"/bin/sh", "-c", script}, env, input, timeout);
}
}  // namespace

TEST_CASE("run_process captures stdout, stderr and the exit code", "[subprocess]") {
  auto r = sh("echo out; echo err >&2; exit 3");
  REQUIRE(r.ok());
  CHECK(r->stdout_data == "out\n");
  CHECK(r->stderr_data == "err\n");
  CHECK(r->exit_code == 3);
  CHECK_FALSE(r->succeeded());
  CHECK(sh("true")->succeeded());
}

TEST_CASE("run_process writes stdin, even more than a pipe holds", "[subprocess]") {
  CHECK(sh("cat", "hello")->stdout_data == "hello");
  const std::string big(1 << 20, 'x');
  auto r = sh("cat", big);
  REQUIRE(r.ok());
  CHECK(r->stdout_data == big);
  // A child that exits without reading its input is not an error (and no SIGPIPE kills us).
  auto early = sh("exit 0", big);
  REQUIRE(early.ok());
  CHECK(early->succeeded());
}

TEST_CASE("run_process adds and overrides environment variables", "[subprocess]") {
  ::setenv("ROLLOUT_SUBPROCESS_TEST", "parent", 1);
  auto r = sh("printf '%s %s %s' \"$ROLLOUT_SUBPROCESS_TEST\" \"$EXTRA\" \"$HOME\"", "",
              {{"EXTRA", "a b"}, {"HOME", "/nowhere"}, {"EXTRA", "last wins"}});
  REQUIRE(r.ok());
  CHECK(r->stdout_data == "parent last wins /nowhere");
  ::unsetenv("ROLLOUT_SUBPROCESS_TEST");
}

TEST_CASE("run_process reports a missing or non-executable program", "[subprocess]") {
  auto missing = run_process({"rollout-no-such-program-xyz"}, {}, "", Duration(5s));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::not_found);
  CHECK(missing.error().message == "program \"rollout-no-such-program-xyz\" not found in PATH");
  CHECK(run_process({"/nonexistent/prog"}, {}, "", Duration(5s)).error().message ==
        "program \"/nonexistent/prog\" not found");

  const auto path = std::filesystem::temp_directory_path() / ("rollout-noexec-" + std::to_string(::getpid()));
  std::ofstream(path) << "#!/bin/sh\necho hi\n";
  ::chmod(path.c_str(), 0644);
  auto denied = run_process({path.string()}, {}, "", Duration(5s));
  std::filesystem::remove(path);
  REQUIRE_FALSE(denied.ok());
  CHECK(denied.error().kind == ErrorKind::invalid);
  CHECK_FALSE(run_process({}, {}, "", Duration(5s)).ok());
}

TEST_CASE("run_process kills a program that outlives its timeout, children included", "[subprocess]") {
  const auto start = std::chrono::steady_clock::now();
  auto r = sh("echo waiting for login >&2; sleep 30 & sleep 30", "", {}, Duration(300ms));
  CHECK(std::chrono::steady_clock::now() - start < 10s);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::timeout);
  CHECK(r.error().message ==
        "\"/bin/sh\" did not finish within 300ms and was killed; its stderr ends: waiting for login");
}

TEST_CASE("run_process reports the signal that ended a program", "[subprocess]") {
  auto r = sh("kill -TERM $$");
  REQUIRE(r.ok());
  CHECK(r->exit_code == -1);
  CHECK(r->signal == SIGTERM);
}

TEST_CASE("output_tail keeps the end of long output", "[subprocess]") {
  CHECK(output_tail("  \n") == "");
  CHECK(output_tail("error: no\n\n") == "error: no");
  CHECK(output_tail("line one\nline two\nline three\n", 16) == "...line three");
  CHECK(output_tail("abcdefghij", 4) == "...ghij");
}
