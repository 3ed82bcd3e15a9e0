// The file store (--state-dir): atomic state files, the flock lock and who holds it, control
// requests from other processes, and the watch that wakes a running apply.
#include "engine/file_store.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "util/subprocess.hpp"

namespace rollout::engine {

namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/rollout-file-store-test.XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

LockHolder holder(const std::string& id, int pid) {
  LockHolder h = this_process_holder();
  h.id = id;
  h.pid = pid;
  return h;
}

}  // namespace

TEST_CASE("file store: state is written whole to <name>.json and read back", "[engine][file_store]") {
  TempDir dir;
  FileStore store(dir.path.string() + "/state", "llama");
  auto empty = store.read();
  REQUIRE(empty.ok());
  CHECK(!empty->exists);
  const LockHolder me = this_process_holder();
  REQUIRE(store.acquire(me).ok());
  RolloutState s;
  s.name = "llama";
  s.run_id = "r1";
  s.phase = Phase::Progressing;
  s.step = 3;
  REQUIRE(store.save(s, me).ok());
  auto back = store.read();
  REQUIRE(back.ok());
  REQUIRE(back->state);
  CHECK(back->state->run_id == "r1");
  CHECK(back->state->step == 3);
  CHECK(fs::exists(dir.path / "state" / "llama.json"));
  for (const auto& e : fs::directory_iterator(dir.path / "state"))  // nothing half-written is left
    CHECK(e.path().filename().string().find(".tmp") == std::string::npos);
  CHECK(store.where() == (dir.path / "state" / "llama.json").string());
  CHECK(file_rollouts((dir.path / "state").string()) == std::vector<std::string>{"llama"});
  REQUIRE(store.release(me).ok());
}

TEST_CASE("file store: a held lock is refused naming its holder, released or dead it is taken", "[engine][file_store]") {
  TempDir dir;
  auto first = std::make_unique<FileStore>(dir.path.string(), "llama");
  FileStore second(dir.path.string(), "llama");
  const LockHolder a = holder("a", 1111), b = holder("b", 2222);
  REQUIRE(first->acquire(a).ok());
  auto refused = second.acquire(b);
  REQUIRE(!refused.ok());
  CHECK(refused.error().kind == ErrorKind::locked);
  CHECK_THAT(refused.error().message, Catch::Contains("pid 1111"));
  auto snap = second.read();
  REQUIRE(snap.ok());
  CHECK(second.driven(*snap));

  REQUIRE(first->release(a).ok());
  REQUIRE(second.acquire(b).ok());
  REQUIRE(second.release(b).ok());

  // A holder that dies without releasing (kill -9): the kernel drops its flock with its
  // descriptor, and the next apply takes over although the lock file still names it.
  REQUIRE(first->acquire(a).ok());
  first.reset();
  auto after = second.read();
  REQUIRE(after.ok());
  CHECK(!second.driven(*after));
  REQUIRE(second.acquire(b).ok());
}

TEST_CASE("file store: processes the run starts do not inherit the lock", "[engine][file_store]") {
  TempDir dir;
  FileStore store(dir.path.string(), "llama");
  const LockHolder me = this_process_holder();
  REQUIRE(store.acquire(me).ok());
  // A child lists its open descriptors: none may be the lock file (O_CLOEXEC), or a local replica
  // that outlives `rollout` would keep the rollout locked.
  auto r = run_process({"sh", "-c", "ls -l /proc/self/fd/"}, {}, "", Duration(10000));
  REQUIRE(r.ok());
  INFO(r->stdout_data);
  CHECK(r->stdout_data.find("llama.lock") == std::string::npos);
  REQUIRE(store.release(me).ok());
}

TEST_CASE("file store: control requests from another process reach a watching apply", "[engine][file_store]") {
  TempDir dir;
  FileStore apply(dir.path.string(), "llama");
  FileStore other(dir.path.string(), "llama");
  const LockHolder me = this_process_holder();
  REQUIRE(apply.acquire(me).ok());
  RolloutState s;
  s.name = "llama";
  s.run_id = "r1";
  REQUIRE(apply.save(s, me).ok());

  std::atomic<bool> stop{false};
  std::atomic<bool> promoted{false};
  std::thread watcher([&] {
    (void)apply.watch([&] { return stop.load(); },
                      [&](const StateSnapshot& snap) {
                        if (snap.control.promote_id == "p1") promoted = true;
                      });
  });
  // Both requesters read-modify-write: neither loses the other's request.
  std::thread pauser([&] { REQUIRE(other.update_control([](const auto&, ControlRequests& c) {
      c.paused = true;
      return ok_status();
    }).ok()); });
  REQUIRE(other.update_control([](const auto&, ControlRequests& c) {
    c.promote_id = "p1";
    return ok_status();
  }).ok());
  pauser.join();
  // inotify wakes the watch; the bound is generous for a loaded machine.
  for (int i = 0; i < 100 && !promoted; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  stop = true;
  watcher.join();
  CHECK(promoted);
  auto snap = apply.read();
  REQUIRE(snap.ok());
  CHECK(snap->control.promote_id == "p1");
  CHECK(snap->control.paused);
  REQUIRE(apply.release(me).ok());
}

}  // namespace rollout::engine
