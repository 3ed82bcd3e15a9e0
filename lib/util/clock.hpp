// Time as a seam (STYLE.md rule 4): everything that waits (gates, pauses, deadlines, lock
// leases, verification polls) asks a Clock for the time and sleeps through it, so tests run the
// same code on a FakeClock that jumps straight to the next thing due.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <vector>

#include "util/duration.hpp"

namespace rollout {

class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual time_point now() const = 0;
  virtual std::chrono::system_clock::time_point wall() const = 0;
  // Blocks until `deadline` or until `cv` is notified (spurious wake-ups allowed); `lock` holds
  // the mutex `cv` is used with.
  virtual void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, time_point deadline) = 0;
  void sleep_for(Duration d);
};

// steady_clock and system_clock.
Clock& system_clock();

// A clock for tests: time stands still until someone waits, then jumps to the earliest of the
// waiter's deadline and the next scheduled action, runs that action (outside the waiter's lock)
// and returns. Single-threaded use: the code under test is the only waiter.
class FakeClock : public Clock {
 public:
  FakeClock();
  time_point now() const override;
  std::chrono::system_clock::time_point wall() const override;
  void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, time_point deadline) override;

  void advance(Duration d);
  // Runs `action` once the clock reaches now() + `after` (while something waits).
  void at(Duration after, std::function<void()> action);
  Duration elapsed() const;

 private:
  struct Scheduled {
    time_point when;
    std::function<void()> action;
  };
  mutable std::mutex mu_;
  time_point start_, now_;
  std::chrono::system_clock::time_point wall_start_;
  std::vector<Scheduled> scheduled_;
};

}  // namespace rollout
