#include "cli/cluster.hpp"

#include <ostream>

#include "k8s/kubeconfig.hpp"

namespace rollout::cli {

Result<std::unique_ptr<k8s::Client>> connect(const GlobalOptions& g, Terminal& t) {
  k8s::ConfigOverrides o;
  o.kubeconfig = g.kubeconfig;
  o.context = g.context;
  o.namespace_ = g.namespace_;
  const k8s::Environment env = k8s::Environment::system();
  auto config = k8s::load_rest_config(o, env);
  if (!config.ok()) return config.error();
  if (g.verbosity > 0) t.err << k8s::describe(*config) << "\n";
  auto transport = k8s::make_curl_transport(*config, env);
  if (!transport.ok()) return transport.error();
  return std::make_unique<k8s::Client>(std::move(*transport), config->namespace_);
}

}  // namespace rollout::cli
