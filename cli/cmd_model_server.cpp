// `rollout sandbox model-server`: a fake vLLM replica in the foreground until SIGTERM or SIGINT.
#include <ostream>

#include "cli/commands.hpp"
#include "sandbox/model_server_process.hpp"
#include "util/duration.hpp"

namespace rollout::cli {

namespace {

Status read_duration(const std::string& flag, const std::string& text, Duration& out) {
  std::string why;
  auto d = parse_duration(text, &why);
  if (!d) return make_error(ErrorKind::usage, flag + ": " + why);
  out = *d;
  return ok_status();
}

Result<sandbox::ModelKnobs> knobs_of(const ModelServerOptions& o) {
  sandbox::ModelKnobs k;
  if (o.model.empty()) return make_error(ErrorKind::usage, "--model: must not be empty");
  if (o.version.empty()) return make_error(ErrorKind::usage, "--version: must not be empty");
  if (!(o.error_rate >= 0 && o.error_rate <= 1))
    return make_error(ErrorKind::usage, "--error-rate: must be between 0 and 1, got " + std::to_string(o.error_rate));
  k.model = o.model;
  k.version = o.version;
  k.error_rate = o.error_rate;
  k.crash_on_start = o.crash_on_start;
  k.runtime_lora = !o.no_runtime_lora;
  for (auto [flag, text, out] : {std::tuple{"--ttft", &o.ttft, &k.ttft}, std::tuple{"--itl", &o.itl, &k.itl},
                                 std::tuple{"--startup", &o.startup, &k.startup},
                                 std::tuple{"--generation", &o.generation, &k.generation}})
    if (auto s = read_duration(flag, *text, *out); !s.ok()) return s.error();
  return k;
}

}  // namespace

Status sandbox_model_server(const ModelServerOptions& o, Terminal& t) {
  auto knobs = knobs_of(o);
  if (!knobs.ok()) return knobs.error();
  if (o.port < 0 || o.port > 65535)
    return make_error(ErrorKind::usage, "--port: must be between 0 (any free port) and 65535");
  sandbox::ShutdownPolicy shutdown;
  if (!o.shutdown_timeout.empty() && !o.on_sigterm.empty())
    return make_error(ErrorKind::usage, "--shutdown-timeout and --on-sigterm: give one of them");
  if (o.on_sigterm == "drain") shutdown.timeout = Duration::max();
  if (!o.shutdown_timeout.empty())
    if (auto s = read_duration("--shutdown-timeout", o.shutdown_timeout, shutdown.timeout); !s.ok()) return s;
  return sandbox::run_model_server(*knobs, o.host, o.port, shutdown, [&t](const std::string& line) {
    t.out << "rollout model-server: " << line << std::endl;
  });
}

}  // namespace rollout::cli
