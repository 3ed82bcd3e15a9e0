// What the engine changes in the cluster, behind one small interface: each actuator owns a few
// fields (JSON pointers) of the objects it manages and says, as a pure function of the recorded
// original object and the rollout's position, what those objects should look like. The engine
// records the originals, watches the owned fields for drift, writes, verifies, and restores the
// originals on rollback; no actuator name appears in the engine (STYLE.md rule 2).
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "k8s/client.hpp"
#include "plan/plan.hpp"
#include "util/duration.hpp"
#include "util/result.hpp"

namespace rollout::actuators {

// An object the rollout touches.
struct ObjectRef {
  std::string api_version;
  std::string kind;
  std::string namespace_;
  std::string name;

  std::string key() const { return kind + "/" + name; }  // "HTTPRoute/llm-route", for messages
  bool operator==(const ObjectRef&) const = default;
};
nlohmann::json to_json(const ObjectRef& r);
ObjectRef object_ref_from_json(const nlohmann::json& j);

struct HeaderRoute {
  std::string name;
  std::string value;
  std::string match = "Exact";
  bool operator==(const HeaderRoute&) const = default;
};

// Where a rollout stands, as far as the objects are concerned. Steps move it forward; the
// planner folds the steps into one Position per step.
struct Position {
  bool adapters_loaded = false;       // adapters.load entries are loaded (syncer's ensureExist, or vLLM's runtime API)
  // Rolling targets: the new template is in place (frozen: nothing runs it yet), and how many
  // replicas / serving groups run it (all of them once `finished`).
  bool template_in_place = false;
  int updated = 0;
  std::optional<int> updated_percent;  // `updateReplicas: 50%`: recomputed if spec.replicas changes
  int weight = 0;                     // percent of traffic on the canary
  std::optional<HeaderRoute> header;  // setHeaderRoute: matching requests go to the canary
  std::optional<int> mirror;          // setMirror: percent of traffic mirrored to the canary
  bool finished = false;              // the seeds' "finish the rollout": only the canary is left,
                                      // header/mirror rules are gone, unloadOnSuccess is unloaded
  bool operator==(const Position&) const = default;
};

// A pool of model-server pods behind a backend (InferencePool or Service).
struct BackendPool {
  std::string name;
  std::string kind = "InferencePool";
  std::string group = "inference.networking.k8s.io";
};

enum class Role { stable, canary };

struct Endpoint;  // endpoints.hpp: one pod (or local replica) and where a GET reaches it

// How long and how politely to wait while verifying; `cancelled` is abort/deadline.
struct Wait {
  Duration timeout{60000};
  Duration poll{250};
  std::function<bool()> cancelled = [] { return false; };
  std::function<void(Duration)> sleep;  // default: std::this_thread::sleep_for
  // What is being waited for, when that changes ("group 3: 0/2 pods Ready on the new revision");
  // the engine turns it into an event.
  std::function<void(const std::string&)> note = [](const std::string&) {};
};

// How converge() runs: a dry run (client or server dry run, plan diff) only says what it would
// do; `note` reports each thing done or that would be done, which the engine turns into events.
struct Converge {
  bool dry = false;
  std::optional<Position> from;  // the position before this step, for a dry run to say only what changes
  std::function<void(const std::string&)> note = [](const std::string&) {};
};

class Actuator {
 public:
  virtual ~Actuator() = default;

  // The plan key this actuator serves ("httpRoute", "inferenceModel", "loraSyncer", ...).
  virtual std::string name() const = 0;

  // The objects it manages, found in the cluster (a label selector may match several).
  // A missing object is ErrorKind::not_found naming it.
  virtual Result<std::vector<ObjectRef>> resolve(k8s::Client& client, const std::string& ns) const = 0;

  // Checks on one live object before anything changes: the stable backend/target is there, the
  // canary pool exists, an adapter id does not clash. ErrorKind::invalid or not_found naming the
  // object and field.
  virtual Status check(k8s::Client& client, const nlohmann::json& live) const = 0;

  // check() over all the live objects it manages, before anything changes. The default checks
  // one after the other; an actuator whose checks read the same object for each (a fleet of
  // routes onto one canary pool) reads it once.
  virtual Status check_all(k8s::Client& client, const std::vector<nlohmann::json>& lives) const;

  // What is worth a warning before the first change but does not stop the rollout (an object of
  // the same name in another API group; a group detected instead of the default). The engine
  // reports each as an info event marked "warning".
  virtual std::vector<std::string> warnings(k8s::Client&, const std::vector<nlohmann::json>&) const { return {}; }

  // JSON pointers ("/spec/rules") of the fields it owns in each object: recorded before the first
  // change, watched for drift, restored on rollback.
  virtual std::vector<std::string> managed_fields() const = 0;

  // The object as it should be at `position`, computed from the recorded original. Pure.
  virtual Result<nlohmann::json> desired(const nlohmann::json& original, const Position& position) const = 0;

  // After a step's writes: waits until the position took effect (an HTTPRoute Accepted/ResolvedRefs
  // at the new observedGeneration; adapters listed by every ready pod of the pool; released
  // serving groups Ready on the new revision). Called for every object of a step that moves the
  // position, written or already as desired (a resumed run, a Deployment batch that lives in its
  // ReplicaSets), and after a rollback with the empty Position. ErrorKind::timeout when it does
  // not within `wait.timeout` (rolling targets: their readyTimeout); ErrorKind::gate_failed when
  // the new version visibly failed (pods crash-looping): both fail the step like a gate.
  virtual Status verify(k8s::Client& client, const nlohmann::json& written, const Position& position,
                        const Wait& wait) const = 0;

  // After a step's writes over many objects: waits until all took effect. The default verifies
  // one after the other; an actuator that can tell from one LIST does so (fleets of routes).
  // `originals[i]` is the recorded original of `written[i]` (null when a rollback resumed without
  // it): a target that drives dependents (a Deployment's ReplicaSets) reads its recorded strategy.
  virtual Status verify_all(k8s::Client& client, const std::vector<nlohmann::json>& written,
                            const std::vector<nlohmann::json>& originals, const Position& position,
                            const Wait& wait) const;

  // Servers that hold part of the position in their memory rather than in the objects (LoRA
  // adapters loaded through vLLM's runtime API: per process, gone after a restart, never shared
  // between replicas) are brought to `position`. The engine calls it after a step's writes (before
  // verify_all), before the gates judge (so a pod that joined since is judged with what the others
  // have), and after a rollback with the empty Position. `objects` are the recorded originals.
  // ErrorKind::gate_failed when a server refuses (fails the step like a gate). Default: nothing.
  virtual Status converge(k8s::Client&, const std::vector<nlohmann::json>& /*objects*/, const Position&,
                          const Converge&) const {
    return ok_status();
  }

  // The pods that serve `role`, for gates probing the canary or the stable (nullopt: this
  // actuator does not route traffic).
  virtual std::optional<BackendPool> backend(const nlohmann::json& original, Role role) const = 0;

  // The servers behind `role`, ready or not, for gates: by default the pods of backend(). A
  // target whose servers are not pods (local replicas) answers with their URLs.
  virtual Result<std::vector<Endpoint>> endpoints(k8s::Client& client, const std::string& ns,
                                                  const nlohmann::json& original, Role role) const;

  // What gates call the canary and the stable ("vllm-new", an adapter id); "" if this actuator
  // does not name them.
  virtual std::string side_name(Role) const { return ""; }

  // Rolling targets: how many replicas or serving groups the object runs (the planner's total for
  // updateReplicas percentages and one-at-a-time plans); nullopt for traffic targets.
  virtual std::optional<int> replicas(const nlohmann::json&) const { return std::nullopt; }

  // finalize.deleteStable: the object that serves only the stable version once the rollout has
  // finished (an HTTPRoute's stable InferencePool or Service); nullopt if there is none.
  virtual std::optional<ObjectRef> stable_backend_object(const nlohmann::json&) const { return std::nullopt; }
};

// The actuators a plan needs, in the order they act (adapters before traffic), from one table
// keyed by target kind. A target kind with no actuator yet is ErrorKind::unimplemented, never a
// silent fallback.
Result<std::vector<std::unique_ptr<Actuator>>> actuators_for(const plan::Plan& plan);

}  // namespace rollout::actuators
