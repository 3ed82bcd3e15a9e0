// Mirrors Prometheus' bucketQuantile, coalesceBuckets, correctPrecisionErrors and ensureMonotonic
// (promql/quantile.go, classic histograms), so a scrape gate and a `prometheus:` gate computing
// histogram_quantile over the same buckets agree to the last bit. Checked against Prometheus'
// promql/testdata/histograms.test in window_test.cpp.
#include <algorithm>
#include <cmath>
#include <limits>

#include "gates/window.hpp"

namespace rollout::gates {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Merges buckets with the same upper bound (the input is sorted).
void coalesce(std::vector<Bucket>& buckets) {
  Bucket last = buckets[0];
  size_t i = 0;
  for (size_t k = 1; k < buckets.size(); ++k) {
    if (buckets[k].upper_bound == last.upper_bound) {
      last.count += buckets[k].count;
    } else {
      buckets[i++] = last;
      last = buckets[k];
    }
  }
  buckets[i] = last;
  buckets.resize(i + 1);
}

// Counts that differ from the previous one by a relative `tolerance` are float noise: level them.
void correct_precision_errors(std::vector<Bucket>& buckets, double tolerance) {
  double prev = buckets[0].count;
  for (size_t i = 1; i < buckets.size(); ++i) {
    const double curr = buckets[i].count;
    const double delta = std::fabs(curr - prev);
    if (delta == 0) continue;
    if (delta / curr <= tolerance)
      buckets[i].count = prev;
    else
      prev = curr;
  }
}

// Cumulative counts must not decrease; Prometheus takes the running maximum (the "envelope").
void ensure_monotonic(std::vector<Bucket>& buckets) {
  double max = buckets[0].count;
  for (size_t i = 1; i < buckets.size(); ++i) {
    if (buckets[i].count > max)
      max = buckets[i].count;
    else if (buckets[i].count < max)
      buckets[i].count = max;
  }
}

// Go's sort.Search over [0, n): the first index where the count reaches `rank`, n if none.
size_t search(const std::vector<Bucket>& buckets, size_t n, double rank) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (!(buckets[mid].count >= rank))
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

}  // namespace

double bucket_quantile(double q, std::vector<Bucket> buckets) {
  if (std::isnan(q)) return kNaN;
  if (q < 0) return -kInf;
  if (q > 1) return kInf;
  if (buckets.empty()) return kNaN;  // Prometheus never calls it so; no buckets, no quantile
  std::stable_sort(buckets.begin(), buckets.end(),
                   [](const Bucket& a, const Bucket& b) { return a.upper_bound < b.upper_bound; });
  if (!(std::isinf(buckets.back().upper_bound) && buckets.back().upper_bound > 0)) return kNaN;
  coalesce(buckets);
  correct_precision_errors(buckets, 1e-12);
  ensure_monotonic(buckets);
  if (buckets.size() < 2) return kNaN;
  const double observations = buckets.back().count;
  if (observations == 0) return kNaN;
  double rank = q * observations;
  const size_t b = search(buckets, buckets.size() - 1, rank);
  if (b == buckets.size() - 1) return buckets[buckets.size() - 2].upper_bound;
  if (b == 0 && buckets[0].upper_bound <= 0) return buckets[0].upper_bound;
  double start = 0;
  const double end = buckets[b].upper_bound;
  double count = buckets[b].count;
  if (b > 0) {
    start = buckets[b - 1].upper_bound;
    count -= buckets[b - 1].count;
    rank -= buckets[b - 1].count;
  }
  return start + (end - start) * (rank / count);
}

}  // namespace rollout::gates
