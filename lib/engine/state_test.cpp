#include "engine/state.hpp"

#include <catch2/catch.hpp>

namespace rollout::engine {

using nlohmann::json;

TEST_CASE("the state survives a round trip through JSON", "[engine]") {
  RolloutState s;
  s.name = "food";
  s.plan_hash = "abc";
  s.run_id = "r1";
  s.phase = Phase::Paused;
  s.pause_reason = PauseReason::drift;
  s.replicas = 6;
  s.position.template_in_place = true;
  s.position.updated = 2;
  s.step = 3;
  s.steps = 9;
  s.position.adapters_loaded = true;
  s.position.weight = 10;
  s.position.header = actuators::HeaderRoute{"x-beta", "true", "Exact"};
  s.position.mirror = 5;
  ManagedObject o;
  o.ref = {"v1", "ConfigMap", "default", "cm"};
  o.original = read_fields(json{{"data", {{"k", "v"}}}}, {"/data/k", "/data/missing"});
  o.written = o.original;
  o.original_object = {{"data", {{"k", "v"}}}};
  s.objects.push_back(o);
  s.measurements.push_back({"h", "background", "2026-11-22T00:00:00Z", "Failed", 0.5, "pod-1: 503"});
  s.rollback_to = "Failed";
  s.outline = {"setWeight 10", "pause until promoted", "finish"};
  s.gates = {{"error-rate", "success: result < 0.01"}};
  s.waiting = "ModelServing/llama: group 3: 0/2 pods Ready";
  s.waiting_since = "2026-11-22T00:00:00Z";
  auto back = state_from_json(json::parse(to_json(s).dump()));
  REQUIRE(back.ok());
  CHECK(to_json(*back) == to_json(s));
  CHECK(back->objects[0].original.at("/data/k").value == "v");
  CHECK(!back->objects[0].original.at("/data/missing").present);
  CHECK(back->position == s.position);
}

TEST_CASE("the state keeps the owned fields' original values, not whole objects; older states still load",
          "[engine]") {
  RolloutState s;
  s.phase = Phase::Progressing;
  ManagedObject o;
  o.ref = {"v1", "ConfigMap", "default", "cm"};
  o.original_object = {{"metadata", {{"name", "cm"}}}, {"data", {{"k", "v"}, {"other", "x"}}}};
  o.original = read_fields(o.original_object, {"/data/k"});
  o.written = o.original;
  s.objects.push_back(o);
  json saved = to_json(s);
  CHECK_FALSE(saved["objects"][0].contains("originalObject"));
  CHECK(saved["objects"][0]["original"] == json{{"/data/k", {{"value", "v"}}}});
  auto back = state_from_json(saved);
  REQUIRE(back.ok());
  CHECK(back->objects[0].original_object.is_null());  // a resumed run reads it back from the cluster

  saved["objects"][0]["originalObject"] = o.original_object;  // as states were saved before
  auto old = state_from_json(saved);
  REQUIRE(old.ok());
  CHECK(old->objects[0].original_object == o.original_object);
  CHECK(old->objects[0].original == o.original);
}

TEST_CASE("an unknown phase is an error, not a default", "[engine]") {
  auto r = state_from_json(json{{"phase", "Dancing"}});
  REQUIRE(!r.ok());
  CHECK(r.error().message.find("Dancing") != std::string::npos);
  CHECK(is_terminal(Phase::Aborted));
  CHECK(!is_terminal(Phase::Paused));
}

TEST_CASE("control requests round trip", "[engine]") {
  ControlRequests c;
  c.promote_id = "p1";
  c.promote_full = true;
  c.abort = true;
  c.abort_by = "me@host";
  c.paused = true;
  c.resume_id = "r1";
  const auto back = control_from_json(to_json(c));
  CHECK(to_json(back) == to_json(c));
}

TEST_CASE("a state written before outlines, gates and waiting loads with them empty", "[engine]") {
  json old = to_json(RolloutState{});
  for (const char* k : {"outline", "gates", "waiting", "waitingSince"}) old.erase(k);
  auto back = state_from_json(old);
  REQUIRE(back.ok());
  CHECK(back->outline.empty());
  CHECK(back->gates.empty());
  CHECK(back->waiting.empty());
  CHECK(back->waiting_since.empty());
}

}  // namespace rollout::engine
