#include "gates/window.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "gates/exposition_lex.hpp"

namespace rollout::gates {

Result<LabelSelector> LabelSelector::make(std::vector<LabelMatcher> matchers) {
  LabelSelector selector;
  for (LabelMatcher& m : matchers) {
    Compiled c{std::move(m), std::nullopt};
    if (c.matcher.op == LabelMatcher::Op::regex || c.matcher.op == LabelMatcher::Op::not_regex) {
      try {
        c.regex.emplace(c.matcher.value, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return make_error(ErrorKind::invalid, fmt::format("label {}: invalid regular expression {}: {}",
                                                          c.matcher.label, detail::excerpt(c.matcher.value), e.what()));
      }
    }
    selector.matchers_.push_back(std::move(c));
  }
  return selector;
}

namespace {

Result<LabelMatcher> read_matcher(detail::LineReader& in) {
  LabelMatcher m;
  auto name = detail::read_label_name(in);
  if (!name) return name.error();
  m.label = std::move(*name);
  in.skip_blanks();
  if (in.eat("=~"))
    m.op = LabelMatcher::Op::regex;
  else if (in.eat("!~"))
    m.op = LabelMatcher::Op::not_regex;
  else if (in.eat("!="))
    m.op = LabelMatcher::Op::not_equal;
  else if (!in.eat('='))
    return in.error("expected =, !=, =~ or !~ after the label name");
  in.skip_blanks();
  if (in.peek() != '"') return in.error("expected '\"' to start the matcher's value");
  auto value = detail::read_label_value(in, Format::text_0_0_4);
  if (!value) return value.error();
  m.value = std::move(*value);
  return m;
}

}  // namespace

Result<LabelSelector> LabelSelector::parse(std::string_view text) {
  detail::LineReader in{text, 1};
  in.skip_blanks();
  const bool braces = in.eat('{');
  std::vector<LabelMatcher> matchers;
  while (true) {
    in.skip_blanks();
    if (in.done() || in.peek() == '}') break;
    auto m = read_matcher(in);
    if (!m) return m.error();
    matchers.push_back(std::move(*m));
    in.skip_blanks();
    if (!in.eat(',')) break;
  }
  if (braces && !in.eat('}')) return in.error("expected ',' or '}' in the label matchers");
  in.skip_blanks();
  if (!in.done()) return in.error("unexpected text in the label matchers");
  return make(std::move(matchers));
}

// libstdc++'s regex matcher recurses per character: a label value this long from a broken exporter
// could overflow the stack, so regex matchers (=~ and !~ alike) refuse it instead.
constexpr size_t kMaxRegexInput = 16 * 1024;

bool LabelSelector::matches(const Labels& labels) const {
  static const std::string kEmpty;
  for (const Compiled& c : matchers_) {
    const auto it = labels.find(c.matcher.label);
    const std::string& value = it == labels.end() ? kEmpty : it->second;
    bool hit = false;
    if (c.regex && value.size() > kMaxRegexInput) return false;
    switch (c.matcher.op) {
      case LabelMatcher::Op::equal: hit = value == c.matcher.value; break;
      case LabelMatcher::Op::not_equal: hit = value != c.matcher.value; break;
      case LabelMatcher::Op::regex: hit = std::regex_match(value, *c.regex); break;
      case LabelMatcher::Op::not_regex: hit = !std::regex_match(value, *c.regex); break;
    }
    if (!hit) return false;
  }
  return true;
}

namespace {

using SeriesIndex = std::map<Labels, const Sample*>;

SeriesIndex index_of(const Exposition& scrape, std::string_view name) {
  SeriesIndex index;
  for (const Sample* s : scrape.samples(name)) index.emplace(s->labels, s);
  return index;
}

const Sample* lookup(const SeriesIndex& index, const Labels& labels) {
  const auto it = index.find(labels);
  return it == index.end() ? nullptr : it->second;
}

bool strip_suffix(std::string& name, std::string_view suffix) {
  if (name.size() < suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  name.resize(name.size() - suffix.size());
  return true;
}

// `x_total`, `x_bucket`, `x_count`... -> `x_created`, the series' creation time in both formats.
std::string created_name(std::string_view sample_name) {
  std::string base(sample_name);
  for (std::string_view suffix : {"_total", "_bucket", "_count", "_sum", "_gcount", "_gsum"})
    if (strip_suffix(base, suffix)) break;
  return base + "_created";
}

struct SeriesIncrease {
  const Sample* sample;
  double increase;
};

// Each matching series of `name` in `after` with its increase since `before`.
std::vector<SeriesIncrease> series_increases(const Exposition& before, const Exposition& after, std::string_view name,
                                             const LabelSelector& selector) {
  const SeriesIndex then = index_of(before, name);
  const std::string created = created_name(name);
  const SeriesIndex created_then = index_of(before, created), created_now = index_of(after, created);
  std::vector<SeriesIncrease> out;
  for (const Sample* now : after.samples(name)) {
    if (!selector.matches(now->labels)) continue;
    Labels series = now->labels;  // `_created` is per histogram or summary, not per bucket or quantile
    series.erase("le");
    series.erase("quantile");
    const Sample* c0 = lookup(created_then, series);
    const Sample* c1 = lookup(created_now, series);
    const bool recreated = c0 != nullptr && c1 != nullptr && c0->value != c1->value;
    const Sample* previous = lookup(then, now->labels);
    const bool reset = previous == nullptr || recreated || now->value < previous->value;
    out.push_back({now, reset ? now->value : now->value - previous->value});
  }
  return out;
}

}  // namespace

std::optional<double> counter_increase(const Exposition& before, const Exposition& after, std::string_view name,
                                       const LabelSelector& selector) {
  const std::vector<SeriesIncrease> increases = series_increases(before, after, name, selector);
  if (increases.empty()) return std::nullopt;
  double sum = 0;
  for (const SeriesIncrease& i : increases) sum += i.increase;
  return sum;
}

double rate(double increase, double seconds) {
  return seconds > 0 ? increase / seconds : std::numeric_limits<double>::quiet_NaN();
}

std::optional<double> counter_rate(const Exposition& before, const Exposition& after, std::string_view name,
                                   const LabelSelector& selector, double seconds) {
  const auto increase = counter_increase(before, after, name, selector);
  if (!increase) return std::nullopt;
  return rate(*increase, seconds);
}

std::optional<double> ratio(std::optional<double> numerator, std::optional<double> denominator) {
  if (!numerator || !denominator) return std::nullopt;
  if (*numerator == 0 && *denominator == 0) return std::numeric_limits<double>::quiet_NaN();
  return *numerator / *denominator;
}

std::vector<Bucket> bucket_increases(const Exposition& before, const Exposition& after, std::string_view name,
                                     const LabelSelector& selector) {
  std::string bucket_name(name);
  if (!strip_suffix(bucket_name, "_bucket")) bucket_name = std::string(name);
  bucket_name += "_bucket";
  std::map<double, double> by_le;
  for (const SeriesIncrease& i : series_increases(before, after, bucket_name, selector)) {
    const auto le = i.sample->labels.find("le");
    if (le == i.sample->labels.end()) continue;
    const auto bound = detail::parse_float(le->second);
    if (!bound || std::isnan(*bound)) continue;
    by_le[*bound] += i.increase;
  }
  std::vector<Bucket> out;
  for (const auto& [bound, count] : by_le) out.push_back({bound, count});
  return out;
}

std::optional<double> histogram_quantile(double q, const Exposition& before, const Exposition& after,
                                         std::string_view name, const LabelSelector& selector) {
  std::vector<Bucket> buckets = bucket_increases(before, after, name, selector);
  if (buckets.empty()) return std::nullopt;
  return bucket_quantile(q, std::move(buckets));
}

namespace {

std::vector<const Sample*> matching(const Exposition& scrape, std::string_view name, const LabelSelector& selector) {
  std::vector<const Sample*> out;
  for (const Sample* s : scrape.samples(name))
    if (selector.matches(s->labels)) out.push_back(s);
  return out;
}

}  // namespace

std::optional<double> gauge_sum(const Exposition& scrape, std::string_view name, const LabelSelector& selector) {
  const auto series = matching(scrape, name, selector);
  if (series.empty()) return std::nullopt;
  double sum = 0;
  for (const Sample* s : series) sum += s->value;
  return sum;
}

std::optional<double> gauge_avg(const Exposition& scrape, std::string_view name, const LabelSelector& selector) {
  const auto sum = gauge_sum(scrape, name, selector);
  if (!sum) return std::nullopt;
  return *sum / static_cast<double>(matching(scrape, name, selector).size());
}

}  // namespace rollout::gates
