#include "actuators/endpoints.hpp"

#include "actuators/live.hpp"

namespace rollout::actuators {

using nlohmann::json;

namespace {

// Which pods a backend selects, and on which port; a named Service targetPort is resolved per pod.
struct Selection {
  std::map<std::string, std::string> labels;
  int port = 0;
  std::string port_name;
  std::string port_field;  // where the port is written, for messages
};

std::map<std::string, std::string> string_map(const json& j) {
  std::map<std::string, std::string> out;
  if (!j.is_object()) return out;
  for (const auto& [k, v] : j.items())
    if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

Selection selection_of(const BackendPool& pool, const json& obj) {
  const json spec = obj.value("spec", json::object());
  Selection s;
  if (pool.kind == "Service") {
    s.labels = string_map(spec.value("selector", json::object()));
    const json port = spec.value("ports", json::array()).empty() ? json::object() : spec["ports"][0];
    const json target = port.value("targetPort", port.value("port", json(0)));
    if (target.is_string()) s.port_name = target.get<std::string>();
    if (target.is_number_integer()) s.port = target.get<int>();
    s.port_field = "spec.ports[0].targetPort";
  } else if (pool.kind == "ModelServer") {  // Kthena: spec.workloadSelector picks the pods
    s.labels = string_map(spec.value("workloadSelector", json::object()).value("matchLabels", json::object()));
    s.port = spec.value("workloadPort", json::object()).value("port", 0);
    s.port_field = "spec.workloadPort.port";
  } else if (pool.group == "inference.networking.x-k8s.io") {
    s.labels = string_map(spec.value("selector", json::object()));
    s.port = spec.value("targetPortNumber", 0);
    s.port_field = "spec.targetPortNumber";
  } else {
    s.labels = string_map(spec.value("selector", json::object()).value("matchLabels", json::object()));
    const json ports = spec.value("targetPorts", json::array());
    if (!ports.empty() && ports[0].is_object()) s.port = ports[0].value("number", 0);
    s.port_field = "spec.targetPorts[0].number";
  }
  return s;
}

int named_port(const json& pod, const std::string& name) {
  for (const auto& c : pod.value("spec", json::object()).value("containers", json::array()))
    for (const auto& p : c.value("ports", json::array()))
      if (p.value("name", "") == name) return p.value("containerPort", 0);
  return 0;
}


}  // namespace

Endpoint pod_endpoint(const std::string& ns, const json& pod, int port) {
  const std::string name = object_name(pod);
  Endpoint e;
  e.pod = name;
  e.port = port;
  e.ready = pod_ready(pod);
  e.base = "/api/v1/namespaces/" + ns + "/pods/" + name + ":" + std::to_string(port) + "/proxy";
  const json meta = pod.value("metadata", json::object());
  e.uid = meta.value("uid", "");
  for (const auto& c : pod.value("status", json::object()).value("containerStatuses", json::array()))
    if (c.is_object()) e.restarts += c.value("restartCount", 0);
  return e;
}

int serving_port(const json& pod) {
  for (const auto& c : pod.value("spec", json::object()).value("containers", json::array()))
    for (const auto& p : c.value("ports", json::array()))
      if (p.value("containerPort", 0) > 0) return p.value("containerPort", 0);
  return 8000;
}

Result<BackendPool> served_pool_group(k8s::Client& client, const BackendPool& requested) {
  if (requested.kind != "InferencePool") return requested;
  auto served = client.serves(backend_api_version(requested.kind, requested.group), requested.kind);
  if (!served.ok()) return served.error();
  if (*served) return requested;
  BackendPool other = requested;
  other.group = requested.group == "inference.networking.k8s.io" ? "inference.networking.x-k8s.io"
                                                                 : "inference.networking.k8s.io";
  auto there = client.serves(backend_api_version(other.kind, other.group), other.kind);
  if (!there.ok()) return there.error();
  return *there ? other : requested;  // neither: the GET below names the missing pool
}

Result<std::vector<Endpoint>> pool_endpoints(k8s::Client& client, const std::string& ns, const BackendPool& requested) {
  // Discovery decides the InferencePool generation: GIE v1 (inference.networking.k8s.io) or the
  // removed v1alpha2 (x-k8s.io), whichever the cluster serves; a poolRef's default group is only a hint.
  auto served = served_pool_group(client, requested);
  if (!served.ok()) return served.error();
  BackendPool pool = *served;
  auto obj = get_object(client, backend_api_version(pool.kind, pool.group), pool.kind, ns, pool.name);
  // Both generations installed, the pool in the other one (a v1alpha2 InferenceModel's poolRef
  // defaults to x-k8s.io while the v1 pool of that name serves, mid-migration): look there too.
  if (!obj.ok() && obj.error().kind == ErrorKind::not_found && pool.kind == "InferencePool") {
    BackendPool other = pool;
    other.group = pool.group == "inference.networking.k8s.io" ? "inference.networking.x-k8s.io"
                                                              : "inference.networking.k8s.io";
    auto there = client.serves(backend_api_version(other.kind, other.group), other.kind);
    auto alt = there.ok() && *there
                   ? get_object(client, backend_api_version(other.kind, other.group), other.kind, ns, other.name)
                   : Result<json>(obj.error());
    if (alt.ok()) {
      obj = std::move(alt);
      pool = other;
    }
  }
  if (!obj.ok()) return obj.error();
  const Selection sel = selection_of(pool, *obj);
  if (sel.labels.empty())
    return make_error(ErrorKind::invalid, pool.kind + " " + pool.name + ": " +
                                              (pool.kind == "ModelServer" ? "spec.workloadSelector.matchLabels"
                                                                          : "spec.selector") +
                                              " selects no pods");
  if (sel.port_name.empty() && sel.port <= 0)
    return make_error(ErrorKind::invalid, pool.kind + " " + pool.name + ": " + sel.port_field + " is not set");
  auto pods_api = client.resource("v1", "Pod");
  if (!pods_api.ok()) return pods_api.error();
  auto pods = client.list(*pods_api, ns, label_selector(sel.labels));
  if (!pods.ok()) return pods.error();
  std::vector<Endpoint> out;
  for (const auto& pod : pods->value("items", json::array())) {
    const int port = sel.port_name.empty() ? sel.port : named_port(pod, sel.port_name);
    out.push_back(pod_endpoint(ns, pod, port));
  }
  return out;
}

namespace {

std::string proxy_path(const std::string& ns, const Endpoint& endpoint, const std::string& path) {
  return "/api/v1/namespaces/" + ns + "/pods/" + endpoint.pod + ":" + std::to_string(endpoint.port) + "/proxy" +
         (path.empty() || path[0] != '/' ? "/" : "") + path;
}

}  // namespace

Result<k8s::HttpResult> proxy_get(k8s::Client& client, const std::string& ns, const Endpoint& endpoint,
                                  const std::string& path, Duration timeout) {
  k8s::HttpCall call;
  call.method = "GET";
  call.path = proxy_path(ns, endpoint, path);
  call.accept = "*/*";
  call.timeout = timeout;
  return client.send_once(call);
}

Result<k8s::HttpResult> proxy_post(k8s::Client& client, const std::string& ns, const Endpoint& endpoint,
                                   const std::string& path, const json& body, Duration timeout) {
  k8s::HttpCall call;
  call.method = "POST";
  call.path = proxy_path(ns, endpoint, path);
  call.body = body.dump();
  call.content_type = "application/json";
  call.accept = "*/*";
  call.timeout = timeout;
  return client.send_once(call);
}

}  // namespace rollout::actuators
