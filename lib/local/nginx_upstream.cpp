#include "local/nginx_upstream.hpp"

#include <regex>
#include <sstream>

namespace rollout::local {

namespace {

struct Statement {
  size_t begin = 0;  // first byte after the leading whitespace
  size_t end = 0;    // the ';'
  std::vector<std::string> tokens;
};

// The block's body [open+1, close) and its statements (comments skipped).
Result<std::vector<Statement>> statements(const std::string& text, const std::string& upstream) {
  const std::regex head("(^|[\\s;{}])upstream\\s+" + std::regex_replace(upstream, std::regex("[.^$|()\\[\\]*+?\\\\]"),
                                                                         "\\$&") +
                        "\\s*\\{");
  std::smatch m;
  if (!std::regex_search(text, m, head)) return make_error(ErrorKind::not_found, "no `upstream " + upstream + " {` block");
  size_t i = static_cast<size_t>(m.position(0) + m.length(0));
  std::vector<Statement> out;
  Statement cur;
  bool in_statement = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    if (c == '}' && !in_statement) return out;
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    if (!in_statement) {
      cur = Statement{};
      cur.begin = i;
      in_statement = true;
    }
    if (c == ';') {
      cur.end = i;
      std::istringstream words(text.substr(cur.begin, cur.end - cur.begin));
      for (std::string w; words >> w;) cur.tokens.push_back(w);
      out.push_back(cur);
      in_statement = false;
    }
  }
  return make_error(ErrorKind::invalid, "the `upstream " + upstream + "` block has no closing brace");
}

ServerState state_of(const Statement& s) {
  ServerState st;
  for (size_t k = 2; k < s.tokens.size(); ++k) {
    if (s.tokens[k] == "down") st.admin = Admin::drain;
    if (s.tokens[k].rfind("weight=", 0) == 0) st.weight = std::atoi(s.tokens[k].c_str() + 7);
  }
  return st;
}

std::string rewrite(const Statement& s, const ServerState& want) {
  std::vector<std::string> t(s.tokens.begin(), s.tokens.end());
  bool has_weight = false, has_down = false;
  for (auto it = t.begin() + 2; it != t.end();) {
    if (*it == "down") {
      has_down = true;
      if (want.admin == Admin::ready) {
        it = t.erase(it);
        continue;
      }
    } else if (it->rfind("weight=", 0) == 0) {
      has_weight = true;
      *it = "weight=" + std::to_string(want.weight);
    }
    ++it;
  }
  if (!has_weight && want.weight != 1) t.insert(t.begin() + 2, "weight=" + std::to_string(want.weight));
  if (!has_down && want.admin != Admin::ready) t.push_back("down");
  std::string out;
  for (const auto& w : t) out += (out.empty() ? "" : " ") + w;
  return out;
}

}  // namespace

Result<std::vector<UpstreamServer>> read_upstream(const std::string& text, const std::string& upstream) {
  auto st = statements(text, upstream);
  if (!st.ok()) return st.error();
  std::vector<UpstreamServer> out;
  for (const auto& s : *st)
    if (s.tokens.size() >= 2 && s.tokens[0] == "server") out.push_back({s.tokens[1], state_of(s)});
  return out;
}

Result<std::string> write_upstream(const std::string& text, const std::string& upstream,
                                   const std::map<std::string, ServerState>& by_address) {
  auto st = statements(text, upstream);
  if (!st.ok()) return st.error();
  std::string out = text;
  std::map<std::string, bool> found;
  // From the last statement back, so earlier offsets stay valid.
  for (auto it = st->rbegin(); it != st->rend(); ++it) {
    if (it->tokens.size() < 2 || it->tokens[0] != "server") continue;
    auto want = by_address.find(it->tokens[1]);
    if (want == by_address.end()) continue;
    found[want->first] = true;
    if (state_of(*it) == want->second) continue;
    out.replace(it->begin, it->end - it->begin, rewrite(*it, want->second));
  }
  for (const auto& [address, state] : by_address)
    if (!found.count(address))
      return make_error(ErrorKind::not_found, "upstream " + upstream + " has no `server " + address + "`");
  return out;
}

bool same_server(const std::string& address, const std::string& host, int port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || address.substr(colon + 1) != std::to_string(port)) return false;
  auto norm = [](std::string h) {
    if (h == "localhost" || h == "[::1]" || h == "::1") return std::string("127.0.0.1");
    return h;
  };
  return norm(address.substr(0, colon)) == norm(host);
}

}  // namespace rollout::local
