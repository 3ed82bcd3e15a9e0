// `rollout list`: the rollouts whose state lives in the namespace. A rollout's state is the
// ConfigMap rollout-<name> labelled app.kubernetes.io/managed-by=rollout (see ARCHITECTURE.md).
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/cluster.hpp"
#include "cli/commands.hpp"

namespace rollout::cli {

Status list_rollouts(const GlobalOptions& g, const ListOptions& o, Terminal& t) {
  auto client = connect(g, t);
  if (!client.ok()) return client.error();
  auto configmaps = (*client)->resource("v1", "ConfigMap");
  if (!configmaps.ok()) return configmaps.error();
  const std::string ns = (*client)->default_namespace();
  auto list = (*client)->list(*configmaps, ns, "app.kubernetes.io/managed-by=rollout");
  if (!list.ok()) return list.error();
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& cm : (*list)["items"]) {
    const std::string name = cm["metadata"].value("name", "");
    if (name.rfind("rollout-", 0) != 0) continue;
    const auto labels = cm["metadata"].value("labels", nlohmann::json::object());
    rows.push_back({{"name", labels.value("rollout.dev/name", name.substr(8))},
                    {"namespace", ns},
                    {"phase", labels.value("rollout.dev/phase", "")}});
  }
  if (o.output == "json") {
    for (const auto& r : rows) t.out << r.dump() << "\n";
    return ok_status();
  }
  if (rows.empty()) {
    t.err << "No rollouts found in namespace " << ns << ".\n";
    return ok_status();
  }
  t.out << "NAME\tPHASE\n";
  for (const auto& r : rows) t.out << r["name"].get<std::string>() << "\t" << r["phase"].get<std::string>() << "\n";
  return ok_status();
}

}  // namespace rollout::cli
