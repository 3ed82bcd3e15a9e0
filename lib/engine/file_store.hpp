// The state of a rollout kept on this machine, in a state directory (`--state-dir`, default
// $XDG_STATE_HOME/rollout, else ~/.local/state/rollout), for targets that are not in a cluster or
// when a user asks for it: <name>.json (the state, written atomically by write + rename),
// <name>.control.json (requests from other processes, read-modify-written under an flock on
// <name>.control.lock),
// <name>.history.json, and <name>.lock, an flock(2) held by the running apply, whose text names
// pid, host and start time. The kernel drops the flock when its holder exits (even by kill -9),
// so a dead holder's lock is taken over; the descriptor is close-on-exec, so processes the run
// starts never inherit it.
#pragma once

#include <string>
#include <vector>

#include "engine/state_store.hpp"

namespace rollout::engine {

// $XDG_STATE_HOME/rollout, else $HOME/.local/state/rollout.
std::string default_state_dir();

class FileStore : public StateStore {
 public:
  FileStore(std::string dir, std::string rollout_name, Clock& clock = system_clock());
  ~FileStore() override;

  const std::string& dir() const { return dir_; }
  std::string where() const override { return state_path_; }

  Result<StateSnapshot> read() override;
  Status acquire(const LockHolder& me) override;
  bool driven(const StateSnapshot& snapshot) const override;
  Status release(const LockHolder& me) override;
  Status save(RolloutState& state, const LockHolder& me) override;
  Status append_history(const RunRecord& record) override;
  Status update_control(const ControlChange& change) override;
  Status watch(const std::function<bool()>& should_stop,
               const std::function<void(const StateSnapshot&)>& on_change) override;
  // The plan text of a run, kept beside its state as `<name>.plan-<hash>.yaml` (mode 0600: a
  // local target's commands may carry secrets in their environment), so that `rollout abort` with
  // no apply running can rebuild a target that lives outside the cluster. Keyed by the plan's
  // hash, so that an apply refused by the lock of another plan's run changes nothing the running
  // one relies on; other plans' files are removed unless the state names them.
  Status keep_plan(const std::string& hash, const std::string& text);
  // not_found when no plan with that hash was kept.
  Result<std::string> kept_plan(const std::string& hash) const;

 private:
  Status ensure_dir() const;
  std::string path(const char* suffix) const { return dir_ + "/" + name_ + suffix; }

  std::string dir_;
  std::string name_;
  std::string state_path_;
  Clock& clock_;
  int lock_fd_ = -1;  // held while this process drives the rollout
};

// The rollouts that have a state file in `dir` (names, sorted); a missing dir has none.
std::vector<std::string> file_rollouts(const std::string& dir);

}  // namespace rollout::engine
