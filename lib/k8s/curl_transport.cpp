#include <curl/curl.h>

#include <mutex>
#include <vector>

#include "k8s/exec_credential.hpp"
#include "k8s/transport.hpp"

namespace rollout::k8s {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Headers = std::unique_ptr<curl_slist, SlistDeleter>;
struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using Handle = std::unique_ptr<CURL, CurlDeleter>;

struct StreamState {
  const std::function<bool(std::string_view)>* on_data = nullptr;
  std::string* buffer = nullptr;
  std::string retry_after;
  bool stopped = false;
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* st = static_cast<StreamState*>(user);
  std::string_view chunk(data, size * n);
  if (st->buffer) {
    st->buffer->append(chunk);
    return size * n;
  }
  if (!(*st->on_data)(chunk)) {
    st->stopped = true;
    return 0;  // aborts the transfer
  }
  return size * n;
}

// Called about once a second, even on an idle stream: lets a watcher stop without waiting for data.
int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* st = static_cast<StreamState*>(user);
  if (st->on_data && !(*st->on_data)(std::string_view())) {
    st->stopped = true;
    return 1;
  }
  return 0;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* st = static_cast<StreamState*>(user);
  std::string line(data, size * n);
  const std::string key = "retry-after:";
  if (line.size() > key.size()) {
    std::string lower = line.substr(0, key.size());
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == key) {
      std::string v = line.substr(key.size());
      v.erase(0, v.find_first_not_of(" \t"));
      v.erase(v.find_last_not_of(" \t\r\n") + 1);
      st->retry_after = v;
    }
  }
  return size * n;
}

class CurlTransport : public Transport {
 public:
  CurlTransport(RestConfig config, Environment env) : config_(std::move(config)), env_(std::move(env)) {
    if (config_.user.exec) exec_ = std::make_unique<ExecCredentialProvider>(*config_.user.exec, config_.cluster);
    const ClusterInfo& c = config_.cluster;
    if (!c.tls_server_name.empty()) {
      // Verify the certificate for tls-server-name while connecting to the server's address.
      std::string server = c.server.substr(c.server.find("://") + 3);
      server = server.substr(0, server.find('/'));
      const size_t colon = server.rfind(':');
      const std::string port = colon != std::string::npos ? server.substr(colon + 1) : "443";
      const std::string host = server.substr(0, colon);
      connect_to_.reset(curl_slist_append(nullptr, (c.tls_server_name + ":" + port + ":" + host + ":" + port).c_str()));
      server_url_ = "https://" + c.tls_server_name + ":" + port;
    }
  }

  Result<HttpResult> send(const HttpCall& call) override {
    HttpResult out;
    auto status = perform(call, nullptr, &out.body, &out.retry_after);
    if (!status.ok()) return status.error();
    out.status = *status;
    return out;
  }

  Result<long> stream(const HttpCall& call, const std::function<bool(std::string_view)>& on_data) override {
    std::string ignored;
    return perform(call, &on_data, nullptr, &ignored);
  }

 private:
  // Runs the call; after a 401 with an exec plugin, refreshes the credential and tries once more.
  Result<long> perform(const HttpCall& call, const std::function<bool(std::string_view)>* on_data, std::string* body,
                       std::string* retry_after) {
    for (int attempt = 0;; ++attempt) {
      if (body) body->clear();
      auto status = perform_once(call, on_data, body, retry_after);
      if (status.ok() && *status == 401 && exec_ && attempt == 0) {
        exec_->invalidate();
        continue;
      }
      return status;
    }
  }

  Result<long> perform_once(const HttpCall& call, const std::function<bool(std::string_view)>* on_data,
                            std::string* body, std::string* retry_after) {
    global_init();
    Handle h = take_handle();
    if (!h) return make_error(ErrorKind::internal, "curl_easy_init failed");
    struct GiveBack {  // on every return path: the handle keeps its connection for the next request
      CurlTransport* self;
      Handle& h;
      ~GiveBack() { self->give_back(std::move(h)); }
    } give_back_on_exit{this, h};
    Headers headers;
    auto setup = configure(h.get(), call, headers);
    if (!setup.ok()) return setup.error();
    StreamState st;
    st.on_data = on_data;
    st.buffer = body;
    curl_easy_setopt(h.get(), CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h.get(), CURLOPT_WRITEDATA, &st);
    curl_easy_setopt(h.get(), CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h.get(), CURLOPT_HEADERDATA, &st);
    if (on_data) {
      curl_easy_setopt(h.get(), CURLOPT_XFERINFOFUNCTION, on_progress);
      curl_easy_setopt(h.get(), CURLOPT_XFERINFODATA, &st);
      curl_easy_setopt(h.get(), CURLOPT_NOPROGRESS, 0L);
    }
    CURLcode rc = curl_easy_perform(h.get());
    *retry_after = st.retry_after;
    long status = 0;
    curl_easy_getinfo(h.get(), CURLINFO_RESPONSE_CODE, &status);
    if ((rc == CURLE_WRITE_ERROR || rc == CURLE_ABORTED_BY_CALLBACK) && st.stopped) return status;
    if (rc == CURLE_OPERATION_TIMEDOUT)
      return make_error(ErrorKind::timeout, call.method + " " + config_.cluster.server + strip_query(call.path) +
                                                ": timed out after " + std::to_string(call.timeout.count()) + "ms");
    if (rc != CURLE_OK)
      return make_error(ErrorKind::unavailable, call.method + " " + config_.cluster.server + strip_query(call.path) +
                                                    ": " + curl_easy_strerror(rc));
    return status;
  }

  static std::string strip_query(const std::string& path) { return path.substr(0, path.find('?')); }

  // Easy handles are used by one request at a time; idle ones are kept so that their open
  // connections (and TLS sessions) serve later requests, from whichever thread.
  Handle take_handle() {
    {
      std::lock_guard lock(idle_mu_);
      if (!idle_.empty()) {
        Handle h = std::move(idle_.back());
        idle_.pop_back();
        return h;  // reset when given back: live connections and the TLS session cache stay
      }
    }
    return Handle(curl_easy_init());
  }

  void give_back(Handle h) {
    if (!h) return;
    curl_easy_reset(h.get());  // drops pointers into the finished request (body, headers, callbacks' state)
    std::lock_guard lock(idle_mu_);
    if (idle_.size() < kMaxIdleHandles) idle_.push_back(std::move(h));
  }

  static constexpr size_t kMaxIdleHandles = 32;

  Status configure(CURL* h, const HttpCall& call, Headers& headers) {
    std::string url = server_url_.empty() ? config_.cluster.server : server_url_;
    while (!url.empty() && url.back() == '/') url.pop_back();
    curl_easy_setopt(h, CURLOPT_URL, (url + call.path).c_str());
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, call.method.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(call.timeout.count()));
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    // gzip only, as kube-apiserver answers: libcurl would also offer br, and cpp-httplib servers
    // (the sandbox) compress with brotli at its slowest quality, seconds per megabyte of JSON.
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "gzip");
    if (!call.body.empty() || call.method == "POST" || call.method == "PUT" || call.method == "PATCH") {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, call.body.c_str());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(call.body.size()));
    }
    curl_slist* list = nullptr;
    list = curl_slist_append(list, ("Accept: " + call.accept).c_str());
    if (!call.content_type.empty()) list = curl_slist_append(list, ("Content-Type: " + call.content_type).c_str());
    list = curl_slist_append(list, "User-Agent: rollout/0.1 (linux)");
    auto auth = credentials(h, list);
    headers.reset(list);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    if (!auth.ok()) return auth;
    return tls(h);
  }

  Status tls(CURL* h) {
    const ClusterInfo& c = config_.cluster;
    if (c.insecure_skip_tls_verify) {
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (!c.certificate_authority_data.empty()) {
      curl_blob blob{const_cast<char*>(c.certificate_authority_data.data()), c.certificate_authority_data.size(),
                     CURL_BLOB_COPY};
      curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
    } else if (!c.certificate_authority.empty()) {
      // Through the environment seam, like every other file the configuration names.
      auto pem = env_.read_file(c.certificate_authority);
      if (!pem.ok())
        return make_error(ErrorKind::unavailable,
                          "cannot read certificate-authority " + c.certificate_authority + ": " + pem.error().message);
      std::string ca = *pem;
      curl_blob blob{ca.data(), ca.size(), CURL_BLOB_COPY};  // copied by curl before `ca` goes
      curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
    }
    if (connect_to_) curl_easy_setopt(h, CURLOPT_CONNECT_TO, connect_to_.get());
    if (!c.proxy_url.empty()) curl_easy_setopt(h, CURLOPT_PROXY, c.proxy_url.c_str());
    return ok_status();
  }

  static void client_cert(CURL* h, const std::string& cert_pem, const std::string& key_pem) {
    curl_blob cert{const_cast<char*>(cert_pem.data()), cert_pem.size(), CURL_BLOB_COPY};
    curl_blob key{const_cast<char*>(key_pem.data()), key_pem.size(), CURL_BLOB_COPY};
    curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert);
    curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key);
    curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
  }

  Status credentials(CURL* h, curl_slist*& headers) {
    const AuthInfo& u = config_.user;
    if (!u.client_certificate_data.empty() && !u.client_key_data.empty())
      client_cert(h, u.client_certificate_data, u.client_key_data);
    else if (!u.client_certificate.empty() && !u.client_key.empty()) {
      curl_easy_setopt(h, CURLOPT_SSLCERT, u.client_certificate.c_str());
      curl_easy_setopt(h, CURLOPT_SSLKEY, u.client_key.c_str());
    }
    std::string token = u.token;
    if (token.empty() && !u.token_file.empty()) {
      auto t = env_.read_file(u.token_file);  // re-read every time: projected tokens rotate
      if (!t.ok())
        return make_error(ErrorKind::unavailable, "cannot read tokenFile " + u.token_file + ": " + t.error().message);
      token = *t;
      while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
    }
    if (exec_) {
      auto cred = exec_->get();
      if (!cred.ok()) return cred.error();
      if (!cred->token.empty()) token = cred->token;
      if (!cred->client_certificate_data.empty()) client_cert(h, cred->client_certificate_data, cred->client_key_data);
    }
    if (!token.empty()) {
      headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
    } else if (!u.username.empty()) {
      curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
      curl_easy_setopt(h, CURLOPT_USERNAME, u.username.c_str());
      curl_easy_setopt(h, CURLOPT_PASSWORD, u.password.c_str());
    }
    return ok_status();
  }

  RestConfig config_;
  Environment env_;
  std::unique_ptr<ExecCredentialProvider> exec_;
  Headers connect_to_;      // tls-server-name: connect to the real host, verify the given name
  std::string server_url_;  // the URL as seen by TLS when tls-server-name is set
  std::mutex idle_mu_;
  std::vector<Handle> idle_;  // declared last: cleaned up before what the handles point at
};

}  // namespace

Result<std::unique_ptr<Transport>> make_curl_transport(const RestConfig& config, const Environment& env) {
  if (config.cluster.server.rfind("https://", 0) != 0 && config.cluster.server.rfind("http://", 0) != 0)
    return make_error(ErrorKind::invalid, "cluster server " + config.cluster.server + " is not an http(s) URL");
  if (config.user.exec) {
    if (auto s = check_exec_config(*config.user.exec); !s.ok()) return s.error();
  }
  return std::unique_ptr<Transport>(std::make_unique<CurlTransport>(config, env));
}

}  // namespace rollout::k8s
