// Query parameters as the real API server decodes and validates them, so that a client sending
// `watch=True` (the Python client), `watch=1` or `limit=abc` gets the answer it would get from a
// cluster. Decoding: k8s.io/apimachinery/pkg/runtime/conversion.go (Convert_Slice_string_To_*);
// validation: apimachinery/pkg/apis/meta/v1/validation/validation.go (Validate{Create,Update,
// Patch,Delete}Options) and apiserver/pkg/apis/meta/internalversion/validation (ValidateListOptions),
// called from apiserver/pkg/endpoints/handlers/{create,update,patch,delete,get}.go.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/api_handler.hpp"
#include "sandbox/patch.hpp"
#include "util/result.hpp"

namespace rollout::sandbox {

// Convert_Slice_string_To_bool: absent, "0" and "false" in any case are false; anything else,
// the empty string included, is true. (Not strconv.ParseBool: `watch=yes` is a watch.)
bool query_bool(const HttpRequest& req, const std::string& key);
// Go's strconv.ParseInt(s, 10, 64), with its error text: `strconv.ParseInt: parsing "x": invalid syntax`.
Result<int64_t> parse_int64(const std::string& text);
std::vector<std::string> query_values(const HttpRequest& req, const std::string& key);

// The list and watch options of a GET on a collection (ListOptions).
struct ListQuery {
  bool watch = false;
  bool allow_watch_bookmarks = false;
  std::optional<int64_t> timeout_seconds;
  int64_t limit = 0;
  std::string resource_version, resource_version_match;
};
// 400 BadRequest when a value does not decode, 422 `ListOptions.meta.k8s.io "" is invalid` when
// the options contradict each other.
Result<ListQuery> list_query(const HttpRequest& req);

// The options of a write, validated; `verb` is create, update, patch or delete, `patch` the patch
// type of a PATCH. 400 when a value does not decode, 422 naming CreateOptions, UpdateOptions,
// PatchOptions or DeleteOptions otherwise.
struct WriteQuery {
  bool dry_run = false;
  std::string field_manager;
  std::optional<bool> force;
  std::string propagation_policy;
};
Result<WriteQuery> write_query(const HttpRequest& req, const std::string& verb,
                               std::optional<PatchType> patch = std::nullopt);

}  // namespace rollout::sandbox
