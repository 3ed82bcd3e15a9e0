#include "sandbox/sandbox_server.hpp"

#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "sandbox/audit_log.hpp"
#include "sandbox/certs.hpp"
#include "sandbox/controller.hpp"
#include "sandbox/deployment_controller.hpp"
#include "sandbox/gateway_controller.hpp"
#include "sandbox/gateway_listeners.hpp"
#include "sandbox/http_glue.hpp"
#include "sandbox/lora_syncer.hpp"
#include "sandbox/pod_runtime.hpp"
#include "sandbox/prometheus_targets.hpp"
#include "sandbox/replicaset_controller.hpp"
#include "sandbox/serving_controllers.hpp"
#include "sandbox/workload_controllers.hpp"
#include "util/base64.hpp"

namespace rollout::sandbox {

namespace fs = std::filesystem;

struct SandboxServer::Impl {
  SandboxOptions options;
  std::string dir;  // data dir, or a private temp dir
  SandboxPki pki;
  std::string token;
  std::string kubeconfig_path;
  int port = 0;
  TypeRegistry types;
  std::unique_ptr<AuditLog> audit;  // outlives the store and the handler that write to it
  std::unique_ptr<ObjectStore> store;
  std::unique_ptr<ApiHandler> api;
  std::unique_ptr<ControllerManager> controllers;
  std::shared_ptr<PodRuntimes> pods = std::make_shared<PodRuntimes>(true);
  std::unique_ptr<TrafficGenerator> traffic;
  std::shared_ptr<GatewayListeners> gateways;  // the Gateways' listeners, routing with `traffic`
  std::unique_ptr<httplib::Server> server;
  std::thread thread;
};

namespace {

constexpr size_t kServerThreads = 128;

std::string random_hex(size_t n) {
  std::random_device rd;
  std::string out;
  const char* hex = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) out += hex[rd() % 16];
  return out;
}

std::string read_or_create_token(const fs::path& path) {
  std::ifstream in(path);
  std::string token;
  if (in >> token && !token.empty()) return token;
  token = random_hex(32);
  std::ofstream(path, std::ios::trunc) << token << "\n";
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  return token;
}

bool load_pem(SSL_CTX& ctx, const SandboxPki& pki) {
  auto bio_of = [](const std::string& pem) {
    return std::unique_ptr<BIO, decltype(&BIO_free)>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
                                                     BIO_free);
  };
  auto cert_bio = bio_of(pki.server_cert_pem), key_bio = bio_of(pki.server_key_pem), ca_bio = bio_of(pki.ca_cert_pem);
  X509* cert = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
  X509* ca = PEM_read_bio_X509(ca_bio.get(), nullptr, nullptr, nullptr);
  bool ok = cert && key && ca && SSL_CTX_use_certificate(&ctx, cert) == 1 && SSL_CTX_use_PrivateKey(&ctx, key) == 1;
  if (ok) {
    X509_STORE_add_cert(SSL_CTX_get_cert_store(&ctx), ca);
    // Ask for a client certificate but do not require one: bearer tokens are accepted too.
    SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER, nullptr);
    static const unsigned char sid[] = "rollout-sandbox";
    SSL_CTX_set_session_id_context(&ctx, sid, sizeof sid - 1);
    SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  X509_free(ca);
  return ok;
}

std::string kubeconfig_yaml(const std::string& url, const SandboxPki& pki, const std::string& token, bool tls) {
  std::string cluster = "  cluster:\n    server: " + url + "\n";
  if (tls) cluster += "    certificate-authority-data: " + base64_encode(pki.ca_cert_pem) + "\n";
  std::string admin = tls ? "    client-certificate-data: " + base64_encode(pki.client_cert_pem) +
                                "\n    client-key-data: " + base64_encode(pki.client_key_pem) + "\n"
                          : "    token: " + token + "\n";
  return "apiVersion: v1\nkind: Config\npreferences: {}\ncurrent-context: rollout-sandbox\n"
         "clusters:\n- name: rollout-sandbox\n" +
         cluster + "users:\n- name: rollout-sandbox-admin\n  user:\n" + admin +
         "- name: rollout-sandbox-token\n  user:\n    token: " + token +
         "\n"
         "contexts:\n- name: rollout-sandbox\n  context:\n    cluster: rollout-sandbox\n"
         "    user: rollout-sandbox-admin\n    namespace: default\n"
         "- name: rollout-sandbox-token\n  context:\n    cluster: rollout-sandbox\n"
         "    user: rollout-sandbox-token\n    namespace: default\n";
}

void route(httplib::Server& server, ApiHandler& api) {
  auto handle = [&api](const httplib::Request& req, httplib::Response& res) {
    HttpRequest r = to_request(req);
    if (api.is_watch(r)) {
      res.status = 200;
      // Not plain "application/json": httplib would gzip the stream and hold events back in its buffer.
      res.set_chunked_content_provider("application/json;stream=watch", [&api, r](size_t, httplib::DataSink& sink) {
        api.watch(r, [&sink](const std::string& chunk) {
          if (chunk.empty()) return sink.is_writable();
          return sink.write(chunk.data(), chunk.size());
        });
        sink.done();
        return true;
      });
      return;
    }
    write_response(api.handle(r), res);
  };
  const char* any = R"(/.*)";
  server.Get(any, handle);
  server.Post(any, handle);
  server.Put(any, handle);
  server.Patch(any, handle);
  server.Delete(any, handle);
}

}  // namespace

SandboxServer::SandboxServer(SandboxOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

SandboxServer::~SandboxServer() {
  stop();
}

Status SandboxServer::start() {
  Impl& s = *impl_;
  std::signal(SIGPIPE, SIG_IGN);  // TLS writes to a vanished client must not kill the server
  if (s.options.data_dir.empty()) {
    char tmpl[] = "/tmp/rollout-sandbox-XXXXXX";
    if (!mkdtemp(tmpl)) return make_error(ErrorKind::internal, "cannot create a temporary directory");
    s.dir = tmpl;
  } else {
    s.dir = s.options.data_dir;
    std::error_code ec;
    fs::create_directories(s.dir, ec);
    if (ec) return make_error(ErrorKind::usage, "--data-dir " + s.dir + ": " + ec.message());
  }
  auto pki = load_or_create_pki(s.dir + "/pki");
  if (!pki.ok()) return pki.error();
  s.pki = *pki;
  s.token = read_or_create_token(fs::path(s.dir) / "token");
  if (auto err = s.types.disable(s.options.disabled_apis)) return make_error(ErrorKind::usage, "--disable-api: " + *err);
  s.store = std::make_unique<ObjectStore>(s.types, s.options.data_dir.empty() ? "" : s.dir + "/store",
                                          s.options.event_window);
  Credentials creds;
  creds.tokens.insert(s.token);
  s.api = std::make_unique<ApiHandler>(s.types, *s.store, creds, s.options.faults);
  if (!s.options.audit_log_path.empty()) {
    auto audit = AuditLog::open(s.options.audit_log_path);
    if (!audit.ok()) return audit.error();
    s.audit = std::move(*audit);
    s.api->set_audit_log(s.audit.get());
    s.store->set_observer([log = s.audit.get()](const ObjectChange& change) {
      if (!serving_api_request()) log->write(audit_event(change, std::chrono::system_clock::now(), log->next_id()));
    });
  }
  s.api->set_pod_proxy(
      [pods = s.pods](const nlohmann::json& pod, const HttpRequest& req) -> std::optional<HttpResponse> {
        auto server = pods->find(pod["metadata"].value("uid", ""));
        if (!server) return std::nullopt;
        return server->handle(req);
      });
  if (s.options.tls) {
    const SandboxPki pki_copy = s.pki;
    s.server = std::make_unique<httplib::SSLServer>([pki_copy](SSL_CTX& ctx) { return load_pem(ctx, pki_copy); });
  } else {
    s.server = std::make_unique<httplib::Server>();
  }
  if (!s.server->is_valid()) return make_error(ErrorKind::internal, "cannot set up TLS for the sandbox API server");
  // One thread per open connection: watches hold theirs, and clients that keep connections alive
  // (kubectl, the engine's concurrent writers) hold theirs between requests.
  s.server->new_task_queue = [] { return new httplib::ThreadPool(kServerThreads); };
  s.server->set_keep_alive_max_count(1000);  // httplib's default, 5, would reconnect every 5 requests
  // Without it an answer written in more than one piece (TLS records, headers then body) waits
  // for the client's delayed ACK: ~40 ms per request (Nagle's algorithm).
  s.server->set_tcp_nodelay(true);
  s.server->set_read_timeout(300, 0);
  route(*s.server, *s.api);
  s.port = s.options.port == 0 ? s.server->bind_to_any_port(s.options.address)
                               : (s.server->bind_to_port(s.options.address, s.options.port) ? s.options.port : -1);
  if (s.port <= 0)
    return make_error(ErrorKind::unavailable,
                      "cannot listen on " + s.options.address + ":" + std::to_string(s.options.port) + " (in use?)");
  s.kubeconfig_path = s.options.kubeconfig_out.empty() ? s.dir + "/kubeconfig" : s.options.kubeconfig_out;
  std::ofstream out(s.kubeconfig_path, std::ios::trunc);
  out << kubeconfig_yaml(url(), s.pki, s.token, s.options.tls);
  if (!out) return make_error(ErrorKind::usage, "cannot write the kubeconfig to " + s.kubeconfig_path);
  fs::permissions(s.kubeconfig_path, fs::perms::owner_read | fs::perms::owner_write);
  s.thread = std::thread([this] { impl_->server->listen_after_bind(); });
  s.traffic = std::make_unique<TrafficGenerator>(*s.store, s.types, *s.pods, s.options.traffic);
  if (auto line = privileged_port_notice(s.options.gateway_ports); line && s.options.notice) s.options.notice(*line);
  s.gateways =
      std::make_shared<GatewayListeners>(*s.store, s.types, *s.traffic, s.options.gateway_ports, s.options.notice);
  s.controllers = std::make_unique<ControllerManager>(*s.store, s.types);
  s.controllers->add(make_gateway_controller(s.gateways));
  s.controllers->add(make_deployment_controller());
  s.controllers->add(make_replica_set_controller());
  s.controllers->add(make_model_serving_controller());
  s.controllers->add(make_model_infer_controller());
  s.controllers->add(make_leader_worker_set_controller());
  s.controllers->add(make_pod_controller(s.pods));
  s.controllers->add(make_lora_syncer(s.pods));
  s.controllers->add(make_prometheus_targets(s.pods, s.dir));
  std::ofstream(s.dir + "/prometheus.yml", std::ios::trunc) << prometheus_config(s.dir + "/prometheus-targets.json");
  s.controllers->start();
  s.traffic->start();
  return ok_status();
}

void SandboxServer::stop() {
  Impl& s = *impl_;
  if (!s.server) return;
  if (s.traffic) s.traffic->stop();
  if (s.controllers) s.controllers->stop();
  if (s.gateways) s.gateways->stop_all();
  if (s.api) s.api->stop();
  s.server->stop();
  if (s.thread.joinable()) s.thread.join();
  s.server.reset();
}

int SandboxServer::port() const {
  return impl_->port;
}

std::string SandboxServer::url() const {
  const std::string host = impl_->options.address.find(':') != std::string::npos ? "[" + impl_->options.address + "]"
                                                                                 : impl_->options.address;
  return std::string(impl_->options.tls ? "https://" : "http://") + host + ":" + std::to_string(impl_->port);
}

const std::string& SandboxServer::kubeconfig_path() const {
  return impl_->kubeconfig_path;
}
const std::string& SandboxServer::token() const {
  return impl_->token;
}
ApiHandler& SandboxServer::api() {
  return *impl_->api;
}

std::string SandboxServer::prometheus_config_path() const {
  return impl_->dir + "/prometheus.yml";
}

HttpRequest to_request(const httplib::Request& req) {
  HttpRequest r;
  r.method = req.method;
  r.path = req.path;
  for (const auto& [k, v] : req.params) r.query.emplace(k, v);
  for (const auto& [k, v] : req.headers) {
    std::string lower = k;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[lower] = v;
  }
  r.body = req.body;
  if (req.ssl) {
    X509* peer = SSL_get_peer_certificate(const_cast<SSL*>(req.ssl));
    if (peer) {
      r.client_cert_verified = SSL_get_verify_result(req.ssl) == X509_V_OK;
      char buf[256];
      X509_NAME_oneline(X509_get_subject_name(peer), buf, sizeof buf);
      r.client_cert_subject = buf;
      X509_free(peer);
    }
  }
  return r;
}

void write_response(const HttpResponse& out, httplib::Response& res) {
  res.status = out.status;
  for (const auto& [k, v] : out.headers) res.set_header(k, v);
  res.set_content(out.body, out.content_type);
}

}  // namespace rollout::sandbox
