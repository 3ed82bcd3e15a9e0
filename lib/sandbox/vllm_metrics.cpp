#include "sandbox/vllm_metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace rollout::sandbox {

const std::vector<double> kTtftBuckets = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1,  0.25,  0.5,   0.75,
                                          1.0,   2.5,   5.0,  7.5,  10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0};
const std::vector<double> kItlBuckets = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,  0.3,  0.4, 0.5,
                                         0.75, 1.0,   2.5,  5.0,   7.5, 10.0, 20.0, 40.0, 80.0};
const std::vector<double> kE2eBuckets = {0.3,  0.5,  0.8,  1.0,  1.5,   2.0,   2.5,   5.0,   10.0,   15.0,  20.0,
                                         30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};
const std::vector<std::string> kFinishReasons = {"stop", "length", "abort", "error", "repetition"};

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end())) throw std::logic_error("histogram bounds must be sorted");
}

void Histogram::observe(double value, uint64_t times) {
  if (times == 0) return;
  // Prometheus buckets are upper-inclusive: value <= le.
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
  counts_[static_cast<size_t>(it - bounds_.begin())] += times;
  sum_ += value * static_cast<double>(times);
  count_ += times;
}

std::vector<uint64_t> Histogram::cumulative() const {
  std::vector<uint64_t> out(counts_.size());
  uint64_t running = 0;
  for (size_t i = 0; i < counts_.size(); ++i) out[i] = running += counts_[i];
  return out;
}

std::string prom_float(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, value);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  const size_t dot = s.find('.');
  // prometheus_client's floatToGoString: Go switches to exponents sooner than Python does.
  if (value > 0 && s.find('e') == std::string::npos && dot != std::string::npos && dot > 6) {
    std::string mantissa = s.substr(0, 1) + "." + s.substr(1, dot - 1) + s.substr(dot + 1);
    while (!mantissa.empty() && (mantissa.back() == '0' || mantissa.back() == '.')) mantissa.pop_back();
    return mantissa + "e+0" + std::to_string(dot - 1);
  }
  return s;
}

namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

std::string escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

// Labels sorted by name, as prometheus_client writes them.
std::string label_text(Labels labels) {
  std::sort(labels.begin(), labels.end());
  std::string out = "{";
  for (const auto& [k, v] : labels) out += (out.size() > 1 ? "," : "") + k + "=\"" + escape_label(v) + "\"";
  return out + "}";
}

Labels model_labels(const std::string& model) {
  return {{"model_name", model}, {"engine", "0"}};
}

void family(std::string& out, const std::string& name, const std::string& help, const std::string& type) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void sample(std::string& out, const std::string& name, const Labels& labels, double value) {
  out += name + label_text(labels) + " " + prom_float(value) + "\n";
}

using Models = std::deque<std::pair<std::string, ModelTraffic>>;

// A counter and the `_created` gauge that prometheus_client emits after it in format 0.0.4.
void counter(std::string& out, const std::string& base, const std::string& help, const Models& models,
             const std::vector<std::string>& reasons, uint64_t (*value)(const ModelTraffic&, const std::string&)) {
  for (const std::string& suffix : {std::string("_total"), std::string("_created")}) {
    family(out, base + suffix, help, suffix == "_total" ? "counter" : "gauge");
    for (const auto& [model, t] : models) {
      for (const std::string& reason : reasons) {
        Labels labels = model_labels(model);
        if (!reason.empty()) labels.emplace_back("finished_reason", reason);
        const double v = suffix == "_total" ? static_cast<double>(value(t, reason)) : t.created;
        sample(out, base + suffix, labels, v);
      }
    }
  }
}

void histogram(std::string& out, const std::string& name, const std::string& help, const Models& models,
               const Histogram ModelTraffic::*member) {
  family(out, name, help, "histogram");
  for (const auto& [model, t] : models) {
    const Histogram& h = t.*member;
    const std::vector<uint64_t> cum = h.cumulative();
    for (size_t i = 0; i < cum.size(); ++i) {
      Labels labels = model_labels(model);
      labels.emplace_back("le", i < h.bounds().size() ? prom_float(h.bounds()[i]) : "+Inf");
      sample(out, name + "_bucket", labels, static_cast<double>(cum[i]));
    }
    sample(out, name + "_count", model_labels(model), static_cast<double>(h.count()));
    sample(out, name + "_sum", model_labels(model), h.sum());
  }
  family(out, name + "_created", help, "gauge");
  for (const auto& [model, t] : models) sample(out, name + "_created", model_labels(model), t.created);
}

}  // namespace

VllmMetrics::VllmMetrics(std::string base_model, double created) : base_model_(std::move(base_model)) {
  traffic(base_model_, created);
}

ModelTraffic& VllmMetrics::traffic(const std::string& model_name, double created) {
  for (auto& [name, t] : models_)
    if (name == model_name) return t;
  auto& t = models_.emplace_back(model_name, ModelTraffic(created)).second;
  for (const auto& reason : kFinishReasons) t.finished[reason] = 0;
  return t;
}

const ModelTraffic* VllmMetrics::find(const std::string& model_name) const {
  for (const auto& [name, t] : models_)
    if (name == model_name) return &t;
  return nullptr;
}

std::string VllmMetrics::render(const EngineGauges& g) const {
  std::string out;
  const Labels engine = model_labels(base_model_);
  family(out, "vllm:num_requests_running", "Number of requests in model execution batches.", "gauge");
  sample(out, "vllm:num_requests_running", engine, g.running);
  family(out, "vllm:num_requests_waiting", "Number of requests waiting to be processed.", "gauge");
  sample(out, "vllm:num_requests_waiting", engine, g.waiting);
  family(out, "vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", "gauge");
  sample(out, "vllm:kv_cache_usage_perc", engine, g.kv_cache_usage);
  counter(out, "vllm:prompt_tokens", "Number of prefill tokens processed.", models_, {""},
          [](const ModelTraffic& t, const std::string&) { return t.prompt_tokens; });
  counter(out, "vllm:generation_tokens", "Number of generation tokens processed.", models_, {""},
          [](const ModelTraffic& t, const std::string&) { return t.generation_tokens; });
  counter(out, "vllm:request_success", "Count of successfully processed requests.", models_, kFinishReasons,
          [](const ModelTraffic& t, const std::string& reason) { return t.finished.at(reason); });
  histogram(out, "vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", models_,
            &ModelTraffic::ttft);
  histogram(out, "vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.", models_,
            &ModelTraffic::itl);
  histogram(out, "vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", models_,
            &ModelTraffic::e2e);
  return out;
}

}  // namespace rollout::sandbox
