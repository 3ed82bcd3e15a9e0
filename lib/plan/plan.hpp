// The rollout plan (SPEC.md section 3) as typed values. Loading and validation live in
// plan/loader; everything downstream (planner, engine, actuators) reads only these types.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "util/diagnostic.hpp"
#include "util/duration.hpp"

namespace rollout::plan {

enum class Strategy { rolling, blueGreen, loraCanary };
enum class OnFailure { rollback, pause };

const char* to_string(Strategy s);

// ---- targets -------------------------------------------------------------------------------

// A backendRef of an HTTPRoute rule: an InferencePool (default) or a Service.
struct BackendRef {
  std::string name;
  std::string kind = "InferencePool";
  std::string group = "inference.networking.k8s.io";
  std::optional<int> port;  // required by Gateway API for a Service backend
};

struct HttpRouteTarget {
  std::optional<std::string> name;                  // one route, or
  std::map<std::string, std::string> match_labels;  // every route matching this selector
  std::optional<int> rule;                          // index into spec.rules; default: the rule that holds stable
  BackendRef stable;
  BackendRef canary;
};

struct InferenceModelTarget {
  std::string name;
  std::string stable;  // targetModels[].name serving today
  std::string canary;  // targetModels[].name being rolled out
};

struct InferenceModelRewriteTarget {
  std::string name;
  std::string api_version = "llm-d.ai/v1alpha2";
  bool api_version_given = false;  // set in the plan: used as is; else discovery may pick the legacy group
  std::string model;   // the rule whose matches[].model.value is this model name
  std::string stable;  // targets[].modelRewrite serving today
  std::string canary;
};

// A Kthena ModelRoute (networking.serving.volcano.sh/v1alpha1): traffic between two ModelServers
// of one rule by spec.rules[i].targetModels[].weight.
struct ModelRouteTarget {
  std::string name;
  std::optional<std::string> rule_name;  // spec.rules[].name, or
  std::optional<int> rule_index;         // an index into spec.rules; neither: the route's only rule
  std::string stable;                    // targetModels[].modelServerName serving today
  std::string canary;                    // the ModelServer being rolled out (added if absent)
};

struct ModelServingTarget {
  std::string name;
  std::string api_version = "workload.serving.volcano.sh/v1alpha1";
  std::optional<nlohmann::json> template_;  // new spec.template; absent: already introduced by hand
  Duration ready_timeout{10 * 60 * 1000};    // released groups not Ready by then fail the step
};

struct DeploymentTarget {
  std::string name;
  std::optional<nlohmann::json> template_;
  Duration ready_timeout{10 * 60 * 1000};  // new pods not Ready by then (or crash-looping) fail the step
};

struct LeaderWorkerSetTarget {
  std::string name;
  std::optional<nlohmann::json> template_;  // new spec.leaderWorkerTemplate
  Duration ready_timeout{10 * 60 * 1000};
};

struct CommandSpec {
  std::vector<std::string> command;  // argv with {gpu} {port} {name} {model} placeholders
  Duration grace{30000};             // stop: time between SIGTERM and SIGKILL
};

struct LocalVersion {
  std::vector<std::string> command;
  std::map<std::string, std::string> env;
  std::string model;
};

struct NginxBalancer {
  std::string upstream_file;
  std::string upstream;
  std::vector<std::string> test = {"nginx", "-t"};
  std::vector<std::string> reload = {"nginx", "-s", "reload"};
};

struct HaproxyBalancer {
  std::string socket;
  std::string backend;
};

struct LocalReplica {
  std::string name;
  int gpu = 0;
  int port = 0;
  std::string host = "127.0.0.1";
};

struct LocalTarget {
  std::variant<NginxBalancer, HaproxyBalancer> load_balancer;
  std::vector<LocalReplica> replicas;
  std::vector<LocalReplica> canary_replicas;  // blueGreen: the set that runs the canary
  LocalVersion stable;
  LocalVersion canary;
  std::optional<CommandSpec> start;
  std::optional<CommandSpec> stop;
  std::string health_path = "/health";
  Duration health_timeout{10 * 60 * 1000};
  Duration drain_timeout{2 * 60 * 1000};
  int max_unavailable = 1;
  std::optional<int> max_in_flight_per_replica;  // wait before taking a replica out while above it
};

using Target = std::variant<HttpRouteTarget, InferenceModelTarget, InferenceModelRewriteTarget, ModelServingTarget,
                            DeploymentTarget, LeaderWorkerSetTarget, LocalTarget, ModelRouteTarget>;

// The plan key of a target block ("httpRoute", "local", ...).
const char* target_key(const Target& t);

// ---- adapters ------------------------------------------------------------------------------

struct AdapterLoad {
  std::string id;
  std::string source;
  std::optional<std::string> base_model;
};

// Who loads the adapters: the GIE LoRA syncer sidecar through its ConfigMap (older clusters), or
// `rollout` itself through vLLM's runtime API on every pod of an InferencePool. Exactly one is set.
struct Adapters {
  std::string lora_syncer_config_map;  // loraSyncer.configMap
  std::string vllm_pool;               // vllm.pool
  std::vector<AdapterLoad> load;
  std::vector<std::string> unload_on_success;
  std::optional<std::string> verify_pool;
  Duration verify_timeout{5 * 60 * 1000};
};

// ---- steps ---------------------------------------------------------------------------------

struct SetWeight {
  int percent = 0;
};
struct SetHeaderRoute {
  std::string name;
  std::string value;
  std::string match = "Exact";  // Exact | RegularExpression
};
struct SetMirror {
  int percent = 0;
};
struct Pause {
  std::optional<Duration> duration;
};  // no duration: wait for `rollout promote`
struct Analysis {
  std::vector<std::string> gates;
  std::optional<Duration> duration;
};
// Replicas on the new version so far: a count or a percentage of all replicas.
struct UpdateReplicas {
  int value = 0;
  bool percent = false;
};

struct Step {
  std::variant<SetWeight, SetHeaderRoute, SetMirror, Pause, Analysis, UpdateReplicas> action;
  SourcePos pos;
  std::string path;  // "spec.steps[3]": where it was written
};

const char* step_key(const Step& s);

// ---- gates ---------------------------------------------------------------------------------

struct PrometheusQuery {
  std::string address;
  std::string query;
  std::optional<Duration> timeout;
  std::optional<std::string> bearer_token_file;
  bool insecure_skip_verify = false;
};

struct ScrapeQuery {
  std::string from = "canary";  // canary | stable | all
  std::string preset = "vllm";  // vllm | sglang | tgi
  std::string metric;           // error-rate, ttft-p99, ...
  std::string path = "/metrics";
};

struct HttpProbe {
  std::string path = "/health";
  int expect_status = 200;
  std::optional<std::string> body_contains;
  std::optional<std::string> model_listed;  // GET /v1/models must list this model or adapter
  std::string from = "canary";
  std::optional<Duration> timeout;
};

struct Compare {
  std::string baseline = "stable";
  std::optional<double> max_ratio;     // canary / baseline at most this
  std::optional<double> max_increase;  // canary - baseline at most this
  std::optional<double> min_ratio;     // canary / baseline at least this (e.g. throughput)
};

// Sequential judgement of error counts (gates/sequential.hpp): the gate fails as soon as the
// canary's error rate is credibly higher than the baseline's, and a canary no worse than the
// baseline is failed with probability at most `alpha`, however often it is measured.
struct Sequential {
  std::string baseline = "stable";
  double alpha = 0.01;
  double max_ratio = 2.0;           // the smallest canary/baseline error-rate ratio the test is tuned to catch
  int min_requests = 100;           // canary requests before the gate may fail
  std::optional<int> max_requests;  // canary requests after which an unfailed canary passes
};

struct Gate {
  std::string name;
  std::variant<PrometheusQuery, ScrapeQuery, HttpProbe> provider;
  Duration interval{30000};
  std::optional<int> count;
  std::optional<Duration> initial_delay;
  std::optional<std::string> success_condition;
  std::optional<std::string> failure_condition;
  int failure_limit = 0;
  int inconclusive_limit = 0;
  int consecutive_error_limit = 4;
  bool dry_run = false;
  std::optional<Compare> compare;
  std::optional<Sequential> sequential;
  SourcePos pos;
  std::string path;
};

// ---- plan ----------------------------------------------------------------------------------

struct Finalize {
  std::vector<std::vector<std::string>> run;
  bool delete_stable = false;
};

struct Plan {
  std::string name;
  std::optional<std::string> namespace_;
  Strategy strategy = Strategy::rolling;
  Target target;
  std::optional<Adapters> adapters;
  std::vector<Step> steps;
  std::vector<Gate> gates;
  std::vector<std::string> background;
  OnFailure on_failure = OnFailure::rollback;
  std::optional<Duration> progress_deadline;
  std::optional<Finalize> finalize;

  const Gate* find_gate(const std::string& gate_name) const;
};

}  // namespace rollout::plan
