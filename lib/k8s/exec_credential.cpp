#include "k8s/exec_credential.hpp"

#include <nlohmann/json.hpp>

#include "util/base64.hpp"
#include "util/file.hpp"
#include "util/text.hpp"
#include "util/timestamp.hpp"

namespace rollout::k8s {

namespace {

using nlohmann::json;

Error invalid(std::string message) {
  return make_error(ErrorKind::invalid, std::move(message));
}

// A string member of `obj`: "" when absent or null; an error naming `field` for another type.
// The value itself never appears in errors: it may be a token.
Result<std::string> string_member(const json& obj, const char* key, const std::string& field) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_string()) return invalid(field + " is " + it->type_name() + ", not a string");
  return it->get<std::string>();
}

json cluster_info(const ClusterInfo& cluster, const std::string& ca_data) {
  json c = {{"server", cluster.server}};
  if (!cluster.tls_server_name.empty()) c["tls-server-name"] = cluster.tls_server_name;
  if (cluster.insecure_skip_tls_verify) c["insecure-skip-tls-verify"] = true;
  if (!ca_data.empty()) c["certificate-authority-data"] = base64_encode(ca_data);
  if (!cluster.proxy_url.empty()) c["proxy-url"] = cluster.proxy_url;
  return c;
}

Result<Credential> read_status(const json& status) {
  Credential cred;
  auto token = string_member(status, "token", "status.token");
  auto cert = string_member(status, "clientCertificateData", "status.clientCertificateData");
  auto key = string_member(status, "clientKeyData", "status.clientKeyData");
  auto expiry = string_member(status, "expirationTimestamp", "status.expirationTimestamp");
  for (const auto* r : {&token, &cert, &key, &expiry})
    if (!r->ok()) return r->error();
  if (token->empty() && cert->empty() && key->empty())
    return invalid("the ExecCredential has neither status.token nor status.clientCertificateData/clientKeyData");
  if (cert->empty() != key->empty())
    return invalid("the ExecCredential has only one of status.clientCertificateData and status.clientKeyData");
  cred.token = std::move(*token);
  cred.client_certificate_data = std::move(*cert);
  cred.client_key_data = std::move(*key);
  if (!expiry->empty()) {
    auto when = parse_rfc3339(*expiry);
    if (!when.ok()) return invalid("status.expirationTimestamp: " + when.error().message);
    cred.expiration = *when;
  }
  return cred;
}

}  // namespace

Status check_exec_config(const ExecConfig& exec) {
  if (exec.command.empty()) return invalid("command is empty: it must name the credential plugin to run");
  if (exec.api_version.empty()) return invalid("apiVersion is not set (use " + std::string(kExecApiV1) + ")");
  if (exec.api_version != kExecApiV1 && exec.api_version != kExecApiV1beta1) {
    return invalid("apiVersion " + quote(exec.api_version) + " is not supported (use " + std::string(kExecApiV1) +
                   " or " + std::string(kExecApiV1beta1) + ")");
  }
  if (exec.interactive_mode == InteractiveMode::unset)
    return invalid("interactiveMode must be set with apiVersion " + exec.api_version +
                   " (rollout runs credential plugins without a terminal: use Never or IfAvailable)");
  if (exec.interactive_mode == InteractiveMode::always)
    return invalid(
        "interactiveMode is Always, but rollout runs credential plugins without a terminal; "
        "log in first (e.g. with kubectl) or use a plugin mode that does not prompt (IfAvailable or Never)");
  return ok_status();
}

std::string exec_info_json(const ExecConfig& exec, const ClusterInfo& cluster, const std::string& ca_data) {
  json spec = {{"interactive", false}};
  if (exec.provide_cluster_info) spec["cluster"] = cluster_info(cluster, ca_data);
  return json{{"kind", "ExecCredential"}, {"apiVersion", exec.api_version}, {"spec", spec}}.dump();
}

Result<Credential> parse_exec_credential(std::string_view output, const std::string& api_version) {
  json j;
  try {
    j = json::parse(output);
  } catch (const json::parse_error& e) {
    // e.what() quotes the text near the error, which may be part of a token: give only the offset.
    return invalid("its output is not JSON (syntax error at byte " + std::to_string(e.byte) + ")");
  }
  if (!j.is_object()) return invalid(std::string("its output is a JSON ") + j.type_name() + ", not an ExecCredential");
  auto kind = string_member(j, "kind", "kind");
  auto version = string_member(j, "apiVersion", "apiVersion");
  if (!kind.ok()) return kind.error();
  if (!version.ok()) return version.error();
  if (*kind != "ExecCredential") return invalid("its output has kind " + quote(*kind) + ", not \"ExecCredential\"");
  if (*version != api_version) {
    return invalid("its output has apiVersion " + quote(*version) + ", but the kubeconfig asks for " +
                   quote(api_version));
  }
  const auto status = j.find("status");
  if (status == j.end() || !status->is_object()) return invalid("its ExecCredential has no status");
  return read_status(*status);
}

ExecCredentialProvider::ExecCredentialProvider(ExecConfig exec, ClusterInfo cluster, Clock clock, ProcessRunner runner,
                                               FileReader read_file)
    : exec_(std::move(exec)),
      cluster_(std::move(cluster)),
      clock_(clock ? std::move(clock) : Clock(std::chrono::system_clock::now)),
      runner_(runner ? std::move(runner) : ProcessRunner(run_process)),
      read_file_(read_file ? std::move(read_file) : FileReader(rollout::read_file)) {}

Result<Credential> ExecCredentialProvider::get() {
  std::lock_guard lock(mutex_);
  if (cached_ && (!cached_->expiration || clock_() < *cached_->expiration)) return *cached_;
  cached_.reset();
  auto fresh = run();
  if (fresh.ok()) cached_ = *fresh;
  return fresh;
}

void ExecCredentialProvider::invalidate() {
  std::lock_guard lock(mutex_);
  cached_.reset();
}

Result<Credential> ExecCredentialProvider::run() {
  const std::string plugin = "credential plugin " + quote(exec_.command);
  if (Status ok = check_exec_config(exec_); !ok.ok()) return invalid(plugin + ": " + ok.error().message);
  std::string ca = cluster_.certificate_authority_data;
  if (exec_.provide_cluster_info && ca.empty() && !cluster_.certificate_authority.empty()) {
    auto data = read_file_(cluster_.certificate_authority);
    if (!data.ok())
      return make_error(data.error().kind, plugin + ": cannot send the cluster's CA: " + data.error().message);
    ca = std::move(*data);
  }
  EnvVars env = exec_.env;
  env.emplace_back("KUBERNETES_EXEC_INFO", exec_info_json(exec_, cluster_, ca));
  std::vector<std::string> argv{exec_.command};
  argv.insert(argv.end(), exec_.args.begin(), exec_.args.end());
  auto ran = runner_(argv, env, "", kTimeout);
  if (!ran.ok()) {
    const Error& e = ran.error();
    if (e.kind != ErrorKind::not_found || exec_.install_hint.empty())
      return make_error(e.kind, "credential plugin: " + e.message);
    return make_error(e.kind, "credential plugin: " + e.message + ". " + output_tail(exec_.install_hint, 2000));
  }
  if (!ran->succeeded()) return plugin_error(*ran);
  auto cred = parse_exec_credential(ran->stdout_data, exec_.api_version);
  if (!cred.ok()) {
    const std::string tail = output_tail(ran->stderr_data);
    return invalid(plugin + " printed no usable credential: " + cred.error().message +
                   (tail.empty() ? "" : "; its stderr ends: " + tail));
  }
  return cred;
}

Error ExecCredentialProvider::plugin_error(const ProcessResult& r) const {
  std::string message =
      "credential plugin " + quote(exec_.command) + " failed (" +
      (r.signal != 0 ? "killed by signal " + std::to_string(r.signal) : "exit code " + std::to_string(r.exit_code)) +
      ")";
  const std::string tail = output_tail(r.stderr_data);
  if (!tail.empty()) message += ": " + tail;
  return make_error(ErrorKind::unavailable, message);
}

}  // namespace rollout::k8s
