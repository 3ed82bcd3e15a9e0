#include "actuators/object_host.hpp"

#include "actuators/local_replicas.hpp"

namespace rollout::actuators {

using nlohmann::json;

namespace {

std::string group_of(const std::string& api_version) {
  const auto slash = api_version.find('/');
  return slash == std::string::npos ? "" : api_version.substr(0, slash);
}

}  // namespace

Result<json> ClusterHost::get(const ObjectRef& ref) {
  auto r = client_.resource(ref.api_version, ref.kind);
  if (!r.ok()) return r.error();
  return client_.get(*r, ref.namespace_, ref.name);
}

Result<std::vector<json>> ClusterHost::list(const ObjectRef& like) {
  auto r = client_.resource(like.api_version, like.kind);
  if (!r.ok()) return r.error();
  auto list = client_.list(*r, like.namespace_);
  if (!list.ok()) return list.error();
  std::vector<json> out;
  for (auto& item : (*list)["items"]) {
    // A list's items carry no apiVersion/kind; the objects as a GET returns them do.
    item["apiVersion"] = like.api_version;
    item["kind"] = like.kind;
    out.push_back(std::move(item));
  }
  return out;
}

Result<json> ClusterHost::patch(const ObjectRef& ref, const json& operations, const std::string& if_resource_version,
                                k8s::DryRun dry) {
  auto r = client_.resource(ref.api_version, ref.kind);
  if (!r.ok()) return r.error();
  if (!if_resource_version.empty())
    return client_.patch_if_unchanged(*r, ref.namespace_, ref.name, if_resource_version, operations, dry);
  return client_.patch(*r, ref.namespace_, ref.name, k8s::PatchKind::json, operations, dry);
}

Status ClusterHost::remove(const ObjectRef& ref, k8s::DryRun dry) {
  auto r = client_.resource(ref.api_version, ref.kind);
  if (!r.ok()) return r.error();
  auto gone = client_.remove(*r, ref.namespace_, ref.name, dry);
  if (!gone.ok() && gone.error().kind != ErrorKind::not_found) return gone.error();
  return ok_status();
}

ObjectHost& Hosts::host(const ObjectRef& ref) {
  auto it = by_group_.find(group_of(ref.api_version));
  return it == by_group_.end() ? static_cast<ObjectHost&>(cluster_) : *it->second;
}

std::unique_ptr<Hosts> hosts_for(const plan::Plan& plan, k8s::Client& client, const HostContext& context) {
  auto hosts = std::make_unique<Hosts>(client);
  if (std::holds_alternative<plan::LocalTarget>(plan.target)) hosts->add(kLocalGroup, make_local_host(plan, context));
  return hosts;
}

}  // namespace rollout::actuators
