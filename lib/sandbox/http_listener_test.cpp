// HttpListener on loopback, spoken to over a raw socket as a load balancer keeping its upstream
// connection open would.
#include "sandbox/http_listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

using namespace rollout;
using namespace rollout::sandbox;

namespace {

int connect_loopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  return fd;
}

// Reads until the end of one response's headers (the body here is empty).
std::string read_headers(int fd) {
  std::string got;
  char buf[512];
  while (got.find("\r\n\r\n") == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

}  // namespace

// A stopping server closes connections kept alive between requests at once, as uvicorn (vLLM's
// server) does (uvicorn/protocols/http/h11_impl.py, shutdown()), instead of holding them and its
// own exit for the keep-alive timeout of 5 s: behind HAProxy, which keeps upstream connections,
// every replica's stop would take 5 s longer than its drain (the makespan benchmark shows it).
TEST_CASE("stop closes idle kept-alive connections without waiting for their keep-alive timeout",
          "[sandbox][http-listener]") {
  HttpListener listener([](const HttpRequest&) { return HttpResponse{200, "text/plain", "", {}}; }, 4);
  REQUIRE(listener.start("127.0.0.1", 0).ok());
  const int fd = connect_loopback(listener.port());
  const std::string request = "GET /health HTTP/1.1\r\nHost: replica\r\n\r\n";
  REQUIRE(::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  const std::string response = read_headers(fd);
  REQUIRE(response.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(response.find("Connection: close") == std::string::npos);  // kept alive

  const auto began = std::chrono::steady_clock::now();
  listener.stop();
  const auto took = std::chrono::steady_clock::now() - began;
  char byte;
  CHECK(::recv(fd, &byte, 1, 0) == 0);  // the server closed it
  // The keep-alive timeout is 5 s: a stop that waited for it takes at least that.
  CHECK(took < std::chrono::milliseconds(2500));
  ::close(fd);
}

// HAProxy opens upstream connections it may not send a request on yet: such a connection also
// held a stopping server (and the replica's stop) for the whole keep-alive timeout.
TEST_CASE("stop closes connections that never sent a request without waiting for their timeout",
          "[sandbox][http-listener]") {
  HttpListener listener([](const HttpRequest&) { return HttpResponse{200, "text/plain", "", {}}; }, 4);
  REQUIRE(listener.start("127.0.0.1", 0).ok());
  const int fd = connect_loopback(listener.port());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // accepted, waiting for a request
  const auto began = std::chrono::steady_clock::now();
  listener.stop();
  const auto took = std::chrono::steady_clock::now() - began;
  char byte;
  CHECK(::recv(fd, &byte, 1, 0) == 0);
  CHECK(took < std::chrono::milliseconds(2500));  // the keep-alive timeout is 5 s
  ::close(fd);
}
