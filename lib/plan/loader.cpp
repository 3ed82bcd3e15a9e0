#include "plan/loader.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "plan/decode.hpp"
#include "util/yaml_tree.hpp"

namespace rollout::plan {

std::vector<std::string> PlanFile::messages() const {
  std::vector<std::string> out;
  for (const auto& d : diagnostics) out.push_back(format_diagnostic(path, d));
  return out;
}

PlanFile load_plan_text(const std::string& path, std::string_view text) {
  PlanFile file;
  file.path = path;
  if (text.size() > kMaxPlanBytes) {
    file.diagnostics.push_back({{1, 1}, "file is larger than 4 MiB: not a rollout plan"});
    return file;
  }
  YamlParse parsed = parse_yaml(text);
  Diagnostics diags = parsed.diagnostics;
  size_t non_empty = 0;
  for (const auto& doc : parsed.documents) {
    if (doc.root->is_null()) continue;  // a stray "---" separator
    ++non_empty;
    LoadedPlan loaded;
    loaded.start = doc.start;
    size_t before = diags.size();
    ReadContext ctx{diags, loaded.positions};
    Decoded decoded = decode_plan(ctx, doc.root, loaded.plan);
    validate_plan(ctx, loaded.plan, decoded);
    if (diags.size() == before) file.plans.push_back(std::move(loaded));
  }
  if (non_empty == 0 && diags.empty()) diags.add({1, 1}, "empty file: expected a RolloutPlan document");
  diags.sort_by_position();
  file.diagnostics = diags.items();
  return file;
}

PlanFile load_plan_file(const std::string& path) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      PlanFile file;
      file.path = path;
      file.diagnostics.push_back({{1, 1}, "is a directory, not a plan file (use " + path + "/*.yaml)"});
      return file;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      PlanFile file;
      file.path = path;
      file.diagnostics.push_back({{1, 1}, std::string("cannot read the file: ") + std::strerror(errno)});
      return file;
    }
    std::ostringstream buf;
    buf << in.rdbuf();
    text = buf.str();
  }
  PlanFile file = load_plan_text(path == "-" ? "<stdin>" : path, text);
  file.bytes = std::move(text);
  return file;
}

std::string plan_hash(std::string_view bytes) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ULL;
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

}  // namespace rollout::plan
