// Checks on the cluster and user a context selected, as client-go makes them before use: conflicting
// settings, missing files, an exec plugin rollout cannot run. Only the selected entries are checked,
// so a broken entry elsewhere in a shared kubeconfig does not get in the way.
#pragma once

#include <string>

#include "k8s/environment.hpp"
#include "k8s/kubeconfig_file.hpp"
#include "util/result.hpp"

namespace rollout::k8s {

// An error about an entry, at the place that defined it: "FILE:LINE:COL: WHAT: message" (kind invalid).
template <typename T>
Error error_at(const Defined<T>& at, const std::string& what, const std::string& message) {
  return make_error(ErrorKind::invalid, format_diagnostic(at.file, {at.pos, what + ": " + message}));
}

// Errors (kind invalid) read "FILE:LINE:COL: cluster \"NAME\": problem".
Status check_cluster(const std::string& name, const Defined<ClusterInfo>& cluster, const Environment& env);
Status check_user(const std::string& name, const Defined<AuthInfo>& user, const Environment& env);

// Whether `ns` is a valid namespace name (an RFC 1123 label).
bool is_namespace_name(const std::string& ns);

}  // namespace rollout::k8s
