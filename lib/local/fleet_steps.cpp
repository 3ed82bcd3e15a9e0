// The steps of replacing replicas: wait for headroom, drain at the load balancer until in-flight
// work is zero, stop, start the other version, wait for health and the model, put back. Every
// wait is a poll of what the machine says (load balancer, /proc, the replica's HTTP), never a
// fixed sleep; a failure names the replica and what was seen.
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include "local/fleet.hpp"
#include "local/procs.hpp"
#include "local/replica_http.hpp"
#include "util/file.hpp"

namespace rollout::local {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

void pause_briefly() { std::this_thread::sleep_for(std::chrono::milliseconds(50)); }

std::string seconds_text(Clock::duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count() / 1000.0).substr(0, 4) + "s";
}

}  // namespace

// The replica's in-flight requests: the load balancer's count where it has one (HAProxy), the
// replica's own metrics otherwise (nginx); a replica that does not listen has none.
Result<int> Fleet::in_flight(const plan::LocalReplica& r) {
  auto at_lb = lb_->in_flight(r.name);
  if (!at_lb.ok()) return at_lb.error();
  if (*at_lb) return **at_lb;
  auto m = http_get(base_url(r.host, r.port) + "/metrics", Duration(2000));
  if (!m.ok()) return port_listening(r.port) ? Result<int>(m.error()) : Result<int>(0);
  if (m->status != 200) return make_error(ErrorKind::unavailable, r.name + ": /metrics answered " + std::to_string(m->status));
  return in_flight_from_metrics(m->body);
}

// maxInFlightPerReplica: the replicas left in service must be able to take the load.
Status Fleet::wait_for_headroom(const std::vector<const plan::LocalReplica*>& out) {
  std::vector<const plan::LocalReplica*> rest;
  for (const auto& r : all_) {
    bool leaving = false;
    for (const auto* o : out) leaving = leaving || o->name == r.name;
    if (!leaving && state_["versions"].value(r.name, "") != "none" && serving_state(r.name).admin == Admin::ready)
      rest.push_back(&r);
  }
  const auto deadline = Clock::now() + target_.health_timeout;
  auto next_note = Clock::now();
  for (;;) {
    std::string report;
    bool over = false;
    for (const auto* r : rest) {
      auto n = in_flight(*r);
      report += (report.empty() ? "" : ", ") + r->name + "=" + (n.ok() ? std::to_string(*n) : "?");
      if (n.ok() && target_.max_in_flight_per_replica && *n > *target_.max_in_flight_per_replica) over = true;
    }
    if (!over) {
      say("in flight on the replicas that stay in service: " + (report.empty() ? "none" : report));
      return ok_status();
    }
    if (Clock::now() >= deadline)
      return make_error(ErrorKind::timeout, "the remaining replicas stayed above maxInFlightPerReplica (" +
                                                std::to_string(*target_.max_in_flight_per_replica) + "): " + report);
    if (Clock::now() >= next_note) {
      say("waiting before taking " + out.front()->name + " out: in flight " + report + " is above maxInFlightPerReplica " +
          std::to_string(*target_.max_in_flight_per_replica));
      next_note = Clock::now() + std::chrono::seconds(10);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

// Takes the batch out of the load balancer and waits until nothing is in flight on it; "" when
// drained, else why not (the batch is then put back, untouched).
Result<std::string> Fleet::drain(const std::vector<const plan::LocalReplica*>& batch) {
  ServerStates out, back;
  for (const auto* r : batch) {
    ServerState s = serving_state(r->name);
    back[r->name] = s;
    s.admin = s.admin == Admin::maint ? Admin::maint : Admin::drain;
    out[r->name] = s;
  }
  if (auto s = set_lb(out); !s.ok()) return s.error();
  for (const auto* r : batch) state_["out"][r->name] = true;
  if (auto s = save(); !s.ok()) return s.error();
  const auto began = Clock::now();
  const auto deadline = began + target_.drain_timeout;
  std::map<std::string, int> seen;
  for (;;) {
    const bool settled = lb_->settled();
    bool zero = settled;
    for (const auto* r : batch) {
      auto n = in_flight(*r);
      seen[r->name] = n.ok() ? *n : -1;
      zero = zero && n.ok() && *n == 0;
    }
    if (zero) {
      for (const auto* r : batch) say(r->name + " drained in " + seconds_text(Clock::now() - began));
      return std::string();
    }
    if (Clock::now() >= deadline) {
      (void)set_lb(back);
      for (const auto* r : batch) state_["out"].erase(r->name);
      (void)save();
      std::string what;
      for (const auto& [name, n] : seen)
        what += (what.empty() ? "" : ", ") + name + ": " + (n < 0 ? "in-flight count unreadable" : std::to_string(n) + " request(s) in flight");
      if (!settled) what += "; workers of the previous nginx configuration still running";
      return "drain of " + batch.front()->name + " did not reach zero within " + format_duration(target_.drain_timeout) +
             " (" + what + "); it was not stopped and is back in the load balancer";
    }
    pause_briefly();
  }
}

Status Fleet::stop(const plan::LocalReplica& r) {
  if (auto s = may_write(); !s.ok()) return s;
  const Duration grace = target_.stop ? target_.stop->grace : Duration(30000);
  if (target_.stop && !target_.stop->command.empty()) {
    const auto& v = state_["versions"].value(r.name, "stable") == "canary" ? target_.canary : target_.stable;
    auto argv = expand_all(target_.stop->command, r, v.model);
    auto res = run_process(argv, {}, "", grace + Duration(30000));
    if (!res.ok()) return res.error();
    if (!res->succeeded())
      return make_error(ErrorKind::unavailable, r.name + ": " + argv[0] + " failed: " + output_tail(res->stderr_data + res->stdout_data));
  } else {
    const json rec = state_["processes"].value(r.name, json::object());
    ProcessRecord ours{rec.value("pid", 0), rec.value("start", 0LL)};
    std::optional<int> pid = running(ours) ? std::optional<int>(ours.pid) : listener_pid(r.port);
    if (pid) {
      auto killed = stop_process(*pid, grace);
      if (!killed.ok()) return killed.error();
      say(r.name + " stopped (pid " + std::to_string(*pid) + (*killed ? ", SIGKILL after the grace time)" : ")"));
    } else if (port_listening(r.port)) {
      return make_error(ErrorKind::unavailable, r.name + ": something listens on port " + std::to_string(r.port) +
                                                    " but its process cannot be seen (another user's?)");
    }
  }
  for (int i = 0; i < 200 && port_listening(r.port); ++i) pause_briefly();
  if (port_listening(r.port))
    return make_error(ErrorKind::unavailable, r.name + ": port " + std::to_string(r.port) + " is still taken after the stop");
  state_["processes"].erase(r.name);
  return save();
}

// "" when started (or adopted), else why not.
Result<std::string> Fleet::start(const plan::LocalReplica& r, const std::string& version) {
  if (auto s = may_write(); !s.ok()) return s.error();
  const auto& v = version == "canary" ? target_.canary : target_.stable;
  std::map<std::string, std::string> env = {{"CUDA_VISIBLE_DEVICES", std::to_string(r.gpu)}};
  for (const auto& [k, val] : v.env) env[k] = expand(val, r, v.model);
  if (target_.start && !target_.start->command.empty()) {
    auto argv = expand_all(target_.start->command, r, v.model);
    EnvVars extra(env.begin(), env.end());
    auto res = run_process(argv, extra, "", Duration(120000));
    if (!res.ok()) return res.error();
    if (!res->succeeded()) return r.name + ": " + argv[0] + " failed: " + output_tail(res->stderr_data + res->stdout_data);
    return std::string();
  }
  const std::string log = dir_ + "/" + rollout_ + ".replicas/" + r.name + ".log";
  ::mkdir((dir_ + "/" + rollout_ + ".replicas").c_str(), 0755);
  auto p = start_detached(expand_all(v.command, r, v.model), env, log);
  if (!p.ok()) return r.name + ": " + p.error().message;
  state_["processes"][r.name] = {{"pid", p->pid}, {"start", p->start}, {"version", version}, {"log", log}};
  say(r.name + " started " + version + " (" + v.model + ") on GPU " + std::to_string(r.gpu) + ", pid " + std::to_string(p->pid) + ", log " + log);
  if (auto s = save(); !s.ok()) return s.error();
  return std::string();
}

Result<std::string> Fleet::wait_healthy(const plan::LocalReplica& r, const std::string& version) {
  const auto& v = version == "canary" ? target_.canary : target_.stable;
  const std::string base = base_url(r.host, r.port);
  const auto began = Clock::now();
  const auto deadline = began + target_.health_timeout;
  std::string last = "no answer";
  const json rec = state_["processes"].value(r.name, json::object());
  const ProcessRecord ours{rec.value("pid", 0), rec.value("start", 0LL)};
  while (Clock::now() < deadline) {
    if (ours.pid && !running(ours)) {
      const std::string log = rec.value("log", std::string(""));
      auto text = read_file(log);
      return r.name + ": the " + version + " process (pid " + std::to_string(ours.pid) + ") exited before it was healthy; " +
             log + ": " + output_tail(text.ok() ? *text : std::string());
    }
    auto h = http_get(base + target_.health_path, Duration(2000));
    if (!h.ok()) {
      last = h.error().message;
    } else if (h->status != 200) {
      last = target_.health_path + " answered " + std::to_string(h->status);
    } else {
      auto m = http_get(base + "/v1/models", Duration(2000));
      if (m.ok() && m->status == 200 && (v.model.empty() || models_list(m->body, v.model))) {
        say(r.name + " healthy on " + version + " in " + seconds_text(Clock::now() - began));
        return std::string();
      }
      last = "/v1/models does not list " + v.model;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return r.name + ": the " + version + " version (" + v.model + ") was not healthy within " +
         format_duration(target_.health_timeout) + " (last seen: " + last + ")";
}

// One batch: headroom, drain, stop, start, health, back in service. "" when done, else why not.
Result<std::string> Fleet::replace(const std::vector<const plan::LocalReplica*>& batch, const FleetSpec& want) {
  if (auto s = wait_for_headroom(batch); !s.ok()) return s.error().kind == ErrorKind::timeout ? Result<std::string>(s.error().message) : s.error();
  auto drained = drain(batch);
  if (!drained.ok() || !drained->empty()) return drained;
  for (const auto* r : batch) {
    const std::string version = want.versions.at(r->name);
    const json rec = state_["processes"].value(r->name, json::object());
    const ProcessRecord ours{rec.value("pid", 0), rec.value("start", 0LL)};
    if (running(ours) && rec.value("version", "") == version) {
      say("adopting " + r->name + " (pid " + std::to_string(ours.pid) + "), already started on " + version + " by an earlier run");
      continue;
    }
    if (auto s = stop(*r); !s.ok()) return s.error();
    auto started = start(*r, version);
    if (!started.ok() || !started->empty()) {
      state_["versions"][r->name] = version;  // whatever runs there now, rollback must restart it
      return started;
    }
  }
  for (const auto* r : batch) {
    const std::string version = want.versions.at(r->name);
    state_["versions"][r->name] = version;
    if (auto s = save(); !s.ok()) return s.error();
    auto healthy = wait_healthy(*r, version);
    if (!healthy.ok() || !healthy->empty()) return healthy;
  }
  ServerStates back;
  for (const auto* r : batch) back[r->name] = serving_state(r->name);
  if (auto s = set_lb(back); !s.ok()) return s.error();
  for (const auto* r : batch) {
    state_["out"].erase(r->name);
    say(r->name + " back in the load balancer on " + want.versions.at(r->name));
  }
  if (auto s = save(); !s.ok()) return s.error();
  return std::string();
}

}  // namespace rollout::local
