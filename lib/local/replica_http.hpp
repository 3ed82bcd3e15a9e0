// What a replica says about itself over HTTP: /health, the model in /v1/models, and its in-flight
// work from /metrics (vLLM's num_requests_running + num_requests_waiting): the drain signal behind
// nginx, which cannot report it.
#pragma once

#include <string>

#include "util/duration.hpp"
#include "util/result.hpp"

namespace rollout::local {

struct HttpAnswer {
  long status = 0;
  std::string body;
};

// One GET; a refused connection or a timeout is ErrorKind::unavailable.
Result<HttpAnswer> http_get(const std::string& url, Duration timeout);

std::string base_url(const std::string& host, int port);

// The sum of vllm:num_requests_running and vllm:num_requests_waiting over all series of a
// Prometheus text exposition; invalid when neither metric is there.
Result<int> in_flight_from_metrics(const std::string& exposition);

// /v1/models lists `model` (as its id, or as the root it was served from: --served-model-name).
bool models_list(const std::string& body, const std::string& model);

}  // namespace rollout::local
