#include "engine/executor.hpp"

#include <algorithm>
#include <cctype>

namespace rollout::engine {

using nlohmann::json;

namespace {

json set_op(const json& live, const std::string& pointer, const json& value) {
  const bool exists = live.contains(json::json_pointer(pointer));
  return {{"op", exists ? "replace" : "add"}, {"path", pointer}, {"value", value}};
}

Result<k8s::ApiResource> resource_of(k8s::Client& client, const actuators::ObjectRef& ref) {
  return client.resource(ref.api_version, ref.kind);
}

// Writes through the API server: for real, or with dryRun=All.
class ApiExecutor : public ObjectExecutor {
 public:
  ApiExecutor(k8s::Client& client, k8s::DryRun dry) : client_(client), dry_(dry) {}
  bool mutates() const override { return dry_ == k8s::DryRun::none; }

  Result<json> read(const actuators::ObjectRef& ref) override {
    if (auto it = simulated_.find(ref.key()); it != simulated_.end()) return it->second;
    auto r = resource_of(client_, ref);
    if (!r.ok()) return r.error();
    return client_.get(*r, ref.namespace_, ref.name);
  }

  Result<json> write(const actuators::ObjectRef& ref, const json& live, const json& desired,
                     const std::vector<std::string>& fields) override {
    auto r = resource_of(client_, ref);
    if (!r.ok()) return r.error();
    const json ops = field_patch(live, desired, fields);
    if (ops.empty()) return live;
    if (dry_ != k8s::DryRun::none) {
      // Whole owned fields are replaced, so the server may apply the ops to its live object.
      auto written = client_.patch(*r, ref.namespace_, ref.name, k8s::PatchKind::json, ops, dry_);
      if (written.ok()) simulated_[ref.key()] = *written;
      return written;
    }
    const std::string rv = live["metadata"].value("resourceVersion", "");
    return client_.patch_if_unchanged(*r, ref.namespace_, ref.name, rv, ops, dry_);
  }

  Result<json> restore(const actuators::ObjectRef& ref, const FieldValues& original) override {
    auto r = resource_of(client_, ref);
    if (!r.ok()) return r.error();
    auto live = read(ref);
    if (!live.ok()) return live.error();
    const json ops = restore_patch(*live, original);
    if (ops.empty()) return live;
    auto written = client_.patch(*r, ref.namespace_, ref.name, k8s::PatchKind::json, ops, dry_);
    if (written.ok() && dry_ != k8s::DryRun::none) simulated_[ref.key()] = *written;
    return written;
  }

 private:
  k8s::Client& client_;
  k8s::DryRun dry_;
  std::map<std::string, json> simulated_;  // dry-run: objects as the earlier steps left them
};

// --dry-run=client: reads live objects once, then only changes its own copies.
class ClientDryRunExecutor : public ObjectExecutor {
 public:
  explicit ClientDryRunExecutor(k8s::Client& client) : client_(client) {}
  bool mutates() const override { return false; }

  Result<json> read(const actuators::ObjectRef& ref) override {
    if (auto it = copies_.find(ref.key()); it != copies_.end()) return it->second;
    auto r = resource_of(client_, ref);
    if (!r.ok()) return r.error();
    auto live = client_.get(*r, ref.namespace_, ref.name);
    if (live.ok()) copies_[ref.key()] = *live;
    return live;
  }

  Result<json> write(const actuators::ObjectRef& ref, const json& live, const json& desired,
                     const std::vector<std::string>& fields) override {
    json out = live.patch(field_patch(live, desired, fields));
    copies_[ref.key()] = out;
    return out;
  }

  Result<json> restore(const actuators::ObjectRef& ref, const FieldValues& original) override {
    auto live = read(ref);
    if (!live.ok()) return live.error();
    json out = live->patch(restore_patch(*live, original));
    copies_[ref.key()] = out;
    return out;
  }

 private:
  k8s::Client& client_;
  std::map<std::string, json> copies_;
};

std::string unescape(std::string token) {
  for (size_t at = token.find("~1"); at != std::string::npos; at = token.find("~1", at + 1)) token.replace(at, 2, "/");
  for (size_t at = token.find("~0"); at != std::string::npos; at = token.find("~0", at + 1)) token.replace(at, 2, "~");
  return token;
}

}  // namespace

json field_patch(const json& from, const json& to, const std::vector<std::string>& fields) {
  json ops = json::array();
  for (const auto& f : fields) {
    const json::json_pointer p(f);
    const bool had = from.contains(p), has = to.contains(p);
    if (has && (!had || from.at(p) != to.at(p)))
      ops.push_back(set_op(from, f, to.at(p)));
    else if (!has && had)
      ops.push_back({{"op", "remove"}, {"path", f}});
  }
  return ops;
}

json restore_patch(const json& live, const FieldValues& original) {
  json ops = json::array();
  for (const auto& [f, v] : original) {
    const json::json_pointer p(f);
    const bool has = live.contains(p);
    if (v.present && (!has || live.at(p) != v.value))
      ops.push_back(set_op(live, f, v.value));
    else if (!v.present && has)
      ops.push_back({{"op", "remove"}, {"path", f}});
  }
  return ops;
}

std::string field_path(const std::string& pointer) {
  std::string out;
  size_t i = 1;
  while (i <= pointer.size() && !pointer.empty()) {
    size_t next = pointer.find('/', i);
    std::string token = pointer.substr(i, next == std::string::npos ? std::string::npos : next - i);
    const bool index = !token.empty() && std::all_of(token.begin(), token.end(), ::isdigit);
    if (index)
      out += "[" + token + "]";
    else
      out += (out.empty() ? "" : ".") + unescape(token);
    if (next == std::string::npos) break;
    i = next + 1;
  }
  return out;
}

std::unique_ptr<ObjectExecutor> make_executor(ExecMode mode, k8s::Client& client) {
  switch (mode) {
    case ExecMode::dry_run_client: return std::make_unique<ClientDryRunExecutor>(client);
    case ExecMode::dry_run_server: return std::make_unique<ApiExecutor>(client, k8s::DryRun::server);
    case ExecMode::apply: break;
  }
  return std::make_unique<ApiExecutor>(client, k8s::DryRun::none);
}

}  // namespace rollout::engine
