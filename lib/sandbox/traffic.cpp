#include "sandbox/traffic.hpp"

#include "sandbox/kthena_networking.hpp"
#include "sandbox/selector.hpp"

namespace rollout::sandbox {

using nlohmann::json;

namespace {

// Index drawn by weight (weight defaults to 1); nullopt when all weights are 0.
std::optional<size_t> weighted(const json& items, std::mt19937_64& rng) {
  int64_t total = 0;
  for (const auto& i : items) total += i.value("weight", 1);
  if (total <= 0) return std::nullopt;
  int64_t r = std::uniform_int_distribution<int64_t>(0, total - 1)(rng);
  for (size_t k = 0; k < items.size(); ++k) {
    r -= items[k].value("weight", 1);
    if (r < 0) return k;
  }
  return std::nullopt;
}

// An InferenceModelRewrite rule applies to `model` (a rule without matches, to every model).
bool rewrite_matches(const json& rule, const std::string& model) {
  const json matches = rule.value("matches", json::array());
  if (matches.empty()) return true;
  for (const auto& m : matches)
    if (m.value("model", json::object()).value("value", "") == model) return true;
  return false;
}

bool ready(const json& pod) {
  for (const auto& c : pod.value("status", json::object()).value("conditions", json::array()))
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  return false;
}

std::string lower_case(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

TrafficGenerator::TrafficGenerator(ObjectStore& store, TypeRegistry& types, PodRuntimes& pods, TrafficOptions options)
    : store_(store),
      types_(types),
      pods_(pods),
      options_(options),
      rng_(options.seed ? options.seed : std::random_device{}()) {}

TrafficGenerator::~TrafficGenerator() {
  stop();
}

std::optional<TrafficGenerator::Target> TrafficGenerator::pick_pod(const json& ref, const std::string& route_ns,
                                                                   const std::string& model) {
  const std::string group = ref.value("group", ""), ns = ref.value("namespace", route_ns);
  auto pool_type =
      types_.find_kind(group + (group == "inference.networking.k8s.io" ? "/v1" : "/v1alpha2"), "InferencePool");
  if (!pool_type) return std::nullopt;
  auto pool = store_.get(*pool_type, ns, ref.value("name", ""));
  if (!pool.ok()) return std::nullopt;
  // v1: spec.selector.matchLabels; v1alpha2: a flat map.
  json sel = (*pool)["spec"].value("selector", json::object());
  if (sel.contains("matchLabels")) sel = sel["matchLabels"];
  std::map<std::string, std::string> labels;
  for (auto it = sel.begin(); it != sel.end(); ++it)
    if (it->is_string()) labels[it.key()] = *it;
  const LabelSelector selector = LabelSelector::from_map(labels);
  std::vector<ObjectStore::Shared> candidates;  // shared, not copied: this runs for every request
  for (const auto& p : store_.objects(*types_.find("", "v1", "pods"), ns))
    if (selector.matches(labels_of(*p)) && ready(*p)) candidates.push_back(p);
  if (candidates.empty()) return std::nullopt;
  ObjectStore::Shared pod;
  {
    std::lock_guard lock(mu_);
    pod = candidates[std::uniform_int_distribution<size_t>(0, candidates.size() - 1)(rng_)];
  }
  auto server = pods_.find((*pod)["metadata"].value("uid", ""));
  if (!server) return std::nullopt;
  Target t{server, model.empty() ? server->knobs().model : model, ns + "/" + ref.value("name", ""), false,
           (*pod)["metadata"].value("name", "")};
  choose_model(t, ns, ref.value("name", ""), model);
  return t;
}

std::vector<TrafficGenerator::Target> TrafficGenerator::route_request(const json& route, const RequestFacts& request,
                                                                      const std::string& model) {
  auto choice = choose_rule({&route}, request);
  if (!choice) return {};
  return route_rule(route, choice->rule, model);
}

std::vector<TrafficGenerator::Target> TrafficGenerator::route_rule(const json& route, size_t rule_index,
                                                                   const std::string& model) {
  const std::string ns = route["metadata"].value("namespace", "default");
  const json rules = route["spec"].value("rules", json::array());
  std::vector<Target> out;
  if (rule_index >= rules.size()) return out;
  const json& rule = rules[rule_index];
  const json refs = rule.value("backendRefs", json::array());
  std::optional<size_t> pick;
  {
    std::lock_guard lock(mu_);
    pick = weighted(refs, rng_);
  }
  if (!pick) return out;  // all weights 0: nothing to send to
  auto primary = pick_pod(refs[*pick], ns, model);
  if (!primary) return out;
  out.push_back(*primary);
  // RequestMirror filters: a copy to another backend, for `percent` of the requests.
  for (const auto& f : rule.value("filters", json::array())) {
    if (f.value("type", "") != "RequestMirror") continue;
    const json m = f.value("requestMirror", json::object());
    double roll;
    {
      std::lock_guard lock(mu_);
      roll = std::uniform_real_distribution<double>(0, 100)(rng_);
    }
    if (roll >= m.value("percent", 100)) continue;
    if (auto copy = pick_pod(m.value("backendRef", json::object()), ns, model)) {
      copy->mirror = true;
      out.push_back(*copy);
    }
  }
  return out;
}

// The client asks for the InferenceModel's modelName; the endpoint picker rewrites it to a target
// model drawn by weight (InferenceModel targetModels, or InferenceModelRewrite targets). A client
// that names a model (`requested`, the gateway's) gets the InferenceModel of that modelName and the
// rewrite rule matching it; another model passes unchanged. The synthetic clients name none.
void TrafficGenerator::choose_model(Target& t, const std::string& ns, const std::string& pool,
                                    const std::string& requested) {
  auto im = types_.find_kind("inference.networking.x-k8s.io/v1alpha2", "InferenceModel");
  if (im) {
    for (const auto& shared : store_.objects(*im, ns)) {
      const json& m = *shared;
      if (m["spec"].value("poolRef", json::object()).value("name", "") != pool) continue;
      if (!requested.empty() && m["spec"].value("modelName", "") != requested) continue;
      const json targets = m["spec"].value("targetModels", json::array());
      std::lock_guard lock(mu_);
      auto k = weighted(targets, rng_);
      t.model = k ? targets[*k].value("name", t.model) : m["spec"].value("modelName", t.model);
      return;
    }
  }
  for (const char* api : {"llm-d.ai/v1alpha2", "inference.networking.x-k8s.io/v1alpha2"}) {
    auto rw = types_.find_kind(api, "InferenceModelRewrite");
    if (!rw) continue;
    for (const auto& shared : store_.objects(*rw, ns)) {
      const json& r = *shared;
      if (r["spec"].value("poolRef", json::object()).value("name", "") != pool) continue;
      for (const auto& rule : r["spec"].value("rules", json::array())) {
        if (!requested.empty() && !rewrite_matches(rule, requested)) continue;
        const json targets = rule.value("targets", json::array());
        std::lock_guard lock(mu_);
        if (auto k = weighted(targets, rng_)) {
          t.model = targets[*k].value("modelRewrite", t.model);
          return;
        }
      }
    }
  }
}

// ---- Kthena ModelRoute (store.MatchModelTarget in kthena-router's datastore) -----------------

std::optional<TrafficGenerator::Target> TrafficGenerator::pick_model_server_pod(const std::string& ns,
                                                                               const std::string& name,
                                                                               const std::string& model) {
  auto server_type = types_.find_kind(std::string(kKthenaNetworkingGroup) + "/v1alpha1", "ModelServer");
  if (!server_type) return std::nullopt;
  auto server = store_.get(*server_type, ns, name);
  if (!server.ok()) return std::nullopt;
  const json spec = server->value("spec", json::object());
  std::map<std::string, std::string> labels;
  const json match_labels = spec.value("workloadSelector", json::object()).value("matchLabels", json::object());
  for (const auto& [k, v] : match_labels.items())
    if (v.is_string()) labels[k] = v.get<std::string>();
  if (labels.empty()) return std::nullopt;
  const LabelSelector selector = LabelSelector::from_map(labels);
  std::vector<ObjectStore::Shared> candidates;
  for (const auto& p : store_.objects(*types_.find("", "v1", "pods"), ns))
    if (selector.matches(labels_of(*p)) && ready(*p)) candidates.push_back(p);
  if (candidates.empty()) return std::nullopt;
  ObjectStore::Shared pod;
  {
    std::lock_guard lock(mu_);
    pod = candidates[std::uniform_int_distribution<size_t>(0, candidates.size() - 1)(rng_)];
  }
  auto sim = pods_.find((*pod)["metadata"].value("uid", ""));
  if (!sim) return std::nullopt;
  // ModelServer.spec.model, when set, overwrites the request's model.
  const std::string asked = spec.contains("model") && spec["model"].is_string() ? spec["model"].get<std::string>() : model;
  return Target{sim, asked, ns + "/" + name, false, (*pod)["metadata"].value("name", "")};
}

void TrafficGenerator::send_model_route(const json& route) {
  const json spec = route.value("spec", json::object());
  RouterRequest request;
  request.model = spec.value("modelName", "");
  if (request.model.empty() && !spec.value("loraAdapters", json::array()).empty())
    request.model = spec["loraAdapters"][0].get<std::string>();
  {
    std::lock_guard lock(mu_);
    if (!options_.header_name.empty() && std::uniform_real_distribution<double>(0, 1)(rng_) < options_.header_share)
      request.headers[options_.header_name] = options_.header_value;
  }
  std::optional<Target> target;
  if (auto rule = select_model_route_rule(route, request)) {
    const json targets = spec["rules"][*rule].value("targetModels", json::array());
    std::optional<size_t> pick;
    {
      std::lock_guard lock(mu_);
      pick = select_target_model(targets, rng_);
    }
    const std::string server = pick ? targets[*pick].value("modelServerName", "") : "";
    if (!server.empty())
      target = pick_model_server_pod(route["metadata"].value("namespace", "default"), server, request.model);
  }
  if (!target) {
    std::lock_guard lock(mu_);
    ++stats_.unroutable;
    return;
  }
  deliver(*target);
}

void TrafficGenerator::deliver(const Target& t) {
  HttpRequest req;
  req.method = "POST";
  req.path = "/v1/completions";
  req.headers["content-type"] = "application/json";
  req.body = json{{"model", t.model},
                  {"prompt", "Write as if you were a critic: San Francisco"},
                  {"max_tokens", options_.max_tokens}}
                 .dump();
  HttpResponse r = t.server->handle(req);
  std::lock_guard lock(mu_);
  ++stats_.per_pool[t.pool];
  if (t.mirror) {  // the gateway discards a mirror's answer
    ++stats_.mirrored;
    return;
  }
  ++stats_.sent;
  if (r.status == 200)
    ++stats_.succeeded;
  else
    ++stats_.failed;
}

void TrafficGenerator::send_one(const json& route) {
  bool header = false;
  if (!options_.header_name.empty()) {
    std::lock_guard lock(mu_);
    header = std::uniform_real_distribution<double>(0, 1)(rng_) < options_.header_share;
  }
  RequestFacts request;
  if (header) request.headers[lower_case(options_.header_name)] = options_.header_value;
  auto targets = route_request(route, request);
  if (targets.empty()) {
    std::lock_guard lock(mu_);
    ++stats_.unroutable;
    return;
  }
  for (const auto& t : targets) deliver(t);
}

TrafficStats TrafficGenerator::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void TrafficGenerator::start() {
  if (options_.rate <= 0 || running_) return;
  running_ = true;
  // 16 clients for the gateway's routes and 16 more for Kthena's ModelRoutes: the second entrance
  // must not slow the first (a slow canary's share would otherwise shrink under the added load).
  for (int i = 0; i < 32; ++i) workers_.emplace_back([this] { worker_loop(); });
  dispatcher_ = std::thread([this] { dispatch_loop(); });
}

void TrafficGenerator::stop() {
  if (!running_.exchange(false)) return;
  queue_cv_.notify_all();
  if (dispatcher_.joinable()) dispatcher_.join();
  for (auto& w : workers_) w.join();
  workers_.clear();
}

void TrafficGenerator::dispatch_loop() {
  auto routes_type = types_.find_kind("gateway.networking.k8s.io/v1", "HTTPRoute");
  auto model_routes_type = types_.find_kind(std::string(kKthenaNetworkingGroup) + "/v1alpha1", "ModelRoute");
  const auto tick = std::chrono::milliseconds(50);
  double owed = 0;
  while (running_) {
    std::this_thread::sleep_for(tick);
    owed += options_.rate * 0.05;
    if (owed < 1) continue;
    if (routes_type) refresh_routes(*routes_type);  // only the routes that changed since the last round
    // Kthena's router: each ModelRoute is an entrance of its own (few objects: read every round).
    const auto model_routes = model_routes_type ? store_.objects(*model_routes_type, "") : std::vector<ObjectStore::Shared>{};
    std::lock_guard lock(mu_);
    for (; owed >= 1; owed -= 1) {
      for (const auto& [key, route] : routes_) {
        if (queue_.size() >= 256) break;  // beyond that the clients are saturated
        queue_.push_back(route);
      }
      for (const auto& route : model_routes)
        if (queue_.size() < 256) queue_.push_back(route);
    }
    queue_cv_.notify_all();
  }
}

void TrafficGenerator::refresh_routes(const ResourceType& routes_type) {
  auto changes = routes_seen_ ? store_.changes_after(*routes_seen_) : std::nullopt;
  if (!changes) {  // the first round, or more changed than the store keeps: read them all
    routes_seen_ = store_.resource_version();
    routes_.clear();
    for (auto& route : store_.objects(routes_type, ""))
      routes_[(*route)["metadata"].value("namespace", "") + "/" + (*route)["metadata"].value("name", "")] = route;
    return;
  }
  for (auto& c : *changes) {
    routes_seen_ = c.resource_version;
    if (c.group != routes_type.group || c.plural != routes_type.plural) continue;
    const std::string key = c.namespace_ + "/" + (*c.object)["metadata"].value("name", "");
    if (c.type == "DELETED")
      routes_.erase(key);
    else
      routes_[key] = c.object;
  }
}

void TrafficGenerator::worker_loop() {
  for (;;) {
    ObjectStore::Shared route;
    {
      std::unique_lock lock(mu_);
      queue_cv_.wait(lock, [this] { return !running_ || !queue_.empty(); });
      if (!running_) return;
      route = std::move(queue_.front());
      queue_.pop_front();
    }
    if (route->value("kind", "") == "ModelRoute")
      send_model_route(*route);
    else
      send_one(*route);
  }
}

}  // namespace rollout::sandbox
