// The report as Markdown for $GITHUB_STEP_SUMMARY (appended: a job's steps share the file), and
// writing both report files.
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "engine/report.hpp"
#include "util/duration.hpp"

namespace rollout::engine {

namespace {

// One table cell: no line breaks, '|' escaped, '<' and '>' as entities (GitHub renders HTML).
std::string cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '|')
      out += "\\|";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '\n' || c == '\t' || c == '\r')
      out += ' ';
    else if (u >= 0x20 && u != 0x7f)
      out += c;
  }
  return out;
}

// Inline code inside a table cell: literal text, so only '|' and backticks need care.
std::string code(const std::string& s) {
  if (s.empty()) return "-";
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '|')
      out += "\\|";
    else if (c == '`')
      out += '\'';
    else if (c == '\n' || c == '\t' || c == '\r')
      out += ' ';
    else if (u >= 0x20 && u != 0x7f)
      out += c;
  }
  return "`" + out + "`";
}

std::string took(double seconds) {
  if (seconds <= 0) return "-";
  if (seconds < 1) return fmt::format("{:.1f}s", seconds);
  return format_duration(Duration(static_cast<int64_t>(seconds) * 1000));
}

std::string steps_table(const RunReport& r) {
  std::string out = "| # | step | action | weights / replicas | result | duration |\n|---|---|---|---|---|---|\n";
  for (const auto& s : r.steps)
    out += fmt::format("| {} | {} | {} | {} | {} | {} |\n", s.index + 1, cell(s.title), cell(s.action), cell(s.setting),
                       cell(s.result), took(s.seconds()));
  return out;
}

int severity(const std::string& verdict) {
  if (verdict == "Failed") return 3;
  if (verdict == "Error") return 2;
  if (verdict == "Inconclusive") return 1;
  return 0;
}

// One row per gate and step (a long analysis measures many times): how many measurements had
// each verdict, worst first, and the value of the worst one (else the last value measured).
std::string gates_table(const RunReport& r) {
  struct Row {
    const GateReport* worst;
    std::optional<double> value, last;
    std::map<int, std::pair<std::string, int>> verdicts;  // -severity -> verdict, count
  };
  std::vector<Row> rows;
  for (const auto& g : r.gates) {
    auto it = std::find_if(rows.begin(), rows.end(), [&](const Row& row) {
      return row.worst->gate == g.gate && row.worst->step == g.step && row.worst->background == g.background;
    });
    if (it == rows.end()) it = rows.insert(rows.end(), Row{&g, std::nullopt, std::nullopt, {}});
    auto& [verdict, count] = it->verdicts[-severity(g.verdict)];
    verdict = g.verdict, ++count;
    if (severity(g.verdict) > severity(it->worst->verdict)) it->worst = &g, it->value.reset();
    if (g.value && g.verdict == it->worst->verdict) it->value = g.value;
    if (g.value) it->last = g.value;
  }
  std::string out = "| gate | step | verdict | value | condition |\n|---|---|---|---|---|\n";
  for (const auto& row : rows) {
    const GateReport& g = *row.worst;
    std::string step = g.step >= 0 ? std::to_string(g.step + 1) : "-";
    if (g.background) step += " (background)";
    std::string verdicts;
    for (const auto& [order, vc] : row.verdicts)
      verdicts += fmt::format("{}{} {}", verdicts.empty() ? "" : ", ", vc.first, vc.second);
    if (g.dry_run) verdicts += " (dryRun)";
    out += fmt::format("| {} | {} | {} | {} | {} |\n", cell(g.gate), step, cell(verdicts),
                       row.value  ? fmt::format("{:g}", *row.value)
                       : row.last ? fmt::format("{:g}", *row.last)
                                  : "-",
                       code(g.condition));
  }
  return out;
}

}  // namespace

std::string summary_markdown(const RunReport& r) {
  std::string out = fmt::format("## Rollout {}: {}\n\n", cell(r.rollout), status_word(r.outcome));
  out += "| | |\n|---|---|\n";
  out += fmt::format("| outcome | {} |\n", cell(fmt::format("{}: {}", to_string(r.outcome), r.message)));
  if (!r.strategy.empty()) out += fmt::format("| strategy | {} on {} |\n", cell(r.strategy), cell(r.target));
  if (!r.run_id.empty()) out += fmt::format("| run | {} |\n", cell(r.run_id));
  if (!r.plan_hash.empty()) out += fmt::format("| plan hash | {} |\n", cell(r.plan_hash));
  out += fmt::format("| duration | {} |\n\n", took(r.seconds()));
  if (!r.steps.empty()) out += "### Steps\n\n" + steps_table(r) + "\n";
  out += "### Gates\n\n";
  out += r.gates.empty() ? std::string("No gate was measured.\n\n") : gates_table(r) + "\n";
  if (r.rolled_back) {
    std::string objects;
    for (const auto& o : r.restored) objects += (objects.empty() ? "" : ", ") + code(o);
    out += "### Rolled back\n\n";
    out += fmt::format("Every object this rollout changed was restored to its recorded value{}.\n",
                       objects.empty() ? "" : ": " + objects);
    if (!r.rollback_reason.empty()) out += fmt::format("Reason: {}\n", cell(r.rollback_reason));
    out += "\n";
  } else if (!r.rollback_reason.empty()) {
    out += fmt::format(
        "### Rollback did not finish\n\nA rollback began ({}) but the apply ended before it was done: "
        "run `rollout plan apply` again or `rollout abort {}`.\n\n",
        cell(r.rollback_reason), cell(r.rollout));
  }
  return out;
}

Status check_report_paths(const std::string& junit, const std::string& summary) {
  namespace fs = std::filesystem;
  for (const auto& [flag, path] : {std::pair<const char*, std::string>{"--junit", junit}, {"--summary", summary}}) {
    if (path.empty()) continue;
    const fs::path p(path);
    std::error_code ec;
    if (fs::is_directory(p, ec)) return make_error(ErrorKind::usage, fmt::format("{} {}: is a directory", flag, path));
    const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
    if (!fs::is_directory(dir, ec))
      return make_error(ErrorKind::usage, fmt::format("{} {}: directory {} does not exist", flag, path, dir.string()));
    if (::access(dir.c_str(), W_OK) != 0)
      return make_error(ErrorKind::usage, fmt::format("{} {}: directory {} is not writable", flag, path, dir.string()));
  }
  return ok_status();
}

Status write_reports(const RunReport& report, const std::string& junit, const std::string& summary) {
  if (!junit.empty()) {
    const std::string tmp = junit + ".tmp-" + std::to_string(::getpid());
    const std::string text = junit_xml(report);
    std::FILE* f = std::fopen(tmp.c_str(), "w");
    const bool ok = f && std::fwrite(text.data(), 1, text.size(), f) == text.size();
    if (!f || std::fclose(f) != 0 || !ok || std::rename(tmp.c_str(), junit.c_str()) != 0) {
      const std::string why = std::strerror(errno);
      std::remove(tmp.c_str());
      return make_error(ErrorKind::internal, "--junit " + junit + ": cannot write: " + why);
    }
  }
  if (!summary.empty()) {
    std::ofstream out(summary, std::ios::app);
    out << summary_markdown(report);
    out.flush();
    if (!out)
      return make_error(ErrorKind::internal, "--summary " + summary + ": cannot append: " + std::strerror(errno));
  }
  return ok_status();
}

}  // namespace rollout::engine
