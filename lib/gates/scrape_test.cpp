#include "gates/scrape.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace rollout;
using namespace rollout::gates;

namespace {

struct Traffic {
  Traffic(std::string m, double stop_ = 0, double error_ = 0, double abort_ = 0, double fast_ = 0, double slow_ = 0,
          double tokens_ = 0)
      : model(std::move(m)), stop(stop_), error(error_), abort(abort_), fast(fast_), slow(slow_), tokens(tokens_) {}
  std::string model;
  double stop, error, abort;
  double fast, slow;  // TTFT observations <= 0.1 s, <= 1 s
  double tokens;
};

// A vLLM-like page: requests by finished_reason, a TTFT histogram and the engine gauges.
std::string vllm_page(const std::vector<Traffic>& models, double waiting = 0,
                      const std::string& kv_name = "vllm:kv_cache_usage_perc", double kv = 0) {
  std::string s = "# TYPE vllm:num_requests_waiting gauge\n";
  s += "vllm:num_requests_waiting{engine=\"0\",model_name=\"base\"} " + std::to_string(waiting) + "\n";
  s += "# TYPE " + kv_name + " gauge\n" + kv_name + "{engine=\"0\",model_name=\"base\"} " + std::to_string(kv) + "\n";
  s += "# TYPE vllm:request_success_total counter\n";
  for (const auto& m : models)
    for (auto [reason, n] : {std::pair{"stop", m.stop}, {"error", m.error}, {"abort", m.abort}})
      s += "vllm:request_success_total{finished_reason=\"" + std::string(reason) + "\",model_name=\"" + m.model +
           "\"} " + std::to_string(n) + "\n";
  s += "# TYPE vllm:generation_tokens_total counter\n";
  for (const auto& m : models)
    s += "vllm:generation_tokens_total{model_name=\"" + m.model + "\"} " + std::to_string(m.tokens) + "\n";
  s += "# TYPE vllm:time_to_first_token_seconds histogram\n";
  for (const auto& m : models) {
    const std::string l = "model_name=\"" + m.model + "\"";
    s += "vllm:time_to_first_token_seconds_bucket{" + l + ",le=\"0.1\"} " + std::to_string(m.fast) + "\n";
    s += "vllm:time_to_first_token_seconds_bucket{" + l + ",le=\"1.0\"} " + std::to_string(m.fast + m.slow) + "\n";
    s += "vllm:time_to_first_token_seconds_bucket{" + l + ",le=\"+Inf\"} " + std::to_string(m.fast + m.slow) + "\n";
    s += "vllm:time_to_first_token_seconds_count{" + l + "} " + std::to_string(m.fast + m.slow) + "\n";
  }
  return s;
}

PodScrape page(const std::string& text, double at) {
  auto parsed = parse_exposition(text, Format::text_0_0_4);
  REQUIRE(parsed.ok());
  return {*parsed, at};
}

Preset preset(const std::string& engine, const std::string& metric) {
  auto p = find_preset(engine, metric);
  REQUIRE(p.ok());
  return *p;
}

}  // namespace

TEST_CASE("scrape: error rate over two scrapes per pod, summed over pods", "[scrape]") {
  PodScrapes before{{"a", page(vllm_page({{"base", 10, 0, 3}}), 0)}, {"b", page(vllm_page({{"base", 0, 0}}), 0)}};
  PodScrapes after{{"a", page(vllm_page({{"base", 20, 5, 9}}), 5)}, {"b", page(vllm_page({{"base", 5, 0}}), 5)}};
  const auto windows = pod_windows(before, after, {"a", "b"});
  auto counts = request_counts(preset("vllm", "error-rate"), windows, "");
  REQUIRE(counts);
  CHECK(counts->failed == 5);
  CHECK(counts->total == 26);  // aborts are finished requests too, but not errors
  CHECK(*preset_value(preset("vllm", "error-rate"), windows, "") == Approx(5.0 / 26));
}

TEST_CASE("scrape: no traffic is NaN, no counter is no data", "[scrape]") {
  PodScrapes one{{"a", page(vllm_page({{"base", 7, 1}}), 0)}};
  PodScrapes two{{"a", page(vllm_page({{"base", 7, 1}}), 3)}};
  CHECK(std::isnan(*preset_value(preset("vllm", "error-rate"), pod_windows(one, two, {"a"}), "")));
  CHECK_FALSE(preset_value(preset("sglang", "error-rate"), pod_windows(one, two, {"a"}), ""));
  // The first scrape of a pod has no window.
  CHECK_FALSE(preset_value(preset("vllm", "error-rate"), pod_windows({}, two, {"a"}), ""));
}

TEST_CASE("scrape: a restarted pod counts from zero, new pods wait, gone pods drop out", "[scrape]") {
  PodScrapes before{{"a", page(vllm_page({{"base", 100, 10}}), 0)}, {"gone", page(vllm_page({{"base", 50, 50}}), 0)}};
  PodScrapes after{{"a", page(vllm_page({{"base", 6, 2}}), 4)}, {"new", page(vllm_page({{"base", 90, 90}}), 4)}};
  const auto windows = pod_windows(before, after, {"a", "gone", "new"});
  REQUIRE(windows.size() == 2);  // a and new; gone has no latest scrape
  CHECK(windows[1].before == nullptr);
  auto counts = request_counts(preset("vllm", "error-rate"), windows, "");
  REQUIRE(counts);
  CHECK(counts->total == 8);  // a's counters reset: its whole after-value counts
  CHECK(counts->failed == 2);
}

TEST_CASE("scrape: LoRA adapters are told apart by model_name", "[scrape]") {
  PodScrapes before{{"a", page(vllm_page({{"food-review-1", 10, 0}, {"food-review-2", 0, 0}}), 0)}};
  PodScrapes after{{"a", page(vllm_page({{"food-review-1", 30, 0, 0, 20, 0}, {"food-review-2", 6, 4, 0, 0, 10}}), 2)}};
  const auto w = pod_windows(before, after, {"a"});
  CHECK(*preset_value(preset("vllm", "error-rate"), w, model_matcher("food-review-2")) == Approx(0.4));
  CHECK(*preset_value(preset("vllm", "error-rate"), w, model_matcher("food-review-1")) == 0);
  CHECK(*preset_value(preset("vllm", "ttft-p50"), w, model_matcher("food-review-1")) < 0.1);
  CHECK(*preset_value(preset("vllm", "ttft-p50"), w, model_matcher("food-review-2")) > 0.1);
  CHECK(model_matcher("a\"b") == "model_name=\"a\\\"b\"");
}

TEST_CASE("scrape: quantiles from bucket increases summed over pods", "[scrape]") {
  PodScrapes before{{"a", page(vllm_page({{"base", 0, 0, 0, 50, 0}}), 0)}, {"b", page(vllm_page({{"base"}}), 0)}};
  // a: 10 fast in the window, b: 10 slow; p50 falls at the top of the 0.1 bucket, p99 in (0.1, 1].
  PodScrapes after{{"a", page(vllm_page({{"base", 0, 0, 0, 60, 0}}), 1)},
                   {"b", page(vllm_page({{"base", 0, 0, 0, 0, 10}}), 1)}};
  const auto w = pod_windows(before, after, {"a", "b"});
  CHECK(*preset_value(preset("vllm", "ttft-p50"), w, "") == Approx(0.1));
  CHECK(*preset_value(preset("vllm", "ttft-p99"), w, "") == Approx(0.1 + 0.9 * 0.98));
  CHECK_FALSE(preset_value(preset("vllm", "e2e-p99"), w, ""));
}

TEST_CASE("scrape: gauges per pod averaged over pods, older names read too", "[scrape]") {
  PodScrapes now{{"a", page(vllm_page({{"base"}}, 4, "vllm:gpu_cache_usage_perc", 0.5), 1)},
                 {"b", page(vllm_page({{"base"}}, 0, "vllm:kv_cache_usage_perc", 0.25), 1)}};
  const auto w = pod_windows({}, now, {"a", "b"});  // gauges need no window
  CHECK(*preset_value(preset("vllm", "queue-depth"), w, "") == 2);
  CHECK(*preset_value(preset("vllm", "kv-cache-usage"), w, "") == Approx(0.375));
  CHECK(exposes(preset("vllm", "kv-cache-usage"), now["a"].exposition));
  CHECK_FALSE(exposes(preset("sglang", "queue-depth"), now["a"].exposition));
}

TEST_CASE("scrape: throughput is tokens per second of each pod's own window, summed", "[scrape]") {
  PodScrapes before{{"a", page(vllm_page({{"base", 0, 0, 0, 0, 0, 100}}), 0)},
                    {"b", page(vllm_page({{"base", 0, 0, 0, 0, 0, 0}}), 1)}};
  PodScrapes after{{"a", page(vllm_page({{"base", 0, 0, 0, 0, 0, 300}}), 2)},
                   {"b", page(vllm_page({{"base", 0, 0, 0, 0, 0, 40}}), 5)}};
  CHECK(*preset_value(preset("vllm", "throughput"), pod_windows(before, after, {"a", "b"}), "") == Approx(110));
}

TEST_CASE("scrape history: a window starts at the newest scrape at least an interval old", "[scrape]") {
  auto at = [](double t) { return PodScrapes{{"a", page(vllm_page({{"base", t, 0}}), t)}}; };
  auto start_time = [](const PodScrapes* s) { return s ? s->at("a").at : -1.0; };
  ScrapeHistory h;
  CHECK(h.start_for(0, 2) == nullptr);  // the first scrape has no window
  h.add(0, at(0), 2);
  CHECK(start_time(h.start_for(1, 2)) == 0);  // nothing an interval old yet: the oldest
  // Background and step trackers of one gate in turn: 2.1 (step), 2.2 (background), 4.3 (step) ...
  h.add(2.1, at(2.1), 2);
  CHECK(start_time(h.start_for(2.2, 2)) == 0);  // not the scrape of 0.1 s ago
  h.add(2.2, at(2.2), 2);
  CHECK(start_time(h.start_for(4.3, 2)) == 2.2);  // the newest that is at least 2 s old
  h.add(4.3, at(4.3), 2);
  CHECK(start_time(h.start_for(4.4, 2)) == 2.2);
  CHECK(start_time(h.start_for(10, 2)) == 4.3);
  // min_age 0 (the sequential test's consecutive windows): the latest scrape.
  ScrapeHistory seq;
  seq.add(0, at(0), 0);
  seq.add(0.1, at(0.1), 0);
  CHECK(start_time(seq.start_for(0.2, 0)) == 0.1);
}
