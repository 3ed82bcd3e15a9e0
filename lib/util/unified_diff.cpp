// unified_diff (declared in yaml_diff.hpp): GNU diff -u's hunks. The alignment follows GNU diff where several
// shortest edit scripts exist: only the lines between the common prefix and suffix (but `context` lines of
// each) are compared, and runs of changes are slid as GNU's shift_boundaries does.
#include <dtl/dtl.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "util/yaml_diff.hpp"  // declares unified_diff

namespace rollout {

namespace {

using Lines = std::vector<std::string>;

// Lines with their newline, so that a last line without one differs from the same line with one.
Lines split_lines(const std::string& text) {
  Lines lines;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end + 1;
    lines.push_back(text.substr(start, end - start));
    start = end;
  }
  return lines;
}

// For each line of one text, whether the edit script deletes (or inserts) it.
using ChangeMarks = std::vector<char>;

void shortest_edit(const Lines& a, const Lines& b, ChangeMarks& in_a, ChangeMarks& in_b) {
  dtl::Diff<std::string, std::vector<std::string>> diff(a, b);
  diff.compose();
  in_a.assign(a.size(), 0);
  in_b.assign(b.size(), 0);
  for (const auto& [line, info] : diff.getSes().getSequence()) {
    if (info.type == dtl::SES_DELETE) in_a[static_cast<size_t>(info.beforeIdx - 1)] = 1;
    if (info.type == dtl::SES_ADD) in_b[static_cast<size_t>(info.afterIdx - 1)] = 1;
  }
}

// A run of changed lines [start, end) in one text; `kept` counts the unchanged lines before it.
struct Run {
  size_t start = 0, end = 0, kept = 0;
};

// Slides every run of changed lines in `lines` to the place GNU diff shows it, among the equivalent edit
// scripts: merged with any run it can reach, as far down as it goes, then back up to where it faces a run of
// changes in the other text if it passed one (so a replacement shows as one "-" then "+" block).
// `other_gap[k]` says whether the other text has changes between its k-th and (k+1)-th unchanged lines.
void slide_runs(const Lines& lines, ChangeMarks& marks, const std::vector<char>& other_gap) {
  const size_t n = lines.size();
  for (Run r; r.end < n;) {
    for (r.start = r.end; r.start < n && !marks[r.start]; ++r.start) ++r.kept;
    if (r.start == n) break;
    for (r.end = r.start; r.end < n && marks[r.end];) ++r.end;
    size_t length = 0, facing = n;
    do {
      length = r.end - r.start;
      for (; r.start > 0 && lines[r.start - 1] == lines[r.end - 1]; --r.kept) {
        marks[--r.start] = 1;
        marks[--r.end] = 0;
        while (r.start > 0 && marks[r.start - 1]) --r.start;
      }
      facing = other_gap[r.kept] ? r.end : n;
      for (; r.end < n && lines[r.start] == lines[r.end]; ++r.kept) {
        marks[r.start++] = 0;
        marks[r.end++] = 1;
        while (r.end < n && marks[r.end]) ++r.end;
        if (other_gap[r.kept + 1]) facing = r.end;
      }
    } while (length != r.end - r.start);
    for (; facing < r.end; --r.kept) {
      marks[--r.start] = 1;
      marks[--r.end] = 0;
    }
  }
}

// For each stretch between unchanged lines (before the first, between each two, after the last): any changes?
std::vector<char> gaps(const ChangeMarks& marks) {
  std::vector<char> out(1, 0);
  for (char changed : marks) {
    if (changed)
      out.back() = 1;
    else
      out.push_back(0);
  }
  return out;
}

// GNU diff compares only the lines between the texts' common prefix and suffix, and `horizon` lines of each
// (the context of diff -u): where several shortest edit scripts exist, that decides which one it shows.
struct Window {
  size_t front = 0;  // lines left out at the start of both texts
  size_t back = 0;   // and at their end
};

Window comparison_window(const Lines& a, const Lines& b, size_t horizon) {
  const size_t shorter = std::min(a.size(), b.size());
  size_t prefix = 0;
  while (prefix < shorter && a[prefix] == b[prefix]) ++prefix;
  Window w;
  w.front = prefix > horizon ? prefix - horizon : 0;
  size_t suffix = 0;
  while (suffix < shorter - w.front && a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix]) ++suffix;
  w.back = suffix > horizon ? suffix - horizon : 0;
  return w;
}

ChangeMarks widen(const ChangeMarks& window_marks, size_t front, size_t size) {
  ChangeMarks out(size, 0);
  std::copy(window_marks.begin(), window_marks.end(), out.begin() + static_cast<long>(front));
  return out;
}

// Which lines of `a` the diff deletes and which of `b` it inserts.
void mark_changes(const Lines& a, const Lines& b, size_t horizon, ChangeMarks& in_a, ChangeMarks& in_b) {
  const Window w = comparison_window(a, b, horizon);
  const Lines mid_a(a.begin() + static_cast<long>(w.front), a.end() - static_cast<long>(w.back));
  const Lines mid_b(b.begin() + static_cast<long>(w.front), b.end() - static_cast<long>(w.back));
  ChangeMarks marks_a, marks_b;
  shortest_edit(mid_a, mid_b, marks_a, marks_b);
  slide_runs(mid_a, marks_a, gaps(marks_b));
  slide_runs(mid_b, marks_b, gaps(marks_a));
  in_a = widen(marks_a, w.front, a.size());
  in_b = widen(marks_b, w.front, b.size());
}

// One place where the texts differ: `deleted` lines from line0 of before, `inserted` from line1 of after.
struct Change {
  size_t line0 = 0, deleted = 0, line1 = 0, inserted = 0;
};

std::vector<Change> collect_changes(const ChangeMarks& in_a, const ChangeMarks& in_b) {
  std::vector<Change> changes;
  for (size_t i = 0, j = 0; i < in_a.size() || j < in_b.size();) {
    if ((i < in_a.size() && in_a[i]) || (j < in_b.size() && in_b[j])) {
      Change c{i, 0, j, 0};
      for (; i < in_a.size() && in_a[i]; ++i) ++c.deleted;
      for (; j < in_b.size() && in_b[j]; ++j) ++c.inserted;
      changes.push_back(c);
    } else {
      ++i, ++j;
    }
  }
  return changes;
}

// "start,count" as diff -u writes it: just the line for one line, the line before for none.
std::string range(size_t first, size_t count) {
  if (count == 1) return std::to_string(first + 1);
  if (count == 0) return std::to_string(first) + ",0";
  return std::to_string(first + 1) + "," + std::to_string(count);
}

void append_line(char prefix, const std::string& line, std::string& out) {
  out.append(1, prefix).append(line);
  if (line.empty() || line.back() != '\n') out += "\n\\ No newline at end of file\n";
}

struct Texts {
  const Lines& a;
  const Lines& b;
};

// Writes the hunk of changes [first, last] with `context` unchanged lines around.
void write_hunk(const Texts& t, const Change* first, const Change* last, size_t context, std::string& out) {
  const size_t lead = std::min(context, first->line0);
  const size_t end0 = last->line0 + last->deleted, end1 = last->line1 + last->inserted;
  const size_t tail = std::min(context, t.a.size() - end0);
  size_t i = first->line0 - lead, j = first->line1 - lead;
  out += "@@ -" + range(i, end0 + tail - i) + " +" + range(j, end1 + tail - j) + " @@\n";
  for (const Change* c = first; c <= last; ++c) {
    for (; i < c->line0; ++i, ++j) append_line(' ', t.a[i], out);
    for (; i < c->line0 + c->deleted; ++i) append_line('-', t.a[i], out);
    for (; j < c->line1 + c->inserted; ++j) append_line('+', t.b[j], out);
  }
  for (; i < end0 + tail; ++i) append_line(' ', t.a[i], out);
}

}  // namespace

std::string unified_diff(const std::string& before, const std::string& after, const std::string& from_label,
                         const std::string& to_label, int context) {
  if (before == after) return "";
  const auto a = split_lines(before), b = split_lines(after);
  const size_t span = static_cast<size_t>(std::max(context, 0));
  ChangeMarks in_a, in_b;
  mark_changes(a, b, span, in_a, in_b);
  const auto changes = collect_changes(in_a, in_b);
  std::string out = "--- " + from_label + "\n+++ " + to_label + "\n";
  for (size_t first = 0, last = 0; first < changes.size(); first = ++last) {
    while (last + 1 < changes.size() &&
           changes[last + 1].line0 - (changes[last].line0 + changes[last].deleted) <= 2 * span)
      ++last;
    write_hunk({a, b}, &changes[first], &changes[last], span, out);
  }
  return out;
}

}  // namespace rollout
