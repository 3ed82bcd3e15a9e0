// The report as JUnit XML, in the shape Jenkins, GitLab (artifacts:reports:junit) and GitHub's
// test reporters read (the Ant JUnit schema): one <testsuite> for the rollout, one <testcase>
// per step and per gate evaluation; a failed gate is a <failure type="GateFailed"> carrying its
// value and condition, infrastructure trouble and deadlines are <error>s.
#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "engine/report.hpp"

namespace rollout::engine {

namespace {

// The length of the well-formed UTF-8 sequence at s[i] that XML 1.0 allows (no surrogates, no
// U+FFFE/U+FFFF), or 0. Measurements quote what servers answered: bytes are not trusted.
size_t utf8_length(const std::string& s, size_t i) {
  const auto b = [&](size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0; };
  const auto cont = [&](size_t k) { return (b(k) & 0xC0) == 0x80; };
  const unsigned char c = b(0);
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) > 0x9F)) return 0;
    if (c == 0xEF && b(1) == 0xBF && (b(2) == 0xBE || b(2) == 0xBF)) return 0;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if ((c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) > 0x8F)) return 0;
    return 4;
  }
  return 0;
}

// XML 1.0 text or attribute value: the five specials escaped, control characters other than tab,
// newline and carriage return removed (no XML 1.0 document may hold them, escaped or not), bytes
// that are not UTF-8 replaced by U+FFFD. Element text keeps its newlines as they are.
std::string xml(const std::string& s, bool text = false) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\n': out += text ? "\n" : "&#10;"; break;
      case '\r': out += "&#13;"; break;
      case '\t': out += "&#9;"; break;
      default:
        if (u >= 0x80) {
          const size_t n = utf8_length(s, i);
          out += n ? s.substr(i, n) : "\xEF\xBF\xBD";
          if (n) i += n - 1;
        } else if (u >= 0x20 && u != 0x7f) {
          out += c;
        }
    }
  }
  return out;
}

std::string xml_text(const std::string& s) {
  return xml(s, true);
}

// The Ant schema's timestamp: ISO 8601 without a zone (UTC here).
std::string timestamp(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return buf;
}

std::string seconds(double s) {
  return fmt::format("{:.3f}", s);
}

std::string value_text(const std::optional<double>& v) {
  return v ? fmt::format("{:g}", *v) : "no value";
}

struct Case {
  std::string classname, name;
  double time = 0;
  std::string kind;  // "", failure, error, skipped
  std::string type, message, body;
};

std::string step_class(const RunReport& r, int step) {
  if (step < 0) return r.rollout + "/run";
  const int width = static_cast<int>(std::to_string(std::max<size_t>(r.steps.size(), 1)).size());
  return fmt::format("{}/step {:0{}}", r.rollout, step + 1, width);
}

std::string step_label(const RunReport& r, int step) {
  for (const auto& s : r.steps)
    if (s.index == step) return fmt::format("{} ({})", step + 1, s.title);
  return step < 0 ? "before the first step" : std::to_string(step + 1);
}

Case step_case(const RunReport& r, const StepReport& s) {
  Case c{step_class(r, s.index), s.title, s.seconds(), "", "", "", ""};
  const std::string& res = s.result;
  if (res == "failed") {
    c.kind = "failure", c.type = r.outcome == ReportOutcome::paused_on_failure ? "PausedOnFailure" : "RolledBack";
  } else if (res == "aborted") {
    c.kind = "error", c.type = "Aborted";
  } else if (res == "timed out") {
    c.kind = "error", c.type = "Timeout";
  } else if (res == "interrupted") {  // the CI job was cancelled: not a verdict on the rollout
    c.kind = "error", c.type = "Interrupted";
  } else if (res == "error") {
    c.kind = "error", c.type = r.error_kind.empty() ? "Error" : r.error_kind;
  } else if (res == "not run" || res == "skipped" || res == "done earlier" || res == "paused") {
    c.kind = "skipped";
    c.message = res == "paused" ? "paused here (--until-pause): " + r.message : res;
  }
  if (c.kind == "failure" || c.kind == "error") {
    c.message = s.message.empty() ? r.message : s.message;
    c.body = fmt::format("step: {}\naction: {}\nsetting: {}\noutcome: {}\n{}", step_label(r, s.index), s.action,
                         s.setting, to_string(r.outcome), c.message);
  }
  return c;
}

Case gate_case(const RunReport& r, const GateReport& g) {
  Case c{step_class(r, g.step),
         fmt::format("gate {}{} at {}Z", g.gate, g.background ? " (background)" : "", timestamp(g.at)),
         0,
         "",
         "",
         "",
         ""};
  const std::string what = fmt::format("gate {}: {}, value {}, condition: {}", g.gate, g.verdict, value_text(g.value),
                                       g.condition.empty() ? "-" : g.condition);
  c.body = fmt::format("gate: {}\nstep: {}{}\nverdict: {}\nvalue: {}\ncondition: {}\ndetail: {}", g.gate,
                       step_label(r, g.step), g.background ? " (background gate)" : "", g.verdict, value_text(g.value),
                       g.condition, g.detail);
  if (g.dry_run && g.verdict != "Successful") {
    c.kind = "skipped", c.message = "dryRun gate (does not decide): " + what;
  } else if (g.verdict == "Failed") {
    c.kind = "failure", c.type = "GateFailed", c.message = what + ": " + g.detail;
  } else if (g.verdict == "Error") {
    c.kind = "error", c.type = "MeasurementError", c.message = what + ": " + g.detail;
  } else if (g.verdict == "Inconclusive") {
    c.kind = "skipped", c.message = "inconclusive: " + g.detail;
  }
  return c;
}

std::string render_case(const Case& c) {
  std::string out = fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{}\"", xml(c.classname), xml(c.name),
                                seconds(c.time));
  if (c.kind.empty()) return out + "/>\n";
  out += ">\n";
  if (c.kind == "skipped") {
    out += fmt::format("      <skipped message=\"{}\"/>\n", xml(c.message));
  } else {
    out += fmt::format("      <{} message=\"{}\" type=\"{}\">{}</{}>\n", c.kind, xml(c.message), xml(c.type),
                       xml_text(c.body), c.kind);
  }
  return out + "    </testcase>\n";
}

}  // namespace

std::string junit_xml(const RunReport& r) {
  std::vector<Case> cases;
  // A run that ended before its first step (pre-flight, lock, connection) is one error case.
  const bool any_step_ran = std::any_of(r.steps.begin(), r.steps.end(), [](const StepReport& s) { return s.started; });
  if (!any_step_ran && r.outcome == ReportOutcome::error) {
    Case c{step_class(r, -1), "start the rollout", r.seconds(), "error", r.error_kind, r.message, r.message};
    cases.push_back(c);
  }
  for (const auto& s : r.steps) {
    cases.push_back(step_case(r, s));
    for (const auto& g : r.gates)
      if (g.step == s.index) cases.push_back(gate_case(r, g));
  }
  for (const auto& g : r.gates)  // measured before any step (no step known)
    if (g.step < 0 || g.step >= static_cast<int>(r.steps.size())) cases.push_back(gate_case(r, g));
  int failures = 0, errors = 0, skipped = 0;
  for (const auto& c : cases) {
    failures += c.kind == "failure";
    errors += c.kind == "error";
    skipped += c.kind == "skipped";
  }
  const std::string counts = fmt::format("tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\"",
                                         cases.size(), failures, errors, skipped, seconds(r.seconds()));
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"rollout\" {}>\n", counts);
  out += fmt::format("  <testsuite name=\"{}\" {} timestamp=\"{}\">\n", xml(r.rollout), counts, timestamp(r.started));
  out += "    <properties>\n";
  const std::pair<const char*, std::string> props[] = {
      {"rollout", r.rollout}, {"strategy", r.strategy},
      {"target", r.target},   {"plan.hash", r.plan_hash},
      {"run.id", r.run_id},   {"outcome", to_string(r.outcome)},
      {"message", r.message}, {"rolledBack", r.rolled_back ? "true" : "false"},
  };
  for (const auto& [name, value] : props)
    if (!value.empty()) out += fmt::format("      <property name=\"{}\" value=\"{}\"/>\n", name, xml(value));
  out += "    </properties>\n";
  for (const auto& c : cases) out += render_case(c);
  std::string said = fmt::format("{}: {}", status_word(r.outcome), r.message);
  if (r.rolled_back) {
    std::string objects;
    for (const auto& o : r.restored) objects += (objects.empty() ? "" : ", ") + o;
    said += "\nrolled back" + (objects.empty() ? std::string() : ": restored " + objects);
  }
  out += fmt::format("    <system-out>{}</system-out>\n", xml_text(said));
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace rollout::engine
