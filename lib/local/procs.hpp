// What Linux says about processes, from /proc: who listens on a port (a replica started by hand is
// found that way), whether a pid is still the process we started (its start time), a process's
// parent and command line (nginx's master and workers).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace rollout::local {

// The pid of a process with a listening TCP socket on `port` (IPv4 or IPv6), if one can be seen.
std::optional<int> listener_pid(int port);
// Some process listens on `port` (even one whose fds we may not read).
bool port_listening(int port);
// Clock ticks since boot when `pid` started (field 22 of /proc/pid/stat): a pid plus this names one
// process, whatever reuses the pid later.
std::optional<long long> start_time(int pid);
// Exists and is not a zombie.
bool alive(int pid);
int parent_of(int pid);
// argv joined by spaces ("nginx: worker process" for nginx's renamed processes).
std::string cmdline(int pid);
std::vector<int> all_pids();

}  // namespace rollout::local
