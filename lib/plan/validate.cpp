// Cross-field checks of a decoded plan: does each step fit the strategy and target, do weights
// only grow, do gate references resolve. Field-level checks happen while decoding.
#include <set>

#include "plan/decode.hpp"
#include "plan/expression.hpp"
#include "util/text.hpp"

namespace rollout::plan {

namespace {

template <class... Ts>
struct overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

SourcePos pos_of(const ReadContext& ctx, const std::string& path, SourcePos fallback = {}) {
  auto it = ctx.positions.find(path);
  return it == ctx.positions.end() ? fallback : it->second;
}

// The strategies a target kind can be driven with.
std::vector<Strategy> strategies_for(const Target& t) {
  if (std::holds_alternative<HttpRouteTarget>(t)) return {Strategy::blueGreen};
  if (std::holds_alternative<InferenceModelTarget>(t) || std::holds_alternative<InferenceModelRewriteTarget>(t))
    return {Strategy::loraCanary};
  if (std::holds_alternative<LocalTarget>(t)) return {Strategy::rolling, Strategy::blueGreen};
  if (std::holds_alternative<ModelRouteTarget>(t)) return {Strategy::blueGreen, Strategy::loraCanary};
  return {Strategy::rolling};
}

void check_strategy_fits_target(ReadContext& ctx, const Plan& plan) {
  auto allowed = strategies_for(plan.target);
  for (auto s : allowed)
    if (s == plan.strategy) return;
  std::vector<std::string> names;
  for (auto s : allowed) names.push_back(to_string(s));
  ctx.diags.add(pos_of(ctx, "spec.strategy"), std::string("spec.strategy: ") + quote(to_string(plan.strategy)) +
                                                  " does not fit a " + quote(target_key(plan.target)) +
                                                  " target (use " + quoted_list(names) + ")");
}

void check_gate_ref(ReadContext& ctx, const Plan& plan, const std::string& name, const std::string& path) {
  if (plan.find_gate(name)) return;
  std::vector<std::string> names;
  for (const auto& g : plan.gates) names.push_back(g.name);
  std::string msg = path + ": unknown gate " + quote(name);
  std::string s = closest_match(name, names);
  if (!s.empty())
    msg += " (did you mean " + quote(s) + "?)";
  else if (names.empty())
    msg += " (spec.gates defines none)";
  ctx.diags.add(pos_of(ctx, path), msg);
}

void check_gates(ReadContext& ctx, const Plan& plan) {
  std::set<std::string> seen;
  for (const auto& g : plan.gates) {
    if (!g.name.empty() && !seen.insert(g.name).second)
      ctx.diags.add(pos_of(ctx, g.path + ".name", g.pos), g.path + ".name: duplicate gate name " + quote(g.name));
  }
  for (size_t i = 0; i < plan.background.size(); ++i)
    check_gate_ref(ctx, plan, plan.background[i], "spec.background[" + std::to_string(i) + "]");
}

// State carried across the steps while checking them in order.
struct StepWalk {
  std::optional<int> last_weight;
  std::optional<UpdateReplicas> last_replicas;
};

void check_step(ReadContext& ctx, const Plan& plan, const Decoded& decoded, const Step& step, StepWalk& walk) {
  const bool traffic = plan.strategy != Strategy::rolling;
  const bool route = decoded.target && std::holds_alternative<HttpRouteTarget>(plan.target);
  const std::string key = step_key(step);
  const std::string path = step.path + "." + key;
  auto report = [&](const std::string& msg) { ctx.diags.add(pos_of(ctx, path, step.pos), path + ": " + msg); };
  std::visit(
      overloaded{
          [&](const SetWeight& w) {
            if (decoded.strategy && !traffic) {
              report("setWeight needs a blueGreen or loraCanary strategy; rolling plans use updateReplicas");
            } else if (walk.last_weight && w.percent <= *walk.last_weight) {
              report("setWeight " + std::to_string(w.percent) + " does not increase on the previous setWeight " +
                     std::to_string(*walk.last_weight) + ": weights must go up step by step");
            }
            walk.last_weight = w.percent;
          },
          [&](const SetHeaderRoute&) {
            if (decoded.target && !route) report("setHeaderRoute needs an httpRoute target");
          },
          [&](const SetMirror&) {
            if (decoded.target && !route) report("setMirror needs an httpRoute target");
          },
          [&](const Pause&) {},
          [&](const Analysis& a) {
            for (size_t j = 0; j < a.gates.size(); ++j)
              check_gate_ref(ctx, plan, a.gates[j], path + ".gates[" + std::to_string(j) + "]");
          },
          [&](const UpdateReplicas& u) {
            if (decoded.strategy && plan.strategy != Strategy::rolling) {
              report("updateReplicas is for rolling plans; " + std::string(to_string(plan.strategy)) +
                     " plans move traffic with setWeight");
              return;
            }
            if (walk.last_replicas && walk.last_replicas->percent == u.percent && u.value <= walk.last_replicas->value)
              report("updateReplicas " + std::to_string(u.value) + (u.percent ? "%" : "") +
                     " does not increase on the previous step: replicas on the new version must go up");
            if (auto* local = std::get_if<LocalTarget>(&plan.target);
                local && decoded.target && !u.percent && u.value > static_cast<int>(local->replicas.size()))
              report("updateReplicas " + std::to_string(u.value) + " is more than the " +
                     std::to_string(local->replicas.size()) + " replicas of the local target");
            walk.last_replicas = u;
          },
      },
      step.action);
}

void check_adapters(ReadContext& ctx, const Plan& plan, const Decoded& decoded) {
  if (!plan.adapters) return;
  if (decoded.strategy && plan.strategy != Strategy::loraCanary) {
    ctx.diags.add(pos_of(ctx, "spec.adapters"), "spec.adapters: LoRA adapters are managed only by loraCanary plans");
    return;
  }
  std::string stable, canary;
  if (auto* im = std::get_if<InferenceModelTarget>(&plan.target)) stable = im->stable, canary = im->canary;
  if (auto* rw = std::get_if<InferenceModelRewriteTarget>(&plan.target)) stable = rw->stable, canary = rw->canary;
  if (!decoded.target || stable.empty()) return;
  for (size_t i = 0; i < plan.adapters->load.size(); ++i) {
    const auto& id = plan.adapters->load[i].id;
    if (id == stable) {
      std::string p = "spec.adapters.load[" + std::to_string(i) + "].id";
      ctx.diags.add(pos_of(ctx, p),
                    p + ": adapter " + quote(id) + " clashes with the stable target: it is already serving");
    }
  }
  const auto& unload = plan.adapters->unload_on_success;
  for (size_t i = 0; i < unload.size(); ++i) {
    if (unload[i] == canary) {
      std::string p = "spec.adapters.unloadOnSuccess[" + std::to_string(i) + "]";
      ctx.diags.add(pos_of(ctx, p), p + ": would unload the canary " + quote(canary) + " that the rollout promotes");
    }
  }
}

// deleteStable removes the stable backend (InferencePool or Service) that an httpRoute target
// shifted traffic away from; no other target names a backend to delete.
// A local blue-green plan moves traffic between two replica sets; a rolling one replaces in place.
void check_local_sets(ReadContext& ctx, const Plan& plan, const Decoded& decoded) {
  const auto* local = std::get_if<LocalTarget>(&plan.target);
  if (!local || !decoded.strategy || !decoded.target) return;
  const std::string path = "spec.target.local.canaryReplicas";
  if (plan.strategy == Strategy::blueGreen && local->canary_replicas.empty())
    ctx.diags.add(pos_of(ctx, "spec.target.local"),
                  path + ": a blueGreen local plan needs the canary replica set (its servers are in the load "
                         "balancer at weight 0 / down)");
  if (plan.strategy == Strategy::rolling && !local->canary_replicas.empty())
    ctx.diags.add(pos_of(ctx, path), path + ": only blueGreen plans have a second replica set; rolling replaces "
                                            "the replicas in place");
}

void check_finalize(ReadContext& ctx, const Plan& plan, const Decoded& decoded) {
  if (!plan.finalize || !plan.finalize->delete_stable || !decoded.target) return;
  if (std::holds_alternative<HttpRouteTarget>(plan.target)) return;
  const std::string path = "spec.finalize.deleteStable";
  ctx.diags.add(pos_of(ctx, path), path + ": deleteStable deletes the stable backend of an httpRoute target; the " +
                                       quote(target_key(plan.target)) + " target has none");
}

// Where column `column` of a condition written in `node` is in the file.
SourcePos condition_pos(const YamlNode& node, int column) {
  SourcePos pos = node.pos;
  if (node.verbatim_column > 0 && column > 0) pos.column = node.verbatim_column + column - 1;
  return pos;
}

}  // namespace

void check_condition(ReadContext& ctx, const YamlNode& node, const std::string& path, const std::string& text,
                     bool compares) {
  auto report = [&](const Error& e) { ctx.diags.add(condition_pos(node, error_column(e)), path + ": " + e.message); };
  auto e = parse_expression(text);
  if (!e) return report(e.error());
  // A trial run on sample numbers finds type errors ("result + 1", "not result") before apply time.
  if (auto t = evaluate(*e, {{"result", 1.0}, {"baseline", 1.0}}); !t) return report(t.error());
  if (const int col = e->column_of("baseline"); col > 0 && !compares)
    report(make_error(ErrorKind::invalid,
                      "col " + std::to_string(col) + ": baseline has a value only in a gate with \"compare\""));
}

void validate_plan(ReadContext& ctx, const Plan& plan, const Decoded& decoded) {
  if (decoded.strategy && decoded.target) check_strategy_fits_target(ctx, plan);
  check_gates(ctx, plan);
  StepWalk walk;
  for (const auto& step : plan.steps) check_step(ctx, plan, decoded, step, walk);
  check_adapters(ctx, plan, decoded);
  check_local_sets(ctx, plan, decoded);
  check_finalize(ctx, plan, decoded);
  if (plan.progress_deadline && plan.progress_deadline->count() == 0)
    ctx.diags.add(pos_of(ctx, "spec.progressDeadline"), "spec.progressDeadline: must be longer than 0s");
}

}  // namespace rollout::plan
