#include "util/clock.hpp"

#include <catch2/catch.hpp>

using namespace rollout;

TEST_CASE("a fake clock jumps to the waiter's deadline", "[clock]") {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lock(mu);
  const auto t0 = clock.now();
  clock.wait_until(lock, cv, t0 + Duration(5000));
  CHECK(clock.now() - t0 == Duration(5000));
  CHECK(clock.elapsed() == Duration(5000));
}

TEST_CASE("a fake clock runs scheduled actions in order before the deadline", "[clock]") {
  FakeClock clock;
  std::vector<int> seen;
  clock.at(Duration(2000), [&] { seen.push_back(2); });
  clock.at(Duration(1000), [&] { seen.push_back(1); });
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lock(mu);
  const auto t0 = clock.now();
  clock.wait_until(lock, cv, t0 + Duration(10000));  // returns early, after the first action
  CHECK(seen == std::vector<int>{1});
  CHECK(clock.now() - t0 == Duration(1000));
  clock.sleep_for(Duration(9000));
  CHECK(seen == std::vector<int>{1, 2});
  CHECK(clock.now() - t0 == Duration(10000));
}

TEST_CASE("a fake clock's wall time follows its steady time", "[clock]") {
  FakeClock clock;
  const auto w0 = clock.wall();
  clock.advance(Duration(1500));
  CHECK(std::chrono::duration_cast<Duration>(clock.wall() - w0) == Duration(1500));
}
