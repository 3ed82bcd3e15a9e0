#include "cli/live_view.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "actuators/local_replicas.hpp"
#include "cli/text_width.hpp"
#include "util/timestamp.hpp"

namespace rollout::cli {

namespace {

constexpr size_t kLabel = 9;     // "traffic  ", "gates    ": the first column
constexpr size_t kMaxSteps = 9;  // steps shown around the current one
constexpr size_t kRecent = 3;    // event lines kept at the bottom

std::string label(const char* name) {
  return pad_right(name, kLabel);
}

std::string mark_of(const std::string& verdict) {
  if (verdict == "Successful") return "✓";
  if (verdict == "Failed") return "✗";
  if (verdict == "Inconclusive") return "?";
  return "!";
}

std::string number(double v) {
  return fmt::format("{:.4g}", v);
}

std::optional<WallTime> time_of(const std::string& rfc3339) {
  if (rfc3339.empty()) return std::nullopt;
  auto t = parse_rfc3339(rfc3339);
  if (!t.ok()) return std::nullopt;
  return *t;
}

std::string since(const std::optional<WallTime>& from, WallTime now) {
  if (!from) return "";
  return short_duration(std::chrono::duration_cast<std::chrono::seconds>(std::max(now - *from, WallTime::duration(0))));
}

// The header: name, phase (and why), elapsed time right-aligned.
std::string header(const View& v, size_t width, WallTime now) {
  std::string left = "rollout " + v.name + "  " + (v.outcome.empty() ? v.phase : v.outcome);
  if (!v.reason.empty() && v.outcome.empty()) left += " (" + v.reason + ")";
  const std::string right = v.started ? "elapsed " + since(v.started, now) : "";
  const size_t used = display_width(left) + display_width(right);
  if (right.empty() || used + 2 > width) return left;
  return left + std::string(width - used, ' ') + right;
}

// The steps around the current one: done ✓, current ▶ (with its elapsed time), to come blank.
void steps(const View& v, size_t width, WallTime now, std::vector<std::string>& out) {
  const size_t n = v.steps.size();
  const size_t current = static_cast<size_t>(std::max(0, v.step));
  size_t first = current > 3 ? current - 3 : 0;
  size_t last = std::min(n, first + kMaxSteps);
  if (last - first < kMaxSteps) first = last > kMaxSteps ? last - kMaxSteps : 0;
  const size_t digits = std::to_string(n).size();
  if (first > 0) out.push_back(fmt::format("  ✓ {} earlier step{} done", first, first == 1 ? "" : "s"));
  for (size_t i = first; i < last; ++i) {
    const bool done = i < current || (!v.outcome.empty() && v.outcome == "Succeeded");
    const char* mark = done ? "✓" : (i == current && v.outcome.empty() ? "▶" : " ");
    std::string line = fmt::format("  {} {:>{}} {}", mark, i + 1, digits, v.steps[i]);
    if (i == current && v.outcome.empty() && v.step_started) {
      const std::string t = since(v.step_started, now);
      if (display_width(line) + t.size() + 2 <= width) line = pad_right(line, width - t.size()) + t;
    }
    out.push_back(line);
  }
  if (last < n) out.push_back(fmt::format("    … {} more step{}", n - last, n - last == 1 ? "" : "s"));
}

// stable 90% ██████░ 10% canary, the bar filling what the width leaves; what else the route
// does (header route, mirror, adapters) after it, or on the next line when it does not fit.
void traffic_bar(const actuators::Position& p, size_t width, std::vector<std::string>& out) {
  const int canary = p.finished ? 100 : std::clamp(p.weight, 0, 100);
  const std::string left = fmt::format("stable {:>3}% ", 100 - canary);
  const std::string right = fmt::format(" {:>3}% canary", canary);
  const size_t room = width > kLabel + left.size() + right.size() ? width - kLabel - left.size() - right.size() : 0;
  const size_t bar = std::min<size_t>(room, 50);
  const size_t filled = (bar * static_cast<size_t>(100 - canary) + 50) / 100;
  std::string cells;
  for (size_t i = 0; i < bar; ++i) cells += i < filled ? "█" : "░";
  std::string extras;
  if (p.header) extras += fmt::format("  header {}: {}", p.header->name, p.header->value);
  if (p.mirror) extras += fmt::format("  mirror {}%", *p.mirror);
  if (p.adapters_loaded) extras += "  adapters loaded";
  const std::string line = label("traffic") + left + cells + right;
  if (display_width(line) + display_width(extras) <= width) {
    out.push_back(line + extras);
    return;
  }
  out.push_back(line);
  if (!extras.empty()) out.push_back(std::string(kLabel, ' ') + extras.substr(2));
}

// Which replicas run the new version: labelled cells when they fit, one block each otherwise.
void replica_grid(const View& v, size_t width, std::vector<std::string>& out) {
  const int n = v.replicas;
  const int updated = v.position.finished ? n : std::clamp(v.position.updated, 0, n);
  const char* noun = v.layout == ReplicaLayout::groups_from_highest ? "groups"
                     : v.layout == ReplicaLayout::batches           ? "pods"
                                                                    : "replicas";
  const int target = std::clamp(std::max(v.updating, updated), 0, n);
  // The k-th to be updated: groups from the highest ordinal down, pods and replicas in order.
  auto rank = [&](int i) { return v.layout == ReplicaLayout::groups_from_highest ? n - 1 - i : i; };
  auto is_new = [&](int i) { return rank(i) < updated; };
  auto cell_text = [&](int i) { return is_new(i) ? "new" : (rank(i) < target ? "→new" : "old"); };
  const std::string count = fmt::format("{}/{} on the new version", updated, n);
  const size_t cell = 6;
  if (kLabel + static_cast<size_t>(n) * cell + 2 + count.size() <= width) {
    std::string names = label(noun), versions = std::string(kLabel, ' ');
    for (int i = 0; i < n; ++i) {
      const std::string name =
          v.layout == ReplicaLayout::groups_from_highest ? fmt::format("R-{}", i) : fmt::format("#{}", i + 1);
      names += pad_right(name, cell);
      versions += pad_right(cell_text(i), cell);
    }
    out.push_back(names);
    out.push_back(versions + "  " + count);
    return;
  }
  std::string blocks;
  for (int i = 0; i < n; ++i) blocks += is_new(i) ? "█" : (rank(i) < target ? "▒" : "░");
  out.push_back(label(noun) + blocks + "  " + count +
                (target > updated ? " (█ new, ▒ updating, ░ old)" : " (█ new, ░ old)"));
}

void gate_lines(const View& v, size_t width, std::vector<std::string>& out) {
  size_t name_width = 0;
  for (const auto& g : v.gates) name_width = std::max(name_width, display_width(g.name));
  bool first = true;
  for (const auto& g : v.gates) {
    std::string latest = "-", marks;
    if (!g.history.empty()) {
      const auto& last = g.history.back();
      latest = (last.value ? number(*last.value) : std::string("-")) + " " + mark_of(last.verdict);
    }
    for (const auto& m : g.history) marks += mark_of(m.verdict);
    std::string line = (first ? label("gates") : std::string(kLabel, ' ')) + pad_right(g.name, name_width) + "  " +
                       pad_right(latest, 10) + "  " + pad_right(marks, GateView::kHistory) + "  " + g.condition;
    std::string values;
    for (const auto& m : g.history)
      if (m.value) values += (values.empty() ? "" : " ") + number(*m.value);
    // The values themselves when the terminal is wide enough for all of them.
    if (!values.empty() && display_width(line) + values.size() + 4 <= width) line += "  [" + values + "]";
    out.push_back(line);
    first = false;
  }
}

}  // namespace

std::string short_duration(std::chrono::seconds d) {
  const long s = static_cast<long>(d.count());
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

ReplicaLayout layout_for_kind(const std::string& kind, const std::string& api_version) {
  if (api_version.rfind(std::string(actuators::kLocalGroup) + "/", 0) == 0) return ReplicaLayout::in_order;
  if (kind == "ModelServing" || kind == "ModelInfer" || kind == "LeaderWorkerSet")
    return ReplicaLayout::groups_from_highest;
  if (kind == "Deployment") return ReplicaLayout::batches;
  return ReplicaLayout::none;
}

ReplicaLayout layout_for_plan(const plan::Plan& p) {
  if (p.strategy != plan::Strategy::rolling) return ReplicaLayout::none;
  if (std::holds_alternative<plan::LocalTarget>(p.target)) return ReplicaLayout::in_order;
  if (std::holds_alternative<plan::DeploymentTarget>(p.target)) return ReplicaLayout::batches;
  return ReplicaLayout::groups_from_highest;
}

std::vector<std::string> render(const View& v, int width_in, WallTime now) {
  const size_t width = static_cast<size_t>(std::max(width_in, 20));
  std::vector<std::string> out;
  out.push_back(header(v, width, now));
  steps(v, width, now, out);
  if (v.layout != ReplicaLayout::none && v.replicas > 0)
    replica_grid(v, width, out);
  else
    traffic_bar(v.position, width, out);
  gate_lines(v, width, out);
  if (!v.waiting.empty() && v.outcome.empty()) {
    const std::string t = since(v.waiting_since, now);
    out.push_back(label("waiting") + (t.empty() ? "" : t + "  ") + v.waiting);
  } else if (!v.message.empty()) {
    out.push_back(label(v.outcome.empty() ? "status" : "result") + v.message);
  }
  for (size_t i = 0; i < v.recent.size(); ++i)
    out.push_back((i == 0 ? label("events") : std::string(kLabel, ' ')) + v.recent[i]);
  if (v.keys && v.outcome.empty()) out.push_back(kPauseKeys);
  for (auto& line : out) {
    while (!line.empty() && line.back() == ' ') line.pop_back();
    line = fit_width(line, width);
  }
  return out;
}

View view_from_state(const engine::RolloutState& s) {
  View v;
  v.name = s.name;
  v.phase = engine::to_string(s.phase);
  v.reason = engine::to_string(s.pause_reason);
  v.message = s.message;
  v.steps = s.outline;
  if (v.steps.empty() && !s.step_title.empty()) v.steps = {s.step_title};  // a state written before outlines
  v.step = s.outline.empty() ? 0 : s.step;
  v.position = s.position;
  v.replicas = s.replicas;
  if (!s.objects.empty()) v.layout = layout_for_kind(s.objects.front().ref.kind, s.objects.front().ref.api_version);
  for (const auto& g : s.gates) v.gates.push_back(GateView{g.name, g.condition, {}});
  for (const auto& m : s.measurements) {
    auto it = std::find_if(v.gates.begin(), v.gates.end(), [&](const GateView& g) { return g.name == m.gate; });
    if (it == v.gates.end()) it = v.gates.insert(v.gates.end(), GateView{m.gate, "", {}});
    it->history.push_back(GateView::Mark{m.verdict, m.value});
    if (it->history.size() > GateView::kHistory) it->history.erase(it->history.begin());
  }
  v.started = time_of(s.started_at);
  v.step_started = time_of(s.step_started_at);
  v.waiting = s.waiting;
  v.waiting_since = time_of(s.waiting_since);
  if (engine::is_terminal(s.phase)) v.outcome = v.phase, v.step = static_cast<int>(v.steps.size());
  return v;
}

void fold_event(View& v, const engine::Event& e, WallTime now) {
  using engine::EventType;
  const auto& d = e.data;
  auto remember = [&] {
    v.recent.push_back(e.message);
    if (v.recent.size() > kRecent) v.recent.erase(v.recent.begin());
  };
  switch (e.type) {
    case EventType::run_started:
    case EventType::run_resumed:
      v.started = now;
      v.phase = d.value("phase", "Progressing");
      v.replicas = d.value("replicas", 0);
      v.step = d.value("step", 0);
      remember();
      break;
    case EventType::step_started:
      v.step = d.value("step", v.step);
      v.step_started = now;
      v.waiting.clear();
      v.phase = "Progressing", v.reason.clear(), v.message.clear();
      v.keys = false;
      remember();
      break;
    case EventType::object_patched:
    case EventType::verified: break;  // one line per object would drown a fleet
    case EventType::gate_measured: {
      const std::string name = d.value("gate", "");
      auto it = std::find_if(v.gates.begin(), v.gates.end(), [&](const GateView& g) { return g.name == name; });
      if (it == v.gates.end()) it = v.gates.insert(v.gates.end(), GateView{name, "", {}});
      if (it->condition.empty()) it->condition = d.value("condition", "");
      std::optional<double> value;
      if (d.contains("value") && d["value"].is_number()) value = d["value"].get<double>();
      it->history.push_back(GateView::Mark{d.value("verdict", ""), value});
      if (it->history.size() > GateView::kHistory) it->history.erase(it->history.begin());
      break;
    }
    case EventType::paused:
      v.phase = "Paused";
      v.reason = d.value("reason", "");
      v.message = e.message;
      v.waiting.clear();
      remember();
      break;
    case EventType::resumed:
    case EventType::promoted:
      v.phase = "Progressing", v.reason.clear(), v.message.clear();
      v.keys = false;
      remember();
      break;
    case EventType::info:
      if (d.value("waiting", false)) {
        if (v.waiting.empty()) v.waiting_since = now;
        v.waiting = e.message;
      } else {
        remember();
      }
      break;
    case EventType::finished:
      v.outcome = d.value("outcome", "Finished");
      v.message = e.message;
      v.keys = false;
      if (v.outcome == "Succeeded") v.step = static_cast<int>(v.steps.size());
      remember();
      break;
    case EventType::rolling_back:
      v.phase = "RollingBack";
      v.message = e.message;
      remember();
      break;
    case EventType::interrupted:  // the rollout stays where it is; this view's apply is over
      v.outcome = "Interrupted";
      v.message = e.message;
      v.keys = false;
      v.waiting.clear();
      remember();
      break;
    default: remember(); break;
  }
}

}  // namespace rollout::cli
