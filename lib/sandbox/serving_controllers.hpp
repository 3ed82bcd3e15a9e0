// Simulated controllers of the rolling-update workloads made of groups of pods: Kthena ModelServing
// (and its predecessor ModelInfer) and LeaderWorkerSet. Groups are ordinals 0..replicas-1; a
// template change replaces groups with ordinal >= partition, highest first, within maxUnavailable,
// each only after the previously replaced one is Ready (see group_rollout.hpp).
//
// ModelServing / ModelInfer: `spec.template.roles[]`, each with `name`, `replicas` (default 1), an
// `entryTemplate` and optionally `workerReplicas` with a `workerTemplate` (pod templates:
// `{metadata: {labels, annotations}, spec}`); a template without roles but with
// `spec.containers` is one role named "main" with one entry pod. Pods are named as Kthena names
// them, `<name>-<ordinal>-<role>-<role index>-<pod index>` (0 is the entry pod).
// `rolloutStrategy.type` is not checked: RoleRollingUpdate rolls whole groups too.
//
// LeaderWorkerSet: `spec.leaderWorkerTemplate {size, leaderTemplate?, workerTemplate}`; the leader
// is `<name>-<group>`, workers `<name>-<group>-<i>`; maxSurge adds groups past replicas while the
// update lasts.
#pragma once

#include <memory>

#include "sandbox/controller.hpp"

namespace rollout::sandbox {

std::unique_ptr<Controller> make_model_serving_controller();  // workload.serving.volcano.sh/v1alpha1
std::unique_ptr<Controller> make_model_infer_controller();    // workload.matrixinfer.ai/v1alpha1
std::unique_ptr<Controller> make_leader_worker_set_controller();

}  // namespace rollout::sandbox
