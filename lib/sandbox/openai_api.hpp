// The OpenAI-compatible shapes vLLM speaks, as pure functions: what a simulated replica reads from
// a completion request, what it answers, and vLLM's error bodies.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "sandbox/api_handler.hpp"
#include "util/result.hpp"

namespace rollout::sandbox {

// vLLM's max_model_len for the simulated model: prompt plus completion must fit.
inline constexpr int kMaxModelLen = 8192;
// Completion length when a request sets no max_tokens (OpenAI's default for /v1/completions).
inline constexpr int kDefaultMaxTokens = 16;

struct InferenceRequest {
  bool chat = false;
  std::string model;  // empty: the base model
  int prompt_tokens = 0;
  int max_tokens = kDefaultMaxTokens;
  bool max_tokens_given = false;  // without it the answer ends by itself: finish_reason "stop"
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
};

// Reads a /v1/completions (chat=false) or /v1/chat/completions body; a malformed one is an error
// whose message is vLLM's 400 message.
Result<InferenceRequest> parse_inference_request(const std::string& body, bool chat);

// What the simulation produced for one request.
struct InferenceOutcome {
  std::string id;  // "cmpl-..." or "chatcmpl-..."
  std::string model;
  long created = 0;  // Unix seconds
  int completion_tokens = 0;
  std::string finish_reason;       // "stop" or "length"
  std::string system_fingerprint;  // the replica's version, so callers can tell which one answered
};

// The 200 answer: a text_completion or chat.completion object, or with stream=true the same as
// server-sent events ending with "data: [DONE]".
HttpResponse inference_response(const InferenceRequest& req, const InferenceOutcome& out);

// vLLM's error body {"error": {"message", "type", "param", "code"}} with that HTTP status.
HttpResponse openai_error(int code, const std::string& type, const std::string& message,
                          const nlohmann::json& param = nullptr);
// FastAPI's answer for a route it does not have (404) or a method it does not allow (405).
HttpResponse fastapi_detail(int code, const std::string& detail);

// `tokens` words of filler text, one per simulated token.
std::string simulated_text(int tokens);

}  // namespace rollout::sandbox
