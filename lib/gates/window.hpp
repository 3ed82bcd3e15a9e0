// Arithmetic between two scrapes of one target (before at t0, after at t1): what a scrape gate
// measures without a Prometheus server. Increases follow Prometheus' counter-reset rule, quantiles
// its histogram_quantile, so a gate reads the same through `scrape:` as through `prometheus:`.
// Unlike PromQL's rate() over a range, nothing is extrapolated: two scrapes, exact differences.
#pragma once

#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "gates/exposition.hpp"
#include "util/result.hpp"

namespace rollout::gates {

struct LabelMatcher {
  enum class Op { equal, not_equal, regex, not_regex };  // =, !=, =~, !~
  std::string label;
  Op op = Op::equal;
  std::string value;
};

// Matchers that must all hold. As in PromQL a missing label reads as "", and regexes (ECMAScript,
// via std::regex) are anchored at both ends; a value over 16 KiB fails any regex matcher.
class LabelSelector {
 public:
  LabelSelector() = default;  // matches every series
  static Result<LabelSelector> make(std::vector<LabelMatcher> matchers);
  // PromQL's matcher syntax, braces optional: `{model_name="m", finished_reason=~"stop|length"}`.
  static Result<LabelSelector> parse(std::string_view text);
  bool matches(const Labels& labels) const;

 private:
  struct Compiled {
    LabelMatcher matcher;
    std::optional<std::regex> regex;
  };
  std::vector<Compiled> matchers_;
};

// Sum over the series of sample `name` (e.g. `vllm:request_success_total`) that match, of each
// series' increase from before to after. A series whose value dropped, or whose `_created`
// changed, was reset and counts its whole after-value; a series new in `after` counts from 0.
// nullopt when no series in `after` matches (no data, as distinct from 0).
std::optional<double> counter_increase(const Exposition& before, const Exposition& after, std::string_view name,
                                       const LabelSelector& selector = {});
// increase / seconds; NaN when seconds is not positive.
double rate(double increase, double seconds);
std::optional<double> counter_rate(const Exposition& before, const Exposition& after, std::string_view name,
                                   const LabelSelector& selector, double seconds);
// numerator / denominator with 0/0 = NaN (no traffic is not a 0% error rate); nullopt if either is.
std::optional<double> ratio(std::optional<double> numerator, std::optional<double> denominator);

struct Bucket {
  double upper_bound = 0;  // the `le` label
  double count = 0;
};

// The increase of each `le` bucket of histogram `name` (base name, or the `_bucket` name) between
// the scrapes, summed over matching series like `sum by (le) (increase(name_bucket[...]))`.
// Samples without a numeric `le` are ignored, as Prometheus ignores them.
std::vector<Bucket> bucket_increases(const Exposition& before, const Exposition& after, std::string_view name,
                                     const LabelSelector& selector = {});
// Prometheus' bucketQuantile (promql/quantile.go), special cases and all.
double bucket_quantile(double q, std::vector<Bucket> buckets);
// bucket_quantile over bucket_increases; nullopt when no bucket series matches.
std::optional<double> histogram_quantile(double q, const Exposition& before, const Exposition& after,
                                         std::string_view name, const LabelSelector& selector = {});

// Gauges are read from one scrape; nullopt when no series matches.
std::optional<double> gauge_sum(const Exposition& scrape, std::string_view name, const LabelSelector& selector = {});
std::optional<double> gauge_avg(const Exposition& scrape, std::string_view name, const LabelSelector& selector = {});

}  // namespace rollout::gates
