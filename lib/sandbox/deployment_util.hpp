// Pure helpers of the Deployment controller over Deployment and ReplicaSet objects (JSON), ported
// from kube-controller-manager's pkg/controller/deployment/util/deployment_util.go and the sort
// orders of pkg/controller/controller_utils.go, so that the sandbox's rollouts take the branches a
// real cluster takes. Each function names the upstream function it follows.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rollout::sandbox::deploy {

using nlohmann::json;
using RSList = std::vector<json>;

inline constexpr const char* kRevision = "deployment.kubernetes.io/revision";
inline constexpr const char* kRevisionHistory = "deployment.kubernetes.io/revision-history";
inline constexpr const char* kDesiredReplicas = "deployment.kubernetes.io/desired-replicas";
inline constexpr const char* kMaxReplicas = "deployment.kubernetes.io/max-replicas";
inline constexpr const char* kHashLabel = "pod-template-hash";
// maxRevHistoryLengthInChars in deployment_controller.go.
inline constexpr size_t kMaxRevisionHistoryChars = 2000;

// Field readers (defaults as pkg/apis/apps/v1/defaults.go would have set them).
int spec_replicas(const json& obj);
int status_int(const json& obj, const char* key);
std::string name_of(const json& obj);
std::string uid_of(const json& obj);
std::string annotation(const json& obj, const std::string& key);
bool is_rolling_update(const json& d);
bool paused(const json& d);

// intstr.GetValueFromIntOrPercent: an int, or a percentage of `total` rounded up or down.
int int_or_percent(const json& v, int total, bool round_up);
// ResolveFenceposts: (maxSurge, maxUnavailable); both resolving to 0 makes maxUnavailable 1.
std::pair<int, int> resolve_fenceposts(const json& max_surge, const json& max_unavailable, int desired);
int max_surge(const json& d);        // MaxSurge: 0 unless RollingUpdate
int max_unavailable(const json& d);  // MaxUnavailable: capped at spec.replicas, 0 unless RollingUpdate

// EqualIgnoreHash: pod templates equal once their pod-template-hash labels are dropped.
bool equal_ignore_hash(const json& t1, const json& t2);
// controller.ComputeHash: FNV-32a of the template (and the collision count), safe-encoded.
std::string compute_hash(const json& pod_template, std::optional<int> collision_count);

// ReplicaSetsByCreationTimestamp (ties by name), ReplicaSetsBySizeOlder/Newer.
void sort_by_creation(RSList& rss);
void sort_by_size_older(RSList& rss);
void sort_by_size_newer(RSList& rss);
RSList filter_active(const RSList& rss);  // FilterActiveReplicaSets: spec.replicas > 0

// FindNewReplicaSet: the oldest ReplicaSet whose template equals the Deployment's; nullopt if none.
std::optional<json> find_new_replica_set(const json& d, RSList rss);
// FindOldReplicaSets: (those with replicas, all) but the new one.
std::pair<RSList, RSList> find_old_replica_sets(const json& d, const RSList& rss);

int replica_count(const RSList& rss);    // GetReplicaCountForReplicaSets (spec)
int actual_count(const RSList& rss);     // GetActualReplicaCountForReplicaSets (status.replicas)
int ready_count(const RSList& rss);      // GetReadyReplicaCountForReplicaSets
int available_count(const RSList& rss);  // GetAvailableReplicaCountForReplicaSets

// NewRSNewReplicas: what the new ReplicaSet may be scaled to now.
int new_rs_new_replicas(const json& d, const RSList& all, const json& new_rs);
// IsSaturated: the new ReplicaSet holds all desired replicas, available.
bool is_saturated(const json& d, const std::optional<json>& rs);
// FindActiveOrLatest: the one active ReplicaSet, the newest if none is active, nullopt if several.
std::optional<json> find_active_or_latest(const std::optional<json>& new_rs, RSList old);
// GetProportion / getReplicaSetFraction, for scaling a paused or mid-rollout Deployment.
int get_proportion(const json& rs, const json& d, int to_add, int added);

// Revision / MaxRevision (unparseable revisions count as 0).
int64_t revision_of(const json& rs);
int64_t max_revision(const RSList& rss);
// SetNewReplicaSetAnnotations: copies the Deployment's annotations (but the skipped ones), moves
// the revision up to `new_revision` keeping the old one in revision-history, and for a ReplicaSet
// about to be created sets desired-/max-replicas. True when an annotation changed.
bool set_new_replica_set_annotations(const json& d, json& rs, const std::string& new_revision, bool exists);
// SetReplicasAnnotations.
bool set_replicas_annotations(json& rs, int desired, int max);

// DeploymentComplete and DeploymentProgressing, comparing a new status with the Deployment's.
bool deployment_complete(const json& d, const json& status);
bool deployment_progressing(const json& d, const json& status);

// labels.Selector.String() of a metav1.LabelSelector: requirements sorted by key.
std::string selector_string(const json& label_selector);
// metav1.LabelSelectorAsSelector(...).Matches(labels).
bool selector_matches(const json& label_selector, const json& labels);

}  // namespace rollout::sandbox::deploy
