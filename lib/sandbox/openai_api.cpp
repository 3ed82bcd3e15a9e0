#include "sandbox/openai_api.hpp"

#include <algorithm>
#include <sstream>

namespace rollout::sandbox {

using nlohmann::json;

namespace {

int count_words(const std::string& s) {
  std::istringstream in(s);
  std::string word;
  int n = 0;
  while (in >> word) ++n;
  return n;
}

// Simulated tokenizer: a word is a token, plus one for the beginning-of-sequence token.
Result<int> completion_prompt_tokens(const json& body) {
  if (!body.contains("prompt")) return make_error(ErrorKind::invalid, "'prompt' is required");
  const json& p = body["prompt"];
  if (p.is_string()) return count_words(p.get<std::string>()) + 1;
  if (!p.is_array() || p.empty()) return make_error(ErrorKind::invalid, "'prompt' must be a string or a list");
  int n = 0;
  for (const json& item : p) {
    if (item.is_string())
      n += count_words(item.get<std::string>()) + 1;
    else if (item.is_number_integer())
      ++n;  // a token id
    else if (item.is_array())
      n += static_cast<int>(item.size());
    else
      return make_error(ErrorKind::invalid, "'prompt' must be a string, a list of strings or of token ids");
  }
  return n;
}

// Content words plus a few tokens of chat template per message.
Result<int> chat_prompt_tokens(const json& body) {
  const json messages = body.value("messages", json());
  if (!messages.is_array() || messages.empty())
    return make_error(ErrorKind::invalid, "'messages' must be a non-empty list");
  int n = 1;
  for (const json& m : messages) {
    if (!m.is_object() || !m.contains("role")) return make_error(ErrorKind::invalid, "every message needs a 'role'");
    n += 4;
    const json content = m.value("content", json());
    if (content.is_string()) n += count_words(content.get<std::string>());
    if (content.is_array())
      for (const json& part : content)
        if (part.is_object() && part.value("text", json()).is_string())
          n += count_words(part["text"].get<std::string>());
  }
  return n;
}

Status read_max_tokens(const json& body, InferenceRequest& r) {
  json v = r.chat ? body.value("max_completion_tokens", json()) : json();
  if (v.is_null()) v = body.value("max_tokens", json());
  if (v.is_null()) {
    r.max_tokens = std::max(1, std::min(kDefaultMaxTokens, kMaxModelLen - r.prompt_tokens));
    return ok_status();
  }
  if (!v.is_number_integer()) return make_error(ErrorKind::invalid, "max_tokens must be an integer");
  const long long n = v.get<long long>();
  if (n < 1) return make_error(ErrorKind::invalid, "max_tokens must be at least 1, got " + std::to_string(n) + ".");
  r.max_tokens = n > kMaxModelLen ? kMaxModelLen + 1 : static_cast<int>(n);
  r.max_tokens_given = true;
  return ok_status();
}

json usage(const InferenceRequest& req, const InferenceOutcome& out) {
  return {{"prompt_tokens", req.prompt_tokens},
          {"total_tokens", req.prompt_tokens + out.completion_tokens},
          {"completion_tokens", out.completion_tokens},
          {"prompt_tokens_details", nullptr}};
}

json choice(const InferenceRequest& req, const std::string& text, const json& finish_reason, bool chunk) {
  json c = {{"index", 0}, {"logprobs", nullptr}, {"finish_reason", finish_reason}, {"stop_reason", nullptr}};
  if (!req.chat) {
    c["text"] = text;
    if (!chunk) c["prompt_logprobs"] = nullptr;
  } else if (chunk) {
    c["delta"] = finish_reason.is_null() ? json{{"role", "assistant"}, {"content", text}} : json::object();
  } else {
    c["message"] = {{"role", "assistant"}, {"content", text}, {"tool_calls", json::array()}};
  }
  return c;
}

json envelope(const InferenceRequest& req, const InferenceOutcome& out, bool chunk) {
  const char* object = req.chat ? (chunk ? "chat.completion.chunk" : "chat.completion") : "text_completion";
  return {{"id", out.id},
          {"object", object},
          {"created", out.created},
          {"model", out.model},
          {"system_fingerprint", out.system_fingerprint}};
}

HttpResponse event_stream(const InferenceRequest& req, const InferenceOutcome& out) {
  auto event = [](const json& j) { return "data: " + j.dump() + "\n\n"; };
  HttpResponse res;
  res.content_type = "text/event-stream";
  json content = envelope(req, out, true);
  content["choices"] = json::array({choice(req, simulated_text(out.completion_tokens), nullptr, true)});
  json last = envelope(req, out, true);
  last["choices"] = json::array({choice(req, "", out.finish_reason, true)});
  res.body = event(content) + event(last);
  if (req.include_usage) {
    json u = envelope(req, out, true);
    u["choices"] = json::array();
    u["usage"] = usage(req, out);
    res.body += event(u);
  }
  res.body += "data: [DONE]\n\n";
  return res;
}

}  // namespace

Result<InferenceRequest> parse_inference_request(const std::string& body, bool chat) {
  const json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return make_error(ErrorKind::invalid, "The request body is not a JSON object.");
  InferenceRequest r;
  r.chat = chat;
  const json model = j.value("model", json());
  if (!model.is_null() && !model.is_string()) return make_error(ErrorKind::invalid, "'model' must be a string");
  if (model.is_string()) r.model = model.get<std::string>();
  auto prompt = chat ? chat_prompt_tokens(j) : completion_prompt_tokens(j);
  if (!prompt.ok()) return prompt.error();
  r.prompt_tokens = *prompt;
  if (auto s = read_max_tokens(j, r); !s.ok()) return s.error();
  if (r.prompt_tokens + r.max_tokens > kMaxModelLen)
    return make_error(ErrorKind::invalid,
                      "This model's maximum context length is " + std::to_string(kMaxModelLen) +
                          " tokens. However, you requested " + std::to_string(r.prompt_tokens + r.max_tokens) +
                          " tokens (" + std::to_string(r.prompt_tokens) + " in the messages, " +
                          std::to_string(r.max_tokens) +
                          " in the completion). Please reduce the length of the messages or completion.");
  r.stream = j.value("stream", json(false)) == json(true);
  const json options = j.value("stream_options", json());
  r.include_usage = options.is_object() && options.value("include_usage", json(false)) == json(true);
  return r;
}

HttpResponse inference_response(const InferenceRequest& req, const InferenceOutcome& out) {
  if (req.stream) return event_stream(req, out);
  json body = envelope(req, out, false);
  body["choices"] = json::array({choice(req, simulated_text(out.completion_tokens), out.finish_reason, false)});
  body["usage"] = usage(req, out);
  return HttpResponse{200, "application/json", body.dump(), {}};
}

HttpResponse openai_error(int code, const std::string& type, const std::string& message, const json& param) {
  json body = {{"error", {{"message", message}, {"type", type}, {"param", param}, {"code", code}}}};
  return HttpResponse{code, "application/json", body.dump(), {}};
}

HttpResponse fastapi_detail(int code, const std::string& detail) {
  return HttpResponse{code, "application/json", json{{"detail", detail}}.dump(), {}};
}

std::string simulated_text(int tokens) {
  static const char* const words[] = {"The", "model", "is", "simulated", "and",  "this", "text",
                                      "is",  "made",  "of", "one",       "word", "per",  "token."};
  std::string out;
  for (int i = 0; i < tokens; ++i) out += std::string(" ") + words[i % (sizeof words / sizeof *words)];
  return out;
}

}  // namespace rollout::sandbox
