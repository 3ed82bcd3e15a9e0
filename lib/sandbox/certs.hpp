// The sandbox's own PKI: a CA, a serving certificate for loopback, and an admin client
// certificate, generated with OpenSSL at first start and kept in the data (or cert) directory.
#pragma once

#include <string>

#include "util/result.hpp"

namespace rollout::sandbox {

struct SandboxPki {
  std::string ca_cert_pem;
  std::string server_cert_pem, server_key_pem;
  std::string client_cert_pem, client_key_pem;
};

// Generates a fresh PKI (EC P-256; server SANs localhost, 127.0.0.1, ::1).
Result<SandboxPki> generate_pki();

// Loads DIR/{ca.crt,server.crt,server.key,client.crt,client.key}, generating and writing them if absent.
Result<SandboxPki> load_or_create_pki(const std::string& dir);

}  // namespace rollout::sandbox
