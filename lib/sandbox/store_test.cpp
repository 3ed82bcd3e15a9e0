#include "sandbox/store.hpp"

#include <catch2/catch.hpp>
#include <filesystem>

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
