// Generated expositions, valid and broken: the parser must read back what the writer wrote, and on
// anything else return a value or an error naming a line, never crash, hang or throw. Fixed seeds.
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>
#include <set>

#include "gates/exposition.hpp"
#include "gates/window.hpp"
#include "sandbox/vllm_metrics.hpp"

using namespace rollout;
using namespace rollout::gates;

namespace {

class Generator {
 public:
  Generator(uint64_t seed, Format format) : rng_(seed), format_(format) {}

  size_t below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  std::mt19937_64& rng() { return rng_; }

  std::string name(bool colons) {
    static const std::string first = "abcxyzABCXYZ_:", rest = "abcxyzABC_0189:";
    std::string out(1, first[below(first.size() - (colons ? 0 : 1))]);
    for (size_t n = below(10); n > 0; --n) out += rest[below(rest.size() - (colons ? 0 : 1))];
    return out;
  }

  // Any text a label value may hold, escapes and multi-byte UTF-8 included.
  std::string text(size_t max) {
    static const std::vector<std::string> pieces = {"a", "Z", "0", " ",  "\\", "\"",   "\n", "{",   "}",
                                                    ",", "#", "=", "\t", "é",  "日本", "😀",  "\\n", "NaN"};
    std::string out;
    for (size_t n = below(max + 1); n > 0; --n) out += pieces[below(pieces.size())];
    return out;
  }

  double value() {
    switch (below(9)) {
      case 0: return std::numeric_limits<double>::quiet_NaN();
      case 1: return chance(0.5) ? INFINITY : -INFINITY;
      case 2: return chance(0.5) ? 0.0 : -0.0;
      case 3: return static_cast<double>(below(1000));
      case 4: return std::numeric_limits<double>::denorm_min();
      case 5: return std::numeric_limits<double>::max();
      default:
        return std::uniform_real_distribution<double>(-1, 1)(rng_) * std::pow(10.0, static_cast<int>(below(60)) - 30);
    }
  }

  std::optional<int64_t> timestamp() {
    if (!chance(0.3)) return std::nullopt;
    if (format_ == Format::text_0_0_4) return static_cast<int64_t>(rng_());
    // OpenMetrics seconds are doubles: stay where milliseconds survive the round trip.
    return std::uniform_int_distribution<int64_t>(-1'000'000'000'000'000, 1'000'000'000'000'000)(rng_);
  }

  Labels labels(size_t series) {
    Labels out{{"series", std::to_string(series)}};  // series never collide, whatever else is drawn
    for (size_t n = below(4); n > 0; --n) {
      std::string key = name(false);
      if (key != "le" && key != "quantile" && key != "series") out[key] = text(8);
    }
    return out;
  }

  std::optional<Exemplar> exemplar() {
    if (format_ != Format::openmetrics || !chance(0.3)) return std::nullopt;
    return Exemplar{{{"trace_id", text(6)}}, value(), timestamp()};
  }

  MetricFamily family(size_t index);

 private:
  void add(MetricFamily& f, std::string suffix, Labels labels, double v, bool exemplar = false) {
    f.samples.push_back(
        {f.name + suffix, std::move(labels), v, timestamp(), exemplar ? this->exemplar() : std::nullopt});
  }
  void histogram(MetricFamily& f, size_t series, bool gauge);

  std::mt19937_64 rng_;
  Format format_;
  size_t next_series_ = 0;
};

void Generator::histogram(MetricFamily& f, size_t series, bool gauge) {
  const Labels base = labels(series);
  std::set<std::string> bounds;  // one bucket per `le` string; one +Inf bucket, below
  for (size_t n = below(5); n > 0; --n)
    if (const double b = value(); !std::isnan(b) && b != INFINITY) bounds.insert(format_value(b));
  for (const std::string& le : bounds) {
    Labels l = base;
    l["le"] = le;
    add(f, "_bucket", l, value(), true);
  }
  Labels inf = base;
  inf["le"] = "+Inf";
  add(f, "_bucket", inf, value(), true);
  add(f, gauge ? "_gcount" : "_count", base, value());
  add(f, gauge ? "_gsum" : "_sum", base, value());
  if (!gauge && chance(0.5)) add(f, "_created", base, value());
}

MetricFamily Generator::family(size_t index) {
  static const std::vector<std::string> text_types = {"counter", "gauge", "histogram", "summary", "untyped"};
  static const std::vector<std::string> om_types = {"counter", "gauge",    "histogram", "gaugehistogram",
                                                    "summary", "stateset", "info",      "unknown"};
  const auto& types = format_ == Format::openmetrics ? om_types : text_types;
  MetricFamily f;
  f.type = types[below(types.size())];
  f.name = name(f.type != "stateset") + "_f" + std::to_string(index);
  if (format_ == Format::openmetrics && chance(0.3)) f.name += "_" + (f.unit = name(false));
  f.help = chance(0.6) ? text(12) : "";
  if (format_ == Format::text_0_0_4) f.help.erase(0, f.help.find_first_not_of(" \t"));  // 0.0.4 drops leading blanks
  const bool bare_counter = format_ == Format::text_0_0_4 && chance(0.5);
  for (size_t n = below(4); n > 0; --n) {
    const size_t series = next_series_++;
    if (f.type == "counter") {
      add(f, bare_counter ? "" : "_total", labels(series), value(), true);
      if (chance(0.5)) add(f, "_created", labels(series), value());
    } else if (f.type == "histogram" || f.type == "gaugehistogram") {
      histogram(f, series, f.type == "gaugehistogram");
    } else if (f.type == "summary") {
      Labels l = labels(series);
      add(f, "_count", l, value());
      for (const char* q : {"0.5", "0.99"}) {
        l["quantile"] = q;
        add(f, "", l, value());
      }
    } else if (f.type == "info") {
      add(f, "_info", labels(series), 1);
    } else if (f.type == "stateset") {
      Labels l = labels(series);
      l[f.name] = text(4);
      add(f, "", l, chance(0.5) ? 1 : 0);
    } else {
      add(f, "", labels(series), value());
    }
  }
  return f;
}

bool same_value(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || (a == b && std::signbit(a) == std::signbit(b));
}

bool same(const Sample& a, const Sample& b) {
  const bool exemplars =
      a.exemplar.has_value() == b.exemplar.has_value() &&
      (!a.exemplar || (a.exemplar->labels == b.exemplar->labels && same_value(a.exemplar->value, b.exemplar->value) &&
                       a.exemplar->timestamp_ms == b.exemplar->timestamp_ms));
  return a.name == b.name && a.labels == b.labels && same_value(a.value, b.value) && a.timestamp_ms == b.timestamp_ms &&
         exemplars;
}

bool same(const Exposition& a, const Exposition& b) {
  if (a.families.size() != b.families.size()) return false;
  for (size_t i = 0; i < a.families.size(); ++i) {
    const MetricFamily &x = a.families[i], &y = b.families[i];
    if (x.name != y.name || x.type != y.type || x.help != y.help || x.unit != y.unit) return false;
    if (x.samples.size() != y.samples.size()) return false;
    for (size_t k = 0; k < x.samples.size(); ++k)
      if (!same(x.samples[k], y.samples[k])) return false;
  }
  return true;
}

Exposition generate(Generator& g) {
  Exposition e;
  for (size_t n = g.below(6); n > 0; --n) e.families.push_back(g.family(e.families.size()));
  return e;
}

std::string mutate(Generator& g, std::string text) {
  static const std::vector<std::string> inserts = {
      "\"",   "{",  "}",    "\n",     std::string(1, '\0'), "#", " ", "\\", ",", "=", "\t", "\r", "# EOF\n",
      "\xff", "{}", "\n\n", "# TYPE "};
  static const std::vector<std::string> numbers = {
      "1e99999", "-99999999999999999999999999", "0x1p4", "NaN", "9223372036854775808", "1e-99999", "+-1", ".", "1e",
      "Infinity"};
  for (size_t n = 1 + g.below(3); n > 0; --n) {
    const size_t at = text.empty() ? 0 : g.below(text.size() + 1);
    switch (g.below(8)) {
      case 0:
        if (at < text.size()) text[at] = static_cast<char>(text[at] ^ (1 << g.below(8)));
        break;
      case 1: text.resize(at); break;
      case 2: {  // duplicate the line at `at`
        const size_t begin = text.rfind('\n', at == 0 ? 0 : at - 1), end = text.find('\n', at);
        const size_t b = begin == std::string::npos ? 0 : begin + 1;
        text.insert(b, text.substr(b, end == std::string::npos ? std::string::npos : end + 1 - b));
        break;
      }
      case 3: text.insert(at, inserts[g.below(inserts.size())]); break;
      case 4: text.insert(at, " " + numbers[g.below(numbers.size())]); break;
      case 5: text.insert(at, std::string(g.chance(0.002) ? (1u << 20) + 10 : g.below(20000), 'x')); break;
      case 6: text.erase(at, g.below(40)); break;
      default: text.insert(at, text.substr(g.below(text.size() + 1), g.below(200))); break;
    }
  }
  return text;
}

// An error must say where: "line N: ..." or "line N, column C: ...".
bool names_a_line(const std::string& message) {
  size_t i = 5;
  if (message.rfind("line ", 0) != 0 || i >= message.size() || !std::isdigit(static_cast<unsigned char>(message[i])))
    return false;
  while (i < message.size() && std::isdigit(static_cast<unsigned char>(message[i]))) ++i;
  return message.compare(i, 2, ": ") == 0 || message.compare(i, 9, ", column ") == 0;
}

}  // namespace

TEST_CASE("fuzz: generated expositions round-trip, mutated ones never crash", "[exposition][fuzz]") {
  const auto start = std::chrono::steady_clock::now();
  size_t cases = 0, round_trips = 0, parsed = 0, rejected = 0, failures = 0;
  std::string first_failure;
  const auto fail = [&](const std::string& why, const std::string& text) {
    if (failures++ == 0) first_failure = why + "\n--- text ---\n" + text.substr(0, 2000);
  };
  for (Format format : {Format::text_0_0_4, Format::openmetrics}) {
    Generator g(format == Format::openmetrics ? 20240601 : 19700101, format);
    for (int round = 0; round < 2500; ++round) {
      const Exposition e = generate(g);
      const std::string text = write_exposition(e, format);
      ++cases;
      auto back = parse_exposition(text, format);
      if (!back)
        fail("valid text rejected: " + back.error().message, text);
      else if (!same(e, *back))
        fail("round trip changed the samples", text);
      else
        ++round_trips;
      for (int m = 0; m < 6; ++m) {
        const std::string broken = mutate(g, text);
        for (Format as : {Format::text_0_0_4, Format::openmetrics}) {
          ++cases;
          try {
            auto r = parse_exposition(broken, as);
            if (!r) {
              ++rejected;
              if (!names_a_line(r.error().message)) fail("error without a line: " + r.error().message, broken);
              continue;
            }
            ++parsed;
            // Whatever was accepted is written and read back unchanged.
            auto again = parse_exposition(write_exposition(*r, as), as);
            if (!again || !same(*r, *again)) fail("accepted text does not round-trip", broken);
          } catch (const std::exception& ex) {
            fail(std::string("threw: ") + ex.what(), broken);
          }
        }
      }
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO(first_failure);
  CHECK(failures == 0);
  CHECK(cases >= 20000);
  CHECK(round_trips == 5000);
  CHECK(parsed > 100);  // the mutations are not all fatal: the lenient paths get exercised too
  CHECK(rejected > 10000);
  if (std::getenv("ROLLOUT_FUZZ_STATS"))
    WARN(fmt::format("{} cases ({} round trips, {} mutants parsed, {} rejected) in {:.2f}s", cases, round_trips, parsed,
                     rejected, seconds));
}

TEST_CASE("the simulated vLLM's /metrics parses and windows like the real one", "[exposition][fuzz]") {
  sandbox::VllmMetrics vllm("base-model", 1.7e9);
  sandbox::ModelTraffic& base = vllm.traffic("base-model", 1.7e9);
  base.finished["stop"] = 90;
  base.finished["error"] = 10;
  base.ttft.observe(0.03, 50);
  const std::string t0_text = vllm.render({3, 1, 0.25});
  base.finished["stop"] += 18;
  base.finished["error"] += 2;
  base.ttft.observe(0.03, 10);  // bucket le=0.04
  base.ttft.observe(0.07, 10);  // bucket le=0.08
  vllm.traffic("adapter-\"q\"", 1.7e9 + 5).finished["stop"] = 4;
  const std::string t1_text = vllm.render({5, 0, 0.5});

  auto t0 = parse_exposition(t0_text, "text/plain; version=0.0.4; charset=utf-8");
  auto t1 = parse_exposition(t1_text, Format::text_0_0_4);
  REQUIRE(t0.ok());
  REQUIRE(t1.ok());
  CHECK(t1->family("vllm:time_to_first_token_seconds")->type == "histogram");
  CHECK(t1->family("vllm:request_success_total")->type == "counter");
  CHECK(t1->family("vllm:request_success_created")->type == "gauge");
  CHECK(t1->find("vllm:request_success_total",
                 {{"engine", "0"}, {"finished_reason", "stop"}, {"model_name", "adapter-\"q\""}})
            ->value == 4);

  const LabelSelector base_only = LabelSelector::parse(R"(model_name="base-model")").value();
  const auto errors =
      counter_increase(*t0, *t1, "vllm:request_success_total",
                       LabelSelector::parse(R"(model_name="base-model",finished_reason="error")").value());
  const auto all = counter_increase(*t0, *t1, "vllm:request_success_total", base_only);
  CHECK(all == 20);
  CHECK(ratio(errors, all) == 0.1);
  CHECK(counter_increase(*t0, *t1, "vllm:request_success_total") == 24);  // the adapter is new: from 0
  // 20 observations: 10 in (0.02, 0.04], 10 in (0.06, 0.08].
  CHECK(*histogram_quantile(0.5, *t0, *t1, "vllm:time_to_first_token_seconds", base_only) == Approx(0.04));
  CHECK(*histogram_quantile(0.75, *t0, *t1, "vllm:time_to_first_token_seconds", base_only) == Approx(0.07));
  CHECK(gauge_sum(*t1, "vllm:num_requests_running") == 5);
  CHECK(gauge_avg(*t1, "vllm:kv_cache_usage_perc") == 0.5);
  // The same page as OpenMetrics reads back the same.
  auto om = parse_exposition(write_exposition(*t1, Format::openmetrics), Format::openmetrics);
  if (!om) FAIL(om.error().message);
  CHECK(om->sample_count() == t1->sample_count());
}
