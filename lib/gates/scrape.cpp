#include "gates/scrape.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

namespace rollout::gates {

namespace {

bool same_pool(const GateTargets& t) { return t.same_servers; }

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The exposition format of a page. The pod proxy's answer carries no Content-Type here, so an
// OpenMetrics page is known by its closing `# EOF` line; anything else is read as 0.0.4.
Format sniff_format(const std::string& body) {
  size_t end = body.find_last_not_of("\n");
  if (end == std::string::npos) return Format::text_0_0_4;
  size_t start = body.rfind('\n', end);
  start = start == std::string::npos ? 0 : start + 1;
  return body.compare(start, end + 1 - start, "# EOF") == 0 ? Format::openmetrics : Format::text_0_0_4;
}

long long whole(double v) {
  return v > 0 ? std::llround(v) : 0;
}

}  // namespace

// One version as the gate sees it: its pods, the series of its requests, and a name for messages.
struct ScrapeProvider::Version {
  std::string what;  // "canary pool vllm-new", "canary adapter food-review-2"
  std::vector<Endpoint> endpoints;
  std::vector<std::string> pods;  // the ready ones
  std::string matchers;
};

ScrapeProvider::ScrapeProvider(plan::Gate gate, Preset preset, std::optional<SequentialJudge> judge)
    : gate_(std::move(gate)),
      query_(std::get<plan::ScrapeQuery>(gate_.provider)),
      preset_(std::move(preset)),
      sequential_(std::move(judge)) {}

Result<std::unique_ptr<MetricProvider>> ScrapeProvider::make(const plan::Gate& gate) {
  const auto* query = std::get_if<plan::ScrapeQuery>(&gate.provider);
  if (!query) return make_error(ErrorKind::internal, "gate " + gate.name + " is not a scrape gate");
  auto preset = find_preset(query->preset, query->metric);
  if (!preset.ok()) return make_error(ErrorKind::invalid, "gate " + gate.name + ": " + preset.error().message);
  std::optional<SequentialJudge> judge;
  if (gate.sequential) {
    if (preset->arithmetic != Arithmetic::error_ratio)
      return make_error(ErrorKind::invalid, "gate " + gate.name + ": sequential needs metric error-rate");
    auto made = SequentialJudge::make(sequential_config(*gate.sequential));
    if (!made.ok()) return make_error(ErrorKind::invalid, "gate " + gate.name + ": " + made.error().message);
    judge = std::move(*made);
  }
  return std::unique_ptr<MetricProvider>(new ScrapeProvider(gate, std::move(*preset), std::move(judge)));
}

namespace {

// canary | stable: that version. For a LoRA canary both are adapters on the same pods, told apart
// by model_name (engine-wide gauges are not); `all` is every pod of both pools, every model.
Result<std::vector<Endpoint>> ready_endpoints(const GateTargets& t, Side side, const std::string& role) {
  if (!t.endpoints) return make_error(ErrorKind::invalid, "the target has no " + role + " servers to scrape");
  auto endpoints = t.endpoints(side);
  if (!endpoints.ok()) return endpoints.error();
  std::vector<Endpoint> ready;
  for (const auto& e : *endpoints)
    if (e.ready) ready.push_back(e);
  return ready;
}

}  // namespace

Result<PodScrapes> ScrapeProvider::scrape(k8s::Client& client,
                                          const std::vector<Endpoint>& endpoints) const {
  PodScrapes out;
  for (const auto& e : endpoints) {
    if (out.count(e.name)) continue;
    auto r = get_endpoint(client, e, query_.path, Duration(10000));
    if (!r.ok()) return make_error(r.error().kind, "pod " + e.name + ": " + r.error().message);
    if (r->status != 200)
      return make_error(ErrorKind::unavailable,
                        fmt::format("pod {}: GET {} answered {}", e.name, query_.path, r->status));
    auto page = parse_exposition(r->body, sniff_format(r->body));
    if (!page.ok())
      return make_error(ErrorKind::invalid,
                        fmt::format("pod {}: {} is malformed: {}", e.name, query_.path, page.error().message));
    out[e.name] = PodScrape{std::move(*page), steady_seconds()};
  }
  return out;
}

// The gate starts warm: the scrape at its start is a window's beginning, so the first
// measurement, an interval later, judges a real window. The history is kept: the provider is
// shared by every tracker of the gate (background and analysis), and their windows start at
// whichever scrape is old enough (ScrapeHistory).
void ScrapeProvider::begin(k8s::Client& client, const GateTargets& targets) {
  (void)measure(client, targets);
}

bool ScrapeProvider::windowed() const {
  return sequential_ || (preset_.arithmetic != Arithmetic::gauge_sum && preset_.arithmetic != Arithmetic::gauge_avg);
}

Measurement ScrapeProvider::measure(k8s::Client& client, const GateTargets& targets) {
  const bool lora = same_pool(targets);
  auto side = [&](const std::string& role) -> Result<Version> {
    const bool canary = role == "canary";
    auto endpoints = ready_endpoints(targets, canary ? Side::canary : Side::stable, role);
    if (!endpoints.ok()) return endpoints.error();
    Version s;
    const std::string& name = canary ? targets.canary : targets.stable;
    s.what = fmt::format("{} {} {}", role, lora ? "adapter" : "pool", name);
    s.endpoints = std::move(*endpoints);
    for (const auto& e : s.endpoints) s.pods.push_back(e.name);
    if (lora && preset_.per_model) s.matchers = model_matcher(name);
    return s;
  };
  auto canary = side("canary");
  if (!canary.ok()) return {Verdict::error, std::nullopt, canary.error().message};
  const bool need_stable = query_.from != "canary" || gate_.compare || sequential_;
  std::optional<Version> stable;
  if (need_stable) {
    auto s = side("stable");
    if (!s.ok()) return {Verdict::error, std::nullopt, s.error().message};
    stable = std::move(*s);
  }
  std::vector<Endpoint> all = canary->endpoints;
  if (stable) all.insert(all.end(), stable->endpoints.begin(), stable->endpoints.end());
  auto scraped = scrape(client, all);
  if (!scraped.ok()) return {Verdict::error, std::nullopt, scraped.error().message};
  // The sequential test adds up consecutive windows' counts: its windows must not overlap.
  const double now = steady_seconds();
  const double min_age = sequential_ ? 0 : std::chrono::duration<double>(gate_.interval).count();
  static const PodScrapes kNone;
  const PodScrapes* start = history_.start_for(now, min_age);
  const PodScrapes& previous = start ? *start : kNone;
  const PodScrapes& current = *scraped;
  Measurement m = [&] {
    if (sequential_) return judge_sequential(*canary, *stable, previous, current);
    if (query_.from == "stable") return judge_reading(*stable, std::nullopt, previous, current);
    if (query_.from == "all") {
      Version both = *canary;
      both.what = "canary and stable";
      both.pods.insert(both.pods.end(), stable->pods.begin(), stable->pods.end());
      std::sort(both.pods.begin(), both.pods.end());
      both.pods.erase(std::unique(both.pods.begin(), both.pods.end()), both.pods.end());
      both.matchers.clear();
      return judge_reading(both, gate_.compare ? stable : std::nullopt, previous, current);
    }
    return judge_reading(*canary, stable, previous, current);
  }();
  history_.add(now, std::move(*scraped), min_age);  // pods gone drop out of later windows
  return m;
}

Measurement ScrapeProvider::judge_reading(const Version& main, const std::optional<Version>& baseline,
                                          const PodScrapes& previous, const PodScrapes& current) {
  const bool windowed = preset_.arithmetic != Arithmetic::gauge_sum && preset_.arithmetic != Arithmetic::gauge_avg;
  const auto windows = pod_windows(previous, current, main.pods);
  const bool any_window = std::any_of(windows.begin(), windows.end(), [](const PodWindow& w) { return w.before; });
  if (windowed && !any_window)
    return {Verdict::inconclusive, std::nullopt,
            fmt::format("first scrape of {} ({} pod(s)): waiting for a window", main.what, main.pods.size())};
  Reading reading;
  reading.detail = fmt::format("{} {} of {} over {} pod(s)", preset_.engine, preset_.metric, main.what, windows.size());
  if (windowed) {  // how long the window was: a few requests' worth at a small canary share
    double span = 0;
    for (const auto& w : windows)
      if (w.before) span = std::max(span, w.after->at - w.before->at);
    reading.detail += fmt::format(" in {:.1f}s", span);
  }
  if (auto v = preset_value(preset_, windows, main.matchers)) reading.values.push_back(*v);
  if (baseline && gate_.compare) {
    std::vector<double> b;
    if (auto v = preset_value(preset_, pod_windows(previous, current, baseline->pods), baseline->matchers))
      b.push_back(*v);
    reading.baseline = std::move(b);
    reading.detail += ", baseline " + baseline->what;
  }
  return judge(gate_, reading);
}

// Cumulative counts are the sum of the windows' increases, so a restarted pod (counter reset,
// handled per window) or a pod that came or went never makes a count go down. A continuing
// test is Successful: "not yet credibly worse" is not a failure.
Measurement ScrapeProvider::judge_sequential(const Version& canary, const Version& stable, const PodScrapes& previous,
                                             const PodScrapes& current) {
  auto add = [&](const Version& side, long long& success, long long& failure) {
    auto counts = request_counts(preset_, pod_windows(previous, current, side.pods), side.matchers);
    if (!counts) return;
    failure += whole(counts->failed);
    success += whole(counts->total - counts->failed);
  };
  add(canary, cumulative_.canary_success, cumulative_.canary_failure);
  add(stable, cumulative_.stable_success, cumulative_.stable_failure);
  if (auto s = sequential_->update(cumulative_); !s.ok()) return {Verdict::error, std::nullopt, s.error().message};
  const SequentialVerdict v = sequential_->decide();
  switch (v.decision) {
    case SequentialDecision::fail: return {Verdict::failed, v.canary_error_rate, v.message};
    case SequentialDecision::pass: return {Verdict::successful, v.canary_error_rate, v.message};
    case SequentialDecision::continue_: break;
  }
  return {Verdict::successful, v.canary_error_rate, "sequential test continuing: " + v.message};
}

Status ScrapeProvider::online(k8s::Client& client, const GateTargets& targets) {
  auto endpoints = ready_endpoints(targets, Side::canary, "canary");
  if (!endpoints.ok())
    return make_error(endpoints.error().kind, "gate " + gate_.name + ": " + endpoints.error().message);
  std::string why = "no ready pod";
  for (const auto& e : *endpoints) {
    auto page = scrape(client, {e});
    if (!page.ok()) {
      why = page.error().message;
      continue;
    }
    if (exposes(preset_, page->begin()->second.exposition)) return ok_status();
    return make_error(ErrorKind::invalid, fmt::format("gate {}: pod {} exposes no {} (preset {} {})", gate_.name, e.name,
                                                      preset_.names.front(), preset_.engine, preset_.metric));
  }
  return make_error(ErrorKind::unavailable,
                    fmt::format("gate {}: no pod of canary {} answers {}: {}", gate_.name, targets.canary,
                                query_.path, why));
}

}  // namespace rollout::gates
