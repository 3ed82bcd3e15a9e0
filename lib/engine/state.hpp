// A rollout's state: everything a second process (status, promote, abort) or a re-run of
// `apply` needs, written after every transition to the ConfigMap rollout-<name>. The original
// values of every owned field are recorded before the first change, so a rollback restores
// what was there, not a guess.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "actuators/actuator.hpp"
#include "engine/events.hpp"

namespace rollout::engine {

enum class Phase { Initializing, Progressing, Paused, RollingBack, Succeeded, Failed, Aborted, TimedOut };
const char* to_string(Phase p);
std::optional<Phase> phase_from_string(const std::string& s);
// Succeeded, Failed, Aborted and TimedOut end a run; a new apply starts a new one.
bool is_terminal(Phase p);

// The value of one owned field (a JSON pointer) of an object: absent, or this value.
struct FieldValue {
  bool present = false;
  nlohmann::json value;
  bool operator==(const FieldValue&) const = default;
};
using FieldValues = std::map<std::string, FieldValue>;  // pointer -> value

FieldValues read_fields(const nlohmann::json& object, const std::vector<std::string>& pointers);

struct ManagedObject {
  actuators::ObjectRef ref;
  int actuator = 0;      // index into the plan's actuator list
  FieldValues original;  // before the first change
  FieldValues written;   // what this run last wrote (as the API server returned it)
  // The whole object as first read: the planner's input. Not saved (a fleet of objects would
  // make the state object too big to write at every transition): a resumed run rebuilds it from
  // the live object with `original` put back, which is all the actuators look at.
  nlohmann::json original_object;
};

// One measurement of a gate.
struct GateMeasurement {
  std::string gate;
  std::string step;  // "spec.steps[2]" or "background"
  std::string time;  // RFC 3339
  std::string verdict;  // Successful | Failed | Inconclusive | Error
  std::optional<double> value;
  std::string message;
};

// A gate as the plan states it, for views that have no plan (`rollout status -w`).
struct GateOutline {
  std::string name;
  std::string condition;  // "success: result < 0.01; failure: result > 0.05"
};

struct RolloutState {
  std::string name;
  std::string plan_hash;  // a run belongs to one plan text; another plan cannot resume it
  std::string run_id;
  Phase phase = Phase::Initializing;
  std::string message;  // why it is paused / failed / rolled back
  PauseReason pause_reason = PauseReason::none;
  int step = 0;              // index of the planned step being run (== steps: all done)
  int steps = 0;
  int replicas = 0;  // rolling targets: the total the plan was laid out for (0: a traffic target)
  std::string step_title;
  std::string step_started_at;
  actuators::Position position;
  std::vector<ManagedObject> objects;
  std::vector<GateMeasurement> measurements;  // the most recent ones, bounded
  // What views without the plan show (absent in states written before: empty).
  std::vector<std::string> outline;  // every planned step's title, in order
  std::vector<GateOutline> gates;    // the plan's gates and their conditions
  std::string waiting;               // what a step waits for ("ModelServing/x: group 2: 0/2 pods Ready")
  std::string waiting_since;         // RFC 3339
  std::string handled_promote;                // id of the last promote request acted on
  std::string handled_resume;                 // id of the last resume request acted on
  std::string rollback_to;                    // RollingBack: the phase it ends in (Failed, Aborted, TimedOut)
  std::string started_at;
  std::string updated_at;
  std::string finished_at;
};

nlohmann::json to_json(const RolloutState& s);
Result<RolloutState> state_from_json(const nlohmann::json& j);

nlohmann::json position_to_json(const actuators::Position& p);
actuators::Position position_from_json(const nlohmann::json& j);

// Requests from other processes (`rollout promote|abort|pause|resume`), kept apart from the
// state so that they never race with the driver's writes.
struct ControlRequests {
  std::string promote_id;  // a new id ends the current pause (or analysis)
  // The step the requester saw when it promoted (-1: unknown): the promote ends that step only, so
  // promotes sent at once end one pause, not the next ones as well (each overwrote the id, and
  // one arriving after the run moved on ended the next pause too).
  int promote_step = -1;
  bool promote_full = false;
  bool abort = false;
  std::string abort_by;
  bool paused = false;  // `rollout pause` until `rollout resume`
  std::string paused_by;
  std::string resume_id;  // a new id releases any pause a human must end (drift, inconclusive gates)
};
nlohmann::json to_json(const ControlRequests& c);
ControlRequests control_from_json(const nlohmann::json& j);

// One finished run, for `rollout history`.
struct RunRecord {
  std::string run_id;
  std::string plan_hash;
  std::string started_at;
  std::string finished_at;
  std::string outcome;  // the terminal phase
  std::string message;
};
nlohmann::json to_json(const RunRecord& r);
RunRecord run_record_from_json(const nlohmann::json& j);

}  // namespace rollout::engine
