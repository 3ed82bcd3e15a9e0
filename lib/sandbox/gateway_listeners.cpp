#include "sandbox/gateway_listeners.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "sandbox/gateway_address.hpp"
#include "sandbox/openai_api.hpp"

namespace rollout::sandbox {

using nlohmann::json;

namespace {

// Connections one listener serves at once: a load generator's kept-alive connections each hold one.
constexpr size_t kListenerThreads = 128;

// The request as the pod receives it: the endpoint picker's model rewrite in the body.
HttpRequest to_pod(const HttpRequest& in, const std::string& requested, const std::string& model) {
  HttpRequest out = in;
  if (requested.empty() || model == requested) return out;
  json body = json::parse(in.body, nullptr, false);
  if (!body.is_object()) return out;
  body["model"] = model;
  out.body = body.dump();
  out.headers.erase("content-length");
  return out;
}

}  // namespace

int bind_error(const std::string& address, int port) {
  const int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  if (sock < 0) return errno;
  int yes = 1;
  setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  int err = 0;
  if (inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1)
    err = EINVAL;
  else if (::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    err = errno;
  ::close(sock);
  return err;
}

std::optional<std::string> privileged_port_notice(const std::map<int, int>& ports) {
  if (ports.count(80) || bind_error("127.0.0.1", 80) != EACCES) return std::nullopt;
  return "gateway: this user cannot listen on ports below 1024, so a Gateway listener on port 80 (as the seeds' "
         "inference-gateway) will not be served; map it to another port with --gateway-port 80=8080";
}

GatewayListeners::GatewayListeners(ObjectStore& store, TypeRegistry& types, TrafficGenerator& router,
                                   std::map<int, int> ports, Notice notice)
    : store_(store), types_(types), router_(router), ports_(std::move(ports)), notice_(std::move(notice)) {}

GatewayListeners::~GatewayListeners() {
  stop_all();
}

void GatewayListeners::stop_all() {
  served_.clear();  // each server stops as it is destroyed
  std::lock_guard lock(mu_);
  listeners_.clear();
}

ListenerBind GatewayListeners::bind(const std::string& key, const std::string& address, int port) {
  auto mapped = ports_.find(port);
  const int actual = mapped == ports_.end() ? port : mapped->second;
  const std::string where = address + ":" + std::to_string(actual);
  const std::string hint = "map the listener's port with `rollout sandbox up --gateway-port " + std::to_string(port) +
                           "=" + std::to_string(suggested_port(actual)) + "`";
  ListenerBind b{BindOutcome::bound, actual, ""};
  if (const int err = bind_error(address, actual); err == EACCES) {
    b = {BindOutcome::denied, actual,
         "cannot listen on " + where + ": permission denied (ports below 1024 need root); " + hint};
  } else if (err == EADDRINUSE) {
    b = {BindOutcome::in_use, actual, "cannot listen on " + where + ": in use by another process; " + hint};
  } else if (err != 0) {
    b = {BindOutcome::failed, actual, "cannot listen on " + where + ": " + std::strerror(err)};
  } else {
    auto server = std::make_unique<HttpListener>(
        [this, key, port](const HttpRequest& req) { return serve(key, port, req); }, kListenerThreads);
    if (auto s = server->start(address, actual); !s.ok())
      b = {BindOutcome::failed, actual, s.error().message};
    else
      served_[key].servers[port] = std::move(server);
  }
  return b;
}

std::map<int, ListenerBind> GatewayListeners::program(const std::string& key, const std::string& address,
                                                      const std::vector<ListenerRef>& listeners) {
  Served& g = served_[key];
  if (g.address != address) {
    g.servers.clear();
    g.address = address;
  }
  std::set<int> ports;
  for (const auto& l : listeners) ports.insert(l.port);
  for (auto it = g.servers.begin(); it != g.servers.end();)
    it = ports.count(it->first) ? std::next(it) : g.servers.erase(it);
  {
    std::lock_guard lock(mu_);
    listeners_[key] = listeners;
  }
  std::map<int, ListenerBind> out;
  for (int port : ports) {
    auto it = g.servers.find(port);
    out[port] = it != g.servers.end() ? ListenerBind{BindOutcome::bound, it->second->port(), ""}
                                      : bind(key, address, port);
  }
  return out;
}

void GatewayListeners::report(const std::string& key, const std::string& address,
                              const std::map<int, ListenerBind>& binds) {
  for (const auto& [port, b] : binds) {
    const std::string line =
        "gateway " + key + ": listener port " + std::to_string(port) + ": " +
        (b.outcome == BindOutcome::bound ? "serving on http://" + address + ":" + std::to_string(b.port) : b.error);
    auto& last = announced_[key + " " + std::to_string(port)];
    if (line != last && notice_) notice_(line);
    last = line;
  }
}

void GatewayListeners::remove(const std::string& key) {
  served_.erase(key);
  for (auto it = announced_.lower_bound(key + " "); it != announced_.end() && it->first.rfind(key + " ", 0) == 0;)
    it = announced_.erase(it);
  std::lock_guard lock(mu_);
  listeners_.erase(key);
}

HttpResponse GatewayListeners::serve(const std::string& key, int port, const HttpRequest& request) {
  std::vector<ListenerRef> here;
  {
    std::lock_guard lock(mu_);
    auto it = listeners_.find(key);
    if (it != listeners_.end())
      for (const auto& l : it->second)
        if (l.port == port) here.push_back(l);
  }
  auto routes_type = types_.find_kind("gateway.networking.k8s.io/v1", "HTTPRoute");
  std::vector<ObjectStore::Shared> routes;
  if (routes_type)
    for (auto& r : store_.objects(*routes_type, ""))
      for (const auto& l : here)
        if (route_attaches(*r, l)) {
          routes.push_back(r);
          break;
        }
  std::vector<const json*> candidates;
  for (const auto& r : routes) candidates.push_back(r.get());
  RequestFacts facts{request.method, request.path, request.headers, request.query};
  auto choice = choose_rule(candidates, facts);
  if (!choice)
    return openai_error(404, "NotFoundError",
                        "no HTTPRoute attached to Gateway " + key + " (port " + std::to_string(port) + ") matches " +
                            request.method + " " + request.path);
  const std::string model = requested_model(request.body);
  auto targets = router_.route_rule(*routes[choice->route], choice->rule, model);
  if (targets.empty())
    return openai_error(503, "ServiceUnavailableError",
                        "no ready backend for HTTPRoute " + (*routes[choice->route])["metadata"].value("name", "") +
                            " rule " + std::to_string(choice->rule) + " (no weight, or no Ready pod in its pool)");
  const auto& primary = targets.front();
  HttpResponse response = primary.server->handle(to_pod(request, model, primary.model));
  response.headers[kPodHeader] = primary.pod;
  response.headers[kVersionHeader] = primary.server->knobs().version;
  response.headers[kPoolHeader] = primary.pool;
  // RequestMirror copies: sent on the side, their answers dropped, as a proxy does.
  for (size_t i = 1; i < targets.size(); ++i)
    std::thread([server = targets[i].server, copy = to_pod(request, model, targets[i].model)] {
      server->handle(copy);
    }).detach();
  return response;
}

}  // namespace rollout::sandbox
