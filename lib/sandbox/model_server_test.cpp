#include "sandbox/model_server.hpp"

#include <catch2/catch.hpp>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

using namespace rollout;
using namespace rollout::sandbox;
using nlohmann::json;

namespace {

ModelKnobs knobs() {
  ModelKnobs k;
  k.model = "meta-llama/Llama-3.1-8B-Instruct";
  k.version = "v2";
  k.ttft = Duration(100);
  k.itl = Duration(20);
  k.seed = 7;
  return k;
}

// A replica on fake time: with auto_advance requests complete at once, otherwise they stay in
// flight until the test advances the clock.
struct Replica {
  explicit Replica(ModelKnobs k = knobs(), bool auto_advance = true)
      : clock(std::make_shared<FakeSimClock>(auto_advance)), sim(std::move(k), clock) {}
  std::shared_ptr<FakeSimClock> clock;
  ModelServerSim sim;

  HttpResponse get(const std::string& path) { return sim.handle(HttpRequest{"GET", path, {}, {}, "", false, ""}); }
  HttpResponse post(const std::string& path, const json& body) {
    return sim.handle(HttpRequest{"POST", path, {}, {}, body.dump(), false, ""});
  }
  HttpResponse complete(const std::string& model, int max_tokens = 10) {
    return post("/v1/completions", {{"model", model}, {"prompt", "San Francisco is a"}, {"max_tokens", max_tokens}});
  }
  HttpResponse load(const std::string& name) {
    return post("/v1/load_lora_adapter", {{"lora_name", name}, {"lora_path", "/adapters/" + name}});
  }
  // The value of the sample whose name and labels start the line exactly as `series`.
  double metric(const std::string& series) {
    const std::string text = sim.metrics_text();
    const size_t at = text.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + series.size() + 2));
  }
  // Waits (in real time, bounded) until `n` requests are running.
  bool running(int n) {
    for (int i = 0; i < 2000 && sim.running() != n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return sim.running() == n;
  }
};

const std::string kBase = "meta-llama/Llama-3.1-8B-Instruct";

std::string series(const std::string& name, const std::string& model, const std::string& extra = "") {
  return name + "{engine=\"0\"," + extra + "model_name=\"" + model + "\"}";
}

}  // namespace

TEST_CASE("health is 503 during the startup delay, then 200", "[sandbox][model-server]") {
  ModelKnobs k = knobs();
  k.startup = Duration(2000);
  Replica r(k);
  CHECK(r.get("/health").status == 503);
  CHECK(r.get("/v1/models").status == 503);
  CHECK(r.complete(kBase).status == 503);
  CHECK(r.get("/metrics").status == 200);
  r.clock->advance(1.9);
  CHECK_FALSE(r.sim.started());
  r.clock->advance(0.2);
  CHECK(r.get("/health").status == 200);
  CHECK(r.get("/health").body.empty());
  CHECK(r.complete(kBase).status == 200);
}

// A server that crashes at the end of its startup never answers /health 200, not even in the
// moment before its process exits (a health check polling then took a crash for a healthy canary).
TEST_CASE("crash on start: never healthy, also once the startup delay has passed", "[sandbox][model-server]") {
  ModelKnobs k = knobs();
  k.startup = Duration(1000);
  k.crash_on_start = true;
  Replica r(k);
  CHECK(r.get("/health").status == 503);
  r.clock->advance(1.5);
  CHECK(r.sim.started());  // the process loop takes this as the moment to crash
  CHECK_FALSE(r.sim.ready());
  CHECK(r.get("/health").status == 503);
  CHECK(r.get("/v1/models").status == 503);
  CHECK(r.complete(kBase).status == 503);
}

TEST_CASE("version and unknown routes", "[sandbox][model-server]") {
  Replica r;
  CHECK(json::parse(r.get("/version").body) == json{{"version", "v2"}});
  HttpResponse missing = r.get("/v2/nothing");
  CHECK(missing.status == 404);
  CHECK(json::parse(missing.body) == json{{"detail", "Not Found"}});
  CHECK(r.post("/health", json::object()).status == 405);
  CHECK(r.get("/v1/completions").status == 405);
}

TEST_CASE("models lists the base model and loaded adapters with their parent", "[sandbox][model-server]") {
  Replica r;
  REQUIRE(r.load("food-review-1").status == 200);
  REQUIRE(r.post("/v1/load_lora_adapter",
                 {{"lora_name", "ski-resorts"}, {"lora_path", "/adapters/ski"}, {"base_model_name", kBase}})
              .status == 200);
  json list = json::parse(r.get("/v1/models").body);
  CHECK(list["object"] == "list");
  REQUIRE(list["data"].size() == 3);
  const json& base = list["data"][0];
  CHECK(base["id"] == kBase);
  CHECK(base["object"] == "model");
  CHECK(base["owned_by"] == "vllm");
  CHECK(base["root"] == kBase);
  CHECK(base["parent"].is_null());
  CHECK(base["max_model_len"] == 8192);
  CHECK(base["permission"][0]["object"] == "model_permission");
  CHECK(list["data"][1]["id"] == "food-review-1");
  CHECK(list["data"][1]["root"] == "/adapters/food-review-1");
  CHECK(list["data"][1]["parent"] == kBase);
  CHECK(list["data"][2]["id"] == "ski-resorts");
  CHECK(list["data"][2]["parent"] == kBase);
}

TEST_CASE("load and unload LoRA adapters answer as vLLM does", "[sandbox][model-server]") {
  Replica r;
  HttpResponse loaded = r.load("food-review-1");
  CHECK(loaded.status == 200);
  CHECK(loaded.body == "Success: LoRA adapter 'food-review-1' added successfully.");

  HttpResponse again = r.load("food-review-1");
  CHECK(again.status == 400);
  CHECK(json::parse(again.body)["error"]["message"] == "The lora adapter 'food-review-1' has already been loaded. If you want to load the "
                                                      "adapter in place, set 'load_inplace' to True.");
  CHECK(r.post("/v1/load_lora_adapter", {{"lora_name", "x"}}).status == 400);
  CHECK(r.post("/v1/load_lora_adapter", {{"lora_path", "/x"}}).status == 400);
  CHECK(r.sim.handle(HttpRequest{"POST", "/v1/load_lora_adapter", {}, {}, "{not json", false, ""}).status == 400);

  HttpResponse unloaded = r.post("/v1/unload_lora_adapter", {{"lora_name", "food-review-1"}});
  CHECK(unloaded.status == 200);
  CHECK(unloaded.body == "Success: LoRA adapter 'food-review-1' removed successfully.");
  HttpResponse gone = r.post("/v1/unload_lora_adapter", {{"lora_name", "food-review-1"}});
  CHECK(gone.status == 404);
  CHECK(json::parse(gone.body) == json{{"error",
                                        {{"message", "The lora adapter 'food-review-1' cannot be found."},
                                         {"type", "NotFoundError"},
                                         {"param", nullptr},
                                         {"code", 404}}}});
  HttpResponse nameless = r.post("/v1/unload_lora_adapter", json::object());
  CHECK(nameless.status == 400);
  CHECK(json::parse(nameless.body)["error"]["message"] == "'lora_name' needs to be provided to unload a LoRA adapter.");
  CHECK(r.sim.adapters().empty());
  // A registered POST-only route answers other methods with 405: how a client tells that the
  // runtime API exists without loading anything.
  HttpResponse get = r.sim.handle(HttpRequest{"GET", "/v1/load_lora_adapter", {}, {}, "", false, ""});
  CHECK(get.status == 405);
  CHECK(json::parse(get.body) == json{{"detail", "Method Not Allowed"}});
}

TEST_CASE("an adapter's own error rate fails only the requests that name it", "[sandbox][model-server]") {
  ModelKnobs k = knobs();
  k.adapter_error_rate["bad-adapter"] = 1.0;
  Replica r(k);
  REQUIRE(r.load("bad-adapter").status == 200);
  REQUIRE(r.load("good-adapter").status == 200);
  CHECK(r.post("/v1/completions", {{"model", "bad-adapter"}, {"prompt", "x"}, {"max_tokens", 1}}).status == 500);
  CHECK(r.post("/v1/completions", {{"model", "good-adapter"}, {"prompt", "x"}, {"max_tokens", 1}}).status == 200);
  CHECK(r.post("/v1/completions", {{"model", kBase}, {"prompt", "x"}, {"max_tokens", 1}}).status == 200);
}

TEST_CASE("without runtime LoRA the load and unload routes do not exist", "[sandbox][model-server]") {
  ModelKnobs k = knobs();
  k.runtime_lora = false;
  Replica r(k);
  HttpResponse res = r.load("a");
  CHECK(res.status == 404);
  CHECK(json::parse(res.body) == json{{"detail", "Not Found"}});
  CHECK(r.post("/v1/unload_lora_adapter", {{"lora_name", "a"}}).status == 404);
  // Not registered at all: a GET is 404 too, not 405.
  CHECK(r.sim.handle(HttpRequest{"GET", "/v1/load_lora_adapter", {}, {}, "", false, ""}).status == 404);
}

TEST_CASE("completions for the base model and an adapter", "[sandbox][model-server]") {
  Replica r;
  HttpResponse base = r.complete(kBase, 12);
  REQUIRE(base.status == 200);
  json b = json::parse(base.body);
  CHECK(b["object"] == "text_completion");
  CHECK(b["model"] == kBase);
  CHECK(b["id"].get<std::string>().rfind("cmpl-", 0) == 0);
  CHECK(b["system_fingerprint"] == "v2");
  CHECK(b["choices"][0]["finish_reason"] == "length");
  CHECK(b["usage"]["completion_tokens"] == 12);
  CHECK(b["usage"]["prompt_tokens"] == 5);
  CHECK(b["usage"]["total_tokens"] == 17);

  REQUIRE(r.load("food-review-1").status == 200);
  HttpResponse chat = r.post("/v1/chat/completions",
                             {{"model", "food-review-1"}, {"messages", {{{"role", "user"}, {"content", "Hi there"}}}}});
  REQUIRE(chat.status == 200);
  json c = json::parse(chat.body);
  CHECK(c["object"] == "chat.completion");
  CHECK(c["model"] == "food-review-1");
  CHECK(c["choices"][0]["message"]["role"] == "assistant");
  CHECK(c["choices"][0]["finish_reason"] == "stop");  // no max_tokens: the answer ended by itself
  CHECK(c["usage"]["completion_tokens"] == 16);

  CHECK(r.metric(series("vllm:request_success_total", kBase, "finished_reason=\"length\",")) == 1);
  CHECK(r.metric(series("vllm:request_success_total", "food-review-1", "finished_reason=\"stop\",")) == 1);
  CHECK(r.metric(series("vllm:request_success_total", kBase, "finished_reason=\"stop\",")) == 0);
  CHECK(r.metric(series("vllm:generation_tokens_total", kBase)) == 12);
  CHECK(r.metric(series("vllm:prompt_tokens_total", kBase)) == 5);
  CHECK(r.metric(series("vllm:inter_token_latency_seconds_count", kBase)) == 11);
}

TEST_CASE("an unknown model is 404 in vLLM's error shape", "[sandbox][model-server]") {
  Replica r;
  HttpResponse res = r.complete("gpt-4");
  CHECK(res.status == 404);
  CHECK(json::parse(res.body) == json{{"error",
                                       {{"message", "The model `gpt-4` does not exist."},
                                        {"type", "NotFoundError"},
                                        {"param", "model"},
                                        {"code", 404}}}});
  CHECK(r.metric(series("vllm:e2e_request_latency_seconds_count", kBase)) == 0);
}

TEST_CASE("malformed inference requests are 400", "[sandbox][model-server]") {
  Replica r;
  CHECK(r.complete(kBase, 0).status == 400);
  CHECK(r.complete(kBase, 9000).status == 400);
  CHECK(r.post("/v1/completions", {{"model", kBase}}).status == 400);
  CHECK(r.post("/v1/chat/completions", {{"model", kBase}, {"messages", json::array()}}).status == 400);
  HttpResponse bad = r.sim.handle(HttpRequest{"POST", "/v1/completions", {}, {}, "nope", false, ""});
  CHECK(bad.status == 400);
  CHECK(json::parse(bad.body)["error"]["type"] == "BadRequestError");
}

TEST_CASE("a streamed completion is server-sent events ending with [DONE]", "[sandbox][model-server]") {
  Replica r;
  HttpResponse res = r.post("/v1/chat/completions", {{"model", kBase},
                                                     {"messages", {{{"role", "user"}, {"content", "Hi"}}}},
                                                     {"max_tokens", 3},
                                                     {"stream", true},
                                                     {"stream_options", {{"include_usage", true}}}});
  REQUIRE(res.status == 200);
  CHECK(res.content_type == "text/event-stream");
  CHECK(res.body.find("\"object\":\"chat.completion.chunk\"") != std::string::npos);
  CHECK(res.body.find("\"finish_reason\":\"length\"") != std::string::npos);
  CHECK(res.body.find("\"completion_tokens\":3") != std::string::npos);
  CHECK(res.body.size() >= 14);
  CHECK(res.body.substr(res.body.size() - 14) == "data: [DONE]\n\n");
}

TEST_CASE("failed requests answer 500 and count as finished_reason error", "[sandbox][model-server]") {
  ModelKnobs k = knobs();
  k.error_rate = 0.3;
  Replica r(k);
  int failed = 0;
  for (int i = 0; i < 200; ++i) {
    HttpResponse res = r.complete(kBase, 4);
    REQUIRE((res.status == 200 || res.status == 500));
    if (res.status == 500) {
      ++failed;
      CHECK(json::parse(res.body)["error"]["code"] == 500);
    }
  }
  CHECK(failed > 30);
  CHECK(failed < 90);
  CHECK(r.metric(series("vllm:request_success_total", kBase, "finished_reason=\"error\",")) == failed);
  CHECK(r.metric(series("vllm:request_success_total", kBase, "finished_reason=\"length\",")) == 200 - failed);
  CHECK(r.metric(series("vllm:e2e_request_latency_seconds_count", kBase)) == 200);
  CHECK(r.metric(series("vllm:time_to_first_token_seconds_count", kBase)) == 200 - failed);
}

TEST_CASE("latency histograms are cumulative and count every request", "[sandbox][model-server]") {
  Replica r;
  for (int i = 0; i < 50; ++i) REQUIRE(r.complete(kBase, 11).status == 200);
  // TTFT is drawn around 100 ms and ITL around 20 ms: e2e around 0.1 + 10 * 0.02 = 0.3 s.
  const double ttft_sum = r.metric(series("vllm:time_to_first_token_seconds_sum", kBase));
  CHECK(ttft_sum / 50 == Approx(0.1).epsilon(0.2));
  CHECK(r.metric(series("vllm:e2e_request_latency_seconds_sum", kBase)) / 50 == Approx(0.3).epsilon(0.2));
  CHECK(r.metric(series("vllm:time_to_first_token_seconds_bucket", kBase, "le=\"0.001\",")) == 0);
  CHECK(r.metric(series("vllm:time_to_first_token_seconds_bucket", kBase, "le=\"1.0\",")) == 50);
  CHECK(r.metric(series("vllm:time_to_first_token_seconds_bucket", kBase, "le=\"+Inf\",")) == 50);
  CHECK(r.metric(series("vllm:time_to_first_token_seconds_count", kBase)) == 50);
  CHECK(r.metric(series("vllm:inter_token_latency_seconds_count", kBase)) == 500);
  CHECK(r.metric(series("vllm:e2e_request_latency_seconds_count", kBase)) == 50);
  double previous = 0;
  for (const char* le : {"0.001", "0.005", "0.01", "0.02", "0.04", "0.06", "0.08", "0.1", "0.25", "0.5", "+Inf"}) {
    const double v =
        r.metric(series("vllm:time_to_first_token_seconds_bucket", kBase, "le=\"" + std::string(le) + "\","));
    CHECK(v >= previous);
    previous = v;
  }
}

TEST_CASE("drain: shutdown waits for in-flight requests, which succeed", "[sandbox][model-server]") {
  Replica r(knobs(), false);
  auto request = std::async(std::launch::async, [&] { return r.complete(kBase, 50); });
  REQUIRE(r.running(1));
  CHECK(r.metric(series("vllm:num_requests_running", kBase)) == 1);
  auto shutdown = std::async(std::launch::async, [&] { r.sim.begin_shutdown(true); });
  for (int i = 0; i < 1000 && !r.sim.shutting_down(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  CHECK(r.get("/health").status == 503);
  CHECK(r.complete(kBase).status == 503);
  CHECK(r.get("/metrics").status == 200);
  CHECK(shutdown.wait_for(std::chrono::milliseconds(20)) == std::future_status::timeout);
  r.clock->advance(10);
  CHECK(request.get().status == 200);
  shutdown.get();
  CHECK(r.metric(series("vllm:num_requests_running", kBase)) == 0);
  CHECK(r.metric(series("vllm:request_success_total", kBase, "finished_reason=\"length\",")) == 1);
  CHECK(r.metric(series("vllm:request_success_total", kBase, "finished_reason=\"abort\",")) == 0);
}

TEST_CASE("abort: shutdown aborts in-flight requests and counts them", "[sandbox][model-server]") {
  Replica r(knobs(), false);
  auto first = std::async(std::launch::async, [&] { return r.complete(kBase, 50); });
  auto second = std::async(std::launch::async, [&] { return r.complete(kBase, 50); });
  REQUIRE(r.running(2));
  r.clock->advance(0.5);  // past the first token of both
  r.sim.begin_shutdown(false);
  HttpResponse a = first.get(), b = second.get();
  CHECK(a.status == 500);
  CHECK(b.status == 500);
  CHECK(json::parse(a.body)["error"]["message"] == "The request was aborted: the server is shutting down.");
  CHECK(r.metric(series("vllm:request_success_total", kBase, "finished_reason=\"abort\",")) == 2);
  CHECK(r.metric(series("vllm:e2e_request_latency_seconds_count", kBase)) == 2);
  CHECK(r.sim.running() == 0);
}

TEST_CASE("requests beyond max_concurrency wait", "[sandbox][model-server]") {
  ModelKnobs k = knobs();
  k.max_concurrency = 1;
  Replica r(k, false);
  auto first = std::async(std::launch::async, [&] { return r.complete(kBase, 5); });
  REQUIRE(r.running(1));
  auto second = std::async(std::launch::async, [&] { return r.complete(kBase, 5); });
  for (int i = 0; i < 2000 && r.sim.waiting() != 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  CHECK(r.metric(series("vllm:num_requests_waiting", kBase)) == 1);
  CHECK(r.metric(series("vllm:kv_cache_usage_perc", kBase)) == 1);
  for (int i = 0; i < 100 && second.wait_for(std::chrono::milliseconds(2)) != std::future_status::ready; ++i)
    r.clock->advance(1);
  CHECK(first.get().status == 200);
  CHECK(second.get().status == 200);
  CHECK(r.sim.waiting() == 0);
}

TEST_CASE("shutdown timeout: in-flight requests finish within it", "[sandbox][model-server]") {
  Replica r(knobs(), false);
  auto request = std::async(std::launch::async, [&] { return r.complete(kBase, 50); });  // ~1.1 s
  REQUIRE(r.running(1));
  auto shutdown = std::async(std::launch::async, [&] { return r.sim.shut_down_within(5); });
  for (int i = 0; i < 1000 && !r.sim.shutting_down(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  CHECK(r.complete(kBase).status == 503);  // no new requests once the signal came
  for (int i = 0; i < 100 && request.wait_for(std::chrono::milliseconds(2)) != std::future_status::ready; ++i)
    r.clock->advance(0.1);
  CHECK(request.get().status == 200);
  CHECK(shutdown.get() == 0);
}

TEST_CASE("shutdown timeout: requests still running when it ends are aborted", "[sandbox][model-server]") {
  Replica r(knobs(), false);
  auto request = std::async(std::launch::async, [&] { return r.complete(kBase, 500); });  // ~10 s
  REQUIRE(r.running(1));
  auto shutdown = std::async(std::launch::async, [&] { return r.sim.shut_down_within(2); });
  for (int i = 0; i < 200 && shutdown.wait_for(std::chrono::milliseconds(2)) != std::future_status::ready; ++i)
    r.clock->advance(0.1);
  CHECK(shutdown.get() == 1);
  CHECK(request.get().status == 500);
  CHECK(r.metric(series("vllm:request_success_total", kBase, "finished_reason=\"abort\",")) == 1);
}

TEST_CASE("shutdown timeout 0 aborts at once, as vLLM's default", "[sandbox][model-server]") {
  Replica r(knobs(), false);
  auto request = std::async(std::launch::async, [&] { return r.complete(kBase, 50); });
  REQUIRE(r.running(1));
  CHECK(r.sim.shut_down_within(0) == 1);
  CHECK(request.get().status == 500);
}

TEST_CASE("generation: an answer without max_tokens lasts up to the knob", "[sandbox][model-server]") {
  ModelKnobs k = knobs();
  k.generation = Duration(4000);
  Replica r(k);
  for (int i = 0; i < 20; ++i) {
    auto c = json::parse(r.post("/v1/completions", {{"model", kBase}, {"prompt", "Hi"}}).body);
    const int tokens = c["usage"]["completion_tokens"];
    CHECK(tokens >= 30);   // >= (1 s - ttft) / itl, with the spread of both
    CHECK(tokens <= 260);  // <= 4 s / itl
  }
}
