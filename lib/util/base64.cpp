#include "util/base64.hpp"

#include <cstdint>

namespace rollout {

namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

Error bad(std::string what, size_t offset) {
  return make_error(ErrorKind::invalid, "not valid base64: " + what + " at offset " + std::to_string(offset));
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) n |= static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

Result<std::string> base64_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t acc = 0;
  int pending = 0;  // sextets in `acc`
  int padding = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r' || c == '\n') continue;
    if (c == '=') {
      if (pending < 2 || ++padding + pending > 4) return bad("unexpected '='", i);
      continue;
    }
    if (padding > 0) return bad("data after '=' padding", i);
    const int v = sextet(c);
    if (v < 0) {
      const auto uc = static_cast<unsigned char>(c);
      return bad(uc >= 0x21 && uc < 0x7f ? "invalid character '" + std::string(1, c) + "'" : "invalid character", i);
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    if (++pending == 4) {
      out += static_cast<char>((acc >> 16) & 0xff);
      out += static_cast<char>((acc >> 8) & 0xff);
      out += static_cast<char>(acc & 0xff);
      acc = 0;
      pending = 0;
    }
  }
  if (pending == 0) return out;
  if (pending + padding != 4) return bad("truncated data (missing '=' padding?)", text.size());
  acc <<= 6 * padding;
  out += static_cast<char>((acc >> 16) & 0xff);
  if (pending == 3) out += static_cast<char>((acc >> 8) & 0xff);
  return out;
}

}  // namespace rollout
