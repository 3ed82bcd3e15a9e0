// The `server` lines of one upstream block in an nginx file, read and rewritten as text: only the
// `down` flag and `weight=N` of the servers asked for change, every other byte stays (nginx has
// no weight 0: a server at 0% is `down`). Pure, so every edit is tested without nginx.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "local/load_balancer.hpp"
#include "util/result.hpp"

namespace rollout::local {

struct UpstreamServer {
  std::string address;  // "127.0.0.1:8001"
  ServerState state;
};

// The servers of `upstream NAME { ... }` in `text`. not_found without that block.
Result<std::vector<UpstreamServer>> read_upstream(const std::string& text, const std::string& upstream);

// `text` with the servers at these addresses in these states (Admin::drain and maint are `down`;
// weight 1 is written as no weight). not_found for an address the block does not hold.
Result<std::string> write_upstream(const std::string& text, const std::string& upstream,
                                   const std::map<std::string, ServerState>& by_address);

// "host:port" of a server address matches a replica's host and port ("localhost" and
// "127.0.0.1" are the same host).
bool same_server(const std::string& address, const std::string& host, int port);

}  // namespace rollout::local
