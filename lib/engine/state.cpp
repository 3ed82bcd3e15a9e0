#include "engine/state.hpp"

#include <array>
#include <utility>

namespace rollout::engine {

using nlohmann::json;

namespace {

constexpr std::array<std::pair<Phase, const char*>, 8> kPhases = {{{Phase::Initializing, "Initializing"},
                                                                  {Phase::Progressing, "Progressing"},
                                                                  {Phase::Paused, "Paused"},
                                                                  {Phase::RollingBack, "RollingBack"},
                                                                  {Phase::Succeeded, "Succeeded"},
                                                                  {Phase::Failed, "Failed"},
                                                                  {Phase::Aborted, "Aborted"},
                                                                  {Phase::TimedOut, "TimedOut"}}};

json fields_to_json(const FieldValues& fields) {
  json out = json::object();
  for (const auto& [pointer, v] : fields) out[pointer] = v.present ? json{{"value", v.value}} : json::object();
  return out;
}

FieldValues fields_from_json(const json& j) {
  FieldValues out;
  if (!j.is_object()) return out;
  for (const auto& [pointer, v] : j.items()) {
    FieldValue f;
    f.present = v.contains("value");
    if (f.present) f.value = v["value"];
    out[pointer] = f;
  }
  return out;
}

json measurement_to_json(const GateMeasurement& m) {
  json j = {{"gate", m.gate}, {"step", m.step}, {"time", m.time}, {"verdict", m.verdict}, {"message", m.message}};
  if (m.value) j["value"] = *m.value;
  return j;
}

GateMeasurement measurement_from_json(const json& j) {
  GateMeasurement m;
  m.gate = j.value("gate", "");
  m.step = j.value("step", "");
  m.time = j.value("time", "");
  m.verdict = j.value("verdict", "");
  m.message = j.value("message", "");
  if (j.contains("value") && j["value"].is_number()) m.value = j["value"].get<double>();
  return m;
}

}  // namespace

const char* to_string(Phase p) {
  for (const auto& [phase, name] : kPhases)
    if (phase == p) return name;
  return "Unknown";
}

std::optional<Phase> phase_from_string(const std::string& s) {
  for (const auto& [phase, name] : kPhases)
    if (s == name) return phase;
  return std::nullopt;
}

bool is_terminal(Phase p) {
  return p == Phase::Succeeded || p == Phase::Failed || p == Phase::Aborted || p == Phase::TimedOut;
}

FieldValues read_fields(const json& object, const std::vector<std::string>& pointers) {
  FieldValues out;
  for (const auto& p : pointers) {
    const json::json_pointer ptr(p);
    FieldValue f;
    f.present = object.contains(ptr);
    if (f.present) f.value = object.at(ptr);
    out[p] = f;
  }
  return out;
}

json position_to_json(const actuators::Position& p) {
  json j = {{"adaptersLoaded", p.adapters_loaded}, {"weight", p.weight}, {"finished", p.finished}};
  if (p.template_in_place) j["templateInPlace"] = true;
  if (p.updated) j["updated"] = p.updated;
  if (p.updated_percent) j["updatedPercent"] = *p.updated_percent;
  if (p.header) j["headerRoute"] = {{"name", p.header->name}, {"value", p.header->value}, {"match", p.header->match}};
  if (p.mirror) j["mirror"] = *p.mirror;
  return j;
}

actuators::Position position_from_json(const json& j) {
  actuators::Position p;
  if (!j.is_object()) return p;
  p.adapters_loaded = j.value("adaptersLoaded", false);
  p.weight = j.value("weight", 0);
  p.finished = j.value("finished", false);
  p.template_in_place = j.value("templateInPlace", false);
  p.updated = j.value("updated", 0);
  if (j.contains("updatedPercent")) p.updated_percent = j.value("updatedPercent", 0);
  if (j.contains("headerRoute")) {
    const auto& h = j["headerRoute"];
    p.header = actuators::HeaderRoute{h.value("name", ""), h.value("value", ""), h.value("match", "Exact")};
  }
  if (j.contains("mirror")) p.mirror = j["mirror"].get<int>();
  return p;
}

json to_json(const RolloutState& s) {
  json objects = json::array();
  for (const auto& o : s.objects)
    objects.push_back({{"ref", actuators::to_json(o.ref)},
                       {"actuator", o.actuator},
                       {"original", fields_to_json(o.original)},
                       {"written", fields_to_json(o.written)}});
  json measurements = json::array();
  for (const auto& m : s.measurements) measurements.push_back(measurement_to_json(m));
  json gates = json::array();
  for (const auto& g : s.gates) gates.push_back({{"name", g.name}, {"condition", g.condition}});
  return {{"name", s.name},
          {"planHash", s.plan_hash},
          {"runId", s.run_id},
          {"phase", to_string(s.phase)},
          {"message", s.message},
          {"pauseReason", to_string(s.pause_reason)},
          {"step", s.step},
          {"steps", s.steps},
          {"replicas", s.replicas},
          {"stepTitle", s.step_title},
          {"stepStartedAt", s.step_started_at},
          {"position", position_to_json(s.position)},
          {"objects", objects},
          {"measurements", measurements},
          {"outline", s.outline},
          {"gates", gates},
          {"waiting", s.waiting},
          {"waitingSince", s.waiting_since},
          {"handledPromote", s.handled_promote},
          {"handledResume", s.handled_resume},
          {"rollbackTo", s.rollback_to},
          {"startedAt", s.started_at},
          {"updatedAt", s.updated_at},
          {"finishedAt", s.finished_at}};
}

Result<RolloutState> state_from_json(const json& j) {
  if (!j.is_object()) return make_error(ErrorKind::invalid, "the state is not a JSON object");
  RolloutState s;
  s.name = j.value("name", "");
  s.plan_hash = j.value("planHash", "");
  s.run_id = j.value("runId", "");
  auto phase = phase_from_string(j.value("phase", ""));
  if (!phase) return make_error(ErrorKind::invalid, "the state has an unknown phase " + j.value("phase", ""));
  s.phase = *phase;
  s.message = j.value("message", "");
  s.pause_reason = pause_reason_from_string(j.value("pauseReason", "")).value_or(PauseReason::none);
  s.step = j.value("step", 0);
  s.steps = j.value("steps", 0);
  s.replicas = j.value("replicas", 0);
  s.step_title = j.value("stepTitle", "");
  s.step_started_at = j.value("stepStartedAt", "");
  s.position = position_from_json(j.value("position", json::object()));
  for (const auto& o : j.value("objects", json::array())) {
    ManagedObject m;
    m.ref = actuators::object_ref_from_json(o.value("ref", json::object()));
    m.actuator = o.value("actuator", 0);
    m.original = fields_from_json(o.value("original", json::object()));
    m.written = fields_from_json(o.value("written", json::object()));
    // Earlier states kept the whole object (still read); newer ones only the owned fields, and a
    // resumed run reads the rest from the cluster (Run::recall_original_objects).
    if (o.contains("originalObject") && o["originalObject"].is_object() && !o["originalObject"].empty())
      m.original_object = o["originalObject"];
    s.objects.push_back(std::move(m));
  }
  for (const auto& m : j.value("measurements", json::array())) s.measurements.push_back(measurement_from_json(m));
  for (const auto& t : j.value("outline", json::array()))
    if (t.is_string()) s.outline.push_back(t.get<std::string>());
  for (const auto& g : j.value("gates", json::array()))
    if (g.is_object()) s.gates.push_back(GateOutline{g.value("name", ""), g.value("condition", "")});
  s.waiting = j.value("waiting", "");
  s.waiting_since = j.value("waitingSince", "");
  s.handled_promote = j.value("handledPromote", "");
  s.handled_resume = j.value("handledResume", "");
  s.rollback_to = j.value("rollbackTo", "");
  s.started_at = j.value("startedAt", "");
  s.updated_at = j.value("updatedAt", "");
  s.finished_at = j.value("finishedAt", "");
  return s;
}

json to_json(const ControlRequests& c) {
  return {{"promote", c.promote_id}, {"promoteStep", c.promote_step}, {"promoteFull", c.promote_full},
          {"abort", c.abort},        {"abortBy", c.abort_by},         {"paused", c.paused},
          {"pausedBy", c.paused_by}, {"resume", c.resume_id}};
}

ControlRequests control_from_json(const json& j) {
  ControlRequests c;
  if (!j.is_object()) return c;
  c.promote_id = j.value("promote", "");
  c.promote_step = j.value("promoteStep", -1);
  c.promote_full = j.value("promoteFull", false);
  c.abort = j.value("abort", false);
  c.abort_by = j.value("abortBy", "");
  c.paused = j.value("paused", false);
  c.paused_by = j.value("pausedBy", "");
  c.resume_id = j.value("resume", "");
  return c;
}

json to_json(const RunRecord& r) {
  return {{"runId", r.run_id},         {"planHash", r.plan_hash}, {"startedAt", r.started_at},
          {"finishedAt", r.finished_at}, {"outcome", r.outcome},   {"message", r.message}};
}

RunRecord run_record_from_json(const json& j) {
  return RunRecord{j.value("runId", ""),     j.value("planHash", ""), j.value("startedAt", ""),
                   j.value("finishedAt", ""), j.value("outcome", ""),  j.value("message", "")};
}

}  // namespace rollout::engine
