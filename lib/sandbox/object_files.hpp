// The store's persistence: one JSON file per object in DATA_DIR/objects/, each replaced atomically
// (write a temporary, rename), so a write costs one small file however many objects there are.
// DATA_DIR/resourceVersion records the counter when no object file carries it (after a delete).
// The store writes a file before it publishes the change or answers, so a sandbox killed (-9) at
// any moment has on disk every write it acknowledged (the kernel keeps what was written; no fsync:
// it would cost ~10 ms a write on a disk, and a sandbox does not promise to survive the machine).
// A write that fails is reported, and the store answers 500 and changes nothing.
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
  // False when the file could not be written (nothing changed on disk); true when disabled.
  bool write(const std::string& key, const nlohmann::json& object) const;
  void remove(const std::string& key) const;
  bool write_resource_version(uint64_t rv) const;

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
