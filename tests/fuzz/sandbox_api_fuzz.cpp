// The sandbox's API handler in process, as cpp-httplib hands it requests: a fresh store holding a
// ConfigMap, an HTTPRoute and a Deployment, then up to 8 fuzzed requests (method, path, query,
// headers, body) through every verb, patch type, selector and query parameter it decodes.
// Input: requests separated by a line "%%"; each is "METHOD PATH[?QUERY]", header lines
// "name: value", a blank line, the body. Watches are recognised but not streamed (they block),
// and /sandbox/faults is not served (its latency would sleep): no file, socket or thread.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sandbox/api_handler.hpp"

using namespace rollout::sandbox;

namespace {

std::string url_decode(std::string_view s) {  // as httplib's decode_url(s, true)
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && isxdigit(s[i + 1]) && isxdigit(s[i + 2])) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

HttpRequest parse_request(std::string_view text) {
  HttpRequest req;
  size_t eol = text.find('\n');
  std::string_view line = text.substr(0, eol), rest = eol == std::string_view::npos ? "" : text.substr(eol + 1);
  size_t space = line.find(' ');
  req.method = std::string(line.substr(0, space));
  std::string_view target = space == std::string_view::npos ? "/" : line.substr(space + 1);
  size_t q = target.find('?');
  req.path = url_decode(target.substr(0, q));
  for (std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1); !query.empty();) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    req.query.emplace(url_decode(pair.substr(0, eq)), eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1)));
    query = amp == std::string_view::npos ? "" : query.substr(amp + 1);
  }
  while (!rest.empty() && rest.front() != '\n') {
    eol = rest.find('\n');
    std::string_view header = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? "" : rest.substr(eol + 1);
    size_t colon = header.find(": ");
    if (colon == std::string_view::npos) continue;
    std::string name(header.substr(0, colon));
    for (auto& c : name) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    req.headers[name] = std::string(header.substr(colon + 2));
  }
  req.body = std::string(rest.empty() ? rest : rest.substr(1));
  return req;
}

HttpRequest post(std::string path, std::string body) {
  HttpRequest req;
  req.method = "POST";
  req.path = std::move(path);
  req.headers["content-type"] = "application/json";
  req.body = std::move(body);
  return req;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16 * 1024) return -1;
  TypeRegistry types;
  ObjectStore store(types);
  Credentials creds;
  creds.allow_anonymous = true;
  ApiHandler api(types, store, creds);
  api.handle(post("/api/v1/namespaces/default/configmaps",
                  R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","labels":{"app":"x"}},"data":{"a":"1"}})"));
  api.handle(post("/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes",
                  R"({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"r","labels":{"fleet":"a"}},)"
                  R"("spec":{"parentRefs":[{"name":"gw"}],"rules":[{"backendRefs":[{"name":"stable","port":8000,"weight":100},)"
                  R"({"name":"canary","port":8000,"weight":0}]}]}})"));
  api.handle(post("/apis/apps/v1/namespaces/default/deployments",
                  R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":2,)"
                  R"("selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},)"
                  R"("spec":{"containers":[{"name":"c","image":"i:1","ports":[{"containerPort":80}]}]}}}})"));
  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (int n = 0; n < 8 && !input.empty(); ++n) {
    size_t sep = input.find("\n%%\n");
    HttpRequest req = parse_request(input.substr(0, sep));
    input = sep == std::string_view::npos ? "" : input.substr(sep + 4);
    if (req.path.rfind("/sandbox/faults", 0) == 0 || api.is_watch(req)) continue;
    HttpResponse res = api.handle(req);
    if (res.status < 100 || res.status > 599) __builtin_trap();
  }
  return 0;
}
