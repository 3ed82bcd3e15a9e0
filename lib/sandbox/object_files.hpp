// The store's persistence: one JSON file per object in DATA_DIR/objects/, each replaced atomically
// (write a temporary, rename), so a write costs one small file however many objects there are.
// DATA_DIR/resourceVersion records the counter when no object file carries it (after a delete).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace rollout::sandbox {

class ObjectFiles {
 public:
  explicit ObjectFiles(std::string dir);

  bool enabled() const { return !dir_.empty(); }
  // `key` is the store's key (group/plural/namespace/name); the object says what it is.
  void write(const std::string& key, const nlohmann::json& object) const;
  void remove(const std::string& key) const;
  void write_resource_version(uint64_t rv) const;

  struct Loaded {
    std::vector<nlohmann::json> objects;
    uint64_t resource_version = 1;  // the highest of the recorded counter and every object's
    bool single_file = false;       // read from DATA_DIR/objects.json, an older sandbox's format
  };
  // Everything on disk. The store writes objects read from objects.json back as files (it knows
  // their keys), then calls remove_single_file().
  Loaded load() const;
  void remove_single_file() const;

  std::string path_of(const std::string& key) const;

 private:
  std::string dir_;
};

}  // namespace rollout::sandbox
