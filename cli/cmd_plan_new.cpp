// `rollout plan new`: a commented plan scaffolded from live objects (actuators/scaffold), checked
// by the plan loader before it is written, to standard output or to a file it will not overwrite
// without --force.
#include <filesystem>
#include <fstream>

#include "actuators/scaffold.hpp"
#include "cli/cluster.hpp"
#include "cli/commands.hpp"
#include "gates/presets.hpp"
#include "plan/loader.hpp"

namespace rollout::cli {

namespace {

actuators::ScaffoldRequest request_from(const PlanNewOptions& o) {
  actuators::ScaffoldRequest r;
  r.strategy = o.strategy == "rolling"      ? plan::Strategy::rolling
               : o.strategy == "loraCanary" ? plan::Strategy::loraCanary
                                            : plan::Strategy::blueGreen;
  r.name = o.name;
  r.route = o.route;
  r.model_route = o.model_route;
  r.canary = o.canary;
  r.inference_model = o.inference_model;
  r.rewrite = o.rewrite;
  r.adapter = o.adapter;
  r.adapter_source = o.adapter_source;
  r.model_serving = o.model_serving;
  r.model_infer = o.model_infer;
  r.leader_worker_set = o.leader_worker_set;
  r.deployment = o.deployment;
  r.image = o.image;
  r.preset_exists = [](const std::string& engine, const std::string& metric) {
    return gates::find_preset(engine, metric).ok();
  };
  return r;
}

Status write_out(const PlanNewOptions& o, const std::string& text, Terminal& t) {
  if (o.file.empty() || o.file == "-") {
    t.out << text;
    return ok_status();
  }
  std::error_code ec;
  if (std::filesystem::exists(o.file, ec) && !o.force)
    return make_error(ErrorKind::usage, o.file + " exists: give --force to overwrite it");
  std::ofstream out(o.file, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return make_error(ErrorKind::usage, "cannot write " + o.file);
  return ok_status();
}

}  // namespace

Status plan_new(const GlobalOptions& g, const PlanNewOptions& o, Terminal& t) {
  actuators::ScaffoldRequest r = request_from(o);
  // Wrong flags are refused before any connection is made.
  if (auto s = actuators::check_scaffold_request(r); !s.ok()) return s;
  auto client = connect(g, t);
  if (!client.ok()) return client.error();
  r.ns = (*client)->default_namespace();
  auto scaffold = actuators::scaffold_plan(**client, r);
  if (!scaffold.ok()) return scaffold.error();
  if (!g.namespace_.empty()) scaffold->plan.namespace_ = g.namespace_;
  if (!o.file.empty() && o.file != "-")  // the header's commands name the file written
    for (auto& line : scaffold->header)
      for (size_t at = line.find(" FILE"); at != std::string::npos; at = line.find(" FILE", at + o.file.size()))
        line.replace(at + 1, 4, o.file);
  const std::string text = plan::render_scaffold(*scaffold);
  // A plan new writes must load: anything else is a bug here, not the user's to fix.
  plan::PlanFile check = plan::load_plan_text(o.file.empty() ? "<plan new>" : o.file, text);
  if (!check.ok()) {
    std::string all;
    for (const auto& m : check.messages()) all += "\n  " + m;
    return make_error(ErrorKind::internal, "the scaffolded plan does not validate:" + all);
  }
  if (auto s = write_out(o, text, t); !s.ok()) return s;
  if (!o.file.empty() && o.file != "-")
    t.err << "wrote " << o.file << ": " << plan::to_string(scaffold->plan.strategy) << " plan " << scaffold->plan.name
          << "; edit it, then: rollout plan diff " << o.file << "\n";
  return ok_status();
}

}  // namespace rollout::cli
