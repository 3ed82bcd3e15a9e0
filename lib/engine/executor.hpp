// How objects are written: for real, or not at all (--dry-run=client), or only asked
// (--dry-run=server, dryRun=All). The engine and the planner are the same in all three modes
// (kubectl's dry-run enum resolved once, ninja's DryRunCommandRunner).
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "actuators/actuator.hpp"
#include "actuators/object_host.hpp"
#include "engine/state.hpp"
#include "k8s/client.hpp"

namespace rollout::engine {

enum class ExecMode { apply, dry_run_client, dry_run_server };

class ObjectExecutor {
 public:
  virtual ~ObjectExecutor() = default;
  virtual bool mutates() const = 0;
  // The object as the run sees it: live, or as an earlier dry-run step left it.
  virtual Result<nlohmann::json> read(const actuators::ObjectRef& ref) = 0;
  // Many objects at once, in the order asked: one LIST per kind and namespace where that is
  // fewer requests than a GET each. A missing object is ErrorKind::not_found naming it.
  virtual Result<std::vector<nlohmann::json>> read_all(const std::vector<actuators::ObjectRef>& refs);
  // Writes the owned fields of `desired` over `live`, guarded by live's resourceVersion
  // (ErrorKind::conflict if someone changed it meanwhile). Returns the object as written.
  virtual Result<nlohmann::json> write(const actuators::ObjectRef& ref, const nlohmann::json& live,
                                       const nlohmann::json& desired, const std::vector<std::string>& fields) = 0;
  // Puts the owned fields back to `original` in one patch, whatever they are now.
  virtual Result<nlohmann::json> restore(const actuators::ObjectRef& ref, const FieldValues& original) = 0;
  // finalize.deleteStable: deletes the object (already gone is fine).
  virtual Status remove(const actuators::ObjectRef& ref) = 0;
};

// Rollback: every object's owned fields back to the recorded originals, one patch per object,
// traffic objects before adapters. Returns the API time it took.
Result<Duration> restore_originals(ObjectExecutor& exec, RolloutState& state);

// Reads and writes through HOST (actuators::Hosts routes each object to where it lives).
std::unique_ptr<ObjectExecutor> make_executor(ExecMode mode, actuators::ObjectHost& host);
// The same over the cluster alone, owning its host: for callers without a plan.
std::unique_ptr<ObjectExecutor> make_executor(ExecMode mode, k8s::Client& client);

// The JSON patch operations that turn the owned fields of `from` into those of `to`.
nlohmann::json field_patch(const nlohmann::json& from, const nlohmann::json& to, const std::vector<std::string>& fields);
nlohmann::json restore_patch(const nlohmann::json& live, const FieldValues& original);

// "/spec/rules/0/backendRefs/1/weight" -> "spec.rules[0].backendRefs[1].weight"
std::string field_path(const std::string& pointer);

}  // namespace rollout::engine
