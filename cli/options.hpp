// The parsed command line, as plain structs: cli/app.cpp fills them, the command handlers read them.
#pragma once

#include <string>
#include <vector>

namespace rollout::cli {

// Flags every command accepts, named as kubectl names them.
struct GlobalOptions {
  std::string kubeconfig;      // --kubeconfig; else $KUBECONFIG; else ~/.kube/config
  std::string context;         // --context
  std::string namespace_;      // -n/--namespace; else the context's namespace; else "default"
  std::string state_dir;       // --state-dir: local targets' state, pid files and logs
  std::string color = "auto";  // --color auto|always|never (NO_COLOR wins over auto)
  int verbosity = 0;           // -v, repeatable
};

struct ValidateOptions {
  std::vector<std::string> files;
  std::string output = "text";
};

struct DiffOptions {
  std::string file;
  std::string output = "text";
};

// plan new STRATEGY: the object to start from and the choices the objects leave open.
struct PlanNewOptions {
  std::string strategy;  // blueGreen | loraCanary | rolling
  std::string file;      // -f/--file: write here instead of standard output
  bool force = false;    // overwrite --file
  std::string name;      // metadata.name
  std::string route, model_route, canary;                                  // blueGreen
  std::string inference_model, rewrite, adapter, adapter_source;           // loraCanary
  std::string model_serving, model_infer, leader_worker_set, deployment;  // rolling
  std::string image;
};

struct ApplyOptions {
  std::string file;
  std::string dry_run;  // "", "client" or "server"
  bool yes = false;
  std::string output = "text";
  std::string timeout;
  bool until_pause = false;
  std::string junit;    // --junit FILE: JUnit XML written when the apply ends
  std::string summary;  // --summary FILE: Markdown appended when the apply ends
};

struct StatusOptions {
  std::string name;
  bool watch = false;
  std::string output = "text";
};

struct PromoteOptions {
  std::string name;
  bool full = false;
};

// abort, pause, resume, history: a rollout name and nothing else.
struct NameOptions {
  std::string name;
  std::string output = "text";
};

struct ListOptions {
  std::string output = "text";
};

struct SandboxUpOptions {
  int port = 6443;
  std::string address = "127.0.0.1";
  std::string kubeconfig_out;
  std::string data_dir;
  bool plain_http = false;
  double fault_error_rate = 0;     // share of API requests answered 500
  double fault_throttle_rate = 0;  // share answered 429
  std::string fault_latency = "0s";
  int fault_drop_watch_after = 0;  // close watches after N events
  std::string audit_log_path;      // JSON lines of audit.k8s.io/v1 Events
  double traffic_rate = 5;         // synthetic requests per second through each HTTPRoute and ModelRoute
  std::string traffic_header;      // NAME=VALUE carried by a share of the requests
  double traffic_header_share = 0.1;
  std::vector<std::string> gateway_ports;  // LISTENER_PORT=PORT: a Gateway listener port served on another
  std::vector<std::string> disable_api;  // GROUP or GROUP/VERSION not served (a cluster without that CRD)
};

struct ModelServerOptions {
  int port = 0;
  std::string host = "127.0.0.1";
  std::string model;
  std::string version;
  double error_rate = 0;
  std::string ttft = "50ms";
  std::string itl = "10ms";
  std::string startup = "0s";
  std::string generation = "0s";
  bool crash_on_start = false;
  bool no_runtime_lora = false;      // as vLLM without VLLM_ALLOW_RUNTIME_LORA_UPDATING
  std::string on_sigterm;             // drain | abort (legacy spelling of --shutdown-timeout)
  std::string shutdown_timeout;       // vLLM's --shutdown-timeout; default 0s: abort in-flight requests
};

struct CompletionOptions {
  std::string shell;
};

struct VersionOptions {
  std::string output = "text";
};

}  // namespace rollout::cli
