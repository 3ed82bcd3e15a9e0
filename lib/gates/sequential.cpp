// The test: a conditional binomial sequential probability ratio test, mixed over alternatives.
//
// Each update brings one interval: n_c canary and n_s stable requests, x canary and y stable
// failures, F = x + y. Given F, under "both versions fail alike" the F failing requests are a
// uniform draw from the n_c + n_s requests, so x is hypergeometric; if the canary's error rate
// were k times stable's, each failure would be the canary's with probability
// q_k = k*pi / (k*pi + 1 - pi), pi = n_c / (n_c + n_s). The interval's likelihood ratio of
// "ratio k" against "ratio 1", with binomial likelihoods, is
//     L_k = (q_k / pi)^x * ((1 - q_k) / (1 - pi))^y,  log L_k = x log k - F log1p((k - 1) pi).
// Why the bound holds: L_k is convex in x and has mean exactly 1 under Binomial(F, pi); the
// hypergeometric is smaller than that binomial in convex order (Hoeffding 1963, Theorem 4), so
// E[L_k | past, n_c, n_s, F] <= 1. A canary better than stable only moves x down, and L_k grows
// with x, so the same holds for it. The product over intervals is therefore a nonnegative
// supermartingale with start 1, as is the equal-weight mixture over k in {r, 2r, 4r, 8r, 16r}
// (r = max_ratio), and Ville's inequality gives P(sup_t M_t >= 1/alpha) <= alpha: failing when
// log M_t >= log(1/alpha) at any update, however often they come, has false-failure probability
// at most alpha. pi is re-computed per interval, so traffic shifts and a baseline error rate that
// changes over time are allowed; within one interval both versions must see the same conditions.
// The mixture costs log(5) of evidence against the best single alternative but lets a clearly
// bad canary (ratio 10 and more) fail after far fewer requests than a test tuned to ratio 2.
#include "gates/sequential.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>

namespace rollout::gates {

namespace {

constexpr int kAlternatives = 5;

double rate(long long failures, long long requests) {
  return requests > 0 ? static_cast<double>(failures) / static_cast<double>(requests) : 0.0;
}

// "4.9%", "0.52%", "0%": two significant digits are what a person compares.
std::string percent(double fraction) {
  double p = fraction * 100;
  if (p == 0) return "0%";
  if (p >= 10) return fmt::format("{:.0f}%", p);
  if (p >= 1) return fmt::format("{:.1f}%", p);
  if (p >= 0.01) return fmt::format("{:.2f}%", p);
  return fmt::format("{:.1e}%", p);
}

bool any_negative(const ErrorCounts& c) {
  return c.canary_success < 0 || c.canary_failure < 0 || c.stable_success < 0 || c.stable_failure < 0;
}

bool went_down(const ErrorCounts& now, const ErrorCounts& before) {
  return now.canary_success < before.canary_success || now.canary_failure < before.canary_failure ||
         now.stable_success < before.stable_success || now.stable_failure < before.stable_failure;
}

ErrorCounts minus(const ErrorCounts& a, const ErrorCounts& b) {
  return {a.canary_success - b.canary_success, a.canary_failure - b.canary_failure, a.stable_success - b.stable_success,
          a.stable_failure - b.stable_failure};
}

ErrorCounts plus(const ErrorCounts& a, const ErrorCounts& b) {
  return {a.canary_success + b.canary_success, a.canary_failure + b.canary_failure, a.stable_success + b.stable_success,
          a.stable_failure + b.stable_failure};
}

Error invalid(const std::string& message) {
  return make_error(ErrorKind::invalid, "sequential judge: " + message);
}

}  // namespace

Status check_config(const SequentialConfig& c) {
  if (!(c.alpha > 0 && c.alpha <= 0.5)) return invalid(fmt::format("alpha {:g} is not in (0, 0.5]", c.alpha));
  if (!(c.max_ratio > 1) || !std::isfinite(c.max_ratio))
    return invalid(fmt::format("maxRatio {:g} must be a finite number greater than 1", c.max_ratio));
  if (c.min_requests < 0) return invalid("minRequests must not be negative");
  if (c.max_requests && *c.max_requests <= c.min_requests)
    return invalid(fmt::format("maxRequests {} must be greater than minRequests {}", *c.max_requests, c.min_requests));
  return ok_status();
}

SequentialConfig sequential_config(const plan::Sequential& block) {
  SequentialConfig c;
  c.alpha = block.alpha;
  c.max_ratio = block.max_ratio;
  c.min_requests = block.min_requests;
  if (block.max_requests) c.max_requests = *block.max_requests;
  return c;
}

const char* to_string(SequentialDecision d) {
  switch (d) {
    case SequentialDecision::continue_: return "continue";
    case SequentialDecision::fail: return "fail";
    case SequentialDecision::pass: return "pass";
  }
  return "continue";
}

Result<SequentialJudge> SequentialJudge::make(const SequentialConfig& config) {
  if (auto s = check_config(config); !s) return s.error();
  return SequentialJudge(config);
}

SequentialJudge::SequentialJudge(const SequentialConfig& config) : config_(config) {
  for (int j = 0; j < kAlternatives; ++j) ratios_.push_back(config.max_ratio * std::pow(2.0, j));
  log_lr_.assign(ratios_.size(), 0.0);
}

Status SequentialJudge::update(const ErrorCounts& cumulative) {
  if (any_negative(cumulative)) return invalid("a request count is negative");
  if (decision_ != SequentialDecision::continue_) return ok_status();  // the verdict is final
  const bool reset = last_ && went_down(cumulative, *last_);
  // The first counts and the counts after a reset only set the origin of the next interval:
  // what happened before the judge (or the restarted server) started is not the rollout's.
  if (last_ && !reset) add_interval(minus(cumulative, *last_));
  if (reset) ++resets_;
  last_ = cumulative;

  const double stat = mixture_log_lr();
  const long long canary = total_.canary_success + total_.canary_failure;
  if (canary >= config_.min_requests && stat >= std::log(1 / config_.alpha))
    decision_ = SequentialDecision::fail;
  else if (config_.max_requests && canary >= *config_.max_requests)
    decision_ = SequentialDecision::pass;
  decided_log_lr_ = stat;
  return ok_status();
}

void SequentialJudge::add_interval(const ErrorCounts& d) {
  total_ = plus(total_, d);
  const double nc = static_cast<double>(d.canary_success + d.canary_failure);
  const double ns = static_cast<double>(d.stable_success + d.stable_failure);
  const double failures = static_cast<double>(d.canary_failure + d.stable_failure);
  // No failure, or only one version served: the interval says nothing about the difference.
  if (failures == 0 || nc == 0 || ns == 0) return;
  const double pi = nc / (nc + ns);
  for (size_t j = 0; j < ratios_.size(); ++j)
    log_lr_[j] +=
        static_cast<double>(d.canary_failure) * std::log(ratios_[j]) - failures * std::log1p((ratios_[j] - 1) * pi);
}

// log of the equal-weight mean of exp(log_lr_), computed without overflow.
double SequentialJudge::mixture_log_lr() const {
  const double top = *std::max_element(log_lr_.begin(), log_lr_.end());
  double sum = 0;
  for (double l : log_lr_) sum += std::exp(l - top);
  return top + std::log(sum / static_cast<double>(log_lr_.size()));
}

SequentialVerdict SequentialJudge::decide() const {
  SequentialVerdict v;
  v.decision = decision_;
  v.log_likelihood_ratio = decided_log_lr_;
  v.threshold = std::log(1 / config_.alpha);
  v.canary_requests = total_.canary_success + total_.canary_failure;
  v.stable_requests = total_.stable_success + total_.stable_failure;
  v.canary_error_rate = rate(total_.canary_failure, v.canary_requests);
  v.stable_error_rate = rate(total_.stable_failure, v.stable_requests);
  v.counter_resets = resets_;
  std::string head =
      fmt::format("canary error rate {} vs stable {} after {} canary requests: ", percent(v.canary_error_rate),
                  percent(v.stable_error_rate), v.canary_requests);
  std::string stat = fmt::format("log-likelihood ratio {:.2f}", v.log_likelihood_ratio);
  std::string bound = fmt::format("threshold {:.2f} (alpha {:g})", v.threshold, config_.alpha);
  if (v.decision == SequentialDecision::fail)
    v.message = head + stat + " > " + bound;
  else if (v.decision == SequentialDecision::pass)
    v.message = head + stat + " stayed below " + bound + " up to maxRequests " + std::to_string(*config_.max_requests);
  else if (v.canary_requests < config_.min_requests)
    v.message = head + "waiting for " + std::to_string(config_.min_requests) + " canary requests before judging (" +
                stat + ", " + bound + ")";
  else
    v.message = head + stat + " < " + bound;
  return v;
}

}  // namespace rollout::gates
