// Connecting to the cluster the global flags point at (kubeconfig resolution, the client, and
// the -v summary of where it points, secrets redacted), and finding where a rollout's state
// lives: the ConfigMap rollout-<name> or <state-dir>/<name>.json.
#pragma once

#include <memory>

#include "cli/options.hpp"
#include "cli/terminal.hpp"
#include "engine/state_store.hpp"
#include "k8s/client.hpp"

namespace rollout::cli {

Result<std::unique_ptr<k8s::Client>> connect(const GlobalOptions& g, Terminal& t);

// A client for a plan whose target is not in the cluster (local replicas): every request fails
// with a message saying so; no kubeconfig is read.
std::unique_ptr<k8s::Client> no_cluster_client();

// The store an apply of this plan uses: --state-dir's file store if given (or, for a local target,
// the default state dir), else the ConfigMap.
std::unique_ptr<engine::StateStore> state_store_for(const GlobalOptions& g, k8s::Client& client, const std::string& ns,
                                                    const std::string& name, bool local_target = false);

// A rollout found for a control command. With --state-dir: that directory only. Without: the
// default state dir and the cluster; found in both is an error naming both.
struct LocatedRollout {
  std::unique_ptr<engine::StateStore> store;
  std::unique_ptr<k8s::Client> client;  // null when the rollout was found locally and no cluster answers
  std::string ns;                        // the cluster namespace asked (ConfigMap store)
  bool local = false;
};
Result<LocatedRollout> locate_rollout(const GlobalOptions& g, Terminal& t, const std::string& name);

// The client for writing a located rollout's objects back (abort), connecting if needed.
Result<k8s::Client*> client_for(LocatedRollout& r, const GlobalOptions& g, Terminal& t);

}  // namespace rollout::cli
