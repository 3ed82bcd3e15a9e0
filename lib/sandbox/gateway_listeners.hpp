// The gateway's data plane: one HTTP server per listener port of each Gateway, on the Gateway's
// own loopback address, in front of the pods' simulated vLLM servers (so that the seeds'
// `curl ${IP}:${PORT}/v1/completions` works against the sandbox). A request takes the rule that
// wins among the HTTPRoutes attached to the listener (route_match.hpp) and then goes exactly where
// the synthetic clients' requests go (TrafficGenerator::route_rule: weights, RequestMirror,
// InferencePool -> Ready pods, InferenceModel / InferenceModelRewrite model choice).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sandbox/gateway_controller.hpp"
#include "sandbox/http_listener.hpp"
#include "sandbox/traffic.hpp"

namespace rollout::sandbox {

// Response headers naming who answered: the pod, its model server's version
// (sandbox.rollout.dev/version, else the image tag) and its InferencePool ("namespace/name").
inline constexpr const char* kPodHeader = "x-rollout-sandbox-pod";
inline constexpr const char* kVersionHeader = "x-rollout-sandbox-version";
inline constexpr const char* kPoolHeader = "x-rollout-sandbox-pool";

class GatewayListeners : public GatewayDataPlane {
 public:
  using Notice = std::function<void(const std::string&)>;
  // `ports`: listener port -> port served (`sandbox up --gateway-port`); `notice`: a line for the
  // person running the sandbox (a listener that cannot be bound, and why).
  GatewayListeners(ObjectStore& store, TypeRegistry& types, TrafficGenerator& router, std::map<int, int> ports,
                   Notice notice);
  ~GatewayListeners() override;

  // program and remove run on the controller thread only; serve on the listeners' threads.
  std::map<int, ListenerBind> program(const std::string& key, const std::string& address,
                                      const std::vector<ListenerRef>& listeners) override;
  void report(const std::string& key, const std::string& address,
              const std::map<int, ListenerBind>& binds) override;  // each change of outcome: one notice
  void remove(const std::string& key) override;
  void stop_all();

  // One request to listener port `port` of the Gateway `key` ("namespace/name").
  HttpResponse serve(const std::string& key, int port, const HttpRequest& request);

 private:
  struct Served {
    std::string address;
    std::map<int, std::unique_ptr<HttpListener>> servers;  // listener port -> its server
  };
  ListenerBind bind(const std::string& key, const std::string& address, int port);

  ObjectStore& store_;
  TypeRegistry& types_;
  TrafficGenerator& router_;
  std::map<int, int> ports_;
  Notice notice_;
  std::map<std::string, Served> served_;        // controller thread only
  std::map<std::string, std::string> announced_;  // "key port" -> the last notice about it
  std::mutex mu_;                               // guards listeners_
  std::map<std::string, std::vector<ListenerRef>> listeners_;  // Gateway -> its HTTP listeners
};

// errno of binding address:port right now (0: it could be bound).
int bind_error(const std::string& address, int port);

// A line for `sandbox up` at start when this user cannot bind ports below 1024 and `ports` does
// not map port 80 (the seeds' Gateway listens there).
std::optional<std::string> privileged_port_notice(const std::map<int, int>& ports);

}  // namespace rollout::sandbox
