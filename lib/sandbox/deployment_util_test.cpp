// The upstream tables of kube-controller-manager's Deployment controller, ported: sync_test.go
// (TestScale, TestDeploymentController_cleanupDeployment), rolling_test.go (reconcileNewReplicaSet,
// reconcileOldReplicaSets) and util/deployment_util_test.go (FindNewReplicaSet,
// FindOldReplicaSets, GetReplicaCountForReplicaSets, ResolveFenceposts, NewRSNewReplicas,
// DeploymentComplete).
#include "sandbox/deployment_util.hpp"

#include <catch2/catch.hpp>
#include <map>

#include "sandbox/deployment_sync.hpp"

using namespace rollout::sandbox::deploy;
using nlohmann::json;

namespace {

const char* kNew = "2016-05-20T02:00:00Z";
const char* kOld = "2016-05-20T01:00:00Z";
const char* kOlder = "2016-05-20T00:00:00Z";

json template_with(const std::string& container) {
  return {{"metadata", {{"labels", {{"foo", "bar"}}}}},
          {"spec", {{"containers", {{{"name", container}, {"image", "nginx"}}}}}}};
}

// newDeployment(name, replicas, revisionHistoryLimit, maxSurge, maxUnavailable, selector).
json deployment(int replicas, json surge = 0, json unavailable = 0) {
  return {{"metadata", {{"name", "foo"}, {"uid", "d-uid"}, {"generation", 1}}},
          {"spec",
           {{"replicas", replicas},
            {"selector", {{"matchLabels", {{"foo", "bar"}}}}},
            {"template", template_with("nginx")},
            {"strategy", {{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxSurge", surge}, {"maxUnavailable", unavailable}}}}}}}};
}

json rs(const std::string& name, int replicas, const std::string& created, const std::string& container = "nginx") {
  return {{"metadata", {{"name", name}, {"uid", name + "-uid"}, {"creationTimestamp", created}}},
          {"spec", {{"replicas", replicas}, {"template", template_with(container)}}}};
}

// TestScale's setup: every ReplicaSet annotated for the Deployment before the scaling event.
json annotated(json r, const json& old_d, std::optional<int> desired = std::nullopt) {
  const int n = desired.value_or(spec_replicas(old_d));
  set_replicas_annotations(r, n, n + max_surge(old_d));
  return r;
}

std::map<std::string, int> sizes_after_scale(const json& d, const std::optional<json>& new_rs, const RSList& old) {
  std::map<std::string, int> out;
  if (new_rs) out[name_of(*new_rs)] = spec_replicas(*new_rs);
  for (const auto& r : old) out[name_of(r)] = spec_replicas(r);
  for (const auto& a : plan_scale(d, new_rs, old)) out[name_of(a.rs)] = a.replicas;
  return out;
}

}  // namespace

TEST_CASE("scale: the upstream TestScale table", "[sandbox][deployment]") {
  struct Case {
    const char* name;
    int replicas, old_replicas, surge, old_surge;
    std::optional<int> new_size;
    std::vector<int> old_sizes;
    std::optional<int> want_new;
    std::vector<int> want_old;
  };
  const std::vector<Case> cases = {
      {"normal scaling event: 10 -> 12", 12, 10, 0, 0, 10, {}, 12, {}},
      {"normal scaling event: 10 -> 5", 5, 10, 0, 0, 10, {}, 5, {}},
      {"proportional scaling: 5 -> 10", 10, 5, 0, 0, 2, {3}, 4, {6}},
      {"proportional scaling: 5 -> 3", 3, 5, 0, 0, 2, {3}, 1, {2}},
      {"proportional scaling: 9 -> 4", 4, 9, 0, 0, 8, {1}, 4, {0}},
      {"proportional scaling: 7 -> 10", 10, 7, 0, 0, 2, {3, 2}, 3, {4, 3}},
      {"proportional scaling: 13 -> 8", 8, 13, 0, 0, 2, {8, 3}, 1, {5, 2}},
      {"leftover distribution: 3 -> 4", 4, 3, 0, 0, 1, {1, 1}, 2, {1, 1}},
      {"leftover distribution: 3 -> 2", 2, 3, 0, 0, 1, {1, 1}, 1, {1, 0}},
      {"proportional scaling (no new rs): 4 -> 5", 5, 4, 0, 0, std::nullopt, {2, 2}, std::nullopt, {3, 2}},
      {"proportional scaling: 6 -> 0", 0, 6, 0, 0, 3, {2, 1}, 0, {0, 0}},
      {"proportional scaling: 0 -> 6", 6, 6, 0, 0, 0, {0, 0}, 6, {0, 0}},
      {"deployment with surge pods", 20, 10, 2, 2, 6, {6}, 11, {11}},
      {"change both surge and size", 50, 10, 6, 3, 5, {8}, 22, {34}},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      const json d = deployment(c.replicas, c.surge), old_d = deployment(c.old_replicas, c.old_surge);
      std::optional<json> new_rs;
      if (c.new_size) new_rs = annotated(rs("foo-v3", *c.new_size, kNew), old_d);
      RSList old;
      const char* stamps[] = {kOld, kOlder};
      for (size_t i = 0; i < c.old_sizes.size(); ++i)
        old.push_back(annotated(rs("foo-v" + std::to_string(2 - i), c.old_sizes[i], stamps[i]), old_d));
      auto got = sizes_after_scale(d, new_rs, old);
      if (c.want_new) CHECK(got["foo-v3"] == *c.want_new);
      for (size_t i = 0; i < c.want_old.size(); ++i) CHECK(got["foo-v" + std::to_string(2 - i)] == c.want_old[i]);
    }
  }
  SECTION("failed rs update: the desired-replicas annotation drives the proportion") {
    const json d = deployment(5), old_d = deployment(5);
    auto got = sizes_after_scale(d, annotated(rs("foo-v3", 2, kNew), old_d),
                                 {annotated(rs("foo-v2", 1, kOld), old_d, 3), annotated(rs("foo-v1", 1, kOlder), old_d)});
    CHECK(got == std::map<std::string, int>{{"foo-v3", 2}, {"foo-v2", 2}, {"foo-v1", 1}});
  }
  SECTION("change both size and template: no new ReplicaSet, the old ones grow in proportion") {
    json d = deployment(14);
    d["spec"]["template"]["metadata"]["labels"]["another"] = "label";
    const json old_d = deployment(10);
    auto got = sizes_after_scale(d, std::nullopt,
                                 {annotated(rs("foo-v2", 7, kNew), old_d), annotated(rs("foo-v1", 3, kOld), old_d)});
    CHECK(got == std::map<std::string, int>{{"foo-v2", 10}, {"foo-v1", 4}});
  }
  SECTION("saturated but broken new replica set does not affect old pods") {
    const json d = deployment(2, 1, 1);
    auto got = sizes_after_scale(d, annotated(rs("foo-v2", 2, kNew), d), {annotated(rs("foo-v1", 1, kOld), d)});
    CHECK(got == std::map<std::string, int>{{"foo-v2", 2}, {"foo-v1", 1}});
  }
  SECTION("a saturated new ReplicaSet scales old ones to zero") {
    const json d = deployment(2, 1, 1);
    json new_rs = annotated(rs("foo-v2", 2, kNew), d);
    new_rs["status"]["availableReplicas"] = 2;
    auto got = sizes_after_scale(d, new_rs, {annotated(rs("foo-v1", 1, kOld), d)});
    CHECK(got["foo-v1"] == 0);
  }
  SECTION("Recreate: several active ReplicaSets are left as they are") {
    json d = deployment(8);
    d["spec"]["strategy"] = {{"type", "Recreate"}};
    CHECK(plan_scale(d, rs("foo-v2", 3, kNew), {rs("foo-v1", 5, kOld)}).empty());
  }
}

TEST_CASE("cleanupDeployment: the upstream table", "[sandbox][deployment]") {
  auto with_status = [](const std::string& name, int spec, int status) {
    json r = rs(name, spec, "");
    r["status"]["replicas"] = status;
    return r;
  };
  auto deletions = [](int limit, const RSList& old) {
    json d = deployment(1);
    d["spec"]["revisionHistoryLimit"] = limit;
    return plan_cleanup(d, old).size();
  };
  CHECK(deletions(1, {with_status("foo-1", 0, 0), with_status("foo-2", 0, 0), with_status("foo-3", 0, 0)}) == 2);
  CHECK(deletions(0, {with_status("foo-1", 0, 0), with_status("foo-2", 0, 1), with_status("foo-3", 1, 0),
                      with_status("foo-4", 1, 1)}) == 1);
  CHECK(deletions(0, {with_status("foo-1", 0, 0), with_status("foo-2", 0, 0)}) == 2);
  CHECK(deletions(0, {with_status("foo-1", 1, 1), with_status("foo-2", 1, 1)}) == 0);
  json deleted = with_status("foo-1", 0, 0);
  deleted["metadata"]["deletionTimestamp"] = "2016-05-20T00:00:00Z";
  CHECK(deletions(0, {deleted}) == 0);
  CHECK(deletions(2147483647, {with_status("foo-1", 0, 0), with_status("foo-2", 0, 0)}) == 0);
  // The oldest go first.
  json d = deployment(1);
  d["spec"]["revisionHistoryLimit"] = 1;
  CHECK(plan_cleanup(d, {rs("b", 0, kNew), rs("a", 0, kOld), rs("c", 0, kOlder)}) ==
        std::vector<std::string>{"c", "a"});
}

TEST_CASE("reconcileNewReplicaSet: the upstream table", "[sandbox][deployment]") {
  struct Case {
    int replicas, surge, old_replicas, new_replicas;
    std::optional<int> want;
  };
  for (const auto& c : std::vector<Case>{
           {10, 0, 10, 0, std::nullopt}, {10, 2, 10, 0, 2}, {10, 2, 5, 0, 7}, {10, 2, 10, 2, std::nullopt},
           {10, 2, 2, 11, 10}}) {
    const json d = deployment(c.replicas, c.surge, 0);
    const json new_rs = rs("foo-v2", c.new_replicas, kNew), old_rs = rs("foo-v1", c.old_replicas, kOld, "old");
    CHECK(plan_new_replica_set(d, {new_rs, old_rs}, new_rs) == c.want);
  }
}

TEST_CASE("reconcileOldReplicaSets: the upstream table (cleanupUnhealthyReplicas, then within maxUnavailable)",
          "[sandbox][deployment]") {
  struct Case {
    int replicas, max_unavailable, old_replicas, new_replicas, old_ready, new_ready;
    std::optional<int> want_old;
  };
  for (const auto& c : std::vector<Case>{{10, 0, 10, 0, 10, 0, 9},
                                         {10, 2, 10, 0, 10, 0, 8},
                                         {10, 2, 10, 0, 8, 0, 8},
                                         {10, 2, 10, 0, 9, 0, 8},
                                         {10, 2, 8, 2, 8, 0, std::nullopt}}) {
    const json d = deployment(c.replicas, 0, c.max_unavailable);
    json new_rs = rs("foo-new", c.new_replicas, kNew), old_rs = rs("foo-old", c.old_replicas, kOld, "old");
    new_rs["status"]["availableReplicas"] = c.new_ready;
    old_rs["status"]["availableReplicas"] = c.old_ready;
    const auto plan = plan_old_replica_sets(d, {old_rs, new_rs}, {old_rs}, new_rs);
    if (!c.want_old) {
      CHECK(plan.empty());
      continue;
    }
    REQUIRE(plan.size() == 1);
    CHECK(plan[0].replicas == *c.want_old);
  }
}

TEST_CASE("FindNewReplicaSet and FindOldReplicaSets: template equality ignoring pod-template-hash, oldest first",
          "[sandbox][deployment]") {
  const json d = deployment(1);
  json new_rs = rs("new", 1, kNew), dup = rs("dup", 0, kOld), old_rs = rs("old", 1, kOlder, "nginx-old-1");
  new_rs["spec"]["template"]["metadata"]["labels"][kHashLabel] = "hash";
  dup["spec"]["template"]["metadata"]["labels"][kHashLabel] = "different-hash";
  CHECK(name_of(*find_new_replica_set(d, {new_rs, old_rs})) == "new");
  CHECK(name_of(*find_new_replica_set(d, {new_rs, old_rs, dup})) == "dup");
  CHECK_FALSE(find_new_replica_set(d, {old_rs}));
  // kubectl rollout undo writes typed templates back: null and empty values equal absent ones.
  json typed = d["spec"]["template"];
  typed["metadata"]["creationTimestamp"] = nullptr;
  typed["spec"]["containers"][0]["resources"] = json::object();
  CHECK(equal_ignore_hash(typed, old_rs["spec"]["template"]) == false);
  CHECK(equal_ignore_hash(typed, new_rs["spec"]["template"]));

  auto names = [](const RSList& l) {
    std::vector<std::string> out;
    for (const auto& r : l) out.push_back(name_of(r));
    std::sort(out.begin(), out.end());
    return out;
  };
  auto [required, all] = find_old_replica_sets(d, {new_rs, old_rs});
  CHECK(names(all) == std::vector<std::string>{"old"});
  std::tie(required, all) = find_old_replica_sets(d, {old_rs, new_rs, dup});
  CHECK(names(all) == std::vector<std::string>{"new", "old"});
  CHECK(names(required) == std::vector<std::string>{"new", "old"});
  std::tie(required, all) = find_old_replica_sets(d, {new_rs});
  CHECK(all.empty());
}

TEST_CASE("counts, fenceposts, NewRSNewReplicas, DeploymentComplete", "[sandbox][deployment]") {
  json rs1 = rs("a", 1, kOld), rs2 = rs("b", 2, kOld);
  rs1["status"]["replicas"] = 2;
  rs2["status"]["replicas"] = 3;
  CHECK(replica_count({rs1}) == 1);
  CHECK(actual_count({rs1}) == 2);
  CHECK(replica_count({rs1, rs2}) == 3);
  CHECK(actual_count({rs1, rs2}) == 5);

  CHECK(resolve_fenceposts("0%", "0%", 0) == std::pair{0, 1});
  CHECK(resolve_fenceposts("39%", "39%", 10) == std::pair{4, 3});
  CHECK(resolve_fenceposts("25%", "25%", 1) == std::pair{1, 0});
  CHECK(resolve_fenceposts(0, 0, 8) == std::pair{0, 1});

  const json rs5 = rs("five", 5, kOld);
  json d = deployment(1, 1, 1);
  CHECK(new_rs_new_replicas(d, {rs5}, rs("n", 5, kNew)) == 5);  // cannot scale up
  d = deployment(6, 10, 1);
  CHECK(new_rs_new_replicas(d, {rs5}, rs("n", 2, kNew)) == 6);  // up to spec.replicas
  d = deployment(3, 1, 1);
  d["spec"]["strategy"] = {{"type", "Recreate"}};
  CHECK(new_rs_new_replicas(d, {rs5}, rs("n", 1, kNew)) == 3);

  auto complete = [](int desired, int current, int updated, int available) {
    json dep = deployment(desired);
    json s = {{"replicas", current}, {"updatedReplicas", updated}, {"availableReplicas", available},
              {"observedGeneration", 1}};
    return deployment_complete(dep, s);
  };
  CHECK_FALSE(complete(5, 5, 5, 4));
  CHECK(complete(5, 5, 5, 5));
  CHECK_FALSE(complete(5, 5, 4, 5));
  CHECK_FALSE(complete(1, 2, 1, 1));
  CHECK_FALSE(complete(1, 1, 1, 0));
}

TEST_CASE("revisions: a reused ReplicaSet moves to max+1 and keeps its old revision in revision-history",
          "[sandbox][deployment]") {
  json d = deployment(3, 1, 0);
  d["metadata"]["annotations"] = {{"team", "a"}, {kRevision, "7"}};
  json r = rs("old", 0, kOld);
  r["metadata"]["annotations"] = {{kRevision, "1"}};
  CHECK(set_new_replica_set_annotations(d, r, "3", true));
  CHECK(annotation(r, kRevision) == "3");
  CHECK(annotation(r, kRevisionHistory) == "1");
  CHECK(annotation(r, "team") == "a");
  CHECK(annotation(r, kDesiredReplicas).empty());  // only for a ReplicaSet about to be created
  CHECK_FALSE(set_new_replica_set_annotations(d, r, "3", true));
  CHECK(set_new_replica_set_annotations(d, r, "5", true));
  CHECK(annotation(r, kRevisionHistory) == "1,3");
  json created = rs("new", 0, kNew);
  CHECK(set_new_replica_set_annotations(d, created, "1", false));
  CHECK(annotation(created, kDesiredReplicas) == "3");
  CHECK(annotation(created, kMaxReplicas) == "4");
  CHECK(max_revision({r, created}) == 5);
}

TEST_CASE("selector strings sort requirements by key", "[sandbox][deployment]") {
  const json sel = {{"matchLabels", {{"b", "2"}, {"a", "1"}}},
                    {"matchExpressions", {{{"key", "c"}, {"operator", "In"}, {"values", {"y", "x"}}}}}};
  CHECK(selector_string(sel) == "a=1,b=2,c in (x,y)");
  CHECK(selector_matches(sel, {{"a", "1"}, {"b", "2"}, {"c", "x"}}));
  CHECK_FALSE(selector_matches(sel, {{"a", "1"}, {"b", "2"}}));
}
