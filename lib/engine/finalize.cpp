// What a finished rollout does last (the plan's `finalize`): its commands, then the stable
// backend deleted where the plan asks (deleteStable); a dry run says what it would do.
#include <fmt/format.h>

#include <set>

#include "engine/run.hpp"

namespace rollout::engine {

namespace {

Status run_finalize_commands(const plan::Finalize& f, Seams& seams, bool live,
                             const std::function<void(const std::string&)>& log) {
  for (const auto& argv : f.run) {
    std::string line;
    for (const auto& a : argv) line += (line.empty() ? "" : " ") + a;
    if (!live) {
      log("would run " + line);
      continue;
    }
    log("finalize: running " + line);
    auto r = seams.run_command ? seams.run_command(argv) : run_process(argv, {}, "", Duration(10 * 60 * 1000));
    if (!r.ok()) return make_error(r.error().kind, "finalize: " + line + ": " + r.error().message);
    if (!r->succeeded())
      return make_error(ErrorKind::internal, fmt::format("finalize: {} exited with {}: {}", line, r->exit_code,
                                                         output_tail(r->stderr_data + r->stdout_data)));
  }
  return ok_status();
}

}  // namespace

// finalize.run, then finalize.deleteStable: the stable backend of each finished route (which now
// sends everything to the canary), once per backend.
Status Run::run_finalize() {
  const auto log = [&](const std::string& m) { emit(EventType::info, m); };
  if (auto s = run_finalize_commands(*plan_.finalize, seams_, live_, log); !s.ok()) return s;
  if (!plan_.finalize->delete_stable) return ok_status();
  std::set<std::string> done;
  for (const auto& o : state_.objects) {
    auto ref = actuators_[static_cast<size_t>(o.actuator)]->stable_backend_object(o.original_object);
    if (!ref || !done.insert(ref->key()).second) continue;
    if (auto s = exec_->remove(*ref); !s.ok())
      return make_error(s.error().kind, "finalize.deleteStable: " + ref->key() + ": " + s.error().message);
    log(fmt::format("finalize: {} {} {} (deleteStable)", exec_->mutates() ? "deleted" : "would delete", ref->kind,
                    ref->name));
  }
  return ok_status();
}

}  // namespace rollout::engine
