// SIGINT, SIGTERM and SIGHUP during `rollout plan apply` (a Ctrl-C, a cancelled CI job, a closed
// terminal): the first asks the engine to stop between writes, so that the rollout stays where its
// state records it, unlocked, and the reports are written; a second ends the process at once, as
// the signal would have. The signals are taken on a thread of their own (sigtimedwait), never in a
// handler, so the engine is told with ordinary locks. A signal the parent ignored (nohup, a
// background job's SIGINT) stays ignored.
#pragma once

#include <atomic>
#include <csignal>
#include <functional>
#include <string>
#include <thread>

#include "engine/engine.hpp"

namespace rollout::cli {

class SignalInterrupt {
 public:
  // Blocks the signals in this thread and every thread it starts from now on: construct it
  // before any other thread. `say` tells the user, once, that the first signal was heard.
  SignalInterrupt(engine::Interrupt& target, std::function<void(const std::string&)> say);
  ~SignalInterrupt();  // the signal mask as it was; a signal that arrived and was not re-raised is dropped
  SignalInterrupt(const SignalInterrupt&) = delete;
  SignalInterrupt& operator=(const SignalInterrupt&) = delete;

  void set_say(std::function<void(const std::string&)> say);
  // Until armed (the engine about to run), a signal ends the process at once: a prompt or a
  // connection attempt has nothing to stop between.
  void arm() { armed_ = true; }
  int received() const { return received_; }  // 0: none
  // Ends the process by the signal that interrupted it (exit status 128+N, as CI runners and
  // shells expect), after the caller has written what it had to.
  [[noreturn]] void reraise();

 private:
  void loop();

  engine::Interrupt& target_;
  std::function<void(const std::string&)> say_;
  std::mutex say_mu_;
  sigset_t set_{};
  sigset_t old_mask_{};
  std::atomic<int> received_{0};
  std::atomic<bool> armed_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace rollout::cli
