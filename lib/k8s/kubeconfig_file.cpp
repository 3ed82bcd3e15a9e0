#include "k8s/kubeconfig_file.hpp"

#include <filesystem>
#include <optional>

#include "util/base64.hpp"
#include "util/text.hpp"
#include "util/yaml_tree.hpp"

namespace rollout::k8s {

namespace {

// Reads fields of one file. The first problem sticks (later reads return defaults), so decoders
// stay linear; the error names the file, the position and the field.
class FieldReader {
 public:
  explicit FieldReader(const std::string& path)
      : path_(path), dir_(std::filesystem::path(path).parent_path().string()) {}

  // "users[\"alice\"].user" + "token" -> "users[\"alice\"].user.token"
  static std::string join(const std::string& field, std::string_view key) {
    return field.empty() ? std::string(key) : field + "." + std::string(key);
  }

  bool failed() const { return error_.has_value(); }
  const Error& error() const { return *error_; }
  const std::string& path() const { return path_; }

  void fail(const YamlNode& at, const std::string& field, const std::string& problem) {
    if (!error_)
      error_ = make_error(ErrorKind::invalid,
                          format_diagnostic(path_, {at.pos, (field.empty() ? "" : field + ": ") + problem}));
  }

  std::string string(const YamlNode& parent, std::string_view key, const std::string& field) {
    const YamlNodePtr n = parent.find(key);
    if (!n || n->is_null()) return "";
    if (!n->is_scalar()) fail(*n, join(field, key), "expected a string, not " + n->describe());
    return n->is_scalar() ? n->scalar : "";
  }

  bool boolean(const YamlNode& parent, std::string_view key, const std::string& field) {
    const YamlNodePtr n = parent.find(key);
    if (!n || n->is_null()) return false;
    if (n->is_scalar() && !n->quoted) {
      // YAML 1.1 booleans, as kubectl's YAML decoder reads them.
      for (std::string_view t : {"true", "True", "TRUE", "yes", "Yes", "YES", "y", "Y", "on", "On", "ON"})
        if (n->scalar == t) return true;
      for (std::string_view f : {"false", "False", "FALSE", "no", "No", "NO", "n", "N", "off", "Off", "OFF"})
        if (n->scalar == f) return false;
    }
    fail(*n, join(field, key), "expected true or false, not " + n->describe());
    return false;
  }

  // A base64 field (certificate-authority-data, ...), decoded.
  std::string data(const YamlNode& parent, std::string_view key, const std::string& field) {
    const std::string text = string(parent, key, field);
    if (text.empty()) return "";
    auto decoded = base64_decode(text);
    if (decoded.ok()) return *decoded;
    fail(*parent.find(key), join(field, key), decoded.error().message);
    return "";
  }

  // A file reference, resolved against the directory of this kubeconfig file.
  std::string file(const YamlNode& parent, std::string_view key, const std::string& field) {
    return resolve(string(parent, key, field));
  }
  std::string resolve(const std::string& p) const {
    if (p.empty() || std::filesystem::path(p).is_absolute()) return p;
    return (std::filesystem::path(dir_) / p).lexically_normal().string();
  }

  // A mapping, or nullptr when absent or null.
  const YamlNode* map(const YamlNode& parent, std::string_view key, const std::string& field) {
    const YamlNodePtr n = parent.find(key);
    if (!n || n->is_null()) return nullptr;
    if (n->is_map()) return n.get();
    fail(*n, join(field, key), "expected a mapping, not " + n->describe());
    return nullptr;
  }

  // The items of a list, or none when absent or null.
  std::vector<YamlNodePtr> list(const YamlNode& parent, std::string_view key, const std::string& field) {
    const YamlNodePtr n = parent.find(key);
    if (!n || n->is_null()) return {};
    if (n->is_sequence()) return n->items;
    fail(*n, join(field, key), "expected a list, not " + n->describe());
    return {};
  }

 private:
  std::string path_;
  std::string dir_;
  std::optional<Error> error_;
};

const YamlNode kEmpty{};

ClusterInfo read_cluster(FieldReader& r, const YamlNode& n, const std::string& field) {
  ClusterInfo c;
  c.server = r.string(n, "server", field);
  c.certificate_authority_data = r.data(n, "certificate-authority-data", field);
  c.certificate_authority = r.file(n, "certificate-authority", field);
  c.insecure_skip_tls_verify = r.boolean(n, "insecure-skip-tls-verify", field);
  c.tls_server_name = r.string(n, "tls-server-name", field);
  c.proxy_url = r.string(n, "proxy-url", field);
  return c;
}

InteractiveMode read_interactive_mode(FieldReader& r, const YamlNode& n, const std::string& field,
                                      const std::string& api_version) {
  const std::string mode = r.string(n, "interactiveMode", field);
  if (mode == "Never") return InteractiveMode::never;
  if (mode == "IfAvailable") return InteractiveMode::if_available;
  if (mode == "Always") return InteractiveMode::always;
  if (!mode.empty()) {
    r.fail(*n.find("interactiveMode"), field + ".interactiveMode",
           quote(mode) + " is not an interactive mode (use Never, IfAvailable or Always)");
  }
  // Defaulted for the beta API only, as client-go does; v1 requires it to be written.
  if (api_version == "client.authentication.k8s.io/v1beta1") return InteractiveMode::if_available;
  return InteractiveMode::unset;
}

ExecConfig read_exec(FieldReader& r, const YamlNode& n, const std::string& field) {
  ExecConfig e;
  e.api_version = r.string(n, "apiVersion", field);
  e.command = r.string(n, "command", field);
  if (e.command.find('/') != std::string::npos) e.command = r.resolve(e.command);
  const auto args = r.list(n, "args", field);
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i]->is_scalar())
      e.args.push_back(args[i]->scalar);
    else
      r.fail(*args[i], field + ".args[" + std::to_string(i) + "]", "expected a string, not " + args[i]->describe());
  }
  const auto env = r.list(n, "env", field);
  for (size_t i = 0; i < env.size(); ++i) {
    const std::string at = field + ".env[" + std::to_string(i) + "]";
    if (!env[i]->is_map()) r.fail(*env[i], at, "expected a mapping with name and value, not " + env[i]->describe());
    const YamlNode& item = env[i]->is_map() ? *env[i] : kEmpty;
    std::string name = r.string(item, "name", at);
    if (name.empty() && env[i]->is_map()) r.fail(item, at + ".name", "an environment variable needs a name");
    e.env.emplace_back(std::move(name), r.string(item, "value", at));
  }
  e.provide_cluster_info = r.boolean(n, "provideClusterInfo", field);
  e.interactive_mode = read_interactive_mode(r, n, field, e.api_version);
  e.install_hint = r.string(n, "installHint", field);
  return e;
}

AuthInfo read_user(FieldReader& r, const YamlNode& n, const std::string& field) {
  AuthInfo u;
  u.client_certificate_data = r.data(n, "client-certificate-data", field);
  u.client_certificate = r.file(n, "client-certificate", field);
  u.client_key_data = r.data(n, "client-key-data", field);
  u.client_key = r.file(n, "client-key", field);
  u.token = r.string(n, "token", field);
  u.token_file = r.file(n, "tokenFile", field);
  u.username = r.string(n, "username", field);
  u.password = r.string(n, "password", field);
  if (const YamlNode* exec = r.map(n, "exec", field)) u.exec = read_exec(r, *exec, field + ".exec");
  if (const YamlNode* provider = r.map(n, "auth-provider", field)) {
    u.auth_provider = r.string(*provider, "name", field + ".auth-provider");
    if (u.auth_provider.empty()) u.auth_provider = "(unnamed)";
  }
  u.impersonate = r.string(n, "as", field);
  return u;
}

ContextInfo read_context(FieldReader& r, const YamlNode& n, const std::string& field) {
  return ContextInfo{r.string(n, "cluster", field), r.string(n, "user", field), r.string(n, "namespace", field)};
}

// Reads the list `key` ("clusters") whose items are {name, <inner>: {...}} into `out`, by name.
template <typename T, typename Decode>
void read_named(FieldReader& r, const YamlNode& root, std::string_view key, std::string_view inner,
                std::map<std::string, Defined<T>>& out, Decode decode) {
  const auto items = r.list(root, key, "");
  for (size_t i = 0; i < items.size() && !r.failed(); ++i) {
    const std::string at = std::string(key) + "[" + std::to_string(i) + "]";
    if (!items[i]->is_map()) {
      r.fail(*items[i], at, "expected a mapping with name and " + std::string(inner) + ", not " + items[i]->describe());
      return;
    }
    const std::string name = r.string(*items[i], "name", at);
    const std::string field = std::string(key) + "[" + quote(name) + "]";
    const YamlNode* body = r.map(*items[i], inner, field);
    T value = decode(r, body ? *body : kEmpty, FieldReader::join(field, inner));
    auto [it, added] = out.try_emplace(name, Defined<T>{std::move(value), r.path(), items[i]->pos});
    if (!added) {
      r.fail(*items[i], field,
             "duplicate name " + quote(name) + " (first defined at line " + std::to_string(it->second.pos.line) + ")");
    }
  }
}

void check_kind(FieldReader& r, const YamlNode& root) {
  const std::string kind = r.string(root, "kind", "");
  if (!kind.empty() && kind != "Config") r.fail(*root.find("kind"), "kind", "expected Config, not " + quote(kind));
  const std::string version = r.string(root, "apiVersion", "");
  if (!version.empty() && version != "v1")
    r.fail(*root.find("apiVersion"), "apiVersion", "expected v1, not " + quote(version));
}

}  // namespace

Result<KubeconfigFile> parse_kubeconfig(const std::string& path, std::string_view text) {
  KubeconfigFile file;
  file.path = path;
  const YamlParse parsed = parse_yaml(text);
  if (!parsed.diagnostics.empty())
    return make_error(ErrorKind::invalid, format_diagnostic(path, parsed.diagnostics.items().front()));
  if (parsed.documents.empty() || parsed.documents.front().root->is_null()) return file;
  const YamlNode& root = *parsed.documents.front().root;
  FieldReader r(path);
  if (!root.is_map())
    r.fail(root, "", "expected a kubeconfig (a mapping with clusters, users and contexts), not " + root.describe());
  if (r.failed()) return r.error();
  check_kind(r, root);
  read_named(r, root, "clusters", "cluster", file.clusters, read_cluster);
  read_named(r, root, "users", "user", file.users, read_user);
  read_named(r, root, "contexts", "context", file.contexts, read_context);
  file.current_context = r.string(root, "current-context", "");
  if (r.failed()) return r.error();
  return file;
}

}  // namespace rollout::k8s
