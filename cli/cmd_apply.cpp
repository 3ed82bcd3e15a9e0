// `rollout plan apply` and `rollout plan diff`: load the plan, connect, and hand it to the
// engine with the executor the flags ask for; render its events; map the outcome to an exit code.
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <optional>

#include <fmt/format.h>

#include <iostream>
#include <ostream>
#include <sstream>
#include <thread>

#include "cli/cluster.hpp"
#include "cli/commands.hpp"
#include "cli/event_render.hpp"
#include "cli/interrupt.hpp"
#include "cli/live_screen.hpp"
#include "engine/control.hpp"
#include "engine/engine.hpp"
#include "engine/file_store.hpp"
#include "engine/report.hpp"
#include "plan/loader.hpp"

namespace rollout::cli {

namespace {

struct LoadedOne {
  plan::Plan plan;
  std::string hash;
  std::string bytes;
};

Result<LoadedOne> load_one(const std::string& path, Terminal& t) {
  plan::PlanFile f = plan::load_plan_file(path);
  if (!f.ok()) {
    for (const auto& m : f.messages()) t.err << m << "\n";
    return make_error(ErrorKind::invalid, path + " is not a valid plan");
  }
  if (f.plans.size() != 1)
    return make_error(ErrorKind::invalid,
                      fmt::format("{} holds {} plans; apply and diff take a file with exactly one", path, f.plans.size()));
  return LoadedOne{f.plans[0].plan, plan::plan_hash(f.bytes), f.bytes};
}

Result<std::string> namespace_for(const plan::Plan& p, const GlobalOptions& g, const k8s::Client& client) {
  if (p.namespace_ && !g.namespace_.empty() && *p.namespace_ != g.namespace_)
    return make_error(ErrorKind::usage, fmt::format("the plan's metadata.namespace ({}) does not match --namespace ({})",
                                                    *p.namespace_, g.namespace_));
  return p.namespace_ ? *p.namespace_ : client.default_namespace();
}

bool confirm(const plan::Plan& p, const std::string& ns, Terminal& t) {
  t.out << fmt::format("Apply rollout {} ({} on {}, {} steps) {}? [y/N] ", p.name, plan::to_string(p.strategy),
                       plan::target_key(p.target), p.steps.size(), ns.empty() ? "on this machine" : "in namespace " + ns);
  t.out.flush();
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

// On a TTY, an apply takes single keys (raw mode, restored on every exit path): [p]romote and
// [a]bort send the requests a second terminal would write to the state store; at a pause step,
// [d]iff shows what the steps still to come change and [q]uit leaves the rollout paused and ends
// the apply as --until-pause does. The thread is joined before what it uses goes away.
struct KeyContext {
  const GlobalOptions& g;
  const plan::Plan& plan;
  const std::string& ns;
  k8s::Client& client;
  engine::StateStore& store;
  Terminal& t;
  std::function<void(const std::string&)> say;   // one line of feedback
  std::function<void(const std::string&)> show;  // a block of text (the diff)
  std::atomic<bool>& leave;                      // [q]: hand over at the pause
};

class KeyOffer {
 public:
  explicit KeyOffer(KeyContext c) : c_(std::move(c)), thread_([this] { loop(); }) {}
  ~KeyOffer() {
    stop_ = true;
    thread_.join();
  }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{STDIN_FILENO, POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      char key = 0;
      if (::read(STDIN_FILENO, &key, 1) <= 0) return;  // stdin closed
      act(key);
    }
  }

  void act(char key) {
    if (key == 'p') {
      auto r = engine::promote_rollout(c_.store, c_.plan.name, false);
      return c_.say(r.ok() ? r->message : r.error().message);
    }
    if (key == 'a') {
      struct Quiet : engine::EventSink {
        void emit(const engine::Event&) override {}
      } quiet;
      actuators::ClusterHost cluster(c_.client);  // this apply drives it: the host is not asked for
      auto r = engine::abort_rollout(
          c_.store, c_.plan.name, [&]() -> Result<actuators::ObjectHost*> { return &cluster; }, quiet);
      return c_.say(r.ok() ? r->message : r.error().message);
    }
    if (key != 'd' && key != 'q') return;
    auto snap = c_.store.read();
    const bool manual = snap.ok() && snap->state && snap->state->pause_reason == engine::PauseReason::pause_step;
    if (!manual) return c_.say(std::string(1, key) + ": only at a pause step that waits for promote");
    if (key == 'q') {
      c_.leave = true;
      return c_.say("leaving rollout " + c_.plan.name + " paused; `rollout promote " + c_.plan.name + "` continues it");
    }
    c_.show(diff_from(snap->state->step));
  }

  // What `rollout plan diff` shows, from the step the rollout is at.
  std::string diff_from(int step) {
    std::ostringstream text;
    Terminal to_text{text, text, c_.t.color_out, false, false, false};
    auto sink = make_renderer(RenderMode::diff, to_text, 0);
    engine::ApplySettings settings;
    settings.mode = engine::ExecMode::dry_run_client;
    settings.preview_from = step;
    engine::Seams seams{c_.client, *sink, {}};
    seams.store = &c_.store;
    seams.state_dir = c_.g.state_dir;
    auto r = engine::apply_plan(c_.plan, c_.ns, settings, seams);
    if (!r.ok()) text << "diff: " << r.error().message << "\n";
    return text.str();
  }

  KeyContext c_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// `report`, when --junit or --summary asked for one, sees every event before the renderer does.
Status run_engine(const GlobalOptions& g, const std::string& file, engine::ApplySettings settings, RenderMode mode,
                  bool ask, Terminal& t, engine::RunRecorder* report = nullptr, SignalInterrupt* signals = nullptr) {
  auto loaded = load_one(file, t);
  if (!loaded.ok()) return loaded.error();
  const plan::Plan& p = loaded->plan;
  if (report) report->set_plan(p, loaded->hash);
  // A local target lives on this machine: no cluster, and its state in the state dir.
  const bool local = std::holds_alternative<plan::LocalTarget>(p.target);
  auto client = local ? Result<std::unique_ptr<k8s::Client>>(no_cluster_client()) : connect(g, t);
  if (!client.ok()) return client.error();
  auto ns = local ? Result<std::string>(std::string()) : namespace_for(p, g, **client);
  if (!ns.ok()) return ns.error();
  if (ask && !confirm(p, *ns, t)) return make_error(ErrorKind::aborted, "not confirmed; nothing was changed");
  settings.plan_hash = loaded->hash;
  auto store = state_store_for(g, **client, *ns, p.name, local);
  // A local target is rebuilt from its plan by `rollout abort` when no apply runs: kept with the state.
  if (local && settings.mode == engine::ExecMode::apply)
    if (auto s = static_cast<engine::FileStore&>(*store).keep_plan(loaded->hash, loaded->bytes); !s.ok()) return s;
  const bool live = mode == RenderMode::text && settings.mode == engine::ExecMode::apply && t.live;
  std::unique_ptr<LiveRenderer> view = live ? std::make_unique<LiveRenderer>(p, t.out, t.interactive) : nullptr;
  auto sink = live ? nullptr : make_renderer(mode, t, g.verbosity);
  engine::EventSink& shown = view ? static_cast<engine::EventSink&>(*view) : *sink;
  if (report) report->forward_to(&shown);
  struct Unhook {  // the renderer goes away with this function
    engine::RunRecorder* r;
    ~Unhook() {
      if (r) r->forward_to(nullptr);
    }
  } unhook{report};
  engine::Seams seams{**client, report ? static_cast<engine::EventSink&>(*report) : shown, {}};
  seams.store = store.get();
  seams.state_dir = g.state_dir;
  std::atomic<bool> leave{false};
  settings.leave_paused = [&leave] { return leave.load(); };
  std::optional<RawKeys> raw;
  std::optional<KeyOffer> keys;
  if (mode == RenderMode::text && settings.mode == engine::ExecMode::apply && t.interactive) raw.emplace();
  if (view && !(raw && raw->active())) view->show_keys(false);  // no keys line for keys nobody reads
  if (raw && raw->active()) {
    auto say = [&](const std::string& m) { view ? view->say(m) : void(t.err << m << std::endl); };
    auto show = [&](const std::string& text) { view ? view->print_above(text) : void(t.out << text << std::flush); };
    keys.emplace(KeyContext{g, p, *ns, **client, *store, t, say, show, leave});
  }
  if (signals) {
    signals->set_say([&](const std::string& m) { view ? view->say(m) : void(t.err << m << std::endl); });
    signals->arm();
  }
  auto result = engine::apply_plan(p, *ns, settings, seams);
  if (signals) signals->set_say([&t](const std::string& m) { t.err << m << std::endl; });
  keys.reset();
  raw.reset();
  if (view) view->show_keys(false);  // the last frame stays, without keys that no longer work
  if (!result.ok()) return result.error();
  return engine::outcome_status(*result, p.name);
}

}  // namespace

Status plan_apply(const GlobalOptions& g, const ApplyOptions& o, Terminal& t) {
  engine::ApplySettings settings;
  if (o.dry_run == "client") settings.mode = engine::ExecMode::dry_run_client;
  if (o.dry_run == "server") settings.mode = engine::ExecMode::dry_run_server;
  settings.until_pause = o.until_pause;
  if (!o.timeout.empty()) {
    std::string why;
    auto d = parse_duration(o.timeout, &why);
    if (!d) return make_error(ErrorKind::usage, "--timeout " + o.timeout + ": " + why);
    settings.timeout = *d;
  }
  RenderMode mode = o.output == "json" ? RenderMode::json : RenderMode::text;
  if (settings.mode != engine::ExecMode::apply && mode == RenderMode::text) mode = RenderMode::diff;
  const bool ask = settings.mode == engine::ExecMode::apply && !o.yes && t.interactive && o.output != "json";
  // Before any thread starts: they inherit the blocked signals, which only its thread takes.
  engine::Interrupt interrupt;
  std::optional<SignalInterrupt> signals;
  if (settings.mode == engine::ExecMode::apply) {
    signals.emplace(interrupt, [&t](const std::string& m) { t.err << m << std::endl; });
    settings.interrupt = &interrupt;
  }
  SignalInterrupt* sig = signals ? &*signals : nullptr;
  // Interrupted, the apply says so and ends by its signal, as the shell or CI runner expects.
  auto ending = [&](Status end) {
    if (sig && sig->received()) {
      if (!end.ok()) t.err << t.paint(t.color_err, "31", "error: ") << end.error().message << std::endl;
      sig->reraise();
    }
    return end;
  };
  if (o.junit.empty() && o.summary.empty()) return ending(run_engine(g, o.file, settings, mode, ask, t, nullptr, sig));
  if (auto s = engine::check_report_paths(o.junit, o.summary); !s.ok()) return s;
  // Written however the apply ends: an outcome, or an error before or during the run.
  engine::RunRecorder report(system_clock());
  Status end = ok_status();
  try {
    end = run_engine(g, o.file, settings, mode, ask, t, &report, sig);
  } catch (const std::exception& e) {  // a bug: reported as the internal error it is, then escalated
    (void)engine::write_reports(report.report(make_error(ErrorKind::internal, e.what()), o.file), o.junit, o.summary);
    throw;
  }
  if (auto w = engine::write_reports(report.report(end, o.file), o.junit, o.summary); !w.ok()) {
    if (end.ok()) return ending(w);
    t.err << "error: " << w.error().message << "\n";
  }
  return ending(end);
}

Status plan_diff(const GlobalOptions& g, const DiffOptions& o, Terminal& t) {
  engine::ApplySettings settings;
  settings.mode = engine::ExecMode::dry_run_client;
  return run_engine(g, o.file, settings, o.output == "json" ? RenderMode::json : RenderMode::diff, false, t);
}

}  // namespace rollout::cli
