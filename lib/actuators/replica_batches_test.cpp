// Exact Deployment batches: each step stays within maxSurge and maxUnavailable, and a whole walk
// (the cluster doing what is asked, pods becoming Ready one poll later) ends at exactly k new pods.
#include "actuators/replica_batches.hpp"

#include <catch2/catch.hpp>

using namespace rollout::actuators;
using nlohmann::json;

namespace {

// A toy cluster: ReplicaSets get the pods they ask for at once; new pods are Ready one round later.
struct Walk {
  BatchBounds bounds;
  ReplicaSetSize fresh{"new", 0, 0, 0};
  std::vector<ReplicaSetSize> old;
  int min_ready = 1 << 20, max_pods = 0, rounds = 0;

  int ready() const {
    int r = fresh.ready;
    for (const auto& o : old) r += o.ready;
    return r;
  }
  int pods() const {
    int p = fresh.pods;
    for (const auto& o : old) p += o.pods;
    return p;
  }

  // Drives to `k`; false if it does not settle within 100 rounds.
  bool to(int k) {
    for (int i = 0; i < 100; ++i, ++rounds) {
      const BatchMove m = next_batch_move(bounds, k, fresh, old);
      if (m.done) return true;
      fresh.ready = std::min(fresh.pods, m.fresh);  // last round's new pods are Ready now
      fresh.replicas = fresh.pods = m.fresh;
      for (size_t j = 0; j < old.size(); ++j) {
        old[j].replicas = old[j].pods = m.old[j];
        old[j].ready = std::min(old[j].ready, m.old[j]);
      }
      min_ready = std::min(min_ready, ready());
      max_pods = std::max(max_pods, pods());
    }
    return false;
  }
};

Walk start(int n, const json& strategy) {
  Walk w;
  w.bounds = batch_bounds(strategy, n);
  w.old = {{"old", n, n, n}};
  return w;
}

}  // namespace

TEST_CASE("batch_bounds resolves the recorded strategy like ResolveFenceposts", "[actuators][batches]") {
  const auto d = batch_bounds(json::object(), 8);  // defaults 25%/25%
  CHECK(d.max_surge == 2);
  CHECK(d.max_unavailable == 2);
  const auto odd = batch_bounds(json{{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxSurge", "25%"}, {"maxUnavailable", "25%"}}}}, 3);
  CHECK(odd.max_surge == 1);        // surge rounds up
  CHECK(odd.max_unavailable == 0);  // unavailable rounds down
  const auto zero = batch_bounds(json{{"rollingUpdate", {{"maxSurge", 0}, {"maxUnavailable", 0}}}}, 4);
  CHECK(zero.max_unavailable == 1);
  const auto recreate = batch_bounds(json{{"type", "Recreate"}}, 4);
  CHECK(recreate.max_surge == 0);
  CHECK(recreate.max_unavailable == 1);
}

TEST_CASE("a batch of k ends with exactly k new pods Ready, within surge and availability", "[actuators][batches]") {
  for (const json& strategy : {json::object(), json{{"rollingUpdate", {{"maxSurge", 1}, {"maxUnavailable", 0}}}},
                               json{{"rollingUpdate", {{"maxSurge", 0}, {"maxUnavailable", 1}}}}, json{{"type", "Recreate"}}}) {
    for (int n : {1, 3, 8}) {
      Walk w = start(n, strategy);
      for (int k : {1, (n + 1) / 2, n}) {
        INFO("strategy " << strategy.dump() << ", n " << n << ", k " << k);
        REQUIRE(w.to(k));
        CHECK(w.fresh.replicas == k);
        CHECK(w.fresh.ready == k);
        CHECK(w.old[0].replicas == n - k);
        CHECK(w.old[0].pods == n - k);
        CHECK(w.max_pods <= n + w.bounds.max_surge);
        CHECK(w.min_ready >= n - w.bounds.max_unavailable);
      }
    }
  }
}

TEST_CASE("a batch already in place changes nothing", "[actuators][batches]") {
  const BatchBounds b{4, 1, 1};
  const BatchMove m = next_batch_move(b, 2, {"new", 2, 2, 2}, {{"old", 2, 2, 2}});
  CHECK(m.done);
}

TEST_CASE("ReplicaSets already asked to shrink count as shrunk: no second scale-down on a stale pod view",
          "[actuators][batches]") {
  // 8 replicas, surge 2, unavailable 2: the old set was just lowered to 6 but its 8 pods still
  // show Ready; the 2 new ones are not Ready. Lowering it further would leave 4 Ready.
  const BatchMove m = next_batch_move({8, 2, 2}, 4, {"new", 2, 2, 0}, {{"old", 6, 8, 8}});
  CHECK(m.old[0] == 6);
  CHECK(m.fresh == 4);
}

TEST_CASE("not-Ready old pods go first and cost no availability", "[actuators][batches]") {
  const BatchMove m = next_batch_move({4, 0, 1}, 2, {"new", 0, 0, 0}, {{"old", 4, 4, 2}});
  CHECK(m.old[0] == 2);  // the 2 not Ready ones
}

TEST_CASE("several old ReplicaSets shrink oldest first", "[actuators][batches]") {
  const BatchMove m = next_batch_move({4, 0, 1}, 1, {"new", 0, 0, 0}, {{"older", 1, 1, 1}, {"old", 3, 3, 3}});
  CHECK(m.old == std::vector<int>{0, 3});
}

TEST_CASE("spec.replicas changed mid-batch: the old set follows the new count", "[actuators][batches]") {
  // Scaled up from 4 to 6 by an autoscaler: 2 new, 2 old; the old side grows to 4 within the surge.
  const BatchMove up = next_batch_move({6, 2, 1}, 2, {"new", 2, 2, 2}, {{"old", 2, 2, 2}});
  CHECK(up.fresh == 2);
  CHECK(up.old[0] == 4);
  // Scaled down to 2 with 2 new: the old ones go.
  const BatchMove down = next_batch_move({2, 1, 0}, 1, {"new", 2, 2, 2}, {{"old", 2, 2, 2}});
  CHECK(down.fresh == 1);
}

TEST_CASE("with no surge the new ReplicaSet gets its first replica as the old one loses one", "[actuators][batches]") {
  // Paused, the deployment controller would scale a lone active old ReplicaSet back to 4.
  const BatchMove m = next_batch_move({4, 0, 1}, 2, {"new", 0, 0, 0}, {{"old", 4, 4, 4}});
  CHECK(m.old[0] == 3);
  CHECK(m.fresh == 1);
}
