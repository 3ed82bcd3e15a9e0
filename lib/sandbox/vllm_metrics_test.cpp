#include "sandbox/vllm_metrics.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "sandbox/model_server.hpp"

using namespace rollout;
using namespace rollout::sandbox;

TEST_CASE("values are written as prometheus_client writes them", "[sandbox][metrics]") {
  CHECK(prom_float(0) == "0.0");
  CHECK(prom_float(3) == "3.0");
  CHECK(prom_float(0.25) == "0.25");
  CHECK(prom_float(0.001) == "0.001");
  CHECK(prom_float(2560) == "2560.0");
  CHECK(prom_float(1700000000.5) == "1.7000000005e+09");
  CHECK(prom_float(1700000000.0) == "1.7e+09");
  CHECK(prom_float(1.0 / 0.0) == "+Inf");
}

TEST_CASE("histogram buckets are upper-inclusive and cumulative", "[sandbox][metrics]") {
  Histogram h({0.1, 0.5, 1.0});
  h.observe(0.1);
  h.observe(0.3, 2);
  h.observe(7);
  CHECK(h.cumulative() == std::vector<uint64_t>{1, 3, 3, 4});
  CHECK(h.count() == 4);
  CHECK(h.sum() == Approx(7.7));
  h.observe(0.0, 0);
  CHECK(h.count() == 4);
}

namespace {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

std::map<std::string, std::string> parse_labels(const std::string& text) {
  std::map<std::string, std::string> out;
  static const std::regex label(R"re(([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)")re");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), label); it != std::sregex_iterator(); ++it)
    out[(*it)[1]] = (*it)[2];
  return out;
}

double parse_value(const std::string& v) {
  if (v == "+Inf") return 1.0 / 0.0;
  return std::stod(v);
}

// Which family a sample belongs to, given the family's TYPE.
bool belongs(const std::string& sample, const std::string& family, const std::string& type) {
  if (type != "histogram") return sample == family;
  for (const char* suffix : {"_bucket", "_sum", "_count"})
    if (sample == family + suffix) return true;
  return false;
}

// Checks every line of a text-format 0.0.4 exposition; returns the samples by family.
std::map<std::string, std::vector<Sample>> parse_exposition(const std::string& text) {
  static const std::regex sample_re(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$)");
  std::map<std::string, std::vector<Sample>> families;
  std::map<std::string, std::string> types;
  std::set<std::string> helped;
  std::string current, current_type;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    INFO(line);
    if (line.rfind("# HELP ", 0) == 0) {
      helped.insert(line.substr(7, line.find(' ', 7) - 7));
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream words(line.substr(7));
      std::string name, type;
      words >> name >> type;
      CHECK(types.count(name) == 0);  // one TYPE per family, never repeated
      CHECK(helped.count(name) == 1);
      CHECK((type == "counter" || type == "gauge" || type == "histogram"));
      types[name] = type;
      current = name;
      current_type = type;
      continue;
    }
    std::smatch m;
    REQUIRE(std::regex_match(line, m, sample_re));
    REQUIRE_FALSE(current.empty());  // a TYPE line precedes every sample
    CHECK(belongs(m[1], current, current_type));
    families[current].push_back(Sample{m[1], parse_labels(m[2]), parse_value(m[3])});
  }
  return families;
}

void check_histogram(const std::string& family, const std::vector<Sample>& samples) {
  INFO(family);
  std::map<std::string, std::vector<const Sample*>> buckets;  // by model_name
  std::map<std::string, double> counts;
  for (const Sample& s : samples) {
    const std::string model = s.labels.at("model_name");
    if (s.name == family + "_bucket") buckets[model].push_back(&s);
    if (s.name == family + "_count") counts[model] = s.value;
  }
  REQUIRE_FALSE(buckets.empty());
  for (const auto& [model, bs] : buckets) {
    REQUIRE(bs.size() >= 2);
    CHECK(bs.back()->labels.at("le") == "+Inf");
    for (size_t i = 1; i < bs.size(); ++i) {
      CHECK(parse_value(bs[i]->labels.at("le")) > parse_value(bs[i - 1]->labels.at("le")));
      CHECK(bs[i]->value >= bs[i - 1]->value);
    }
    REQUIRE(counts.count(model) == 1);
    CHECK(bs.back()->value == counts[model]);
  }
}

}  // namespace

TEST_CASE("the /metrics exposition is well-formed text format 0.0.4", "[sandbox][metrics]") {
  ModelKnobs k;
  k.model = "base-model";
  k.error_rate = 0.2;
  k.seed = 3;
  ModelServerSim sim(k, std::make_shared<FakeSimClock>());
  auto post = [&](const std::string& path, const nlohmann::json& body) {
    return sim.handle(HttpRequest{"POST", path, {}, {}, body.dump(), false, ""});
  };
  REQUIRE(post("/v1/load_lora_adapter", {{"lora_name", "adapter-\"q\""}, {"lora_path", "/a"}}).status == 200);
  int requests = 0;
  for (const std::string model : {"base-model", "adapter-\"q\""})
    for (int i = 0; i < 20; ++i, ++requests)
      post("/v1/completions", {{"model", model}, {"prompt", "hello world"}, {"max_tokens", 1 + i * 7}});

  const auto families = parse_exposition(sim.metrics_text());
  for (const char* h :
       {"vllm:time_to_first_token_seconds", "vllm:inter_token_latency_seconds", "vllm:e2e_request_latency_seconds"})
    check_histogram(h, families.at(h));
  for (const char* name :
       {"vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc",
        "vllm:prompt_tokens_total", "vllm:prompt_tokens_created", "vllm:request_success_total",
        "vllm:request_success_created", "vllm:generation_tokens_total", "vllm:e2e_request_latency_seconds_created"})
    CHECK(families.count(name) == 1);
  double finished = 0, e2e_count = 0;
  for (const Sample& s : families.at("vllm:request_success_total")) {
    CHECK(s.labels.at("engine") == "0");
    finished += s.value;
  }
  for (const Sample& s : families.at("vllm:e2e_request_latency_seconds"))
    if (s.name == "vllm:e2e_request_latency_seconds_count") e2e_count += s.value;
  CHECK(finished == requests);
  CHECK(e2e_count == requests);
  // Label values are escaped: the adapter's quotes survive.
  CHECK(sim.metrics_text().find(R"(model_name="adapter-\"q\"")") != std::string::npos);
}
