#include "local/nginx_upstream.hpp"

#include <catch2/catch.hpp>

using namespace rollout::local;

namespace {
const std::string kFile =
    "# managed by hand\nupstream other { server 10.0.0.1:80; }\nupstream llm {\n    server 127.0.0.1:8001;\n"
    "    server 127.0.0.1:8002 max_fails=3;  # second\n    keepalive 16;\n}\n";
}

TEST_CASE("nginx upstream: reads the servers of one block", "[local][nginx]") {
  auto s = read_upstream(kFile, "llm");
  REQUIRE(s.ok());
  REQUIRE(s->size() == 2);
  CHECK((*s)[1].address == "127.0.0.1:8002");
  CHECK((*s)[1].state == ServerState{});
  CHECK(read_upstream(kFile, "missing").error().kind == rollout::ErrorKind::not_found);
}

TEST_CASE("nginx upstream: down and weight change, every other byte stays, and back", "[local][nginx]") {
  auto down = write_upstream(kFile, "llm", {{"127.0.0.1:8002", {Admin::drain, 1}}});
  REQUIRE(down.ok());
  CHECK(down->find("server 127.0.0.1:8002 max_fails=3 down;  # second") != std::string::npos);
  CHECK(down->find("upstream other { server 10.0.0.1:80; }") != std::string::npos);
  auto weighted = write_upstream(*down, "llm", {{"127.0.0.1:8001", {Admin::ready, 90}}});
  REQUIRE(weighted.ok());
  CHECK(weighted->find("server 127.0.0.1:8001 weight=90;") != std::string::npos);
  auto back = write_upstream(*weighted, "llm", {{"127.0.0.1:8002", {}}});
  REQUIRE(back.ok());
  auto restored = write_upstream(*back, "llm", {{"127.0.0.1:8001", {Admin::ready, 1}}});
  REQUIRE(restored.ok());
  CHECK(read_upstream(*restored, "llm")->at(0).state.weight == 1);
  CHECK(write_upstream(kFile, "llm", {{"127.0.0.1:9999", {}}}).error().kind == rollout::ErrorKind::not_found);
}

TEST_CASE("nginx upstream: localhost and 127.0.0.1 are one host", "[local][nginx]") {
  CHECK(same_server("localhost:8001", "127.0.0.1", 8001));
  CHECK_FALSE(same_server("127.0.0.1:8001", "127.0.0.1", 8002));
}
