// A problem found in an input file, at a 1-based line and column, printed as FILE:LINE:COL: message.
#pragma once

#include <string>
#include <vector>

namespace rollout {

struct SourcePos {
  int line = 1;    // 1-based
  int column = 1;  // 1-based
};

struct Diagnostic {
  SourcePos pos;
  std::string message;
};

// "FILE:LINE:COL: message"
std::string format_diagnostic(const std::string& file, const Diagnostic& d);

// Collects diagnostics in the order found; callers sort by position before printing.
class Diagnostics {
 public:
  void add(SourcePos pos, std::string message) { items_.push_back({pos, std::move(message)}); }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  const std::vector<Diagnostic>& items() const { return items_; }
  void sort_by_position();

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace rollout
