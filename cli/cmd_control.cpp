// `rollout status|promote|abort|pause|resume|history`: thin wrappers over lib/engine/control,
// which a running apply notices through its watch on the state ConfigMap.
#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <ostream>

#include "actuators/local_replicas.hpp"
#include "actuators/object_host.hpp"
#include "cli/cluster.hpp"
#include "cli/commands.hpp"
#include "cli/event_render.hpp"
#include "cli/live_screen.hpp"
#include "cli/status_tree.hpp"
#include "cli/table.hpp"
#include "engine/control.hpp"
#include "engine/file_store.hpp"
#include "plan/loader.hpp"
#include "util/yaml_diff.hpp"

namespace rollout::cli {

using nlohmann::json;

namespace {

json snapshot_json(const engine::StateSnapshot& s) {
  json j = s.state ? engine::to_json(*s.state) : json::object();
  j.erase("objects");
  if (s.state) {
    json objects = json::array();
    for (const auto& o : s.state->objects) objects.push_back(actuators::to_json(o.ref));
    j["objects"] = objects;
  }
  j["driver"] = s.lock ? json{{"pid", s.lock->pid}, {"host", s.lock->host}, {"since", s.lock->since}} : json(nullptr);
  j["control"] = engine::to_json(s.control);
  return j;
}

StatusContext status_context(const engine::StateSnapshot& s, const LocatedRollout& found, const std::string& store) {
  return StatusContext{found.local ? store : "namespace " + found.ns,
                       s.lock ? s.lock->describe() : "none (no apply is running)", store};
}

// status -w on a terminal: the live view of the state, redrawn on every change and every second.
Status watch_live(const engine::StateSnapshot& first, engine::StateStore& store, Terminal& t) {
  std::mutex mu;
  View view = view_from_state(*first.state);
  LiveScreen screen(t.out, [&](int width, WallTime now) {
    std::lock_guard<std::mutex> lock(mu);
    return render(view, width, now);
  });
  screen.redraw();
  if (engine::is_terminal(first.state->phase)) return ok_status();
  bool done = false;
  return store.watch([&] { return done; },
                     [&](const engine::StateSnapshot& next) {
                       if (!next.state) return;
                       {
                         std::lock_guard<std::mutex> lock(mu);
                         view = view_from_state(*next.state);
                       }
                       screen.redraw();
                       done = engine::is_terminal(next.state->phase);
                     });
}

// A rollout whose objects live outside the cluster (local replicas) is rolled back through the
// host its plan describes: the plan kept with its state by the apply that started it. nullptr
// for a rollout in the cluster.
Result<actuators::ObjectHost*> local_target_host(LocatedRollout& found, const std::string& name,
                                                 std::unique_ptr<k8s::Client>& no_cluster,
                                                 std::unique_ptr<actuators::ObjectHost>& keep, engine::EventSink& sink) {
  auto snap = found.store->read();
  if (!snap.ok()) return snap.error();
  if (!snap->state || !found.local) return nullptr;
  const auto& objects = snap->state->objects;
  const bool outside = std::any_of(objects.begin(), objects.end(), [](const auto& object) {
    return object.ref.api_version.rfind(std::string(actuators::kLocalGroup) + "/", 0) == 0;
  });
  if (!outside) return nullptr;
  auto& files = static_cast<engine::FileStore&>(*found.store);
  const std::string& hash = snap->state->plan_hash;
  auto text = files.kept_plan(hash);
  if (!text.ok())
    return make_error(ErrorKind::not_found,
                      fmt::format("rollout {} changes local replicas and its plan (hash {}) is not kept in {}: run "
                                  "`rollout plan apply` with the plan it was started with, then abort from there",
                                  name, hash, files.dir()));
  const std::string where = files.dir() + "/" + name + ".plan-" + hash + ".yaml";
  plan::PlanFile f = plan::load_plan_text(where, *text);
  if (!f.ok() || f.plans.size() != 1)
    return make_error(ErrorKind::invalid, where + " no longer loads as a plan: " +
                                              (f.ok() ? std::string("not exactly one plan") : f.messages().front()));
  no_cluster = no_cluster_client();
  const actuators::HostContext context{files.dir(), [&sink](const std::string& m) {
                                         sink.emit(engine::Event{engine::EventType::info, m});
                                       }};
  keep = actuators::hosts_for(f.plans[0].plan, *no_cluster, context);
  return keep.get();
}

}  // namespace

Status rollout_status(const GlobalOptions& g, const StatusOptions& o, Terminal& t) {
  auto found = locate_rollout(g, t, o.name);
  if (!found.ok()) return found.error();
  engine::StateStore& store = *found->store;
  auto snap = engine::read_rollout(store, o.name);
  if (!snap.ok()) return snap.error();
  const std::string where = store.where();
  auto show = [&](const engine::StateSnapshot& s) {
    if (!s.state) return;
    if (o.output == "json" || o.output == "yaml") {
      json j = snapshot_json(s);
      j["stateStore"] = where;
      t.out << (o.output == "json" ? j.dump() + "\n" : to_yaml(j));
    } else {
      for (const auto& line : render_tree(*s.state, status_context(s, *found, where), std::chrono::system_clock::now()))
        t.out << line << "\n";
    }
    t.out.flush();
  };
  if (o.watch && o.output == "text" && t.live && snap->state) return watch_live(*snap, store, t);
  show(*snap);
  if (!o.watch || (snap->state && engine::is_terminal(snap->state->phase))) return ok_status();
  std::string last_seen = snap->state ? engine::to_json(*snap->state).dump() : "";
  bool done = false;
  return store.watch([&] { return done; },
                     [&](const engine::StateSnapshot& next) {
                       if (!next.state) return;
                       const std::string now = engine::to_json(*next.state).dump();
                       if (now == last_seen) return;
                       last_seen = now;
                       if (o.output == "text") t.out << "\n";
                       if (o.output == "yaml") t.out << "---\n";
                       show(next);
                       done = engine::is_terminal(next.state->phase);
                     });
}

Status rollout_promote(const GlobalOptions& g, const PromoteOptions& o, Terminal& t) {
  auto found = locate_rollout(g, t, o.name);
  if (!found.ok()) return found.error();
  auto r = engine::promote_rollout(*found->store, o.name, o.full);
  if (!r.ok()) return r.error();
  t.out << r->message << (found->local ? " (state in " + found->store->where() + ")" : "") << "\n";
  return ok_status();
}

Status rollout_control(const std::string& verb, const GlobalOptions& g, const NameOptions& o, Terminal& t) {
  auto found = locate_rollout(g, t, o.name);
  if (!found.ok()) return found.error();
  engine::StateStore& store = *found->store;
  Result<engine::ControlResult> r = make_error(ErrorKind::internal, "unknown control verb " + verb);
  if (verb == "pause") r = engine::pause_rollout(store, o.name);
  if (verb == "resume") r = engine::resume_rollout(store, o.name);
  if (verb == "abort") {
    auto sink = make_renderer(RenderMode::text, t, g.verbosity);
    std::unique_ptr<k8s::Client> no_cluster;
    std::unique_ptr<actuators::ObjectHost> host;  // outlives the abort
    auto hosts = [&]() -> Result<actuators::ObjectHost*> {
      auto local = local_target_host(*found, o.name, no_cluster, host, *sink);
      if (!local.ok() || *local) return local;
      auto client = client_for(*found, g, t);
      if (!client.ok()) return client.error();
      host = std::make_unique<actuators::ClusterHost>(**client);
      return host.get();
    };
    r = engine::abort_rollout(store, o.name, hosts, *sink);
  }
  if (!r.ok()) return r.error();
  t.out << r->message << (found->local ? " (state in " + store.where() + ")" : "") << "\n";
  return ok_status();
}

Status rollout_history(const GlobalOptions& g, const NameOptions& o, Terminal& t) {
  auto found = locate_rollout(g, t, o.name);
  if (!found.ok()) return found.error();
  auto snap = engine::read_rollout(*found->store, o.name);
  if (!snap.ok()) return snap.error();
  if (o.output == "json") {
    for (const auto& r : snap->history) t.out << engine::to_json(r).dump() << "\n";
    return ok_status();
  }
  std::vector<TableRow> rows = {{"RUN", "OUTCOME", "STARTED", "FINISHED", "MESSAGE"}};
  for (const auto& r : snap->history) rows.push_back({r.run_id, r.outcome, r.started_at, r.finished_at, r.message});
  if (snap->state && !engine::is_terminal(snap->state->phase))
    rows.push_back({snap->state->run_id, engine::to_string(snap->state->phase), snap->state->started_at, "-",
                    "in progress: " + snap->state->step_title});
  t.out << format_table(rows);
  return ok_status();
}

}  // namespace rollout::cli
