// ApiHandler: the verbs on resource paths (get, list, create, update, patch, delete) and watch.
#include <chrono>

#include "sandbox/api_handler.hpp"
#include "sandbox/audit_log.hpp"
#include "sandbox/protobuf.hpp"
#include "sandbox/query_params.hpp"
#include "sandbox/scale_subresource.hpp"
#include "sandbox/table.hpp"
#include "util/yaml_json.hpp"

namespace rollout::sandbox {

using nlohmann::json;

namespace {

HttpResponse json_response(int status, const json& body) {
  // Names and paths are the client's bytes: invalid UTF-8 becomes U+FFFD, as Go's encoding/json
  // writes it, rather than nlohmann's type_error.316 thrown out of the handler.
  return {status, "application/json", body.dump(-1, ' ', false, json::error_handler_t::replace), {}};
}

HttpResponse error_response(const Error& e, const std::string& plural = "", const std::string& name = "") {
  json body = status_body(e, plural, name);
  return json_response(e.code ? e.code : 500, body);
}

Result<json> parse_body(const HttpRequest& req, const ResourceType& t) {
  const std::string ct = req.header("content-type");
  if (ct.rfind("application/vnd.kubernetes.protobuf", 0) == 0) return decode_k8s_protobuf(req.body, t);
  if (ct.rfind("application/apply-patch+yaml", 0) == 0 || ct.rfind("application/yaml", 0) == 0) {
    auto j = parse_yaml_as_json(req.body);
    if (!j.ok()) return api_error(400, "BadRequest", "error decoding YAML: " + j.error().message);
    return j;
  }
  json j = json::parse(req.body, nullptr, false);
  if (j.is_discarded()) return api_error(400, "BadRequest", "the request body is not valid JSON");
  return j;
}

Result<ListOptions> list_options(const HttpRequest& req) {
  ListOptions o;
  std::string err;
  if (auto l = req.query_value("labelSelector"); !l.empty()) {
    o.labels = LabelSelector::parse(l, &err);
    if (!o.labels) return api_error(400, "BadRequest", "unable to parse requirement: " + err);
  }
  if (auto f = req.query_value("fieldSelector"); !f.empty()) {
    o.fields = FieldSelector::parse(f, &err);
    if (!o.fields) return api_error(400, "BadRequest", err);
  }
  return o;
}

// The verb's query parameters decoded and validated as the real API server does (query_params.hpp).
Result<WriteOptions> write_options(const HttpRequest& req, const ResourcePath& rp,
                                   std::optional<PatchType> patch = std::nullopt) {
  const std::string verb = req.method == "POST"    ? "create"
                           : req.method == "PUT"   ? "update"
                           : req.method == "PATCH" ? "patch"
                                                   : "delete";
  auto q = write_query(req, verb, patch);
  if (!q.ok()) return q.error();
  WriteOptions o;
  o.dry_run = q->dry_run;
  o.status = rp.subresource == "status";
  o.field_manager = q->field_manager;
  return o;
}

bool matches(const ListOptions& o, const json& obj) {
  if (o.labels && !o.labels->matches(labels_of(obj))) return false;
  if (o.fields && !o.fields->matches(obj)) return false;
  return true;
}

}  // namespace

// A GET whose options do not decode is answered by handle() with the error, not streamed.
bool ApiHandler::is_watch(const HttpRequest& req) const {
  if (req.method != "GET") return false;
  auto q = list_query(req);
  return q.ok() && q->watch;
}

HttpResponse ApiHandler::resource(const HttpRequest& req) {
  auto rp = *parse_resource_path(req.path);
  auto type = types_.find(rp.group, rp.version, rp.plural);
  if (!type) return error_response(api_error(404, "NotFound", "the server could not find the requested resource"));
  if (!type->namespaced && !rp.namespace_.empty())
    return error_response(api_error(404, "NotFound", "the server could not find the requested resource"));
  if (rp.plural == "pods" && rp.group.empty() && (rp.subresource == "proxy" || rp.subresource.rfind("proxy/", 0) == 0))
    return proxy(req, rp);
  if (rp.subresource == "scale" && type->scale && !rp.name.empty()) return scale(req, rp, *type);
  if (!rp.subresource.empty() && !(rp.subresource == "status" && type->status_subresource))
    return error_response(api_error(404, "NotFound", "the server could not find the requested resource"));
  const std::string ns = rp.namespace_;
  std::optional<PatchType> type_of_patch;
  if (req.method == "PATCH") type_of_patch = patch_type_from_content_type(req.header("content-type"));
  WriteOptions wo;
  if (req.method != "GET" && !(req.method == "PATCH" && !type_of_patch)) {  // an unknown patch type: 415 below
    auto options = write_options(req, rp, type_of_patch);
    if (!options.ok()) return error_response(options.error());
    wo = *options;
  } else if (auto q = list_query(req); !q.ok()) {
    return error_response(q.error());
  }
  Result<json> result = json();
  int ok_status = 200;
  if (req.method == "GET" && rp.name.empty()) {
    auto lo = list_options(req);
    if (!lo.ok()) return error_response(lo.error());
    result = store_.list(*type, ns, *lo);
  } else if (req.method == "GET") {
    result = store_.get(*type, ns, rp.name);
  } else if (req.method == "POST" && rp.name.empty()) {
    auto body = parse_body(req, *type);
    if (!body.ok()) return error_response(body.error());
    if (type->namespaced && ns.empty())
      return error_response(api_error(404, "NotFound", "the server could not find the requested resource"));
    result = store_.create(*type, ns, *body, wo);
    ok_status = 201;
  } else if (req.method == "PUT" && !rp.name.empty()) {
    auto body = parse_body(req, *type);
    if (!body.ok()) return error_response(body.error());
    result = store_.update(*type, ns, rp.name, *body, wo);
  } else if (req.method == "PATCH" && !rp.name.empty()) {
    if (!type_of_patch)
      return error_response(
          api_error(415, "UnsupportedMediaType",
                    "the body of the request was in an unknown format - accepted media types include: "
                    "application/json-patch+json, application/merge-patch+json, "
                    "application/apply-patch+yaml"));
    auto body = parse_body(req, *type);
    if (!body.ok()) return error_response(body.error());
    bool existed = store_.get(*type, ns, rp.name).ok();
    json patch = *body;
    if (*type_of_patch == PatchType::apply && patch.is_object()) {
      if (!patch.contains("metadata") || !patch["metadata"].is_object()) patch["metadata"] = json::object();
      patch["metadata"]["name"] = rp.name;
    }
    result = store_.patch(*type, ns, rp.name, *type_of_patch, patch, wo);
    if (!existed) ok_status = 201;
  } else if (req.method == "DELETE" && !rp.name.empty()) {
    // kubectl sends dryRun in the DeleteOptions body rather than the query.
    json options = json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
    WriteOptions delete_options = wo;
    if (options.is_object() && options.contains("dryRun") && options["dryRun"].is_array())
      for (const auto& d : options["dryRun"]) delete_options.dry_run = delete_options.dry_run || d == "All";
    result = store_.remove(*type, ns, rp.name, delete_options);
  } else if (req.method == "DELETE") {
    auto lo = list_options(req);
    if (!lo.ok()) return error_response(lo.error());
    auto items = store_.list(*type, ns, *lo);
    if (items.ok())
      for (const auto& item : (*items)["items"])
        (void)store_.remove(*type, item["metadata"].value("namespace", ""), item["metadata"]["name"], wo);
    result = items;
  } else {
    return error_response(
        api_error(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"));
  }
  if (!result.ok()) return error_response(result.error(), rp.plural, rp.name);
  if (req.method == "GET" && wants_table(req.header("accept"))) {
    std::vector<json> objects;
    if (rp.name.empty())
      objects.assign(result->at("items").begin(), result->at("items").end());
    else
      objects.push_back(*result);
    std::string rv = rp.name.empty() ? result->at("metadata").value("resourceVersion", "")
                                     : result->at("metadata").value("resourceVersion", "");
    return json_response(200, to_table(*type, objects, rv, true));
  }
  return json_response(ok_status, *result);
}

// GET, PUT and PATCH of an autoscaling/v1 Scale: the object's replicas, changed through a normal
// update of the object (so generation, admission and watches behave as for any spec change).
HttpResponse ApiHandler::scale(const HttpRequest& req, const ResourcePath& rp, const ResourceType& type) {
  auto obj = store_.get(type, rp.namespace_, rp.name);
  if (!obj.ok()) return error_response(obj.error(), rp.plural, rp.name);
  if (req.method == "GET") return json_response(200, scale_of(type, *obj));
  if (req.method != "PUT" && req.method != "PATCH")
    return error_response(
        api_error(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"));
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) return error_response(api_error(400, "BadRequest", "the request body is not valid JSON"));
  json wanted = body;
  if (req.method == "PATCH") {
    auto pt = patch_type_from_content_type(req.header("content-type"));
    if (!pt || *pt == PatchType::apply)
      return error_response(api_error(415, "UnsupportedMediaType",
                                      "the body of the request was in an unknown format - accepted media types "
                                      "include: application/json-patch+json, application/merge-patch+json"));
    auto patched = apply_patch(scale_of(type, *obj), *pt == PatchType::strategic ? PatchType::merge : *pt, body);
    if (!patched.ok()) return error_response(patched.error());
    wanted = *patched;
    // A patch names no resourceVersion of its own: the server applies it to the latest object.
    if (!body.is_object() || !body.value("metadata", json::object()).contains("resourceVersion"))
      wanted["metadata"].erase("resourceVersion");
  }
  auto updated = apply_scale(type, *obj, wanted);
  if (!updated.ok()) return error_response(updated.error());
  auto options = write_options(req, rp, req.method == "PATCH" ? patch_type_from_content_type(req.header("content-type"))
                                                              : std::nullopt);
  if (!options.ok()) return error_response(options.error());
  auto stored = store_.update(type, rp.namespace_, rp.name, *updated, *options);
  if (!stored.ok()) return error_response(stored.error(), rp.plural, rp.name);
  return json_response(200, scale_of(type, *stored));
}

HttpResponse ApiHandler::proxy(const HttpRequest& req, const ResourcePath& rp) {
  const std::string pod_name = rp.name.substr(0, rp.name.find(':'));
  auto pods = types_.find("", "v1", "pods");
  auto pod = store_.get(*pods, rp.namespace_, pod_name);
  if (!pod.ok()) return error_response(pod.error(), "pods", pod_name);
  HttpRequest forwarded = req;
  forwarded.path = "/" + (rp.subresource.size() > 6 ? rp.subresource.substr(6) : "");
  std::optional<HttpResponse> answer;
  if (pod_proxy_) answer = pod_proxy_(*pod, forwarded);
  if (!answer)
    return error_response(api_error(503, "ServiceUnavailable",
                                    "error trying to reach service: dial tcp 127.0.0.1: connect: connection refused"));
  return *answer;
}

int ApiHandler::watch(const HttpRequest& req, const std::function<bool(const std::string&)>& write) {
  count(req, true);
  auto rp = parse_resource_path(req.path);
  if (audit_) {  // upstream logs a watch when its response starts (and again when it ends)
    const auto at = std::chrono::system_clock::now();
    audit_->write(audit_event(req, "watch", rp, 200, at, at, "ResponseStarted", audit_->next_id()));
  }
  std::optional<ResourceType> type;
  if (rp) type = types_.find(rp->group, rp->version, rp->plural);
  if (!type) return 404;
  auto lo = list_options(req);
  auto q = list_query(req);
  if (!lo.ok() || !q.ok()) return 400;
  // Watching one object by name (legacy /watch/.../NAME style, or fieldSelector).
  if (!rp->name.empty()) lo->fields = FieldSelector::parse("metadata.name=" + rp->name, nullptr);
  // timeoutSeconds absent or 0: the server's own limit (a real one picks 30..60 min at random).
  const int64_t timeout_s = q->timeout_seconds.value_or(0) > 0 ? *q->timeout_seconds : 1800;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  const bool bookmarks = q->allow_watch_bookmarks;
  const int drop_after = faults().drop_watch_after;
  int sent = 0;
  const bool table = wants_table(req.header("accept"));
  auto send = [&](const std::string& type_name, const json& obj) {
    json payload = obj;
    if (table && type_name != "ERROR" && type_name != "BOOKMARK")
      payload = to_table(*type, {obj}, obj["metadata"].value("resourceVersion", ""), sent == 0);
    ++sent;
    return write(json{{"type", type_name}, {"object", payload}}.dump(-1, ' ', false, json::error_handler_t::replace) +
                 "\n");
  };
  const std::string rv_param = req.query_value("resourceVersion");
  uint64_t after = 0;
  if (rv_param.empty() || rv_param == "0") {
    auto list = store_.list(*type, rp->namespace_, *lo);
    if (!list.ok()) return 500;
    for (const auto& item : (*list)["items"])
      if (!send("ADDED", item)) return 200;
    after = std::stoull((*list)["metadata"]["resourceVersion"].get<std::string>());
  } else {
    after = std::strtoull(rv_param.c_str(), nullptr, 10);
  }
  auto last_bookmark = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return 200;
    }
    auto wait_until = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(1));
    auto events = store_.events_after(*type, rp->namespace_, after, wait_until);
    if (!events.ok()) {
      send("ERROR", status_body(events.error()));
      return 200;
    }
    for (const auto& e : *events) {
      after = e.resource_version;
      if (!matches(*lo, e.object)) continue;
      if (!send(e.type, e.object)) return 200;
      if (drop_after > 0 && sent >= drop_after) return 200;
    }
    if (bookmarks && std::chrono::steady_clock::now() - last_bookmark > std::chrono::seconds(5)) {
      last_bookmark = std::chrono::steady_clock::now();
      json mark = {{"kind", type->kind},
                   {"apiVersion", type->api_version()},
                   {"metadata", {{"resourceVersion", std::to_string(after)}}}};
      if (!send("BOOKMARK", mark)) return 200;
    } else if (events->empty() && !write("")) {
      return 200;  // the client went away
    }
  }
  return 200;
}

}  // namespace rollout::sandbox
