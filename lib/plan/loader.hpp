// Loading plans: YAML text -> typed Plan values, with every problem reported as a diagnostic
// with its line and column. A file may hold several plans as separate YAML documents.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plan/plan.hpp"
#include "plan/reader.hpp"
#include "util/diagnostic.hpp"

namespace rollout::plan {

struct LoadedPlan {
  Plan plan;
  SourcePos start;      // where its document begins
  SourceMap positions;  // field path -> position, for errors found later (e.g. against the cluster)
};

struct PlanFile {
  std::string path;
  std::string bytes;  // the text as read (stdin included): what a plan hash is computed from
  std::vector<LoadedPlan> plans;        // documents that are valid plans
  std::vector<Diagnostic> diagnostics;  // every problem in the file, in file order
  bool ok() const { return diagnostics.empty(); }
  // Each diagnostic as "FILE:LINE:COL: message".
  std::vector<std::string> messages() const;
};

// Files larger than this are rejected before parsing.
inline constexpr size_t kMaxPlanBytes = 4 * 1024 * 1024;

PlanFile load_plan_text(const std::string& path, std::string_view text);

// Reads and loads a file; "-" reads standard input. An unreadable file is one diagnostic at 1:1.
PlanFile load_plan_file(const std::string& path);

// FNV-1a of a plan file's bytes as loaded (read once; stdin included), 16 hex digits: a run
// continues only with the plan text it started with.
std::string plan_hash(std::string_view bytes);

}  // namespace rollout::plan
