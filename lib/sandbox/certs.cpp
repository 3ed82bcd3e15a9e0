#include "sandbox/certs.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

namespace rollout::sandbox {

namespace {

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

Error ssl_error(const std::string& what) {
  return make_error(ErrorKind::internal, "generating certificates: " + what);
}

KeyPtr new_key() {
  return KeyPtr(EVP_EC_gen("P-256"), EVP_PKEY_free);
}

bool add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

struct CertSpec {
  std::string common_name, organization;
  bool ca = false;
  const char* extended_usage = nullptr;  // serverAuth / clientAuth
  const char* alt_names = nullptr;
};

CertPtr make_cert(const CertSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, long serial) {
  CertPtr cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * 365 * 10);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (!spec.organization.empty())
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(spec.organization.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(spec.common_name.c_str()),
                             -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  bool ok = add_ext(cert.get(), signer, NID_basic_constraints, spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  ok = ok &&
       add_ext(cert.get(), signer, NID_key_usage,
               spec.ca ? "critical,keyCertSign,cRLSign,digitalSignature" : "critical,digitalSignature,keyEncipherment");
  ok = ok && add_ext(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (issuer) ok = ok && add_ext(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
  if (spec.extended_usage) ok = ok && add_ext(cert.get(), signer, NID_ext_key_usage, spec.extended_usage);
  if (spec.alt_names) ok = ok && add_ext(cert.get(), signer, NID_subject_alt_name, spec.alt_names);
  if (!ok || X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) return CertPtr(nullptr, X509_free);
  return cert;
}

std::string cert_pem(X509* cert) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string key_pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::filesystem::path& p, const std::string& text, bool secret) {
  std::ofstream(p, std::ios::trunc) << text;
  if (secret) ::chmod(p.c_str(), 0600);
}

}  // namespace

Result<SandboxPki> generate_pki() {
  KeyPtr ca_key = new_key(), server_key = new_key(), client_key = new_key();
  if (!ca_key || !server_key || !client_key) return ssl_error("EC key generation failed");
  CertPtr ca = make_cert({"rollout-sandbox-ca", "", true, nullptr, nullptr}, ca_key.get(), nullptr, ca_key.get(), 1);
  if (!ca) return ssl_error("CA certificate");
  CertPtr server = make_cert(
      {"rollout-sandbox-apiserver", "", false, "serverAuth", "DNS:localhost,DNS:rollout-sandbox,IP:127.0.0.1,IP:::1"},
      server_key.get(), ca.get(), ca_key.get(), 2);
  CertPtr client = make_cert({"rollout-sandbox-admin", "system:masters", false, "clientAuth", nullptr},
                             client_key.get(), ca.get(), ca_key.get(), 3);
  if (!server || !client) return ssl_error("leaf certificates");
  return SandboxPki{cert_pem(ca.get()), cert_pem(server.get()), key_pem(server_key.get()), cert_pem(client.get()),
                    key_pem(client_key.get())};
}

Result<SandboxPki> load_or_create_pki(const std::string& dir) {
  namespace fs = std::filesystem;
  const fs::path d(dir);
  const char* files[] = {"ca.crt", "server.crt", "server.key", "client.crt", "client.key"};
  bool all = true;
  for (const char* f : files) all = all && fs::exists(d / f);
  if (all)
    return SandboxPki{read_file(d / "ca.crt"), read_file(d / "server.crt"), read_file(d / "server.key"),
                      read_file(d / "client.crt"), read_file(d / "client.key")};
  auto pki = generate_pki();
  if (!pki.ok()) return pki;
  std::error_code ec;
  fs::create_directories(d, ec);
  if (ec) return make_error(ErrorKind::internal, "cannot create " + dir + ": " + ec.message());
  write_file(d / "ca.crt", pki->ca_cert_pem, false);
  write_file(d / "server.crt", pki->server_cert_pem, false);
  write_file(d / "server.key", pki->server_key_pem, true);
  write_file(d / "client.crt", pki->client_cert_pem, false);
  write_file(d / "client.key", pki->client_key_pem, true);
  return pki;
}

}  // namespace rollout::sandbox
