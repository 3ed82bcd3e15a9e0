#include "sandbox/group_rollout.hpp"

#include <catch2/catch.hpp>

using namespace rollout::sandbox;

namespace {

std::vector<GroupState> groups(const std::vector<std::string>& revisions, const std::vector<bool>& ready) {
  std::vector<GroupState> out;
  for (size_t i = 0; i < revisions.size(); ++i) out.push_back({static_cast<int>(i), revisions[i], ready[i]});
  return out;
}

std::vector<int> ordinals(const std::vector<GroupAction>& actions) {
  std::vector<int> out;
  for (const auto& a : actions) out.push_back(a.ordinal);
  return out;
}

GroupRollout spec(int replicas, int partition, int max_unavailable, int max_surge = 0) {
  return {replicas, partition, max_unavailable, max_surge, "B", "A"};
}

}  // namespace

TEST_CASE("missing groups are created on the revision their side of the partition asks", "[sandbox][rollout]") {
  auto plan = plan_group_rollout(spec(4, 2, 1), {});
  REQUIRE(plan.create.size() == 4);
  CHECK(plan.create[1].revision == "A");
  CHECK(plan.create[2].revision == "B");
  CHECK(plan.replace.empty());
}

TEST_CASE("the highest outdated group past the partition is replaced first", "[sandbox][rollout]") {
  auto all_ready = std::vector<bool>{true, true, true, true};
  CHECK(ordinals(plan_group_rollout(spec(4, 4, 1), groups({"A", "A", "A", "A"}, all_ready)).replace).empty());
  CHECK(ordinals(plan_group_rollout(spec(4, 3, 1), groups({"A", "A", "A", "A"}, all_ready)).replace) ==
        std::vector<int>{3});
  CHECK(ordinals(plan_group_rollout(spec(4, 0, 1), groups({"A", "A", "A", "B"}, all_ready)).replace) ==
        std::vector<int>{2});
  CHECK(ordinals(plan_group_rollout(spec(4, 0, 2), groups({"A", "A", "A", "A"}, all_ready)).replace) ==
        std::vector<int>{3, 2});
}

TEST_CASE("nothing more is replaced while the replaced group is not Ready", "[sandbox][rollout]") {
  auto plan = plan_group_rollout(spec(4, 0, 1), groups({"A", "A", "A", "B"}, {true, true, true, false}));
  CHECK(plan.replace.empty());
  // An outdated group that is down already costs nothing.
  plan = plan_group_rollout(spec(4, 0, 1), groups({"A", "A", "A", "B"}, {false, true, true, false}));
  CHECK(ordinals(plan.replace) == std::vector<int>{0});
  // Below the partition it stays, down or not.
  plan = plan_group_rollout(spec(4, 1, 1), groups({"A", "A", "A", "B"}, {false, true, true, true}));
  CHECK(plan.replace.empty());
}

TEST_CASE("maxSurge adds updated groups past replicas while the update lasts", "[sandbox][rollout]") {
  auto plan = plan_group_rollout(spec(2, 0, 0, 1), groups({"A", "A"}, {true, true}));
  CHECK(ordinals(plan.create) == std::vector<int>{2});
  CHECK(plan.create[0].revision == "B");
  CHECK(plan.replace.empty());
  plan = plan_group_rollout(spec(2, 0, 0, 1), groups({"A", "A", "B"}, {true, true, true}));
  CHECK(ordinals(plan.replace) == std::vector<int>{1});
  plan = plan_group_rollout(spec(2, 0, 0, 1), groups({"B", "B", "B"}, {true, true, true}));
  CHECK(plan.remove == std::vector<int>{2});
}

TEST_CASE("counts and the update's progress", "[sandbox][rollout]") {
  auto c = count_groups(spec(4, 3, 1), groups({"A", "A", "A", "B"}, {true, true, true, false}));
  CHECK(c.replicas == 4);
  CHECK(c.current == 3);
  CHECK(c.updated == 1);
  CHECK(c.ready == 3);
  CHECK(c.progressing == std::vector<int>{3});
  CHECK(c.updating);
  c = count_groups(spec(4, 4, 1), groups({"A", "A", "A", "A"}, {true, true, true, true}));
  CHECK_FALSE(c.updating);
  CHECK(c.progressing.empty());
}
