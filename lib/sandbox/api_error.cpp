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
  // 422: `Kind "name" is invalid: field: detail` also as details.kind/name and causes, from which
  // kubectl prints `The Kind "name" is invalid: field: detail` as against a real API server.
  const auto invalid_at = e.message.find(" is invalid: ");
  if (e.code == 422 && invalid_at != std::string::npos && e.message.find(' ') < invalid_at) {
    const std::string subject = e.message.substr(0, invalid_at), rest = e.message.substr(invalid_at + 13);
    const auto q = subject.find(" \"");
    const auto colon = rest.find(": ");
    nlohmann::json cause = {{"reason", "FieldValueInvalid"}, {"message", rest}};
    if (colon != std::string::npos)
      cause = {{"reason", "FieldValueInvalid"}, {"field", rest.substr(0, colon)}, {"message", rest.substr(colon + 2)}};
    s["details"] = {{"name", q == std::string::npos ? name : subject.substr(q + 2, subject.size() - q - 3)},
                    {"kind", subject.substr(0, q)},
                    {"causes", {cause}}};
  }
  if (e.code == 410) s["reason"] = "Expired";
  return s;
}

}  // namespace rollout::sandbox
