#include "cli/help_examples.hpp"

#include <map>

namespace rollout::cli {

namespace {

// Names as in plans/ and examples/sandbox/: food-review-adapter is
// plans/lora-canary-inferencemodel.yaml's rollout.
const std::map<std::string, std::vector<Example>>& table() {
  static const std::map<std::string, std::vector<Example>> examples = {
      {"",
       {{"Check a plan, show what it would change, then run it",
         "rollout plan validate plans/inferencepool-blue-green.yaml"},
        {"", "rollout plan diff plans/inferencepool-blue-green.yaml"},
        {"", "rollout plan apply plans/inferencepool-blue-green.yaml"},
        {"Where a rollout stands, refreshed on every change", "rollout status -w food-review-adapter"},
        {"A cluster on loopback to try it on", "rollout sandbox up --kubeconfig-out /tmp/sandbox.kubeconfig"}}},
      {"plan",
       {{"Check every plan in a directory", "rollout plan validate plans/*.yaml"},
        {"Each step's changes against the live objects", "rollout plan diff plans/inferencepool-blue-green.yaml"},
        {"Run a plan in CI: no prompt, JSON events, a deadline",
         "rollout plan apply --yes -o json --timeout 30m plans/inferencepool-blue-green.yaml"}}},
      {"plan validate",
       {{"Check every plan in a directory (exit 2 if any is invalid)", "rollout plan validate plans/*.yaml"},
        {"Read the plan from standard input, report as JSON", "cat plan.yaml | rollout plan validate -o json -"}}},
      {"plan diff",
       {{"Each step's changes, as unified diffs against the current context's cluster",
         "rollout plan diff plans/inferencepool-blue-green.yaml"},
        {"Against another cluster and namespace", "rollout plan diff --context prod -n llm plan.yaml"},
        {"One JSON object per step", "rollout plan diff -o json plan.yaml"}}},
      {"plan new",
       {{"Blue-green from an HTTPRoute to the pool to move to, written to a file",
         "rollout plan new blueGreen --route llm-route --canary vllm-llama3-8b-instruct-new -f bg.yaml"},
        {"Blue-green from a Kthena ModelRoute", "rollout plan new blueGreen --model-route llama"},
        {"A LoRA canary from an InferenceModel",
         "rollout plan new loraCanary --inference-model food-review --adapter food-review-2 -f lora.yaml"},
        {"A LoRA canary from an InferenceModelRewrite",
         "rollout plan new loraCanary --rewrite food-review-rewrite --adapter food-review-2"},
        {"A rolling upgrade of a ModelServing to a new image",
         "rollout plan new rolling --model-serving llama3-8b-instruct --image vllm/vllm-openai:v0.10.2"},
        {"Of a Deployment in another namespace, overwriting the file",
         "rollout plan new rolling --deployment vllm-llama3-8b-instruct -n team-a -f rolling.yaml --force"}}},
      {"plan apply",
       {{"Run a plan, asking before the first change", "rollout plan apply plans/inferencepool-blue-green.yaml"},
        {"In CI: no prompt, one JSON event per line, a 30-minute deadline",
         "rollout plan apply --yes -o json --timeout 30m plan.yaml"},
        {"In a GitHub Actions job: a JUnit report, and a summary on the job's page",
         "rollout plan apply --yes -o json --junit rollout-junit.xml --summary \"$GITHUB_STEP_SUMMARY\" plan.yaml"},
        {"Print what would change, change nothing", "rollout plan apply --dry-run plan.yaml"},
        {"Also have the API server check every change (dryRun=All)", "rollout plan apply --dry-run=server plan.yaml"},
        {"Stop at the first manual pause and leave the rest to `rollout promote`",
         "rollout plan apply --yes --until-pause plan.yaml"},
        {"Resume a stopped run: apply the same plan again", "rollout plan apply --yes plan.yaml"}}},
      {"status",
       {{"Step, weights and gate results of a rollout", "rollout status food-review-adapter"},
        {"Keep watching, one line per change", "rollout status -w food-review-adapter"},
        {"As JSON, for scripts", "rollout status -o json food-review-adapter"}}},
      {"promote",
       {{"End the current pause", "rollout promote food-review-adapter"},
        {"Skip the remaining steps and go to 100% now (gates still apply)",
         "rollout promote --full food-review-adapter"}}},
      {"abort",
       {{"Stop and roll back to the recorded starting state", "rollout abort food-review-adapter"},
        {"A local rollout whose state is in another directory",
         "rollout abort --state-dir /tmp/rollout-demo/state sandbox-demo"}}},
      {"pause", {{"Hold a running rollout at its current step", "rollout pause food-review-adapter"}}},
      {"resume", {{"Release a paused rollout", "rollout resume food-review-adapter"}}},
      {"history",
       {{"Past runs and their outcomes", "rollout history food-review-adapter"},
        {"One JSON object per run", "rollout history -o json food-review-adapter"}}},
      {"list",
       {{"Rollouts in the context's namespace and the default state directory", "rollout list"},
        {"In another namespace, as JSON", "rollout list -n llm -o json"}}},
      {"sandbox",
       {{"A Kubernetes-compatible API server on loopback",
         "rollout sandbox up --kubeconfig-out /tmp/sandbox.kubeconfig"},
        {"A fake vLLM server on port 8000",
         "rollout sandbox model-server --port 8000 --model meta-llama/Llama-3.1-8B-Instruct --version v1"}}},
      {"sandbox up",
       {{"Start it, then use it with kubectl from another terminal",
         "rollout sandbox up --kubeconfig-out /tmp/sandbox.kubeconfig"},
        {"", "KUBECONFIG=/tmp/sandbox.kubeconfig kubectl apply -f examples/sandbox/"},
        {"Keep objects across restarts; 20 synthetic requests a second through each route",
         "rollout sandbox up --data-dir ~/.rollout-sandbox --traffic-rate 20"},
        {"A flaky API server: 10% of requests fail, 200ms added to each",
         "rollout sandbox up --fault-error-rate 0.1 --fault-latency 200ms"},
        {"Serve Gateway listeners of port 80 on 8080 (no root needed)", "rollout sandbox up --gateway-port 80=8080"}}},
      {"sandbox model-server",
       {{"A healthy replica",
         "rollout sandbox model-server --port 8000 --model meta-llama/Llama-3.1-8B-Instruct --version v1"},
        {"A bad canary: 20% errors and a slow first token",
         "rollout sandbox model-server --port 8001 --model meta-llama/Llama-3.1-8B-Instruct --version v2 "
         "--error-rate 0.2 --ttft 800ms"}}},
      {"completion",
       {{"bash, for the current user", "rollout completion bash > ~/.local/share/bash-completion/completions/rollout"},
        {"zsh", "rollout completion zsh > \"${fpath[1]}/_rollout\""},
        {"fish", "rollout completion fish > ~/.config/fish/completions/rollout.fish"}}},
      {"version",
       {{"Version, commit and plan API version", "rollout version"}, {"As JSON", "rollout version -o json"}}},
      {"man",
       {{"Read the manual without installing it", "rollout man | man -l -"},
        {"Write the page (docs/rollout.1 is this output)", "rollout man > rollout.1"}}},
  };
  return examples;
}

}  // namespace

const std::vector<Example>& help_examples(const std::string& path) {
  static const std::vector<Example> none;
  auto it = table().find(path);
  return it == table().end() ? none : it->second;
}

std::string examples_text(const std::vector<Example>& examples) {
  if (examples.empty()) return "";
  std::string out = "Examples:\n";
  for (size_t i = 0; i < examples.size(); ++i) {
    const Example& e = examples[i];
    if (!e.what.empty()) out += (i == 0 ? "" : "\n") + ("  # " + e.what + "\n");
    out += "  " + e.command + "\n";
  }
  return out;
}

}  // namespace rollout::cli
