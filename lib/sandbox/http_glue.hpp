// Between cpp-httplib and the sandbox's transport-independent HttpRequest/HttpResponse, shared by
// the API server and the model servers. Declared with forward declarations so that only the two
// server files pay for <httplib.h>; defined in sandbox_server.cpp.
#pragma once

#include "sandbox/api_handler.hpp"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace rollout::sandbox {

// Method, path, query, lower-cased headers and body (TLS client-certificate facts when present).
HttpRequest to_request(const httplib::Request& req);
void write_response(const HttpResponse& out, httplib::Response& res);

}  // namespace rollout::sandbox
