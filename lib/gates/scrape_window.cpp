// The pure half of the scrape gate: a preset's arithmetic over several pods' scrape windows.
#include <map>

#include "gates/scrape.hpp"

namespace rollout::gates {

namespace {

// The first of the preset's names the page has samples of (histograms: `_bucket` samples).
std::optional<std::string> present_name(const Preset& p, const Exposition& page) {
  for (const auto& name : p.names) {
    const std::string sample = p.arithmetic == Arithmetic::quantile ? name + "_bucket" : name;
    if (!page.samples(sample).empty()) return name;
  }
  return std::nullopt;
}

std::optional<double> add(std::optional<double> sum, std::optional<double> v) {
  if (!v) return sum;
  return sum.value_or(0) + *v;
}

// Matchers are built by model_matcher() and the preset table, so they parse; anything else
// would select nothing rather than everything.
LabelSelector parse_or_nothing(const std::string& matchers) {
  auto s = LabelSelector::parse(matchers);
  if (s.ok()) return *s;
  auto none = LabelSelector::make({{"__never__", LabelMatcher::Op::equal, "x"}});
  return none.ok() ? *none : LabelSelector{};
}

std::string join(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + ", " + b;
}

std::optional<double> quantile_over(const Preset& p, const std::vector<PodWindow>& windows,
                                    const LabelSelector& selector) {
  std::map<double, double> by_bound;
  bool any = false;
  for (const auto& w : windows) {
    auto name = present_name(p, w.after->exposition);
    if (!name || !w.before) continue;
    for (const auto& b : bucket_increases(w.before->exposition, w.after->exposition, *name, selector)) {
      by_bound[b.upper_bound] += b.count;
      any = true;
    }
  }
  if (!any) return std::nullopt;
  std::vector<Bucket> buckets;
  for (const auto& [bound, count] : by_bound) buckets.push_back({bound, count});
  return bucket_quantile(p.quantile, std::move(buckets));
}

// Gauges: each pod's value from its latest page, averaged over the pods that have one.
std::optional<double> gauge_over(const Preset& p, const std::vector<PodWindow>& windows,
                                 const LabelSelector& selector) {
  double sum = 0;
  int pods = 0;
  for (const auto& w : windows) {
    auto name = present_name(p, w.after->exposition);
    if (!name) continue;
    auto v = p.arithmetic == Arithmetic::gauge_sum ? gauge_sum(w.after->exposition, *name, selector)
                                                   : gauge_avg(w.after->exposition, *name, selector);
    if (!v) continue;
    sum += *v;
    ++pods;
  }
  if (pods == 0) return std::nullopt;
  return sum / pods;
}

std::optional<double> rate_over(const Preset& p, const std::vector<PodWindow>& windows, const LabelSelector& selector) {
  std::optional<double> sum;
  for (const auto& w : windows) {
    auto name = present_name(p, w.after->exposition);
    if (!name || !w.before) continue;
    sum =
        add(sum, counter_rate(w.before->exposition, w.after->exposition, *name, selector, w.after->at - w.before->at));
  }
  return sum;
}

}  // namespace

const PodScrapes* ScrapeHistory::start_for(double now, double min_age) const {
  if (kept_.empty()) return nullptr;
  for (auto it = kept_.rbegin(); it != kept_.rend(); ++it)
    if (it->at <= now - min_age) return &it->pods;
  return &kept_.front().pods;
}

void ScrapeHistory::add(double at, PodScrapes scraped, double min_age) {
  kept_.push_back({at, std::move(scraped)});
  // Later windows end after AT, so they start at this start or a newer one.
  while (kept_.size() > 1 && kept_[1].at <= at - min_age) kept_.pop_front();
}

std::vector<PodWindow> pod_windows(const PodScrapes& previous, const PodScrapes& current,
                                   const std::vector<std::string>& pods) {
  std::vector<PodWindow> out;
  for (const auto& pod : pods) {
    auto now = current.find(pod);
    if (now == current.end()) continue;
    auto before = previous.find(pod);
    out.push_back({before == previous.end() ? nullptr : &before->second, &now->second});
  }
  return out;
}

std::optional<RequestCounts> request_counts(const Preset& p, const std::vector<PodWindow>& windows,
                                            const std::string& matchers) {
  const LabelSelector selector = parse_or_nothing(matchers);
  const LabelSelector errors = parse_or_nothing(join(matchers, p.error_matcher));
  std::optional<RequestCounts> out;
  for (const auto& w : windows) {
    if (!w.before) continue;
    auto total = counter_increase(w.before->exposition, w.after->exposition, p.names.front(), selector);
    if (!total) continue;
    // A failure counter that never moved may not exist yet (TGI creates it on the first failure).
    auto failed = counter_increase(w.before->exposition, w.after->exposition, p.error_name, errors);
    if (!out) out = RequestCounts{};
    out->total += *total;
    out->failed += failed.value_or(0);
  }
  return out;
}

std::optional<double> preset_value(const Preset& p, const std::vector<PodWindow>& windows,
                                   const std::string& matchers) {
  const LabelSelector selector = parse_or_nothing(matchers);
  switch (p.arithmetic) {
    case Arithmetic::error_ratio: {
      auto counts = request_counts(p, windows, matchers);
      if (!counts) return std::nullopt;
      return ratio(counts->failed, counts->total);
    }
    case Arithmetic::quantile: return quantile_over(p, windows, selector);
    case Arithmetic::gauge_sum:
    case Arithmetic::gauge_avg: return gauge_over(p, windows, selector);
    case Arithmetic::counter_rate: return rate_over(p, windows, selector);
  }
  return std::nullopt;
}

bool exposes(const Preset& preset, const Exposition& page) {
  return present_name(preset, page).has_value();
}

std::string model_matcher(const std::string& adapter) {
  std::string escaped;
  for (char c : adapter) {
    if (c == '\\' || c == '"') escaped += '\\';
    escaped += c;
  }
  return "model_name=\"" + escaped + "\"";
}

}  // namespace rollout::gates
