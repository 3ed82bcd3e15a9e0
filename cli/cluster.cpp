#include "cli/cluster.hpp"

#include <ostream>

#include "engine/file_store.hpp"
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

namespace rollout::cli {

namespace {

class NoCluster : public k8s::Transport {
 public:
  Result<k8s::HttpResult> send(const k8s::HttpCall& call) override { return refuse(call); }
  Result<long> stream(const k8s::HttpCall& call, const std::function<bool(std::string_view)>&) override {
    return refuse(call).error();
  }

 private:
  static Result<k8s::HttpResult> refuse(const k8s::HttpCall& call) {
    return make_error(ErrorKind::unavailable, "a local target talks to no cluster (asked for " + call.path + ")");
  }
};

}  // namespace

std::unique_ptr<k8s::Client> no_cluster_client() {
  k8s::RetryPolicy once;
  once.max_attempts = 1;
  return std::make_unique<k8s::Client>(std::make_unique<NoCluster>(), "", once);
}

std::unique_ptr<engine::StateStore> state_store_for(const GlobalOptions& g, k8s::Client& client, const std::string& ns,
                                                    const std::string& name, bool local_target) {
  if (!g.state_dir.empty()) return std::make_unique<engine::FileStore>(g.state_dir, name);
  if (local_target) return std::make_unique<engine::FileStore>(engine::default_state_dir(), name);
  return std::make_unique<engine::ConfigMapStore>(client, ns, name);
}

Result<LocatedRollout> locate_rollout(const GlobalOptions& g, Terminal& t, const std::string& name) {
  LocatedRollout r;
  if (!g.state_dir.empty()) {
    r.store = std::make_unique<engine::FileStore>(g.state_dir, name);
    r.local = true;
    return r;
  }
  auto local = std::make_unique<engine::FileStore>(engine::default_state_dir(), name);
  auto local_snap = local->read();
  const bool in_dir = local_snap.ok() && local_snap->exists;
  auto client = connect(g, t);
  if (!client.ok()) {
    if (in_dir) {
      r.store = std::move(local);
      r.local = true;
      return r;
    }
    return client.error();
  }
  r.ns = (*client)->default_namespace();
  auto remote = std::make_unique<engine::ConfigMapStore>(**client, r.ns, name);
  auto remote_snap = remote->read();
  if (!remote_snap.ok() && !in_dir) return remote_snap.error();
  const bool in_cluster = remote_snap.ok() && remote_snap->exists;
  if (in_dir && in_cluster)
    return make_error(ErrorKind::usage,
                      "rollout " + name + " is known in two places: " + local->where() + " and " + remote->where() +
                          "; --state-dir " + engine::default_state_dir() +
                          " picks the state file; for the ConfigMap, set XDG_STATE_HOME to a directory without " +
                          name + ".json (or move " + local->where() + " away)");
  if (!in_dir && !in_cluster)
    return make_error(ErrorKind::not_found,
                      "no rollout " + name + ": neither " + local->where() + " nor " + remote->where() +
                          " exists (another state dir: --state-dir DIR; another namespace: -n)");
  r.client = std::move(*client);
  if (in_dir) {
    r.store = std::move(local);
    r.local = true;
  } else {
    r.store = std::move(remote);
  }
  return r;
}

Result<k8s::Client*> client_for(LocatedRollout& r, const GlobalOptions& g, Terminal& t) {
  if (!r.client) {
    auto c = connect(g, t);
    if (!c.ok()) return c.error();
    r.client = std::move(*c);
  }
  return r.client.get();
}

}  // namespace rollout::cli
