// One simulated vLLM replica (no GPU), independent of HTTP: vLLM's OpenAI-compatible API, runtime
// LoRA adapters, /health through startup and shutdown, and /metrics with vLLM's names.
// `rollout sandbox model-server` serves it over HTTP (model_server_process.hpp); the sandbox's
// simulated pods call handle() directly.
//
// A request takes TTFT until its first token and one ITL per further token, both drawn around
// the knobs' medians; a failure (error_rate) happens at the first-token time and answers 500.
// Every request admitted to the engine ends with one finished_reason: "stop" (no max_tokens: the
// answer ended by itself), "length" (max_tokens reached), "error" (a simulated failure: vLLM has
// no counter for those, counting them here lets a gate see the error rate from one metric), or
// "abort" (shutdown without drain). Counters and histograms are per model_name, the base model or
// the adapter a request named; the scheduler gauges are engine-wide, labelled with the base model.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "sandbox/api_handler.hpp"
#include "sandbox/sim_clock.hpp"
#include "sandbox/vllm_metrics.hpp"
#include "util/duration.hpp"

namespace rollout::sandbox {

struct ModelKnobs {
  std::string model;                   // the base model: its id in /v1/models and its model_name label
  std::string version = "0.0.0";       // the version label: system_fingerprint, metrics, gateway headers
  std::string server_version;          // GET /version when it differs from the label (pods: image v0.10.2 -> 0.10.2)
  double error_rate = 0;               // share of inference requests that fail with 500
  Duration ttft{50};                   // median time to first token
  Duration itl{10};                    // median inter-token latency
  Duration startup{0};                 // /health answers 503 until this has passed
  Duration generation{0};              // > 0: an answer without max_tokens lasts D/4..D (long generations)
  bool crash_on_start = false;         // the process exits with an error once startup has passed
  bool runtime_lora = true;            // VLLM_ALLOW_RUNTIME_LORA_UPDATING: the load/unload routes exist
  std::map<std::string, double> adapter_error_rate;  // error_rate of requests naming that adapter
  // --lora-modules name=path ...: adapters loaded at startup (and again after every restart)
  std::vector<std::pair<std::string, std::string>> lora_modules;
  std::optional<int> max_concurrency;  // requests beyond it wait (vllm:num_requests_waiting); unset or <= 0: none
  std::optional<uint64_t> seed;        // for latencies, failures and ids; random when unset
};

struct LoraAdapter {
  std::string name;
  std::string path;
  std::string parent;  // the base model
  double created = 0;  // Unix time
};

class ModelServerSim {
 public:
  explicit ModelServerSim(ModelKnobs knobs, std::shared_ptr<SimClock> clock = system_sim_clock());
  ModelServerSim(const ModelServerSim&) = delete;
  ModelServerSim& operator=(const ModelServerSim&) = delete;

  // Thread-safe; inference requests block for their simulated latency.
  HttpResponse handle(const HttpRequest& req);

  // The startup delay has passed (shutting down or not).
  bool started() const;
  // What /health says: started and not shutting down.
  bool ready() const;
  // Makes /health 503 and refuses new inference requests (503), then waits until none is in
  // flight: with drain they finish; without, they are aborted (their clients get a 500 and they
  // count as finished_reason="abort"), as vLLM does on SIGTERM without --shutdown-timeout.
  // Another call may turn a waiting drain into an abort.
  void begin_shutdown(bool drain);
  // vLLM's `--shutdown-timeout N`: refuses new requests, lets the in-flight ones finish for up to
  // `timeout` seconds of its clock, then aborts those still running (0: abort at once, vLLM's
  // default). Returns how many were aborted.
  int shut_down_within(double timeout_seconds);
  bool shutting_down() const;

  int running() const;
  int waiting() const;
  std::vector<LoraAdapter> adapters() const;
  std::string metrics_text() const;
  const ModelKnobs& knobs() const { return knobs_; }

 private:
  struct Flight;
  HttpResponse health(const HttpRequest&);
  HttpResponse version(const HttpRequest&);
  HttpResponse models(const HttpRequest&);
  HttpResponse metrics(const HttpRequest&);
  HttpResponse completions(const HttpRequest& req);
  HttpResponse chat_completions(const HttpRequest& req);
  HttpResponse load_lora(const HttpRequest& req);
  HttpResponse unload_lora(const HttpRequest& req);
  HttpResponse generate(const HttpRequest& req, bool chat);
  HttpResponse run(std::unique_lock<std::mutex>& lock, Flight& f);
  HttpResponse decode(std::unique_lock<std::mutex>& lock, Flight& f);
  HttpResponse finish(Flight& f, const std::string& reason);
  bool sleep_until(std::unique_lock<std::mutex>& lock, double deadline);
  bool serves(const std::string& model) const;
  std::optional<HttpResponse> not_ready() const;
  std::string random_hex(size_t n);

  const ModelKnobs knobs_;
  const std::shared_ptr<SimClock> clock_;
  const double start_;  // clock_->now() at construction
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::mt19937_64 rng_;
  std::vector<LoraAdapter> adapters_;  // in load order
  VllmMetrics metrics_;
  int running_ = 0;
  int waiting_ = 0;
  bool stopping_ = false;
  bool aborting_ = false;
};

}  // namespace rollout::sandbox
