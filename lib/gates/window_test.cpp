#include "gates/window.hpp"

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cmath>

using namespace rollout;
using namespace rollout::gates;

namespace {

Exposition scrape(const std::string& text) {
  auto parsed = parse_exposition(text, Format::text_0_0_4);
  if (!parsed) FAIL(parsed.error().message);
  return std::move(parsed).value();
}

LabelSelector selector(std::string_view text) {
  auto s = LabelSelector::parse(text);
  if (!s) FAIL(s.error().message);
  return std::move(s).value();
}

// Prometheus' promql/testdata/histograms.test loads series as `0+Nx10` at 5m steps; a scrape at
// minute m holds N*m/5. Two scrapes at 45m and 50m give what rate(...[5m]) sees at 50m.
struct Series {
  std::string labels;
  double per_step;
};

std::string at_minute(const std::string& name, const std::vector<Series>& series, int minute) {
  std::string out;
  for (const Series& s : series) out += fmt::format("{}{{{}}} {}\n", name, s.labels, s.per_step * minute / 5);
  return out;
}

const std::vector<Series> kTestHistogram = {
    {R"(le="0.1", start="positive")", 5},  {R"(le=".2", start="positive")", 7},
    {R"(le="1e0", start="positive")", 11}, {R"(le="+Inf", start="positive")", 12},
    {R"(le="-.2", start="negative")", 1},  {R"(le="-0.1", start="negative")", 2},
    {R"(le="0.3", start="negative")", 2},  {R"(le="+Inf", start="negative")", 3},
};

const std::vector<Series> kRequestDuration = {
    {R"(job="job1", instance="ins1", le="0.1")", 1},  {R"(job="job1", instance="ins1", le="0.2")", 3},
    {R"(job="job1", instance="ins1", le="+Inf")", 4}, {R"(job="job1", instance="ins2", le="0.1")", 2},
    {R"(job="job1", instance="ins2", le="0.2")", 5},  {R"(job="job1", instance="ins2", le="+Inf")", 6},
    {R"(job="job2", instance="ins1", le="0.1")", 3},  {R"(job="job2", instance="ins1", le="0.2")", 4},
    {R"(job="job2", instance="ins1", le="+Inf")", 6}, {R"(job="job2", instance="ins2", le="0.1")", 4},
    {R"(job="job2", instance="ins2", le="0.2")", 7},  {R"(job="job2", instance="ins2", le="+Inf")", 9},
};

double quantile(double q, const std::vector<Series>& series, const std::string& name, std::string_view match) {
  const Exposition t0 = scrape(at_minute(name + "_bucket", series, 45));
  const Exposition t1 = scrape(at_minute(name + "_bucket", series, 50));
  const auto v = histogram_quantile(q, t0, t1, name, selector(match));
  REQUIRE(v);
  return *v;
}

}  // namespace

TEST_CASE("histogram_quantile agrees with Prometheus' histograms.test", "[exposition][window]") {
  const auto pos = [](double q) { return quantile(q, kTestHistogram, "testhistogram", R"(start="positive")"); };
  const auto neg = [](double q) { return quantile(q, kTestHistogram, "testhistogram", R"(start="negative")"); };
  CHECK(pos(-0.1) == -INFINITY);
  CHECK(neg(1.01) == INFINITY);
  CHECK(pos(0) == 0);     // lowest bucket > 0 starts at 0
  CHECK(neg(0) == -0.2);  // lowest bucket <= 0: its upper bound
  CHECK(pos(1) == 1);     // in the +Inf bucket: the second-highest bound
  CHECK(neg(1) == 0.3);
  CHECK(pos(0.2) == Approx(0.048));
  CHECK(neg(0.2) == -0.2);
  CHECK(pos(0.5) == Approx(0.15));
  CHECK(neg(0.5) == Approx(-0.15));
  CHECK(pos(0.8) == Approx(0.72));
  CHECK(neg(0.8) == 0.3);

  const auto rd = [](double q, std::string_view match) {
    return quantile(q, kRequestDuration, "request_duration_seconds", match);
  };
  CHECK(rd(0.3, "") == Approx(0.075));  // sum by (le) over everything
  CHECK(rd(0.5, "") == Approx(0.1277777777777778));
  CHECK(rd(0.3, R"(job="job1")") == Approx(0.1));
  CHECK(rd(0.3, R"(job="job2")") == Approx(0.0642857142857143));
  CHECK(rd(0.5, R"(job="job1")") == Approx(0.14));
  CHECK(rd(0.5, R"(job="job2")") == Approx(0.1125));
  CHECK(rd(0.5, R"(instance="ins1")") == Approx(0.1333333333));
  CHECK(rd(0.5, R"(instance="ins2")") == Approx(0.125));
  CHECK(rd(0.3, R"(job="job1",instance="ins1")") == Approx(0.11));
  CHECK(rd(0.3, R"(job="job2",instance="ins2")") == Approx(0.0675));
  CHECK(rd(0.5, R"(job="job2",instance="ins2")") == Approx(0.1166666666666667));
}

TEST_CASE("bucket_quantile: Prometheus' monotonicity fix and special cases", "[exposition][window]") {
  // histograms.test's nonmonotonic_bucket at 50m: counts 20 10 50 40 90 80 become 20 20 50 50 90 90.
  const std::vector<Bucket> nonmonotonic = {{0.1, 20}, {1, 10}, {10, 50}, {100, 40}, {1000, 90}, {INFINITY, 80}};
  CHECK(bucket_quantile(0.01, nonmonotonic) == Approx(0.0045));
  CHECK(bucket_quantile(0.5, nonmonotonic) == Approx(8.5));
  CHECK(bucket_quantile(0.99, nonmonotonic) == Approx(979.75));
  // Unsorted and duplicated bounds are sorted and coalesced first.
  CHECK(bucket_quantile(0.5, {{INFINITY, 4}, {1, 1}, {1, 1}}) == Approx(1));
  CHECK(std::isnan(bucket_quantile(0.5, {{INFINITY, 5}})));          // fewer than 2 buckets
  CHECK(std::isnan(bucket_quantile(0.5, {{1, 0}, {INFINITY, 0}})));  // no observations
  CHECK(std::isnan(bucket_quantile(0.5, {{1, 3}, {2, 5}})));         // no +Inf bucket
  CHECK(std::isnan(bucket_quantile(NAN, {{1, 3}, {INFINITY, 5}})));
  CHECK(std::isnan(bucket_quantile(0.5, {})));
  CHECK(bucket_quantile(0.9, {{1, 1}, {2, 1}, {INFINITY, 10}}) == 2);  // in the +Inf bucket
  // Float noise below 1e-12 relative is levelled, not treated as a real step.
  CHECK(bucket_quantile(0.5, {{1, 1}, {2, 1 + 1e-15}, {INFINITY, 2}}) == Approx(1));
}

TEST_CASE("counter_increase: resets, new series, _created, selectors", "[exposition][window]") {
  const Exposition t0 = scrape(R"(req_total{code="200",m="a"} 100
req_total{code="500",m="a"} 10
req_total{code="200",m="b"} 50
req_total{code="404",m="a"} 7
req_created{code="200",m="a"} 1000
gone_total 5
)");
  const Exposition t1 = scrape(R"(req_total{code="200",m="a"} 130
req_total{code="500",m="a"} 4
req_total{code="200",m="b"} 60
req_total{code="503",m="a"} 2
req_total{code="404",m="a"} 9
req_created{code="200",m="a"} 1000
)");
  CHECK(counter_increase(t0, t1, "req_total") == 30 + 4 + 10 + 2 + 2);
  CHECK(counter_increase(t0, t1, "req_total", selector(R"(m="a")")) == 30 + 4 + 2 + 2);
  CHECK(counter_increase(t0, t1, "req_total", selector(R"(code=~"5..")")) == 4 + 2);  // reset counts 4, new counts 2
  CHECK(counter_increase(t0, t1, "req_total", selector(R"(code!="200", m!~"b")")) == 4 + 2 + 2);
  CHECK_FALSE(counter_increase(t0, t1, "gone_total"));  // no series in `after`: no data
  CHECK_FALSE(counter_increase(t0, t1, "req_total", selector(R"(code="999")")));

  // A restarted process that served more than before: only `_created` reveals the reset.
  const Exposition t2 = scrape("req_total{code=\"200\",m=\"a\"} 140\nreq_created{code=\"200\",m=\"a\"} 2000\n");
  CHECK(counter_increase(t1, t2, "req_total") == 140);

  CHECK(counter_rate(t0, t1, "req_total", selector(R"(m="b")"), 5) == 2);
  CHECK(std::isnan(rate(10, 0)));
  CHECK(std::isnan(*ratio(0.0, 0.0)));
  CHECK(*ratio(1.0, 0.0) == INFINITY);
  CHECK(*ratio(1.0, 4.0) == 0.25);
  CHECK_FALSE(ratio(std::nullopt, 4.0));
}

TEST_CASE("histogram buckets reset per series and sum by le", "[exposition][window]") {
  const Exposition t0 = scrape(R"(h_bucket{le="1",pod="a"} 5
h_bucket{le="+Inf",pod="a"} 10
h_bucket{le="1",pod="b"} 100
h_bucket{le="+Inf",pod="b"} 100
h_created{pod="b"} 1
)");
  const Exposition t1 = scrape(R"(h_bucket{le="1",pod="a"} 6
h_bucket{le="+Inf",pod="a"} 14
h_bucket{le="1.0",pod="b"} 2
h_bucket{le="+Inf",pod="b"} 2
h_created{pod="b"} 2
h_bucket{pod="c"} 9
)");
  const std::vector<Bucket> b = bucket_increases(t0, t1, "h");
  REQUIRE(b.size() == 2);
  CHECK(b[0].upper_bound == 1);
  CHECK(b[0].count == 1 + 2);  // "1" and "1.0" are one bound; pod b restarted; pod c has no le
  CHECK(b[1].count == 4 + 2);
  CHECK(histogram_quantile(0.5, t0, t1, "h_bucket") == Approx(1 + 0 / 1.0));  // rank 3 reaches le=1
  CHECK_FALSE(histogram_quantile(0.5, t0, t1, "nothing"));
}

TEST_CASE("gauges sum and average over matching series", "[exposition][window]") {
  const Exposition e = scrape("run{m=\"a\"} 2\nrun{m=\"b\"} 4\nrun{m=\"c\",x=\"1\"} 9\n");
  CHECK(gauge_sum(e, "run") == 15);
  CHECK(gauge_avg(e, "run", selector("{x=\"\"}")) == 3);  // a missing label reads as ""
  CHECK_FALSE(gauge_avg(e, "walk"));
}

TEST_CASE("label selectors: anchored regexes and readable errors", "[exposition][window]") {
  const LabelSelector s = selector(R"({ finished_reason =~ "stop|length" , model_name="m", })");
  CHECK(s.matches({{"finished_reason", "stop"}, {"model_name", "m"}}));
  CHECK_FALSE(s.matches({{"finished_reason", "stopped"}, {"model_name", "m"}}));
  CHECK_FALSE(selector(R"(a=~"sto")").matches({{"a", "stop"}}));
  CHECK(selector("").matches({{"a", "b"}}));
  CHECK(selector("{}").matches({}));
  CHECK_FALSE(selector(R"(a=~".*")").matches({{"a", std::string(1 << 20, 'x')}}));  // refused, not a stack overflow

  auto bad_regex = LabelSelector::parse(R"(a=~"(")");
  REQUIRE_FALSE(bad_regex.ok());
  CHECK_THAT(bad_regex.error().message, Catch::Contains("label a: invalid regular expression \"(\""));
  auto bad_op = LabelSelector::parse(R"(a=="b")");
  REQUIRE_FALSE(bad_op.ok());
  CHECK_THAT(bad_op.error().message, Catch::Contains("column 3: expected '\"'"));
  CHECK_FALSE(LabelSelector::parse(R"({a="b")").ok());
  CHECK_FALSE(LabelSelector::parse(R"(a="b" c="d")").ok());
}
