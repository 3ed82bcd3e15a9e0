// Time for simulated servers, behind a seam: the steady clock in the binary, a fake one in tests
// so that seconds of simulated latency pass in microseconds.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace rollout::sandbox {

class SimClock {
 public:
  virtual ~SimClock() = default;
  // Monotonic seconds.
  virtual double now() const = 0;
  // Seconds since the Unix epoch, for `created` fields and the `_created` samples of metrics.
  virtual double unix_time() const = 0;
  // Blocks on `cv` (whose mutex `lock` holds) until about `deadline` (a now() value) or a notify.
  // Wake-ups may come early: callers loop, re-checking their condition and now().
  virtual void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, double deadline) = 0;
};

// The real clock (steady_clock, system_clock).
std::shared_ptr<SimClock> system_sim_clock();

// Time that moves only when told. With auto_advance a wait jumps straight to its deadline
// (sequential tests); without it waiters poll every millisecond until advance() passes it
// (tests that hold requests in flight while they look at the server).
class FakeSimClock final : public SimClock {
 public:
  explicit FakeSimClock(bool auto_advance = true, double unix_start = 1700000000.0)
      : auto_advance_(auto_advance), unix_start_(unix_start) {}

  double now() const override { return now_.load(); }
  double unix_time() const override { return unix_start_ + now_.load(); }
  void advance(double seconds) { move_to(now_.load() + seconds); }

  void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, double deadline) override {
    if (auto_advance_) {
      move_to(deadline);
      return;
    }
    cv.wait_for(lock, std::chrono::milliseconds(1));
  }

 private:
  void move_to(double t) {
    double cur = now_.load();
    while (cur < t && !now_.compare_exchange_weak(cur, t)) {
    }
  }
  const bool auto_advance_;
  const double unix_start_;
  std::atomic<double> now_{0};
};

}  // namespace rollout::sandbox
