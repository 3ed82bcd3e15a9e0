#include "sandbox/store.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace rollout;
using namespace rollout::sandbox;
using nlohmann::json;

namespace {

struct Fixture {
  TypeRegistry types;
  ObjectStore store{types, "", 5};
  ResourceType cm = *types.find("", "v1", "configmaps");
  ResourceType route = *types.find("gateway.networking.k8s.io", "v1", "httproutes");
};

json configmap(const std::string& name) {
  return {{"metadata", {{"name", name}}}, {"data", {{"k", "v"}}}};
}

}  // namespace

TEST_CASE("create assigns identity and refuses duplicates", "[sandbox][store]") {
  Fixture f;
  auto created = f.store.create(f.cm, "default", configmap("a"), {});
  REQUIRE(created.ok());
  CHECK(created->at("metadata").at("uid").get<std::string>().size() == 36);
  CHECK_FALSE(created->at("metadata").at("resourceVersion").get<std::string>().empty());
  CHECK(created->at("kind") == "ConfigMap");
  auto again = f.store.create(f.cm, "default", configmap("a"), {});
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == 409);
  CHECK(again.error().reason == "AlreadyExists");
  CHECK(again.error().message == "configmaps \"a\" already exists");
}

TEST_CASE("create in a missing namespace is 404 and a bad name is 422", "[sandbox][store]") {
  Fixture f;
  auto r = f.store.create(f.cm, "nope", configmap("a"), {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "namespaces \"nope\" not found");
  auto bad = f.store.create(f.cm, "default", configmap("Bad_Name"), {});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == 422);
}

TEST_CASE("a stale resourceVersion is a 409 conflict", "[sandbox][store]") {
  Fixture f;
  auto created = *f.store.create(f.cm, "default", configmap("a"), {});
  json first = created;
  first["data"]["k"] = "v2";
  REQUIRE(f.store.update(f.cm, "default", "a", first, {}).ok());
  json stale = created;
  stale["data"]["k"] = "v3";
  auto r = f.store.update(f.cm, "default", "a", stale, {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == 409);
  CHECK(r.error().reason == "Conflict");
}

TEST_CASE("generation counts spec changes only, and status goes through its subresource", "[sandbox][store]") {
  Fixture f;
  json route = {{"metadata", {{"name", "r"}}}, {"spec", {{"rules", json::array()}}}, {"status", {{"x", 1}}}};
  auto created = *f.store.create(f.route, "default", route, {});
  CHECK(created["metadata"]["generation"] == 1);
  CHECK_FALSE(created.contains("status"));
  auto labelled =
      *f.store.patch(f.route, "default", "r", PatchType::merge, json{{"metadata", {{"labels", {{"a", "b"}}}}}}, {});
  CHECK(labelled["metadata"]["generation"] == 1);
  auto changed = *f.store.patch(f.route, "default", "r", PatchType::merge, json{{"spec", {{"hostnames", {"x"}}}}}, {});
  CHECK(changed["metadata"]["generation"] == 2);
  auto ignored = *f.store.patch(f.route, "default", "r", PatchType::merge, json{{"status", {{"y", 1}}}}, {});
  CHECK_FALSE(ignored.contains("status"));
  WriteOptions status;
  status.status = true;
  auto with_status = *f.store.patch(f.route, "default", "r", PatchType::merge, json{{"status", {{"y", 1}}}}, status);
  CHECK(with_status["status"]["y"] == 1);
  CHECK(with_status["metadata"]["generation"] == 2);
}

TEST_CASE("dry run validates and stores nothing", "[sandbox][store]") {
  Fixture f;
  WriteOptions dry;
  dry.dry_run = true;
  REQUIRE(f.store.create(f.cm, "default", configmap("a"), dry).ok());
  CHECK_FALSE(f.store.get(f.cm, "default", "a").ok());
}

TEST_CASE("a no-op update keeps the resourceVersion", "[sandbox][store]") {
  Fixture f;
  auto created = *f.store.create(f.cm, "default", configmap("a"), {});
  auto same = *f.store.update(f.cm, "default", "a", created, {});
  CHECK(same["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]);
}

TEST_CASE("watch events resume after a resourceVersion and expire out of the window", "[sandbox][store]") {
  Fixture f;
  uint64_t start = f.store.resource_version();
  for (int i = 0; i < 3; ++i) REQUIRE(f.store.create(f.cm, "default", configmap("c" + std::to_string(i)), {}).ok());
  auto soon = std::chrono::steady_clock::now() + std::chrono::milliseconds(10);
  auto events = f.store.events_after(f.cm, "default", start, soon);
  REQUIRE(events.ok());
  CHECK(events->size() == 3);
  CHECK(events->at(0).type == "ADDED");
  for (int i = 3; i < 12; ++i) REQUIRE(f.store.create(f.cm, "default", configmap("c" + std::to_string(i)), {}).ok());
  auto expired = f.store.events_after(f.cm, "default", start, soon);
  REQUIRE_FALSE(expired.ok());
  CHECK(expired.error().code == 410);
}

TEST_CASE("labels select in list", "[sandbox][store]") {
  Fixture f;
  json a = configmap("a"), b = configmap("b");
  a["metadata"]["labels"] = {{"tier", "llm"}};
  REQUIRE(f.store.create(f.cm, "default", a, {}).ok());
  REQUIRE(f.store.create(f.cm, "default", b, {}).ok());
  ListOptions o;
  o.labels = LabelSelector::parse("tier in (llm, web)", nullptr);
  auto l = *f.store.list(f.cm, "default", o);
  REQUIRE(l["items"].size() == 1);
  CHECK(l["items"][0]["metadata"]["name"] == "a");
  CHECK(l["kind"] == "ConfigMapList");
}

TEST_CASE("a CRD registers its kind and objects persist across restarts", "[sandbox][store]") {
  auto dir = std::filesystem::temp_directory_path() / ("rollout-store-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  json crd = {{"metadata", {{"name", "widgets.example.com"}}},
              {"spec",
               {{"group", "example.com"},
                {"names", {{"plural", "widgets"}, {"kind", "Widget"}}},
                {"scope", "Namespaced"},
                {"versions", {{{"name", "v1"}, {"served", true}, {"storage", true}}}}}}};
  {
    TypeRegistry types;
    ObjectStore store(types, dir.string());
    auto crd_type = *types.find("apiextensions.k8s.io", "v1", "customresourcedefinitions");
    REQUIRE(store.create(crd_type, "", crd, {}).ok());
    auto widget = types.find("example.com", "v1", "widgets");
    REQUIRE(widget);
    REQUIRE(store.create(*widget, "default", json{{"metadata", {{"name", "w"}}}, {"spec", {{"size", 3}}}}, {}).ok());
  }
  TypeRegistry types;
  ObjectStore store(types, dir.string());
  auto widget = types.find("example.com", "v1", "widgets");
  REQUIRE(widget);
  auto w = store.get(*widget, "default", "w");
  REQUIRE(w.ok());
  CHECK(w->at("spec").at("size") == 3);
  std::filesystem::remove_all(dir);
}

namespace {

// The inode of an object's file: an atomic replace gives the file a new one.
ino_t inode_of(const std::filesystem::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? st.st_ino : 0;
}

std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("rollout-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir;
}

}  // namespace

TEST_CASE("a write persists only the object it changed, and a restart reads them all back", "[sandbox][store]") {
  auto dir = fresh_dir("store-files");
  TypeRegistry types;
  auto cm = *types.find("", "v1", "configmaps");
  uint64_t rv_after_delete = 0;
  {
    ObjectStore store(types, dir.string());
    for (int i = 0; i < 20; ++i) REQUIRE(store.create(cm, "default", configmap("c" + std::to_string(i)), {}).ok());
    std::map<std::string, ino_t> before;
    for (const auto& e : std::filesystem::directory_iterator(dir / "objects"))
      before[e.path().filename().string()] = inode_of(e.path());
    REQUIRE(before.size() >= 20);
    json changed = configmap("c7");
    changed["data"]["k"] = "w";
    REQUIRE(store.update(cm, "default", "c7", changed, {}).ok());
    REQUIRE(store.remove(cm, "default", "c8", {}).ok());
    rv_after_delete = store.resource_version();
    std::vector<std::string> rewritten, gone;
    for (const auto& [file, inode] : before) {
      if (!std::filesystem::exists(dir / "objects" / file))
        gone.push_back(file);
      else if (inode_of(dir / "objects" / file) != inode)
        rewritten.push_back(file);
    }
    CHECK(rewritten == std::vector<std::string>{"_configmaps_default_c7.json"});
    CHECK(gone == std::vector<std::string>{"_configmaps_default_c8.json"});
  }
  ObjectStore store(types, dir.string());
  CHECK(store.resource_version() == rv_after_delete);  // a delete's resourceVersion is not handed out again
  CHECK((*store.get(cm, "default", "c7"))["data"]["k"] == "w");
  CHECK_FALSE(store.get(cm, "default", "c8").ok());
  CHECK((*store.list(cm, "default", {}))["items"].size() == 19);
  std::filesystem::remove_all(dir);
}

// A write the data dir cannot take is not acknowledged: a 500 Status, and the object, its
// resourceVersion, the watch window and the files as before (the store wrote the file after
// answering and ignored failures: a client got 200 for a change a restart had lost).
TEST_CASE("a write the data dir refuses answers 500 and changes nothing, in memory or on disk", "[sandbox][store]") {
  auto dir = fresh_dir("store-refused");
  TypeRegistry types;
  auto cm = *types.find("", "v1", "configmaps");
  ObjectStore store(types, dir.string());
  const json created = *store.create(cm, "default", configmap("c"), {});
  const uint64_t rv = store.resource_version();
  // A directory where the temporary file goes: the write cannot happen, whoever runs the test.
  std::filesystem::create_directory(dir / "objects" / "_configmaps_default_c.json.tmp");
  json changed = created;
  changed["data"]["k"] = "w";
  auto refused = store.update(cm, "default", "c", changed, {});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == 500);
  CHECK_THAT(refused.error().message, Catch::Contains("could not write its data dir"));
  CHECK(*store.get(cm, "default", "c") == created);
  CHECK(store.resource_version() == rv);
  CHECK((*store.events_after(cm, "default", rv, std::chrono::steady_clock::now())).empty());
  auto refused_create = store.create(cm, "default", configmap("d"), {});  // a new object: its own file, fine
  REQUIRE(refused_create.ok());
  ObjectStore restarted(types, dir.string());
  CHECK(*restarted.get(cm, "default", "c") == created);
  CHECK(restarted.resource_version() == rv + 1);
  std::filesystem::remove_all(dir);
}

// A delete records the advanced counter before it removes the file: killed in between, a restart
// must not count from below a resourceVersion a client has seen. When the counter cannot be
// written the delete is refused and the object stays (before, the file went first).
TEST_CASE("a delete writes the resourceVersion counter before removing the object's file", "[sandbox][store]") {
  auto dir = fresh_dir("store-delete-order");
  TypeRegistry types;
  auto cm = *types.find("", "v1", "configmaps");
  ObjectStore store(types, dir.string());
  REQUIRE(store.create(cm, "default", configmap("c"), {}).ok());
  const uint64_t rv = store.resource_version();
  std::filesystem::create_directory(dir / "resourceVersion.tmp");
  auto refused = store.remove(cm, "default", "c", {});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == 500);
  CHECK(store.get(cm, "default", "c").ok());
  CHECK(std::filesystem::exists(dir / "objects" / "_configmaps_default_c.json"));
  CHECK(store.resource_version() == rv);
  std::filesystem::remove(dir / "resourceVersion.tmp");
  REQUIRE(store.remove(cm, "default", "c", {}).ok());
  ObjectStore restarted(types, dir.string());
  CHECK(restarted.resource_version() == rv + 1);
  CHECK_FALSE(restarted.get(cm, "default", "c").ok());
  std::filesystem::remove_all(dir);
}

TEST_CASE("a data directory in the older single-file format is read and converted", "[sandbox][store]") {
  auto dir = fresh_dir("store-convert");
  std::filesystem::create_directories(dir);
  json old = {{"resourceVersion", 42},
              {"objects",
               {{{"apiVersion", "v1"},
                 {"kind", "ConfigMap"},
                 {"metadata", {{"name", "kept"}, {"namespace", "default"}, {"resourceVersion", "41"}}},
                 {"data", {{"k", "v"}}}}}}};
  std::ofstream(dir / "objects.json") << old.dump();
  TypeRegistry types;
  auto cm = *types.find("", "v1", "configmaps");
  {
    ObjectStore store(types, dir.string());
    CHECK(store.get(cm, "default", "kept").ok());
    CHECK(store.resource_version() >= 42);
  }
  CHECK_FALSE(std::filesystem::exists(dir / "objects.json"));
  CHECK(std::filesystem::exists(dir / "objects" / "_configmaps_default_kept.json"));
  ObjectStore again(types, dir.string());
  CHECK(again.get(cm, "default", "kept").ok());
  std::filesystem::remove_all(dir);
}

TEST_CASE("concurrent JSON patches guarded by a resourceVersion test lose no update", "[sandbox][store]") {
  Fixture f;
  REQUIRE(f.store.create(f.cm, "default", configmap("counter"), {}).ok());
  for (int i = 0; i < 16; ++i) REQUIRE(f.store.create(f.cm, "default", configmap("own" + std::to_string(i)), {}).ok());
  std::atomic<int> conflicts{0}, failed{0};  // Catch2 assertions are not for other threads
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < 20; ++n) {
        for (;;) {  // read-modify-write of a shared object, as the engine's writers do
          json current = *f.store.get(f.cm, "default", "counter");
          const int value = std::stoi(current["data"].value("n", std::string("0")));
          json ops = {{{"op", "test"},
                       {"path", "/metadata/resourceVersion"},
                       {"value", current["metadata"]["resourceVersion"]}},
                      {{"op", "add"}, {"path", "/data/n"}, {"value", std::to_string(value + 1)}}};
          if (f.store.patch(f.cm, "default", "counter", PatchType::json, ops, {}).ok()) break;
          ++conflicts;
        }
        json own = {{{"op", "add"}, {"path", "/data/n"}, {"value", std::to_string(n)}}};
        if (!f.store.patch(f.cm, "default", "own" + std::to_string(t), PatchType::json, own, {}).ok()) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failed == 0);
  CHECK((*f.store.get(f.cm, "default", "counter"))["data"]["n"] == "320");
  for (int t = 0; t < 16; ++t) CHECK((*f.store.get(f.cm, "default", "own" + std::to_string(t)))["data"]["n"] == "19");
}

TEST_CASE("the watch window is bounded in bytes as well as in changes", "[sandbox][store]") {
  TypeRegistry types;
  ObjectStore store(types, "", 100, 4000);  // 100 changes, or about 4 kB of objects
  auto cm = *types.find("", "v1", "configmaps");
  const uint64_t start = store.resource_version();
  json big = configmap("big");
  big["data"]["k"] = std::string(1000, 'x');
  REQUIRE(store.create(cm, "default", big, {}).ok());
  CHECK(store.changes_after(start));
  for (int i = 0; i < 5; ++i) {
    big["data"]["k"] = std::string(1000, 'a' + i);
    REQUIRE(store.update(cm, "default", "big", big, {}).ok());
  }
  CHECK_FALSE(store.changes_after(start));  // 6 changes, but more than 4 kB
  auto recent = store.changes_after(store.resource_version() - 2);
  REQUIRE(recent);
  CHECK(recent->size() == 2);
}

TEST_CASE("changes_after hands out every change after a resourceVersion, or nullopt past the window",
          "[sandbox][store]") {
  Fixture f;  // a window of 5
  const uint64_t start = f.store.resource_version();
  REQUIRE(f.store.create(f.cm, "default", configmap("a"), {}).ok());
  REQUIRE(f.store.create(f.route, "default", json{{"metadata", {{"name", "r"}}}, {"spec", json::object()}}, {}).ok());
  auto changes = f.store.changes_after(start);
  REQUIRE(changes);
  REQUIRE(changes->size() == 2);
  CHECK(changes->at(1).plural == "httproutes");
  CHECK((*changes->at(1).object)["metadata"]["name"] == "r");
  CHECK(f.store.changes_after(f.store.resource_version())->empty());
  for (int i = 0; i < 6; ++i) REQUIRE(f.store.create(f.cm, "default", configmap("b" + std::to_string(i)), {}).ok());
  CHECK_FALSE(f.store.changes_after(start));
}
