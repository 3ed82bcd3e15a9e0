#include "engine/executor.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>

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

Status remove_object(k8s::Client& client, const actuators::ObjectRef& ref, k8s::DryRun dry) {
  auto r = resource_of(client, ref);
  if (!r.ok()) return r.error();
  auto gone = client.remove(*r, ref.namespace_, ref.name, dry);
  if (!gone.ok() && gone.error().kind != ErrorKind::not_found) return gone.error();
  return ok_status();
}

// Writes through the API server: for real, or with dryRun=All.
class ApiExecutor : public ObjectExecutor {
 public:
  ApiExecutor(k8s::Client& client, k8s::DryRun dry) : client_(client), dry_(dry) {}
  bool mutates() const override { return dry_ == k8s::DryRun::none; }

  Result<json> read(const actuators::ObjectRef& ref) override {
    {
      std::lock_guard<std::mutex> g(mu_);
      if (auto it = simulated_.find(ref.key()); it != simulated_.end()) return it->second;
    }
    auto r = resource_of(client_, ref);
    if (!r.ok()) return r.error();
    return client_.get(*r, ref.namespace_, ref.name);
  }

  Result<std::vector<json>> read_all(const std::vector<actuators::ObjectRef>& refs) override {
    std::map<std::string, std::vector<size_t>> groups;  // apiVersion/kind/ns -> indexes
    for (size_t i = 0; i < refs.size(); ++i)
      groups[refs[i].api_version + "|" + refs[i].kind + "|" + refs[i].namespace_].push_back(i);
    std::vector<json> out(refs.size());
    for (const auto& [key, indexes] : groups) {
      if (indexes.size() < 3) {
        for (size_t i : indexes) {
          auto one = read(refs[i]);
          if (!one.ok()) return one.error();
          out[i] = std::move(*one);
        }
        continue;
      }
      const auto& first = refs[indexes[0]];
      auto r = resource_of(client_, first);
      if (!r.ok()) return r.error();
      auto list = client_.list(*r, first.namespace_);
      if (!list.ok()) return list.error();
      std::map<std::string, json> by_name;
      for (auto& item : (*list)["items"]) {
        // The name first: json's operator= takes its argument by value, so in `m[name(item)] =
        // std::move(item)` the item is moved from before its name is read (C++17 order).
        std::string name = item["metadata"].value("name", "");
        by_name[std::move(name)] = std::move(item);
      }
      for (size_t i : indexes) {
        std::lock_guard<std::mutex> g(mu_);
        if (auto it = simulated_.find(refs[i].key()); it != simulated_.end()) {
          out[i] = it->second;
          continue;
        }
        auto it = by_name.find(refs[i].name);
        if (it == by_name.end())
          return make_error(ErrorKind::not_found,
                            refs[i].kind + " " + refs[i].name + " not found in namespace " + refs[i].namespace_);
        // A list's items carry no apiVersion/kind; the objects as a GET returns them do.
        it->second["apiVersion"] = refs[i].api_version;
        it->second["kind"] = refs[i].kind;
        out[i] = std::move(it->second);
      }
    }
    return out;
  }

  Status remove(const actuators::ObjectRef& ref) override { return remove_object(client_, ref, dry_); }

  Result<json> write(const actuators::ObjectRef& ref, const json& live, const json& desired,
                     const std::vector<std::string>& fields) override {
    auto r = resource_of(client_, ref);
    if (!r.ok()) return r.error();
    const json ops = field_patch(live, desired, fields);
    if (ops.empty()) return live;
    if (dry_ != k8s::DryRun::none) {
      // Whole owned fields are replaced, so the server may apply the ops to its live object.
      auto written = client_.patch(*r, ref.namespace_, ref.name, k8s::PatchKind::json, ops, dry_);
      std::lock_guard<std::mutex> g(mu_);
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
    std::lock_guard<std::mutex> g(mu_);
    if (written.ok() && dry_ != k8s::DryRun::none) simulated_[ref.key()] = *written;
    return written;
  }

 private:
  k8s::Client& client_;
  k8s::DryRun dry_;
  std::mutex mu_;
  std::map<std::string, json> simulated_;  // dry-run: objects as the earlier steps left them
};

// --dry-run=client: reads live objects once, then only changes its own copies.
class ClientDryRunExecutor : public ObjectExecutor {
 public:
  explicit ClientDryRunExecutor(k8s::Client& client) : client_(client) {}
  bool mutates() const override { return false; }

  Result<json> read(const actuators::ObjectRef& ref) override {
    {
      std::lock_guard<std::mutex> g(mu_);
      if (auto it = copies_.find(ref.key()); it != copies_.end()) return it->second;
    }
    auto r = resource_of(client_, ref);
    if (!r.ok()) return r.error();
    auto live = client_.get(*r, ref.namespace_, ref.name);
    std::lock_guard<std::mutex> g(mu_);
    if (live.ok()) copies_[ref.key()] = *live;
    return live;
  }

  Result<json> write(const actuators::ObjectRef& ref, const json& live, const json& desired,
                     const std::vector<std::string>& fields) override {
    json out = live.patch(field_patch(live, desired, fields));
    std::lock_guard<std::mutex> g(mu_);
    copies_[ref.key()] = out;
    return out;
  }

  Status remove(const actuators::ObjectRef& ref) override {
    std::lock_guard<std::mutex> g(mu_);
    copies_.erase(ref.key());
    return ok_status();
  }

  Result<json> restore(const actuators::ObjectRef& ref, const FieldValues& original) override {
    auto live = read(ref);
    if (!live.ok()) return live.error();
    json out = live->patch(restore_patch(*live, original));
    std::lock_guard<std::mutex> g(mu_);
    copies_[ref.key()] = out;
    return out;
  }

 private:
  k8s::Client& client_;
  std::mutex mu_;
  std::map<std::string, json> copies_;
};

std::string unescape(std::string token) {
  for (size_t at = token.find("~1"); at != std::string::npos; at = token.find("~1", at + 1)) token.replace(at, 2, "/");
  for (size_t at = token.find("~0"); at != std::string::npos; at = token.find("~0", at + 1)) token.replace(at, 2, "~");
  return token;
}

}  // namespace

Result<std::vector<json>> ObjectExecutor::read_all(const std::vector<actuators::ObjectRef>& refs) {
  std::vector<json> out;
  for (const auto& r : refs) {
    auto one = read(r);
    if (!one.ok()) return one.error();
    out.push_back(std::move(*one));
  }
  return out;
}

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
