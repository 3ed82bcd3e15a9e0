#include "sandbox/sim_clock.hpp"

#include <chrono>

namespace rollout::sandbox {

namespace {

class SystemSimClock final : public SimClock {
 public:
  double now() const override {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
  double unix_time() const override {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
  void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, double deadline) override {
    const auto at = std::chrono::steady_clock::time_point(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(deadline)));
    cv.wait_until(lock, at);
  }
};

}  // namespace

std::shared_ptr<SimClock> system_sim_clock() {
  static auto clock = std::make_shared<SystemSimClock>();
  return clock;
}

}  // namespace rollout::sandbox
