#include "k8s/kubeconfig.hpp"

#include <algorithm>
#include <filesystem>

#include "k8s/kubeconfig_check.hpp"
#include "k8s/kubeconfig_file.hpp"
#include "util/text.hpp"

namespace rollout::k8s {

namespace {

constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

// The kubeconfig files merged into one view: the first file to define a name wins.
struct MergedConfig {
  std::vector<std::string> looked_for;  // candidate files, in precedence order
  std::vector<std::string> files;       // those read
  std::string current_context;
  std::string current_context_file;
  std::map<std::string, Defined<ClusterInfo>> clusters;
  std::map<std::string, Defined<AuthInfo>> users;
  std::map<std::string, Defined<ContextInfo>> contexts;

  bool empty() const { return current_context.empty() && clusters.empty() && users.empty() && contexts.empty(); }
};

std::string absolute_path(const std::string& p) {
  std::error_code ec;
  const auto abs = std::filesystem::absolute(p, ec);
  return ec ? p : abs.lexically_normal().string();
}

std::string join(const std::vector<std::string>& items, const std::string& separator = ", ") {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

// Candidate files without --kubeconfig: $KUBECONFIG's entries (empty ones skipped, each path
// once), else ~/.kube/config.
std::vector<std::string> default_candidates(const Environment& env) {
  std::vector<std::string> out;
  const auto add = [&](const std::string& p) {
    const std::string abs = absolute_path(p);
    if (std::find(out.begin(), out.end(), abs) == out.end()) out.push_back(abs);
  };
  if (auto list = env.getenv("KUBECONFIG"); list && !list->empty()) {
    for (size_t start = 0; start <= list->size();) {
      const size_t end = std::min(list->find(':', start), list->size());
      if (end > start) add(list->substr(start, end - start));
      start = end + 1;
    }
    return out;
  }
  if (auto home = env.getenv("HOME"); home && !home->empty()) add(*home + "/.kube/config");
  return out;
}

void merge(MergedConfig& m, KubeconfigFile&& f) {
  m.files.push_back(f.path);
  if (m.current_context.empty() && !f.current_context.empty()) {
    m.current_context = f.current_context;
    m.current_context_file = f.path;
  }
  // std::map::merge leaves a name that is already present where it is: the first file wins.
  m.clusters.merge(f.clusters);
  m.users.merge(f.users);
  m.contexts.merge(f.contexts);
}

Result<MergedConfig> load_kubeconfigs(const ConfigOverrides& o, const Environment& env) {
  MergedConfig m;
  const bool explicit_file = !o.kubeconfig.empty();
  if (explicit_file) {
    m.looked_for.push_back(absolute_path(o.kubeconfig));
    if (!env.file_exists(m.looked_for.front()))
      return make_error(ErrorKind::not_found, "kubeconfig " + o.kubeconfig + " (from --kubeconfig) does not exist");
  } else {
    m.looked_for = default_candidates(env);
  }
  for (const auto& path : m.looked_for) {
    if (!explicit_file && !env.file_exists(path)) continue;  // missing files in the list are skipped
    auto text = env.read_file(path);
    if (!text.ok() && text.error().kind == ErrorKind::not_found && !explicit_file) continue;
    if (!text.ok()) return make_error(text.error().kind, "cannot read kubeconfig: " + text.error().message);
    auto file = parse_kubeconfig(path, *text);
    if (!file.ok()) return file.error();
    merge(m, std::move(*file));
  }
  return m;
}

// "contexts defined: "a", "b" and "c"" (the first few), for errors about a missing name.
template <typename T>
std::string defined_names(const std::map<std::string, T>& entries, const std::string& plural) {
  if (entries.empty()) return "no " + plural + " are defined";
  std::vector<std::string> names;
  for (const auto& [name, entry] : entries) names.push_back(name);
  std::string out = plural + " defined: ";
  const size_t shown = std::min<size_t>(names.size(), 10);
  if (shown == names.size()) return out + quoted_list(names, "and");
  for (size_t i = 0; i < shown; ++i) out += quote(names[i]) + ", ";
  return out + "and " + std::to_string(names.size() - shown) + " more";
}

Error missing_context(const MergedConfig& m, const std::string& name, bool from_flag) {
  std::vector<std::string> names;
  for (const auto& [n, c] : m.contexts) names.push_back(n);
  std::string guess = closest_match(name, names);
  if (edit_distance(name, guess) >= name.size()) guess.clear();  // "a" for "x" is no hint
  return make_error(ErrorKind::invalid, "context " + quote(name) + " (from " +
                                            (from_flag ? "--context" : "current-context in " + m.current_context_file) +
                                            ") is not defined in " + join(m.files) +
                                            (guess.empty() ? "" : "; did you mean " + quote(guess) + "?") + " (" +
                                            defined_names(m.contexts, "contexts") + ")");
}

Result<RestConfig> from_kubeconfig(const MergedConfig& m, const ConfigOverrides& o, const Environment& env) {
  const bool from_flag = !o.context.empty();
  const std::string name = from_flag ? o.context : m.current_context;
  if (name.empty()) {
    return make_error(ErrorKind::invalid, "no current context: " + join(m.files) +
                                              " sets no current-context; pass --context NAME (" +
                                              defined_names(m.contexts, "contexts") + ")");
  }
  const auto context = m.contexts.find(name);
  if (context == m.contexts.end()) return missing_context(m, name, from_flag);
  const Defined<ContextInfo>& c = context->second;
  const std::string what = "context " + quote(name);
  if (c.value.cluster.empty()) return error_at(c, what, "no cluster is set");
  const auto cluster = m.clusters.find(c.value.cluster);
  if (cluster == m.clusters.end()) {
    return error_at(c, what,
                    "cluster " + quote(c.value.cluster) + " is not defined in " + join(m.files) + " (" +
                        defined_names(m.clusters, "clusters") + ")");
  }
  const auto user = m.users.find(c.value.user);
  if (!c.value.user.empty() && user == m.users.end()) {
    return error_at(c, what,
                    "user " + quote(c.value.user) + " is not defined in " + join(m.files) + " (" +
                        defined_names(m.users, "users") + ")");
  }
  if (!c.value.namespace_.empty() && !is_namespace_name(c.value.namespace_))
    return error_at(c, what, "namespace " + quote(c.value.namespace_) + " is not a valid namespace name");
  if (Status s = check_cluster(c.value.cluster, cluster->second, env); !s.ok()) return s.error();
  if (user != m.users.end())
    if (Status s = check_user(c.value.user, user->second, env); !s.ok()) return s.error();

  RestConfig r;
  r.context_name = name;
  r.cluster_name = c.value.cluster;
  r.user_name = c.value.user;
  r.cluster = cluster->second.value;
  if (user != m.users.end()) r.user = user->second.value;
  r.namespace_ = !o.namespace_.empty() ? o.namespace_ : !c.value.namespace_.empty() ? c.value.namespace_ : "default";
  r.files = m.files;
  return r;
}

bool in_cluster_possible(const Environment& env) {
  const auto host = env.getenv("KUBERNETES_SERVICE_HOST");
  const auto port = env.getenv("KUBERNETES_SERVICE_PORT");
  return host && !host->empty() && port && !port->empty() &&
         env.file_exists(std::string(kServiceAccountDir) + "/token");
}

// -n, else POD_NAMESPACE (the downward API), else the service account's namespace, else "default".
std::string in_cluster_namespace(const ConfigOverrides& o, const Environment& env) {
  if (!o.namespace_.empty()) return o.namespace_;
  if (auto ns = env.getenv("POD_NAMESPACE"); ns && !ns->empty()) return *ns;
  if (auto data = env.read_file(std::string(kServiceAccountDir) + "/namespace"); data.ok()) {
    const size_t begin = data->find_first_not_of(" \t\r\n");
    if (begin != std::string::npos) return data->substr(begin, data->find_last_not_of(" \t\r\n") + 1 - begin);
  }
  return "default";
}

// The pod's service account: the API server's Service address, a token file the kubelet rotates
// (so it is re-read, never copied), and the cluster CA if it is mounted.
RestConfig in_cluster_config(const ConfigOverrides& o, const Environment& env) {
  std::string host = env.getenv("KUBERNETES_SERVICE_HOST").value_or("");
  if (host.find(':') != std::string::npos) host = "[" + host + "]";  // an IPv6 address
  RestConfig r;
  r.in_cluster = true;
  r.cluster.server = "https://" + host + ":" + env.getenv("KUBERNETES_SERVICE_PORT").value_or("");
  const std::string ca = std::string(kServiceAccountDir) + "/ca.crt";
  if (env.file_exists(ca)) r.cluster.certificate_authority = ca;
  r.user.token_file = std::string(kServiceAccountDir) + "/token";
  r.namespace_ = in_cluster_namespace(o, env);
  return r;
}

Error no_configuration(const MergedConfig& m) {
  if (!m.files.empty())
    return make_error(ErrorKind::invalid, "kubeconfig " + join(m.files) + " defines no clusters, users or contexts");
  const std::string where =
      m.looked_for.empty() ? "KUBECONFIG and HOME are not set" : "looked for " + join(m.looked_for, ", ");
  return make_error(ErrorKind::not_found, "no kubeconfig found (" + where +
                                              ") and not running in a pod; pass --kubeconfig or set KUBECONFIG");
}

}  // namespace

Result<RestConfig> load_rest_config(const ConfigOverrides& overrides, const Environment& env) {
  auto merged = load_kubeconfigs(overrides, env);
  if (!merged.ok()) return merged.error();
  if (!merged->empty()) return from_kubeconfig(*merged, overrides, env);
  if (!in_cluster_possible(env)) return no_configuration(*merged);
  // kubectl would ignore --context here; pointing somewhere the user did not name is worse than an error.
  if (!overrides.context.empty()) {
    return make_error(ErrorKind::invalid, "--context " + quote(overrides.context) +
                                              " names a kubeconfig context, but there is no kubeconfig (this is a "
                                              "pod, which uses its service account)");
  }
  return in_cluster_config(overrides, env);
}

}  // namespace rollout::k8s
