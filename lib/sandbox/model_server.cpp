#include "sandbox/model_server.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "sandbox/openai_api.hpp"

namespace rollout::sandbox {

using nlohmann::json;

namespace {

// vLLM's default max_num_seqs: the batch a replica runs at once when no max_concurrency is set.
constexpr int kDefaultBatch = 256;

double seconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}

json model_card(const std::string& id, const std::string& root, const json& parent, const json& max_len, long created,
                const std::string& perm_id) {
  json perm = {{"id", "modelperm-" + perm_id},
               {"object", "model_permission"},
               {"created", created},
               {"allow_create_engine", false},
               {"allow_sampling", true},
               {"allow_logprobs", true},
               {"allow_search_indices", false},
               {"allow_view", true},
               {"allow_fine_tuning", false},
               {"organization", "*"},
               {"group", nullptr},
               {"is_blocking", false}};
  return {{"id", id},     {"object", "model"}, {"created", created},       {"owned_by", "vllm"},
          {"root", root}, {"parent", parent},  {"max_model_len", max_len}, {"permission", json::array({perm})}};
}

std::string body_string(const json& j, const char* key) {
  if (!j.is_object()) return "";
  const json v = j.value(key, json());
  return v.is_string() ? v.get<std::string>() : "";
}

HttpResponse text(int code, const std::string& body) {
  return HttpResponse{code, "text/plain; charset=utf-8", body, {}};
}

}  // namespace

// One inference request from admission to its finished_reason. Times are clock_->now() values.
struct ModelServerSim::Flight {
  InferenceRequest req;
  std::string model;
  double arrival = 0;
  double ttft = 0;  // drawn: from the start of running to the first token
  double itl = 0;   // drawn: between two tokens
  bool fail = false;
  bool prefilled = false;
  std::optional<double> first_token_at;
};

ModelServerSim::ModelServerSim(ModelKnobs knobs, std::shared_ptr<SimClock> clock)
    : knobs_(std::move(knobs)),
      clock_(std::move(clock)),
      start_(clock_->now()),
      rng_(knobs_.seed ? *knobs_.seed : std::random_device{}()),
      metrics_(knobs_.model, clock_->unix_time()) {
  for (const auto& [name, path] : knobs_.lora_modules)  // vLLM's init_static_loras
    adapters_.push_back(LoraAdapter{name, path, knobs_.model, clock_->unix_time()});
}

HttpResponse ModelServerSim::handle(const HttpRequest& req) {
  using Handler = HttpResponse (ModelServerSim::*)(const HttpRequest&);
  struct Route {
    const char* method;
    const char* path;
    Handler handler;
    bool runtime_lora;  // exists only with VLLM_ALLOW_RUNTIME_LORA_UPDATING
  };
  static const Route kRoutes[] = {
      {"GET", "/health", &ModelServerSim::health, false},
      {"GET", "/version", &ModelServerSim::version, false},
      {"GET", "/v1/models", &ModelServerSim::models, false},
      {"GET", "/metrics", &ModelServerSim::metrics, false},
      {"POST", "/v1/completions", &ModelServerSim::completions, false},
      {"POST", "/v1/chat/completions", &ModelServerSim::chat_completions, false},
      {"POST", "/v1/load_lora_adapter", &ModelServerSim::load_lora, true},
      {"POST", "/v1/unload_lora_adapter", &ModelServerSim::unload_lora, true},
  };
  bool known = false;
  for (const Route& r : kRoutes) {
    if (req.path != r.path || (r.runtime_lora && !knobs_.runtime_lora)) continue;
    known = true;
    if (req.method == r.method) return (this->*r.handler)(req);
  }
  return known ? fastapi_detail(405, "Method Not Allowed") : fastapi_detail(404, "Not Found");
}

bool ModelServerSim::started() const {
  return clock_->now() - start_ >= seconds(knobs_.startup);
}

// A server that crashes at the end of its startup is never ready (its process exits when
// started() turns true: without this /health would answer 200 for that moment).
bool ModelServerSim::ready() const {
  return started() && !knobs_.crash_on_start && !shutting_down();
}

bool ModelServerSim::shutting_down() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

std::optional<HttpResponse> ModelServerSim::not_ready() const {
  if (started() && !knobs_.crash_on_start) return std::nullopt;
  return openai_error(503, "ServiceUnavailableError", "The model is still loading.");
}

HttpResponse ModelServerSim::health(const HttpRequest&) {
  return text(ready() ? 200 : 503, "");
}

// vLLM: vllm/entrypoints/openai/api_server.py, show_version(): {"version": VLLM_VERSION}, the
// package version ("0.10.2"), not the image tag ("v0.10.2").
HttpResponse ModelServerSim::version(const HttpRequest&) {
  const std::string& v = knobs_.server_version.empty() ? knobs_.version : knobs_.server_version;
  return HttpResponse{200, "application/json", json{{"version", v}}.dump(), {}};
}

HttpResponse ModelServerSim::models(const HttpRequest&) {
  if (auto r = not_ready()) return *r;
  std::lock_guard lock(mu_);
  const long now = static_cast<long>(clock_->unix_time());
  json data = json::array({model_card(knobs_.model, knobs_.model, nullptr, kMaxModelLen, now, random_hex(32))});
  for (const LoraAdapter& a : adapters_)
    data.push_back(model_card(a.name, a.path, a.parent, nullptr, now, random_hex(32)));
  return HttpResponse{200, "application/json", json{{"object", "list"}, {"data", data}}.dump(), {}};
}

HttpResponse ModelServerSim::metrics(const HttpRequest&) {
  return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", metrics_text(), {}};
}

std::string ModelServerSim::metrics_text() const {
  std::lock_guard lock(mu_);
  const int limit = knobs_.max_concurrency.value_or(0);
  const int batch = limit > 0 ? limit : kDefaultBatch;
  EngineGauges g{running_, waiting_, std::min(1.0, static_cast<double>(running_) / batch)};
  return metrics_.render(g);
}

// Statuses and messages as vLLM's OpenAIServingModels.load_lora_adapter / unload_lora_adapter
// (vllm/entrypoints/openai/models/serving.py): 400 for a name already loaded (unless load_inplace)
// or a missing name/path, 404 for unloading a name that is not loaded. The routes exist only with
// VLLM_ALLOW_RUNTIME_LORA_UPDATING (vllm/entrypoints/serve/lora/api_router.py, attach_router).
HttpResponse ModelServerSim::load_lora(const HttpRequest& req) {
  if (auto r = not_ready()) return *r;
  const json j = json::parse(req.body, nullptr, false);
  const std::string name = body_string(j, "lora_name"), path = body_string(j, "lora_path");
  // base_model_name may name the base model; with a single base model the parent is always it.
  if (name.empty() || path.empty())
    return openai_error(400, "InvalidUserInput", "Both 'lora_name' and 'lora_path' must be provided.");
  std::lock_guard lock(mu_);
  for (const LoraAdapter& a : adapters_)
    if (a.name == name)
      return openai_error(400, "InvalidUserInput",
                          "The lora adapter '" + name +
                              "' has already been loaded. If you want to load the adapter in place, set "
                              "'load_inplace' to True.");
  adapters_.push_back(LoraAdapter{name, path, knobs_.model, clock_->unix_time()});
  metrics_.traffic(name, clock_->unix_time());
  return text(200, "Success: LoRA adapter '" + name + "' added successfully.");
}

HttpResponse ModelServerSim::unload_lora(const HttpRequest& req) {
  if (auto r = not_ready()) return *r;
  const json j = json::parse(req.body, nullptr, false);
  const std::string name = body_string(j, "lora_name");
  if (name.empty())
    return openai_error(400, "InvalidUserInput", "'lora_name' needs to be provided to unload a LoRA adapter.");
  std::lock_guard lock(mu_);
  auto it = std::find_if(adapters_.begin(), adapters_.end(), [&](const LoraAdapter& a) { return a.name == name; });
  if (it == adapters_.end())
    return openai_error(404, "NotFoundError", "The lora adapter '" + name + "' cannot be found.");
  adapters_.erase(it);  // requests already admitted to it still finish
  return text(200, "Success: LoRA adapter '" + name + "' removed successfully.");
}

HttpResponse ModelServerSim::completions(const HttpRequest& req) {
  return generate(req, false);
}

HttpResponse ModelServerSim::chat_completions(const HttpRequest& req) {
  return generate(req, true);
}

bool ModelServerSim::serves(const std::string& model) const {
  return model == knobs_.model ||
         std::any_of(adapters_.begin(), adapters_.end(), [&](const LoraAdapter& a) { return a.name == model; });
}

HttpResponse ModelServerSim::generate(const HttpRequest& req, bool chat) {
  if (auto r = not_ready()) return *r;
  auto parsed = parse_inference_request(req.body, chat);
  if (!parsed.ok()) return openai_error(400, "BadRequestError", parsed.error().message);
  std::unique_lock lock(mu_);
  if (stopping_) return openai_error(503, "ServiceUnavailableError", "The server is shutting down.");
  Flight f;
  f.req = *parsed;
  f.model = f.req.model.empty() ? knobs_.model : f.req.model;
  if (!serves(f.model))
    return openai_error(404, "NotFoundError", "The model `" + f.model + "` does not exist.", "model");
  // Log-normal spread around the medians: a long right tail, as real latencies have.
  std::normal_distribution<double> normal(0.0, 1.0);
  f.ttft = seconds(knobs_.ttft) * std::exp(0.25 * normal(rng_));
  f.itl = seconds(knobs_.itl) * std::exp(0.1 * normal(rng_));
  if (!f.req.max_tokens_given && knobs_.generation.count() > 0 && f.itl > 0) {
    const double lasts = seconds(knobs_.generation) * std::uniform_real_distribution<double>(0.25, 1.0)(rng_);
    f.req.max_tokens = std::max(1, static_cast<int>((lasts - f.ttft) / f.itl));
  }
  const auto adapter_rate = knobs_.adapter_error_rate.find(f.model);  // a bad adapter fails on its own
  const double rate = adapter_rate != knobs_.adapter_error_rate.end() ? adapter_rate->second : knobs_.error_rate;
  f.fail = rate > 0 && std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < rate;
  f.arrival = clock_->now();
  return run(lock, f);
}

HttpResponse ModelServerSim::run(std::unique_lock<std::mutex>& lock, Flight& f) {
  ++waiting_;
  const int limit = knobs_.max_concurrency.value_or(0);  // 0 or less: no limit
  while (!aborting_ && limit > 0 && running_ >= limit) cv_.wait(lock);
  --waiting_;
  HttpResponse out;
  if (aborting_) {
    out = finish(f, "abort");
  } else {
    ++running_;
    out = decode(lock, f);
    --running_;
  }
  cv_.notify_all();
  return out;
}

HttpResponse ModelServerSim::decode(std::unique_lock<std::mutex>& lock, Flight& f) {
  const double first_token = clock_->now() + f.ttft;
  if (!sleep_until(lock, first_token)) return finish(f, "abort");
  f.prefilled = true;
  if (f.fail) return finish(f, "error");
  f.first_token_at = first_token;
  if (!sleep_until(lock, first_token + (f.req.max_tokens - 1) * f.itl)) return finish(f, "abort");
  return finish(f, f.req.max_tokens_given ? "length" : "stop");
}

bool ModelServerSim::sleep_until(std::unique_lock<std::mutex>& lock, double deadline) {
  while (!aborting_ && clock_->now() < deadline) clock_->wait_until(lock, cv_, deadline);
  return !aborting_;
}

HttpResponse ModelServerSim::finish(Flight& f, const std::string& reason) {
  const double now = clock_->now();
  ModelTraffic& t = metrics_.traffic(f.model, clock_->unix_time());
  ++t.finished[reason];
  int generated = 0;
  if (f.first_token_at) {
    const bool complete = reason == "stop" || reason == "length";
    const int so_far = f.itl > 0 ? 1 + static_cast<int>((now - *f.first_token_at) / f.itl) : f.req.max_tokens;
    generated = complete ? f.req.max_tokens : std::clamp(so_far, 1, f.req.max_tokens);
    t.ttft.observe(*f.first_token_at - f.arrival);
    t.itl.observe(f.itl, static_cast<uint64_t>(generated - 1));
  }
  if (f.prefilled) t.prompt_tokens += static_cast<uint64_t>(f.req.prompt_tokens);
  t.generation_tokens += static_cast<uint64_t>(generated);
  t.e2e.observe(now - f.arrival);
  if (reason == "abort")
    return openai_error(500, "InternalServerError", "The request was aborted: the server is shutting down.");
  if (reason == "error") return openai_error(500, "InternalServerError", "Simulated engine failure (--error-rate).");
  const InferenceOutcome out{(f.req.chat ? "chatcmpl-" : "cmpl-") + random_hex(32),
                             f.model,
                             static_cast<long>(clock_->unix_time()),
                             generated,
                             reason,
                             knobs_.version};
  return inference_response(f.req, out);
}

void ModelServerSim::begin_shutdown(bool drain) {
  std::unique_lock lock(mu_);
  stopping_ = true;
  if (!drain) aborting_ = true;
  cv_.notify_all();
  cv_.wait(lock, [this] { return running_ + waiting_ == 0; });
}

int ModelServerSim::shut_down_within(double timeout_seconds) {
  std::unique_lock lock(mu_);
  stopping_ = true;
  cv_.notify_all();
  // Capped (115 days): "until they finish" must not overflow the clock's time points.
  const double deadline = clock_->now() + std::clamp(timeout_seconds, 0.0, 1e7);
  while (running_ + waiting_ > 0 && clock_->now() < deadline) clock_->wait_until(lock, cv_, deadline);
  const int aborted = running_ + waiting_;
  aborting_ = true;
  cv_.notify_all();
  cv_.wait(lock, [this] { return running_ + waiting_ == 0; });
  return aborted;
}

int ModelServerSim::running() const {
  std::lock_guard lock(mu_);
  return running_;
}

int ModelServerSim::waiting() const {
  std::lock_guard lock(mu_);
  return waiting_;
}

std::vector<LoraAdapter> ModelServerSim::adapters() const {
  std::lock_guard lock(mu_);
  return adapters_;
}

std::string ModelServerSim::random_hex(size_t n) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) out += hex[rng_() % 16];
  return out;
}

}  // namespace rollout::sandbox
