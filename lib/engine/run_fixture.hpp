// For the engine's tests only: a blue-green HTTPRoute rollout on the in-process sandbox, driven by
// a Run on a FakeClock, its state in a FileStore in a temporary directory, its gates answering
// from a script, and every write (state store and API) able to fail from the k-th one on, as if
// the process had been killed there.
#pragma once

#include <stdlib.h>

#include <atomic>
#include <deque>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <thread>

#include "actuators/http_route.hpp"
#include "actuators/sandbox_fixture.hpp"
#include "engine/control.hpp"
#include "engine/engine.hpp"
#include "engine/file_store.hpp"
#include "gates/gate.hpp"
#include "plan/loader.hpp"

namespace rollout::engine::testing {

inline constexpr const char* kName = "bg";
inline constexpr const char* kStable = "vllm-llama3-8b-instruct";
inline constexpr const char* kCanary = "vllm-llama3-8b-instruct-new";

// plans/inferencepool-blue-green.yaml, shortened: steps 0 setWeight 10, 1 analysis (30s),
// 2 pause until promoted, 3 setWeight 50, 4 pause 20s; the planner adds 5 finish, 6 finalize.
inline constexpr const char* kPlan = R"(apiVersion: rollout/v1alpha1
kind: RolloutPlan
metadata:
  name: bg
spec:
  strategy: blueGreen
  target:
    httpRoute:
      name: llm-route
      stable: {name: vllm-llama3-8b-instruct}
      canary: {name: vllm-llama3-8b-instruct-new}
  steps:
    - setWeight: 10
    - analysis: {gates: [error-rate], duration: 30s}
    - pause: {}
    - setWeight: 50
    - pause: {duration: 20s}
  gates:
    - name: error-rate
      http: {path: /health}
      interval: 10s
      failureLimit: 1
      inconclusiveLimit: 1
      consecutiveErrorLimit: 2
    - name: health
      http: {path: /health}
      interval: 15s
  background: [health]
  onFailure: rollback
  finalize:
    run: [[echo, finalized]]
)";

inline plan::Plan test_plan() {
  auto file = plan::load_plan_text("run_test.yaml", kPlan);
  for (const auto& m : file.messages()) INFO(m);
  REQUIRE(file.ok());
  REQUIRE(file.plans.size() == 1);
  return file.plans[0].plan;
}

// Thrown by a refused write: the process dies there (the Run unwinds, its flock is dropped).
struct ProcessGone {};

// Writes allowed before the process dies; unlimited until allow() or stop().
struct WriteFaults {
  std::atomic<long> left{std::numeric_limits<long>::max()};
  std::atomic<int> done{0};
  // The thread running apply: a refused write there unwinds it (ProcessGone). On a worker thread
  // (writes to many objects at once) an exception would end the test program, so the write fails
  // there instead; every later write is refused too, so nothing more reaches the API or the state.
  std::thread::id owner;
  bool take() {
    if (left.fetch_sub(1) <= 0) return false;
    ++done;
    return true;
  }
  void allow(long k) { left = k; }
  void stop() { left = 0; }
};

// The API server as seen through WriteFaults.
struct FaultyTransport : k8s::Transport {
  std::unique_ptr<k8s::Transport> inner;
  WriteFaults& faults;
  FaultyTransport(std::unique_ptr<k8s::Transport> t, WriteFaults& f) : inner(std::move(t)), faults(f) {}
  Result<k8s::HttpResult> send(const k8s::HttpCall& call) override {
    if (call.method != "GET" && !faults.take()) {
      if (std::this_thread::get_id() == faults.owner) throw ProcessGone{};
      return make_error(ErrorKind::unavailable, "the process died at a write (on a worker thread)");
    }
    return inner->send(call);
  }
  Result<long> stream(const k8s::HttpCall& call, const std::function<bool(std::string_view)>& on_data) override {
    return inner->stream(call, on_data);
  }
};

// A StateStore whose writes (state, history, control) go through WriteFaults.
struct FaultyStore : StateStore {
  StateStore& inner;
  WriteFaults& faults;
  FaultyStore(StateStore& s, WriteFaults& f) : inner(s), faults(f) {}
  Status refused() const { throw ProcessGone{}; }
  std::string where() const override { return inner.where(); }
  Result<StateSnapshot> read() override { return inner.read(); }
  Status acquire(const LockHolder& me) override { return inner.acquire(me); }
  bool driven(const StateSnapshot& s) const override { return inner.driven(s); }
  Status release(const LockHolder& me) override { return inner.release(me); }
  Status save(RolloutState& state, const LockHolder& me) override {
    return faults.take() ? inner.save(state, me) : refused();
  }
  Status append_history(const RunRecord& r) override { return faults.take() ? inner.append_history(r) : refused(); }
  Status update_control(const ControlChange& change) override {
    return faults.take() ? inner.update_control(change) : refused();
  }
  Status watch(const std::function<bool()>& should_stop,
               const std::function<void(const StateSnapshot&)>& on_change) override {
    return inner.watch(should_stop, on_change);
  }
};

// Every gate measures from here: the verdicts queued for it, then Successful.
struct GateScript {
  std::mutex mu;
  std::map<std::string, std::deque<gates::Verdict>> queued;
  std::map<std::string, std::vector<Duration>> measured_at;  // fake time of each measurement
  Clock& clock;
  explicit GateScript(Clock& c) : clock(c) {}
  void queue(const std::string& gate, std::vector<gates::Verdict> verdicts) {
    std::lock_guard<std::mutex> g(mu);
    for (auto v : verdicts) queued[gate].push_back(v);
  }
  gates::Measurement next(const std::string& gate) {
    std::lock_guard<std::mutex> g(mu);
    measured_at[gate].push_back(static_cast<FakeClock&>(clock).elapsed());
    auto& q = queued[gate];
    gates::Verdict v = gates::Verdict::successful;
    if (!q.empty()) v = q.front(), q.pop_front();
    return gates::Measurement{v, v == gates::Verdict::error ? std::nullopt : std::optional<double>(0.0),
                              std::string("scripted ") + gates::to_string(v)};
  }
  size_t count(const std::string& gate) {
    std::lock_guard<std::mutex> g(mu);
    return measured_at[gate].size();
  }
};

struct ScriptedProvider : gates::MetricProvider {
  std::string gate;
  GateScript& script;
  ScriptedProvider(std::string g, GateScript& s) : gate(std::move(g)), script(s) {}
  std::string kind() const override { return "scripted"; }
  gates::Measurement measure(k8s::Client&, const gates::GateTargets&) override { return script.next(gate); }
  Status online(k8s::Client&, const gates::GateTargets&) override { return ok_status(); }
};

struct RecordingSink : EventSink {
  std::mutex mu;
  std::vector<Event> events;
  std::function<void(const Event&)> on_event;  // called on the emitting thread, like a human watching
  void emit(const Event& e) override {
    {
      std::lock_guard<std::mutex> g(mu);
      events.push_back(e);
    }
    if (on_event) on_event(e);
  }
  std::vector<Event> of(EventType t) {
    std::lock_guard<std::mutex> g(mu);
    std::vector<Event> out;
    for (const auto& e : events)
      if (e.type == t) out.push_back(e);
    return out;
  }
  void clear() {
    std::lock_guard<std::mutex> g(mu);
    events.clear();
  }
};

// A directory removed at the end; tmpfs when there is one (every save is fsync'ed).
struct TempDir {
  std::string path;
  TempDir() {
    std::string base =
        std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path().string();
    std::string templ = base + "/rollout-run-test.XXXXXX";
    REQUIRE(mkdtemp(templ.data()) != nullptr);
    path = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

inline std::unique_ptr<k8s::Client> faulty_client(actuators::testing::SandboxCluster& cluster, WriteFaults& faults) {
  k8s::ConfigOverrides overrides;
  overrides.kubeconfig = cluster.server->kubeconfig_path();
  auto config = k8s::load_rest_config(overrides, k8s::Environment::system());
  REQUIRE(config.ok());
  auto transport = k8s::make_curl_transport(*config, k8s::Environment::system());
  REQUIRE(transport.ok());
  return std::make_unique<k8s::Client>(std::make_unique<FaultyTransport>(std::move(*transport), faults), cluster.ns,
                                       k8s::RetryPolicy{4, Duration(50), Duration(200)});
}

struct RunFixture {
  actuators::testing::SandboxCluster cluster;
  WriteFaults faults;
  std::unique_ptr<k8s::Client> client = faulty_client(cluster, faults);
  FakeClock clock;
  TempDir dir;
  FileStore files{dir.path, kName, clock};
  FaultyStore store{files, faults};
  FileStore terminal{dir.path, kName, clock};  // what `rollout promote` etc. in a second terminal use
  RecordingSink events;
  GateScript script{clock};
  std::vector<std::vector<std::string>> commands;  // finalize commands run
  plan::Plan plan = test_plan();
  Seams seams{*client,
              events,
              [this](const std::vector<std::string>& argv) -> Result<ProcessResult> {
                commands.push_back(argv);
                return ProcessResult{};
              },
              clock,
              &store,
              [this](const plan::Gate& g) -> Result<std::unique_ptr<gates::MetricProvider>> {
                return std::unique_ptr<gates::MetricProvider>(std::make_unique<ScriptedProvider>(g.name, script));
              }};

  RunFixture() {
    cluster.apply_example("inferencepools.yaml");
    cluster.apply_example("httproute-llm-route.yaml");
    // The sandbox controller's own status write must be done before the run reads the route, or
    // the run's first write meets a 409 and retries, and the number of writes is not fixed.
    REQUIRE(actuators::testing::eventually([&] { return actuators::route_not_programmed(route()).empty(); },
                                           std::chrono::seconds(10)));
  }

  Result<RunResult> apply(ApplySettings settings = {}) {
    settings.plan_hash = "plan-1";
    faults.owner = std::this_thread::get_id();
    try {
      return apply_plan(plan, cluster.ns, settings, seams);
    } catch (const ProcessGone&) {
      return make_error(ErrorKind::unavailable, "the process died at a write");
    }
  }
  RunResult apply_ok(ApplySettings settings = {}) {
    auto r = apply(settings);
    INFO((r.ok() ? r->message : r.error().message));
    REQUIRE(r.ok());
    return *r;
  }

  // What a human in a second terminal does whenever the run waits at a pause step.
  void promote_at_pause_steps() {
    events.on_event = [this](const Event& e) {
      if (e.type == EventType::paused && e.data.value("reason", "") == to_string(PauseReason::pause_step))
        REQUIRE(promote_rollout(terminal, kName, false).ok());
    };
  }

  nlohmann::json route() { return cluster.get("gateway.networking.k8s.io/v1", "HTTPRoute", "llm-route"); }
  // backend name -> weight of the managed rule.
  std::map<std::string, int> weights() {
    std::map<std::string, int> out;
    const nlohmann::json live = route();
    for (const auto& r : live["spec"]["rules"][0]["backendRefs"])
      out[r["name"].get<std::string>()] = r.value("weight", 1);
    return out;
  }
  void set_weights(int stable, int canary) {
    auto r = route();
    r["spec"]["rules"][0]["backendRefs"][0]["weight"] = stable;
    r["spec"]["rules"][0]["backendRefs"][1]["weight"] = canary;
    cluster.update(r);
  }
  RolloutState state() {
    auto snap = terminal.read();
    REQUIRE(snap.ok());
    REQUIRE(snap->state);
    return *snap->state;
  }
  std::vector<RunRecord> history() {
    auto snap = terminal.read();
    REQUIRE(snap.ok());
    return snap->history;
  }
};

inline const std::map<std::string, int> kOriginal{{kStable, 100}, {kCanary, 0}};
inline const std::map<std::string, int> kFinished{{kCanary, 100}};

inline std::map<std::string, int> split(int canary) {
  return {{kStable, 100 - canary}, {kCanary, canary}};
}

}  // namespace rollout::engine::testing
