#include "cli/interrupt.hpp"

#include <pthread.h>
#include <unistd.h>

#include <cstring>

namespace rollout::cli {

namespace {

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};

bool ignored(int sig) {
  struct sigaction now {};
  return sigaction(sig, nullptr, &now) == 0 && now.sa_handler == SIG_IGN;
}

}  // namespace

SignalInterrupt::SignalInterrupt(engine::Interrupt& target, std::function<void(const std::string&)> say)
    : target_(target), say_(std::move(say)) {
  sigemptyset(&set_);
  for (int sig : kSignals)
    if (!ignored(sig)) sigaddset(&set_, sig);
  pthread_sigmask(SIG_BLOCK, &set_, &old_mask_);
  thread_ = std::thread([this] { loop(); });
}

SignalInterrupt::~SignalInterrupt() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  // A signal still pending would be delivered by the unblock: take it (it is the one we handled,
  // or arrived as the apply ended anyway).
  timespec none{0, 0};
  while (sigtimedwait(&set_, nullptr, &none) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

void SignalInterrupt::set_say(std::function<void(const std::string&)> say) {
  std::lock_guard lock(say_mu_);
  say_ = std::move(say);
}

void SignalInterrupt::loop() {
  const timespec tick{0, 200'000'000};
  while (!stop_) {
    const int sig = sigtimedwait(&set_, nullptr, &tick);
    if (sig <= 0) continue;
    if (received_ != 0 || !armed_) {
      // The second, or one before the run: at once, by the handler (the live view's terminal restore) or the default action.
      sigset_t one;
      sigemptyset(&one);
      sigaddset(&one, sig);
      pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
      raise(sig);
      signal(sig, SIG_DFL);
      raise(sig);
    }
    received_ = sig;
    const std::string name = std::string("SIG") + sigabbrev_np(sig);
    {
      std::lock_guard lock(say_mu_);
      if (say_) say_(name + ": stopping after the write under way (" + name + " again stops at once)");
    }
    target_.request(name);
  }
}

void SignalInterrupt::reraise() {
  const int sig = received_ ? received_.load() : SIGTERM;
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  std::fflush(nullptr);
  signal(sig, SIG_DFL);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, sig);
  pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
  raise(sig);
  _exit(128 + sig);  // not reached: the default action of these signals ends the process
}

}  // namespace rollout::cli
