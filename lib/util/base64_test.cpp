#include "util/base64.hpp"

#include <catch2/catch.hpp>

using namespace rollout;

TEST_CASE("base64 encodes the RFC 4648 test vectors", "[base64]") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foob") == "Zm9vYg==");
  CHECK(base64_encode("fooba") == "Zm9vYmE=");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_encode(std::string("\xff\xfe\x00", 3)) == "//4A");
}

TEST_CASE("base64 decodes what it encodes, ignoring line breaks", "[base64]") {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"})
    CHECK(base64_decode(base64_encode(s)).value() == s);
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  CHECK(base64_decode(base64_encode(bytes)).value() == bytes);
  CHECK(base64_decode("Zm9v\nYmFy\r\n").value() == "foobar");
}

TEST_CASE("invalid base64 is rejected with the offset and without echoing the data", "[base64]") {
  auto r = base64_decode("Zm9v%mFy");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::invalid);
  CHECK(r.error().message == "not valid base64: invalid character '%' at offset 4");
  CHECK(base64_decode("Zm9vYg").error().message ==
        "not valid base64: truncated data (missing '=' padding?) at offset 6");
  CHECK(base64_decode("Zm9vY===").error().message == "not valid base64: unexpected '=' at offset 5");
  CHECK(base64_decode("Zg==Zg==").error().message == "not valid base64: data after '=' padding at offset 4");
  CHECK(base64_decode("Zm 9v").error().message == "not valid base64: invalid character at offset 2");
  CHECK_FALSE(base64_decode("Zm9=v").ok());
  CHECK_FALSE(base64_decode("Z").ok());
}
