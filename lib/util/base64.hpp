// Base64 (RFC 4648, standard alphabet with padding): how Kubernetes writes byte fields such as
// certificate-authority-data in JSON and YAML.
#pragma once

#include <string>
#include <string_view>

#include "util/result.hpp"

namespace rollout {

std::string base64_encode(std::string_view bytes);

// Decodes padded standard base64, ignoring line breaks as Go's decoder does. Errors (kind invalid)
// give the offset of the problem but never echo the data: it is often a private key.
Result<std::string> base64_decode(std::string_view text);

}  // namespace rollout
