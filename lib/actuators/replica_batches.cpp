#include "actuators/replica_batches.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace rollout::actuators {

using nlohmann::json;

namespace {

// intstr.GetScaledValueFromIntOrPercent: "25%" of replicas, rounded up or down.
int scaled(const json& v, int replicas, bool round_up, int fallback) {
  if (v.is_number_integer()) return std::max(0, v.get<int>());
  if (!v.is_string()) return fallback;
  const std::string s = v.get<std::string>();
  if (s.empty() || s.back() != '%') return std::max(0, std::atoi(s.c_str()));
  const double x = std::atof(s.c_str()) * replicas / 100.0;
  return std::max(0, static_cast<int>(round_up ? std::ceil(x) : std::floor(x)));
}

int sum_old_before(const std::vector<ReplicaSetSize>& old) {
  int n = 0;
  for (const auto& o : old) n += o.replicas;
  return n;
}

int sum(const std::vector<int>& v) {
  int n = 0;
  for (int x : v) n += x;
  return n;
}

}  // namespace

BatchBounds batch_bounds(const json& strategy, int replicas) {
  BatchBounds b;
  b.total = replicas;
  if (strategy.is_object() && strategy.value("type", "RollingUpdate") == "Recreate") {
    b.max_surge = 0;
    b.max_unavailable = 1;
    return b;
  }
  const json ru = strategy.is_object() ? strategy.value("rollingUpdate", json::object()) : json::object();
  b.max_surge = scaled(ru.value("maxSurge", json("25%")), replicas, true, 1);
  b.max_unavailable = scaled(ru.value("maxUnavailable", json("25%")), replicas, false, 0);
  if (b.max_surge == 0 && b.max_unavailable == 0) b.max_unavailable = 1;  // ResolveFenceposts
  return b;
}

BatchMove next_batch_move(const BatchBounds& bounds, int target, const ReplicaSetSize& fresh,
                          const std::vector<ReplicaSetSize>& old) {
  const int n = bounds.total;
  const int k = std::clamp(target, 0, n);
  const int want_old = n - k;
  BatchMove m;
  m.fresh = fresh.replicas;
  int old_ready = 0, old_pods = 0;
  for (const auto& o : old) {
    m.old.push_back(o.replicas);
    // A ReplicaSet already asked for fewer pods is about to lose the difference, Ready or not.
    old_ready += std::min(o.ready, o.replicas);
    old_pods += o.pods;
  }
  if (fresh.replicas == k && fresh.pods == k && fresh.ready >= k && sum(m.old) == want_old && old_pods == want_old) {
    m.done = true;
    return m;
  }
  // Too many new pods (spec.replicas went down): back to the target, which only lowers the count.
  m.fresh = std::min(m.fresh, k);
  // Up to the target, within total + maxSurge pods (counting what the ReplicaSets are asked for).
  if (m.fresh < k) m.fresh += std::max(0, std::min(k - m.fresh, n + bounds.max_surge - m.fresh - sum(m.old)));
  // Old pods down to n - k: not-Ready ones for free, Ready ones while at least
  // n - maxUnavailable stay Ready.
  int excess = sum(m.old) - want_old;
  for (size_t i = 0; i < old.size() && excess > 0; ++i) {
    const int take = std::min({excess, m.old[i], std::max(0, old[i].replicas - std::min(old[i].ready, old[i].replicas))});
    m.old[i] -= take;
    excess -= take;
  }
  int budget = std::max(0, std::min(fresh.ready, fresh.replicas) + old_ready - (n - bounds.max_unavailable));
  for (size_t i = 0; i < old.size() && excess > 0 && budget > 0; ++i) {
    const int take = std::min({excess, m.old[i], budget});
    m.old[i] -= take;
    excess -= take;
    budget -= take;
  }
  // While paused, the controller's scale() gives a single active ReplicaSet spec.replicas: the new
  // one gets its first replica no later than the old one loses one (sizes are written new first).
  if (m.fresh == 0 && k > 0 && sum(m.old) < sum_old_before(old)) m.fresh = 1;
  // Too few old pods (spec.replicas went up): the largest old ReplicaSet grows, within the surge.
  if (excess < 0 && !old.empty()) {
    size_t largest = 0;
    for (size_t i = 1; i < old.size(); ++i)
      if (m.old[i] > m.old[largest]) largest = i;
    m.old[largest] += std::max(0, std::min(-excess, n + bounds.max_surge - m.fresh - sum(m.old)));
  }
  m.waiting = fmt::format("{} of {} new pods Ready (want {}), {} old pods (want {})", fresh.ready, fresh.replicas, k,
                          old_pods, want_old);
  return m;
}

}  // namespace rollout::actuators
