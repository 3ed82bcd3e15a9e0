#include "sandbox/query_params.hpp"

#include <cstdio>
#include <limits>

#include "sandbox/api_error.hpp"

namespace rollout::sandbox {

namespace {

// strconv.Quote of ASCII text, as Go's %q and %#v print strings in field errors.
std::string go_quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// errors.NewInvalid(schema.GroupKind{Group: "meta.k8s.io", Kind: kind}, "", errs): one error is
// printed as is, several as a bracketed list (apimachinery/pkg/api/errors/errors.go).
Error invalid_options(const std::string& kind, const std::vector<std::string>& errs) {
  std::string list;
  for (size_t i = 0; i < errs.size(); ++i) list += (i ? ", " : "") + errs[i];
  if (errs.size() > 1) list = "[" + list + "]";
  return api_error(422, "Invalid", kind + ".meta.k8s.io \"\" is invalid: " + list);
}

// field.NotSupported's text: `Unsupported value: VALUE: supported values: "a", "b"`.
std::string not_supported(const std::string& field, const std::string& value, const std::vector<std::string>& valid) {
  std::string quoted;
  for (size_t i = 0; i < valid.size(); ++i) quoted += (i ? ", " : "") + go_quote(valid[i]);
  return field + ": Unsupported value: " + value + ": supported values: " + quoted;
}

// ValidateDryRun: every value must be "All"; the value is printed as Go prints a []string (%#v).
void validate_dry_run(const std::vector<std::string>& dry_run, std::vector<std::string>& errs) {
  bool ok = true;
  std::string shown = "[]string{";
  for (size_t i = 0; i < dry_run.size(); ++i) {
    ok = ok && dry_run[i] == "All";
    shown += (i ? ", " : "") + go_quote(dry_run[i]);
  }
  if (!ok) errs.push_back(not_supported("dryRun", shown + "}", {"All"}));
}

// ValidateFieldManager: at most 128 bytes, printable characters only.
void validate_field_manager(const std::string& manager, std::vector<std::string>& errs) {
  if (manager.size() > 128) errs.push_back("fieldManager: Too long: may not be more than 128 bytes");
  for (size_t i = 0; i < manager.size(); ++i) {
    const auto c = static_cast<unsigned char>(manager[i]);
    if (c < 0x20 || c == 0x7f) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "invalid character U+%04X (at position %zu)", c, i);
      errs.push_back("fieldManager: Invalid value: " + go_quote(manager) + ": " + buf);
    }
  }
}

Result<std::optional<int64_t>> optional_int64(const HttpRequest& req, const std::string& key) {
  auto values = query_values(req, key);
  if (values.empty()) return std::optional<int64_t>{};
  auto v = parse_int64(values.front());
  if (!v.ok()) return v.error();
  return std::optional<int64_t>{*v};
}

}  // namespace

std::vector<std::string> query_values(const HttpRequest& req, const std::string& key) {
  std::vector<std::string> out;
  auto [b, e] = req.query.equal_range(key);
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

bool query_bool(const HttpRequest& req, const std::string& key) {
  auto values = query_values(req, key);
  if (values.empty()) return false;
  return values.front() != "0" && lower(values.front()) != "false";
}

Result<int64_t> parse_int64(const std::string& text) {
  // strconv.ParseInt(s, 10, 64): an optional sign, then decimal digits only.
  auto fail = [&](const char* why) {
    return api_error(400, "BadRequest", "strconv.ParseInt: parsing " + go_quote(text) + ": " + why);
  };
  size_t i = (!text.empty() && (text[0] == '+' || text[0] == '-')) ? 1 : 0;
  if (i == text.size()) return fail("invalid syntax");
  const bool negative = text[0] == '-';
  uint64_t magnitude = 0;
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return fail("invalid syntax");
    const uint64_t digit = static_cast<uint64_t>(text[i] - '0');
    // strconv.ParseUint stops at the first digit that overflows: a range error, whatever follows.
    if (magnitude > (limit - digit) / 10) return fail("value out of range");
    magnitude = magnitude * 10 + digit;
  }
  if (negative) return magnitude == (uint64_t{1} << 63) ? std::numeric_limits<int64_t>::min()
                                                        : -static_cast<int64_t>(magnitude);
  return static_cast<int64_t>(magnitude);
}

Result<ListQuery> list_query(const HttpRequest& req) {
  ListQuery q;
  q.watch = query_bool(req, "watch");
  q.allow_watch_bookmarks = query_bool(req, "allowWatchBookmarks");
  auto timeout = optional_int64(req, "timeoutSeconds");
  if (!timeout.ok()) return timeout.error();
  q.timeout_seconds = *timeout;
  auto limit = optional_int64(req, "limit");
  if (!limit.ok()) return limit.error();
  q.limit = limit->value_or(0);
  q.resource_version = req.query_value("resourceVersion");
  q.resource_version_match = req.query_value("resourceVersionMatch");
  // ValidateListOptions: the resourceVersionMatch rules apply to lists, not to watches.
  std::vector<std::string> errs;
  if (!q.watch && !q.resource_version_match.empty()) {
    const std::string& match = q.resource_version_match;
    if (q.resource_version.empty())
      errs.push_back("resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided");
    if (!req.query_value("continue").empty())
      errs.push_back("resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided");
    if (match != "Exact" && match != "NotOlderThan")
      errs.push_back(not_supported("resourceVersionMatch", go_quote(match), {"Exact", "NotOlderThan", ""}));
    if (match == "Exact" && q.resource_version == "0")
      errs.push_back(
          "resourceVersionMatch: Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"");
  }
  if (!errs.empty()) return invalid_options("ListOptions", errs);
  return q;
}

Result<WriteQuery> write_query(const HttpRequest& req, const std::string& verb, std::optional<PatchType> patch) {
  WriteQuery q;
  const auto dry_run = query_values(req, "dryRun");
  q.dry_run = !dry_run.empty();
  q.field_manager = req.query_value("fieldManager");
  if (!query_values(req, "force").empty()) q.force = query_bool(req, "force");
  q.propagation_policy = req.query_value("propagationPolicy");
  std::vector<std::string> errs;
  std::string kind;
  if (verb == "delete") {
    kind = "DeleteOptions";
    const std::string& p = q.propagation_policy;
    if (!query_values(req, "propagationPolicy").empty() && p != "Foreground" && p != "Background" && p != "Orphan")
      errs.push_back(not_supported("propagationPolicy", go_quote(p), {"Foreground", "Background", "Orphan", "nil"}));
  } else {
    kind = verb == "create" ? "CreateOptions" : verb == "update" ? "UpdateOptions" : "PatchOptions";
    if (patch && *patch != PatchType::apply && q.force)
      errs.push_back("force: Forbidden: may not be specified for non-apply patch");
    if (patch && *patch == PatchType::apply && q.field_manager.empty())
      errs.push_back("fieldManager: Required value: is required for apply patch");
    validate_field_manager(q.field_manager, errs);
  }
  validate_dry_run(dry_run, errs);
  if (!errs.empty()) return invalid_options(kind, errs);
  return q;
}

}  // namespace rollout::sandbox
