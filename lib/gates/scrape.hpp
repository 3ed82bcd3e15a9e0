// The direct-scrape gate: every measurement GETs the metrics page of each ready pod of the canary
// (and, to compare, the stable) pool through the API server's pod proxy, and computes the gate's
// preset (gates/presets.hpp) over a window of at least the gate's interval, summed over pods (see
// ScrapeHistory). No Prometheus server is needed. For LoRA canaries both versions are adapters on
// the same pods, told apart by the `model_name` label.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gates/gate.hpp"
#include "gates/presets.hpp"
#include "gates/sequential.hpp"
#include "gates/window.hpp"

namespace rollout::gates {

// One pod's page at one moment (`at`: seconds on a steady clock).
struct PodScrape {
  Exposition exposition;
  double at = 0;
};
using PodScrapes = std::map<std::string, PodScrape>;  // by pod name

// A pod's window: its previous and latest scrapes.
struct PodWindow {
  const PodScrape* before = nullptr;
  const PodScrape* after = nullptr;
};

// Where a measurement's window starts. One provider serves every tracker of its gate: a gate that
// is both a background gate and an analysis step's gate is measured by two trackers in turn, and
// a window that began at the other tracker's scrape a moment ago holds next to no requests (a 1%
// canary's window turns NaN, Inconclusive). So a window starts at the newest scrape at least
// `min_age` seconds (the gate's interval) old, as a Prometheus rate[interval] would, whoever took
// it; a tracker's own previous scrape is always that old. Without one that old: the oldest kept.
class ScrapeHistory {
 public:
  // The scrapes a window ending at NOW starts from; nullptr before the first scrape.
  const PodScrapes* start_for(double now, double min_age) const;
  // Keeps SCRAPED (taken at AT) as the newest, and forgets scrapes no later window can start at.
  void add(double at, PodScrapes scraped, double min_age);

 private:
  struct Taken {
    double at = 0;
    PodScrapes pods;
  };
  std::deque<Taken> kept_;  // oldest first
};

// The windows of PODS that were scraped both times: a pod new in `current` has none yet, a pod
// gone from `current` drops out.
std::vector<PodWindow> pod_windows(const PodScrapes& previous, const PodScrapes& current,
                                   const std::vector<std::string>& pods);

// Requests finished and failed in the windows, summed over pods; nullopt when no pod exposes the
// preset's request counter.
struct RequestCounts {
  double failed = 0;
  double total = 0;
};
// MATCHERS: PromQL matchers without braces (`model_name="food-review-2"`), "" for every series.
std::optional<RequestCounts> request_counts(const Preset& preset, const std::vector<PodWindow>& windows,
                                            const std::string& matchers);

// The preset over the windows (counters, histograms) or the latest scrapes (gauges: `windows`
// may then have no `before`); nullopt when no pod exposes it. Error rates are NaN for 0/0.
std::optional<double> preset_value(const Preset& preset, const std::vector<PodWindow>& windows,
                                   const std::string& matchers);

// Whether a page exposes the preset's metric under any of its names.
bool exposes(const Preset& preset, const Exposition& page);

// `model_name="ADAPTER"` as a PromQL matcher, quotes and backslashes escaped.
std::string model_matcher(const std::string& adapter);

class ScrapeProvider : public MetricProvider {
 public:
  // The gate's preset must exist for its engine; a `sequential` block must be a valid config.
  static Result<std::unique_ptr<MetricProvider>> make(const plan::Gate& gate);
  std::string kind() const override { return "scrape"; }
  Measurement measure(k8s::Client& client, const GateTargets& targets) override;
  void begin(k8s::Client& client, const GateTargets& targets) override;
  bool windowed() const override;
  Status online(k8s::Client& client, const GateTargets& targets) override;

 private:
  struct Version;  // one version: its pods and its selector
  ScrapeProvider(plan::Gate gate, Preset preset, std::optional<SequentialJudge> judge);
  Result<PodScrapes> scrape(k8s::Client& client, const std::vector<Endpoint>& endpoints) const;
  Measurement judge_sequential(const Version& canary, const Version& stable, const PodScrapes& previous,
                               const PodScrapes& current);
  Measurement judge_reading(const Version& main, const std::optional<Version>& baseline, const PodScrapes& previous,
                            const PodScrapes& current);

  plan::Gate gate_;
  plan::ScrapeQuery query_;
  Preset preset_;
  std::optional<SequentialJudge> sequential_;
  ErrorCounts cumulative_;
  ScrapeHistory history_;  // earlier measurements' scrapes of each pod
};

}  // namespace rollout::gates
