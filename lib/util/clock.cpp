#include "util/clock.hpp"

#include <algorithm>

namespace rollout {

void Clock::sleep_for(Duration d) {
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lock(mu);
  const auto deadline = now() + d;
  while (now() < deadline) wait_until(lock, cv, deadline);
}

namespace {

class SystemClock : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point wall() const override { return std::chrono::system_clock::now(); }
  void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, time_point deadline) override {
    cv.wait_until(lock, deadline);
  }
};

}  // namespace

Clock& system_clock() {
  static SystemClock clock;
  return clock;
}

// A fixed wall-clock origin keeps fake runs' timestamps reproducible.
FakeClock::FakeClock()
    : start_(std::chrono::steady_clock::time_point{} + std::chrono::hours(1)),
      now_(start_),
      wall_start_(std::chrono::sys_days{std::chrono::year{2026} / 1 / 1}) {}

Clock::time_point FakeClock::now() const {
  std::lock_guard<std::mutex> g(mu_);
  return now_;
}

std::chrono::system_clock::time_point FakeClock::wall() const {
  std::lock_guard<std::mutex> g(mu_);
  return wall_start_ + std::chrono::duration_cast<std::chrono::system_clock::duration>(now_ - start_);
}

Duration FakeClock::elapsed() const {
  std::lock_guard<std::mutex> g(mu_);
  return std::chrono::duration_cast<Duration>(now_ - start_);
}

void FakeClock::advance(Duration d) {
  std::lock_guard<std::mutex> g(mu_);
  now_ += d;
}

void FakeClock::at(Duration after, std::function<void()> action) {
  std::lock_guard<std::mutex> g(mu_);
  scheduled_.push_back({now_ + after, std::move(action)});
  std::stable_sort(scheduled_.begin(), scheduled_.end(),
                   [](const Scheduled& a, const Scheduled& b) { return a.when < b.when; });
}

void FakeClock::wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable&, time_point deadline) {
  std::function<void()> action;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (!scheduled_.empty() && scheduled_.front().when <= deadline) {
      now_ = std::max(now_, scheduled_.front().when);
      action = std::move(scheduled_.front().action);
      scheduled_.erase(scheduled_.begin());
    } else {
      now_ = std::max(now_, deadline);
    }
  }
  if (action) {
    lock.unlock();
    action();
    lock.lock();
  }
}

}  // namespace rollout
