#include "gates/presets.hpp"

#include <catch2/catch.hpp>

using namespace rollout;
using namespace rollout::gates;

TEST_CASE("presets: every engine knows its metric names, current names before older ones", "[presets]") {
  auto kv = find_preset("vllm", "kv-cache-usage");
  REQUIRE(kv.ok());
  CHECK(kv->names == std::vector<std::string>{"vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"});
  CHECK(kv->arithmetic == Arithmetic::gauge_avg);
  CHECK_FALSE(kv->per_model);
  auto itl = find_preset("vllm", "itl-p99");
  REQUIRE(itl.ok());
  CHECK(itl->names ==
        std::vector<std::string>{"vllm:inter_token_latency_seconds", "vllm:time_per_output_token_seconds"});
  CHECK(itl->quantile == 0.99);
  auto err = find_preset("vllm", "error-rate");
  REQUIRE(err.ok());
  CHECK(err->error_matcher == "finished_reason=\"error\"");
  for (const auto& engine : preset_engines())
    for (const auto& metric : {"error-rate", "e2e-p99", "queue-depth", "throughput", "itl-p99"})
      CHECK(find_preset(engine, metric).ok());
  for (const auto& metric : preset_metrics()) CHECK(find_preset("sglang", metric).ok());
}

TEST_CASE("presets: a metric the engine does not expose is an error naming it", "[presets]") {
  auto ttft = find_preset("tgi", "ttft-p99");
  REQUIRE_FALSE(ttft.ok());
  CHECK(ttft.error().kind == ErrorKind::invalid);
  CHECK(ttft.error().message == "preset tgi has no metric ttft-p99: tgi does not expose it");
  CHECK(find_preset("triton", "error-rate").error().message == "unknown preset triton (known: vllm, sglang, tgi)");
  CHECK(find_preset("vllm", "ttft-p90").error().message == "unknown metric ttft-p90");
}

TEST_CASE("presets: PromQL renderings", "[presets]") {
  const std::string sel = "namespace=\"default\", app=\"pool-new\"";
  CHECK(
      *render_promql("vllm", "error-rate", sel, "2m") ==
      "sum(rate(vllm:request_success_total{namespace=\"default\", app=\"pool-new\", finished_reason=\"error\"}[2m]))\n"
      "/\n"
      "sum(rate(vllm:request_success_total{namespace=\"default\", app=\"pool-new\"}[2m]))");
  CHECK(*render_promql("vllm", "error-rate", "", "1m") ==
        "sum(rate(vllm:request_success_total{finished_reason=\"error\"}[1m]))\n/\n"
        "sum(rate(vllm:request_success_total{}[1m]))");
  CHECK(*render_promql("vllm", "ttft-p99", sel, "5m") ==
        "histogram_quantile(0.99, sum by (le) (rate(vllm:time_to_first_token_seconds_bucket{namespace=\"default\", "
        "app=\"pool-new\"}[5m])))");
  CHECK(*render_promql("vllm", "itl-p99", "model_name=\"a\"", "5m") ==
        "histogram_quantile(0.99, sum by (le) (rate(vllm:inter_token_latency_seconds_bucket{model_name=\"a\"}[5m]) "
        "or rate(vllm:time_per_output_token_seconds_bucket{model_name=\"a\"}[5m])))");
  CHECK(*render_promql("sglang", "ttft-p50", "", "5m") ==
        "histogram_quantile(0.5, sum by (le) (rate(sglang:time_to_first_token_seconds_bucket{}[5m])))");
  CHECK(*render_promql("vllm", "queue-depth", "app=\"p\"", "1m") == "avg(vllm:num_requests_waiting{app=\"p\"})");
  CHECK(*render_promql("vllm", "kv-cache-usage", "app=\"p\"", "1m") ==
        "avg(vllm:kv_cache_usage_perc{app=\"p\"} or vllm:gpu_cache_usage_perc{app=\"p\"})");
  CHECK(*render_promql("vllm", "throughput", "app=\"p\"", "2m") ==
        "sum(rate(vllm:generation_tokens_total{app=\"p\"}[2m]))");
  CHECK(*render_promql("tgi", "error-rate", "app=\"p\"", "2m") ==
        "sum(rate(tgi_request_failure{app=\"p\"}[2m]))\n/\nsum(rate(tgi_request_count{app=\"p\"}[2m]))");
  CHECK(render_promql("tgi", "ttft-p95", "", "2m").error().message ==
        "preset tgi has no metric ttft-p95: tgi does not expose it");
}
