// Errors as values: every fallible library call returns Result<T>, whose error carries a kind
// that the CLI maps to an exit code in exactly one place (cli/exit_codes.cpp).
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace rollout {

enum class ErrorKind {
  internal,      // a bug or an unexpected condition (exit 1)
  usage,         // bad flags or arguments (exit 2)
  invalid,       // an invalid plan or object (exit 2)
  not_found,     // a referenced object does not exist (exit 2: nothing was changed)
  conflict,      // optimistic-concurrency conflict (retried by callers; exit 1 if it escapes)
  unavailable,   // cluster, load balancer or metrics backend unreachable (exit 6)
  timeout,       // deadline exceeded (exit 5)
  gate_failed,   // a gate failed and the rollout was rolled back or paused (exit 3)
  aborted,       // aborted by a user (exit 4)
  locked,        // another apply holds the lock (exit 7)
  unimplemented  // a command whose implementation has not landed yet (exit 1)
};

const char* to_string(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string message;
  int code = 0;        // protocol status (e.g. HTTP 409) when the error came from, or is for, a remote API
  std::string reason;  // the API's machine-readable reason (e.g. Kubernetes "AlreadyExists")
};

inline Error make_error(ErrorKind kind, std::string message) { return Error{kind, std::move(message), 0, {}}; }

// A minimal std::expected stand-in (g++ 12 has no <expected> in C++20 mode).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Error error) : state_(std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return checked(); }
  const T& value() const& { return const_cast<Result*>(this)->checked(); }
  T&& value() && { return std::move(checked()); }
  T* operator->() { return &checked(); }
  const T* operator->() const { return &const_cast<Result*>(this)->checked(); }
  T& operator*() { return checked(); }
  const T& operator*() const { return const_cast<Result*>(this)->checked(); }

  const Error& error() const {
    if (ok()) throw std::logic_error("Result::error() called on a value");
    return std::get<1>(state_);
  }

 private:
  T& checked() {
    if (!ok()) throw std::logic_error("Result::value() called on an error: " + std::get<1>(state_).message);
    return std::get<0>(state_);
  }
  std::variant<T, Error> state_;
};

// Result<void>: success or an error.
struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() {
  return Status(Ok{});
}

}  // namespace rollout
