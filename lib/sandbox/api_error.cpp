#include "sandbox/api_error.hpp"

namespace rollout::sandbox {

Error api_error(int code, const std::string& reason, const std::string& message) {
  ErrorKind kind = ErrorKind::invalid;
  if (code == 404) kind = ErrorKind::not_found;
  if (code == 409) kind = ErrorKind::conflict;
  if (code == 410) kind = ErrorKind::conflict;
  if (code == 429 || code >= 500) kind = ErrorKind::unavailable;
  Error e = make_error(kind, message);
  e.code = code;
  e.reason = reason;
  return e;
}

Error not_found(const ResourceType& t, const std::string& name) {
  std::string resource = t.group.empty() ? t.plural : t.plural + "." + t.group;
  return api_error(404, "NotFound", resource + " \"" + name + "\" not found");
}

nlohmann::json status_body(const Error& e, const std::string& kind_plural, const std::string& name) {
  nlohmann::json s = {
      {"kind", "Status"},     {"apiVersion", "v1"}, {"metadata", nlohmann::json::object()}, {"status", "Failure"},
      {"message", e.message}, {"reason", e.reason}, {"code", e.code ? e.code : 500}};
  if (!kind_plural.empty() || !name.empty()) s["details"] = {{"name", name}, {"kind", kind_plural}};
  if (e.code == 410) s["reason"] = "Expired";
  return s;
}

}  // namespace rollout::sandbox
