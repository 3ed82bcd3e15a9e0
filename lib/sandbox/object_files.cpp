#include "sandbox/object_files.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace rollout::sandbox {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Writes `text` to `path` atomically: readers see the old file or the new one, never a part.
// False, and `path` untouched, when any part failed (the temporary could not be created, written
// in full or renamed: a full disk, a read-only or removed data dir).
bool replace_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  std::error_code ec;
  {
    std::ofstream out(tmp, std::ios::trunc | std::ios::binary);
    out << text;
    out.close();
    if (!out) {
      fs::remove(tmp, ec);
      return false;
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) fs::remove(tmp, ec);
  return !ec;
}

uint64_t rv_of(const json& obj) {
  const std::string rv = obj.value("metadata", json::object()).value("resourceVersion", "");
  return rv.empty() ? 0 : std::strtoull(rv.c_str(), nullptr, 10);
}

}  // namespace

ObjectFiles::ObjectFiles(std::string dir) : dir_(std::move(dir)) {
  if (!enabled()) return;
  std::error_code ec;
  fs::create_directories(dir_ + "/objects", ec);
}

// Names, namespaces, plurals and groups never hold '_' (RFC 1123), so it can stand for '/'.
// A key too long for a file name is named by its hash.
std::string ObjectFiles::path_of(const std::string& key) const {
  std::string name = key;
  for (auto& c : name)
    if (c == '/') c = '_';
  if (name.size() > 200) {
    uint64_t h = 1469598103934665603ULL;  // FNV-1a
    for (char c : key) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    std::ostringstream s;
    s << name.substr(0, 150) << "-" << std::hex << h;
    name = s.str();
  }
  return dir_ + "/objects/" + name + ".json";
}

bool ObjectFiles::write(const std::string& key, const json& object) const {
  return !enabled() || replace_file(path_of(key), object.dump());
}

void ObjectFiles::remove(const std::string& key) const {
  if (!enabled()) return;
  std::error_code ec;
  fs::remove(path_of(key), ec);
}

bool ObjectFiles::write_resource_version(uint64_t rv) const {
  return !enabled() || replace_file(dir_ + "/resourceVersion", std::to_string(rv) + "\n");
}

void ObjectFiles::remove_single_file() const {
  std::error_code ec;
  fs::remove(dir_ + "/objects.json", ec);
}

ObjectFiles::Loaded ObjectFiles::load() const {
  Loaded out;
  if (!enabled()) return out;
  if (std::ifstream old(dir_ + "/objects.json"); old) {
    json state = json::parse(old, nullptr, false);
    if (!state.is_discarded()) {
      out.single_file = true;
      out.resource_version = state.value("resourceVersion", uint64_t{1});
      out.objects = state.value("objects", json::array()).get<std::vector<json>>();
      return out;
    }
  }
  std::ifstream rv_in(dir_ + "/resourceVersion");
  uint64_t recorded = 0;
  if (rv_in >> recorded) out.resource_version = std::max(out.resource_version, recorded);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_ + "/objects", ec)) {
    if (entry.path().extension() != ".json") continue;  // leftovers of an interrupted write end in .tmp
    std::ifstream in(entry.path());
    json obj = json::parse(in, nullptr, false);
    if (obj.is_discarded() || !obj.is_object()) continue;
    out.resource_version = std::max(out.resource_version, rv_of(obj));
    out.objects.push_back(std::move(obj));
  }
  return out;
}

}  // namespace rollout::sandbox
