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

// Writes through the objects' host (the API server, or a target's own host): for real, or with
// dryRun=All.
class ApiExecutor : public ObjectExecutor {
 public:
  ApiExecutor(actuators::ObjectHost& host, k8s::DryRun dry) : host_(host), dry_(dry) {}
  bool mutates() const override { return dry_ == k8s::DryRun::none; }

  Result<json> read(const actuators::ObjectRef& ref) override {
    {
      std::lock_guard<std::mutex> g(mu_);
      if (auto it = simulated_.find(ref.key()); it != simulated_.end()) return it->second;
    }
    return host_.get(ref);
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
      auto list = host_.list(refs[indexes[0]]);
      if (!list.ok()) return list.error();
      std::map<std::string, json> by_name;
      for (auto& item : *list) {
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
        out[i] = std::move(it->second);
      }
    }
    return out;
  }

  Status remove(const actuators::ObjectRef& ref) override { return host_.remove(ref, dry_); }

  Result<json> write(const actuators::ObjectRef& ref, const json& live, const json& desired,
                     const std::vector<std::string>& fields) override {
    const json ops = field_patch(live, desired, fields);
    if (ops.empty()) return live;
    if (dry_ != k8s::DryRun::none) {
      // Whole owned fields are replaced, so the server may apply the ops to its live object.
      auto written = host_.patch(ref, ops, "", dry_);
      std::lock_guard<std::mutex> g(mu_);
      if (written.ok()) simulated_[ref.key()] = *written;
      return written;
    }
    return host_.patch(ref, ops, live["metadata"].value("resourceVersion", ""), dry_);
  }

  Result<json> restore(const actuators::ObjectRef& ref, const FieldValues& original) override {
    auto live = read(ref);
    if (!live.ok()) return live.error();
    const json ops = restore_patch(*live, original);
    if (ops.empty()) return live;
    auto written = host_.patch(ref, ops, "", dry_);
    std::lock_guard<std::mutex> g(mu_);
    if (written.ok() && dry_ != k8s::DryRun::none) simulated_[ref.key()] = *written;
    return written;
  }

 private:
  actuators::ObjectHost& host_;
  k8s::DryRun dry_;
  std::mutex mu_;
  std::map<std::string, json> simulated_;  // dry-run: objects as the earlier steps left them
};

// --dry-run=client: reads live objects once, then only changes its own copies.
class ClientDryRunExecutor : public ObjectExecutor {
 public:
  explicit ClientDryRunExecutor(actuators::ObjectHost& host) : host_(host) {}
  bool mutates() const override { return false; }

  Result<json> read(const actuators::ObjectRef& ref) override {
    {
      std::lock_guard<std::mutex> g(mu_);
      if (auto it = copies_.find(ref.key()); it != copies_.end()) return it->second;
    }
    auto live = host_.get(ref);
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
  actuators::ObjectHost& host_;
  std::mutex mu_;
  std::map<std::string, json> copies_;
};

// An executor with its own hosts (the cluster only): for callers that have no plan.
class OwningExecutor : public ObjectExecutor {
 public:
  OwningExecutor(ExecMode mode, k8s::Client& client)
      : hosts_(std::make_unique<actuators::Hosts>(client)), inner_(make_executor(mode, *hosts_)) {}
  bool mutates() const override { return inner_->mutates(); }
  Result<json> read(const actuators::ObjectRef& ref) override { return inner_->read(ref); }
  Result<std::vector<json>> read_all(const std::vector<actuators::ObjectRef>& refs) override {
    return inner_->read_all(refs);
  }
  Result<json> write(const actuators::ObjectRef& ref, const json& live, const json& desired,
                     const std::vector<std::string>& fields) override {
    return inner_->write(ref, live, desired, fields);
  }
  Result<json> restore(const actuators::ObjectRef& ref, const FieldValues& original) override {
    return inner_->restore(ref, original);
  }
  Status remove(const actuators::ObjectRef& ref) override { return inner_->remove(ref); }

 private:
  std::unique_ptr<actuators::Hosts> hosts_;
  std::unique_ptr<ObjectExecutor> inner_;
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

std::unique_ptr<ObjectExecutor> make_executor(ExecMode mode, actuators::ObjectHost& host) {
  switch (mode) {
    case ExecMode::dry_run_client: return std::make_unique<ClientDryRunExecutor>(host);
    case ExecMode::dry_run_server: return std::make_unique<ApiExecutor>(host, k8s::DryRun::server);
    case ExecMode::apply: break;
  }
  return std::make_unique<ApiExecutor>(host, k8s::DryRun::none);
}

std::unique_ptr<ObjectExecutor> make_executor(ExecMode mode, k8s::Client& client) {
  return std::make_unique<OwningExecutor>(mode, client);
}

}  // namespace rollout::engine
