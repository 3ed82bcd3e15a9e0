#include "cli/status_tree.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "util/timestamp.hpp"

namespace rollout::cli {

namespace {

constexpr size_t kMeasurements = 3;  // per gate, the most recent

std::string traffic(const actuators::Position& p) {
  std::string out =
      p.finished ? "finished: canary 100%" : fmt::format("canary {}%, stable {}%", p.weight, 100 - p.weight);
  if (p.header) out += fmt::format("; header route {}: {}", p.header->name, p.header->value);
  if (p.mirror) out += fmt::format("; mirror {}%", *p.mirror);
  if (p.adapters_loaded) out += "; adapters loaded";
  return out;
}

// How long since `rfc3339` ("42s"); the text itself if it is not a time.
std::string elapsed(const std::string& rfc3339, WallTime now) {
  auto t = parse_rfc3339(rfc3339);
  if (!t.ok()) return rfc3339;
  return short_duration(std::chrono::duration_cast<std::chrono::seconds>(std::max(now - *t, WallTime::duration(0))));
}

std::string ago(const std::string& rfc3339, WallTime now) {
  return elapsed(rfc3339, now) + " ago";
}

// Children of a node: "├─ " for all but the last, "└─ ".
void children(std::vector<std::string>& out, const std::string& indent, const std::vector<std::string>& items) {
  for (size_t i = 0; i < items.size(); ++i) out.push_back(indent + (i + 1 == items.size() ? "└─ " : "├─ ") + items[i]);
}

std::vector<std::string> step_items(const engine::RolloutState& s, WallTime now) {
  std::vector<std::string> items;
  const bool all_done = s.phase == engine::Phase::Succeeded;
  const std::vector<std::string> titles = s.outline.empty() ? std::vector<std::string>{s.step_title} : s.outline;
  const int current = s.outline.empty() ? 0 : s.step;
  for (size_t i = 0; i < titles.size(); ++i) {
    const int k = static_cast<int>(i);
    const bool done = all_done || k < current;
    const bool here = !done && k == current && !engine::is_terminal(s.phase);
    std::string item =
        fmt::format("{} {} {}", done ? "✓" : (here ? "▶" : " "), s.outline.empty() ? s.step + 1 : k + 1, titles[i]);
    if (here && !s.step_started_at.empty()) item += " (for " + elapsed(s.step_started_at, now) + ")";
    items.push_back(item);
  }
  return items;
}

std::string replicas_line(const engine::RolloutState& s) {
  const int updated = s.position.finished ? s.replicas : std::min(s.position.updated, s.replicas);
  const auto layout = s.objects.empty()
                          ? ReplicaLayout::none
                          : layout_for_kind(s.objects.front().ref.kind, s.objects.front().ref.api_version);
  std::string which;
  if (layout == ReplicaLayout::groups_from_highest && updated > 0)
    which = updated == 1 ? fmt::format(" (group {})", s.replicas - 1)
                         : fmt::format(" (groups {}..{})", s.replicas - updated, s.replicas - 1);
  return fmt::format("{}/{} on the new version{}", updated, s.replicas, which);
}

}  // namespace

std::vector<std::string> render_tree(const engine::RolloutState& s, const StatusContext& c, WallTime now) {
  std::vector<std::string> out;
  std::string phase = engine::to_string(s.phase);
  if (s.pause_reason != engine::PauseReason::none) phase += std::string(" (") + engine::to_string(s.pause_reason) + ")";
  out.push_back(fmt::format("rollout {}  {}  {}, run {}", s.name, phase, c.where, s.run_id));
  std::vector<std::pair<std::string, std::vector<std::string>>> nodes;
  nodes.push_back({"steps", step_items(s, now)});
  std::vector<std::string> objects;
  for (const auto& o : s.objects) objects.push_back(o.ref.key());
  if (!objects.empty()) nodes.push_back({"objects", objects});
  nodes.push_back({s.replicas > 0 ? "replicas  " + replicas_line(s) : "traffic   " + traffic(s.position), {}});
  std::map<std::string, std::vector<const engine::GateMeasurement*>> by_gate;
  for (const auto& m : s.measurements) by_gate[m.gate].push_back(&m);
  std::vector<std::string> gate_names;
  for (const auto& g : s.gates) gate_names.push_back(g.name);
  for (const auto& [name, ms] : by_gate)
    if (std::find(gate_names.begin(), gate_names.end(), name) == gate_names.end()) gate_names.push_back(name);
  if (!gate_names.empty()) nodes.push_back({"gates", {}});
  if (!s.waiting.empty())
    nodes.push_back(
        {"waiting   " + s.waiting + (s.waiting_since.empty() ? "" : " (" + ago(s.waiting_since, now) + ")"), {}});
  if (!s.message.empty()) nodes.push_back({"message   " + s.message, {}});
  nodes.push_back({"driver    " + c.driver, {}});
  nodes.push_back({"started   " + s.started_at + (s.finished_at.empty() ? "" : ", finished " + s.finished_at), {}});
  nodes.push_back({"state     " + c.store, {}});
  for (size_t n = 0; n < nodes.size(); ++n) {
    const bool last = n + 1 == nodes.size();
    out.push_back((last ? "└─ " : "├─ ") + nodes[n].first);
    const std::string indent = last ? "   " : "│  ";
    if (nodes[n].first != "gates") {
      children(out, indent, nodes[n].second);
      continue;
    }
    for (size_t g = 0; g < gate_names.size(); ++g) {
      const bool last_gate = g + 1 == gate_names.size();
      const auto outline =
          std::find_if(s.gates.begin(), s.gates.end(), [&](const auto& x) { return x.name == gate_names[g]; });
      out.push_back(indent + (last_gate ? "└─ " : "├─ ") + gate_names[g] +
                    (outline != s.gates.end() && !outline->condition.empty() ? "  " + outline->condition : ""));
      const auto& ms = by_gate[gate_names[g]];
      std::vector<std::string> items;
      for (size_t i = ms.size() > kMeasurements ? ms.size() - kMeasurements : 0; i < ms.size(); ++i) {
        const auto* m = ms[i];
        // The value when there is one; the provider's words when it failed or said nothing else.
        const std::string value = m->value ? fmt::format("{:.4g}", *m->value) : "";
        const bool words = !m->value || (m->verdict != "Successful" && m->message != value);
        items.push_back(fmt::format("{} {}{}{}", ago(m->time, now), m->verdict, value.empty() ? "" : " " + value,
                                    words && !m->message.empty() ? "  " + m->message : ""));
      }
      if (items.empty()) items.push_back("not measured yet");
      children(out, indent + (last_gate ? "   " : "│  "), items);
    }
  }
  return out;
}

}  // namespace rollout::cli
