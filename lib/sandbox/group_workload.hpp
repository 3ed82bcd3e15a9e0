// The machinery shared by controllers of kinds whose replicas are groups of pods with ordinals
// (ModelServing, ModelInfer, LeaderWorkerSet): it sorts the owned pods into groups, asks
// plan_group_rollout what to do, creates and deletes pods, repairs groups that lost a pod, and
// hands the counts to the kind for its status. A kind only says how its groups look.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/controller.hpp"
#include "sandbox/group_rollout.hpp"

namespace rollout::sandbox {

class GroupWorkloadController : public Controller {
 public:
  void reconcile(ControllerContext& ctx) override;

 protected:
  virtual const char* api_version() const = 0;
  virtual const char* kind() const = 0;
  // The pod label that holds a group's revision.
  virtual std::string revision_label() const = 0;
  // The part of the spec whose hash is the revision.
  virtual nlohmann::json template_of(const nlohmann::json& obj) const = 0;
  // Replicas, partition and limits; the engine fills in the revisions.
  virtual GroupRollout rollout_of(const nlohmann::json& obj) const = 0;
  // The group a pod of `obj` belongs to, if it is one of its groups' pods.
  virtual std::optional<int> ordinal_of(const nlohmann::json& obj, const nlohmann::json& pod) const = 0;
  // The pods of group `ordinal` built from `tmpl` (a value of template_of): metadata with name,
  // labels (the revision label included) and annotations, and spec.
  virtual std::vector<nlohmann::json> group_pods(const nlohmann::json& obj, const nlohmann::json& tmpl, int ordinal,
                                                 const std::string& revision) const = 0;
  virtual nlohmann::json status_of(const nlohmann::json& obj, const GroupRollout& spec, const GroupCounts& counts,
                                   const std::string& now) const = 0;

 private:
  using Groups = std::map<int, std::vector<nlohmann::json>>;

  void reconcile_one(ControllerContext& ctx, const nlohmann::json& obj);
  Groups groups_of(ControllerContext& ctx, const nlohmann::json& obj) const;
  std::vector<GroupState> states_of(const nlohmann::json& obj, const Groups& groups) const;
  std::string current_revision(const nlohmann::json& obj, const std::vector<GroupState>& states,
                               const std::string& update) const;
  void apply(ControllerContext& ctx, const nlohmann::json& obj, const GroupRolloutPlan& plan, const Groups& groups,
             const std::string& update);
  // Creates the pods of the group that do not exist (all of them for a new group).
  void ensure_group(ControllerContext& ctx, const nlohmann::json& obj, int ordinal, const std::string& revision,
                    const std::vector<nlohmann::json>& existing);
  void delete_group(ControllerContext& ctx, const std::vector<nlohmann::json>& pods);

  // Every template seen, by revision: groups below the partition are recreated on theirs.
  std::map<std::string, nlohmann::json> templates_;
  // Object uid -> the revision groups had before the update started.
  std::map<std::string, std::string> current_;
};

// Available, Progressing and UpdateInProgress: exactly one is True.
nlohmann::json group_conditions(const GroupCounts& counts, const std::string& progressing_reason,
                                const std::string& now);

}  // namespace rollout::sandbox
