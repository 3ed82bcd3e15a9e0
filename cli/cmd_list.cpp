// `rollout list`: the rollouts known in the namespace (ConfigMaps rollout-<name> labelled
// app.kubernetes.io/managed-by=rollout, see ARCHITECTURE.md) and in the state dir (<name>.json).
// With --state-dir, only that directory.
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/cluster.hpp"
#include "cli/commands.hpp"
#include "cli/table.hpp"
#include "engine/file_store.hpp"

namespace rollout::cli {

namespace {

void local_rows(const std::string& dir, nlohmann::json& rows) {
  for (const auto& name : engine::file_rollouts(dir)) {
    engine::FileStore store(dir, name);
    auto snap = store.read();
    if (!snap.ok() || !snap->state) continue;
    rows.push_back({{"name", name}, {"stateDir", dir}, {"phase", engine::to_string(snap->state->phase)}});
  }
}

Status cluster_rows(k8s::Client& client, nlohmann::json& rows) {
  auto configmaps = client.resource("v1", "ConfigMap");
  if (!configmaps.ok()) return configmaps.error();
  const std::string ns = client.default_namespace();
  auto list = client.list(*configmaps, ns, "app.kubernetes.io/managed-by=rollout");
  if (!list.ok()) return list.error();
  for (const auto& cm : (*list)["items"]) {
    const std::string name = cm["metadata"].value("name", "");
    if (name.rfind("rollout-", 0) != 0) continue;
    const auto labels = cm["metadata"].value("labels", nlohmann::json::object());
    rows.push_back({{"name", labels.value("rollout.dev/name", name.substr(8))},
                    {"namespace", ns},
                    {"phase", labels.value("rollout.dev/phase", "")}});
  }
  return ok_status();
}

Status print_rows(const nlohmann::json& rows, const std::string& where, const ListOptions& o, Terminal& t) {
  if (o.output == "json") {
    for (const auto& r : rows) t.out << r.dump() << "\n";
    return ok_status();
  }
  if (rows.empty()) {
    t.err << "No rollouts found in " << where << ".\n";
    return ok_status();
  }
  std::vector<TableRow> table = {{"NAME", "PHASE", "WHERE"}};
  for (const auto& r : rows)
    table.push_back({r["name"].get<std::string>(), r["phase"].get<std::string>(),
                     r.contains("namespace") ? "namespace " + r["namespace"].get<std::string>()
                                             : r["stateDir"].get<std::string>()});
  t.out << format_table(table);
  return ok_status();
}

}  // namespace

Status list_rollouts(const GlobalOptions& g, const ListOptions& o, Terminal& t) {
  nlohmann::json rows = nlohmann::json::array();
  const std::string dir = g.state_dir.empty() ? engine::default_state_dir() : g.state_dir;
  local_rows(dir, rows);
  std::string where = dir;
  if (g.state_dir.empty()) {
    auto client = connect(g, t);
    if (!client.ok() && rows.empty()) return client.error();
    if (client.ok()) {
      auto found = cluster_rows(**client, rows);
      if (!found.ok() && rows.empty()) return found.error();
      where = "namespace " + (*client)->default_namespace();
    }
  }
  return print_rows(rows, where, o, t);
}

}  // namespace rollout::cli
