// The sequential judge of a canary's error rate against stable's. It is fed cumulative request
// counts as often as the caller likes and fails the canary as soon as the evidence that its error
// rate is higher than stable's crosses a threshold; the chance that a canary no worse than stable
// is ever failed, however often the counts are looked at, is at most `alpha` (see sequential.cpp
// and the README's "How the sequential judge decides").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "plan/plan.hpp"
#include "util/result.hpp"

namespace rollout::gates {

// Cumulative counts since the judge started watching (or since the counters last started).
struct ErrorCounts {
  long long canary_success = 0;
  long long canary_failure = 0;
  long long stable_success = 0;
  long long stable_failure = 0;
};

struct SequentialConfig {
  double alpha = 0.01;                    // bound on the probability of failing a canary no worse than stable
  double max_ratio = 2.0;                 // the smallest canary/stable error-rate ratio the test is tuned to catch
  long long min_requests = 100;           // canary requests before the judge may fail
  std::optional<long long> max_requests;  // canary requests after which an unfailed canary passes
};

// Rejects what the test cannot work with: alpha outside (0, 0.5], max_ratio <= 1, negative
// minimums, max_requests not above min_requests.
Status check_config(const SequentialConfig& config);

SequentialConfig sequential_config(const plan::Sequential& block);

enum class SequentialDecision { continue_, fail, pass };

const char* to_string(SequentialDecision d);

struct SequentialVerdict {
  SequentialDecision decision = SequentialDecision::continue_;
  double log_likelihood_ratio = 0;  // log of the mixture likelihood ratio (0 before any failure)
  double threshold = 0;             // log(1 / alpha)
  double canary_error_rate = 0;     // over everything counted (0 when no request was seen)
  double stable_error_rate = 0;
  long long canary_requests = 0;
  long long stable_requests = 0;
  int counter_resets = 0;  // updates skipped because a count went down
  std::string message;     // one line for people, e.g. for the gate's event
};

class SequentialJudge {
 public:
  static Result<SequentialJudge> make(const SequentialConfig& config);

  // Feeds the latest cumulative counts. A count that went down (a restarted server) starts a new
  // interval from the new counts instead of failing; negative counts are an error. Once the
  // judge has failed or passed, updates are ignored: the verdict describes that moment.
  Status update(const ErrorCounts& cumulative);

  SequentialVerdict decide() const;
  const SequentialConfig& config() const { return config_; }

 private:
  explicit SequentialJudge(const SequentialConfig& config);
  void add_interval(const ErrorCounts& delta);
  double mixture_log_lr() const;

  SequentialConfig config_;
  std::vector<double> ratios_;  // the alternatives mixed, max_ratio * 2^j
  std::vector<double> log_lr_;  // per alternative: log of its likelihood ratio so far
  std::optional<ErrorCounts> last_;
  ErrorCounts total_;  // sum of the intervals judged
  int resets_ = 0;
  SequentialDecision decision_ = SequentialDecision::continue_;
  double decided_log_lr_ = 0;  // the statistic when the decision was taken
};

}  // namespace rollout::gates
