// Connecting to the cluster the global flags point at: kubeconfig resolution, the client, and
// the -v summary of where it points (secrets redacted).
#pragma once

#include <memory>

#include "cli/options.hpp"
#include "cli/terminal.hpp"
#include "k8s/client.hpp"

namespace rollout::cli {

Result<std::unique_ptr<k8s::Client>> connect(const GlobalOptions& g, Terminal& t);

}  // namespace rollout::cli
