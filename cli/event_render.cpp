#include "cli/event_render.hpp"

#include <mutex>
#include <ostream>
#include <sstream>

#include "cli/live_view.hpp"
#include "util/timestamp.hpp"
#include "util/yaml_diff.hpp"

namespace rollout::cli {

using nlohmann::json;

std::string paint_diff(const Terminal& t, const std::string& diff) {
  std::istringstream in(diff);
  std::string out, line;
  while (std::getline(in, line)) {
    const char* colour = nullptr;
    if (line.rfind("+++", 0) == 0 || line.rfind("---", 0) == 0)
      colour = "1";
    else if (line.rfind("@@", 0) == 0)
      colour = "36";
    else if (!line.empty() && line[0] == '+')
      colour = "32";
    else if (!line.empty() && line[0] == '-')
      colour = "31";
    out += (colour ? t.paint(t.color_out, colour, line) : line) + "\n";
  }
  return out;
}

namespace {

// The object without what the server keeps for itself, as `kubectl diff` shows it.
json for_diff(json object) {
  if (object.contains("metadata")) {
    for (const char* k : {"managedFields", "resourceVersion", "generation", "uid", "creationTimestamp"})
      object["metadata"].erase(k);
  }
  object.erase("status");
  return object;
}

class TextRenderer : public engine::EventSink {
 public:
  TextRenderer(Terminal& t, int verbosity, bool diff_only) : t_(t), verbosity_(verbosity), diff_only_(diff_only) {}

  void emit(const engine::Event& e) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (e.type == engine::EventType::object_diff) return diff(e);
    if (diff_only_) {
      if (e.type == engine::EventType::step_started) t_.out << t_.paint(t_.color_out, "1", "# " + e.message) << "\n";
      if (e.type == engine::EventType::object_unchanged) t_.out << "  " << e.message << "\n";
      if (e.type == engine::EventType::info) t_.out << "  " << e.message << "\n";
      return;
    }
    if (e.type == engine::EventType::object_unchanged && verbosity_ == 0) return;
    if (e.type == engine::EventType::step_started) {
      t_.out << t_.paint(t_.color_out, "1", "==> " + e.message) << "\n";
      return;
    }
    const char* colour = nullptr;
    if (e.type == engine::EventType::rolling_back || e.type == engine::EventType::drift || (e.type == engine::EventType::gate_measured && e.data.value("verdict", "") == "Failed"))
      colour = "31";
    else if (e.type == engine::EventType::paused || e.type == engine::EventType::resumed || e.type == engine::EventType::promoted ||
             e.type == engine::EventType::interrupted)
      colour = "33";
    else if (e.type == engine::EventType::finished)
      colour = e.data.value("outcome", "") == "Succeeded" ? "32" : "31";
    std::string line = "    " + e.message;
    if (t_.interactive && e.type == engine::EventType::paused && e.data.value("reason", "") == "PauseStep")
      line += std::string("  ") + kPauseKeys;
    t_.out << (colour ? t_.paint(t_.color_out, colour, line) : line) << "\n";
    t_.out.flush();
  }

 private:
  void diff(const engine::Event& e) {
    const json ref = e.data.value("object", json::object());
    const std::string name = ref.value("kind", "") + "/" + ref.value("name", "");
    const std::string text = unified_diff(to_yaml(for_diff(e.data.value("before", json::object()))),
                                          to_yaml(for_diff(e.data.value("after", json::object()))),
                                          "live/" + name, "planned/" + name);
    t_.out << paint_diff(t_, text);
  }

  Terminal& t_;
  int verbosity_;
  bool diff_only_;
  std::mutex mu_;
};

class JsonRenderer : public engine::EventSink {
 public:
  explicit JsonRenderer(Terminal& t) : t_(t) {}
  void emit(const engine::Event& e) override {
    json line = e.data;
    line["time"] = format_rfc3339(std::chrono::system_clock::now());
    line["event"] = engine::to_string(e.type);
    line["message"] = e.message;
    std::lock_guard<std::mutex> lock(mu_);
    t_.out << line.dump() << "\n";
    t_.out.flush();
  }

 private:
  Terminal& t_;
  std::mutex mu_;
};

}  // namespace

std::unique_ptr<engine::EventSink> make_renderer(RenderMode mode, Terminal& t, int verbosity) {
  if (mode == RenderMode::json) return std::make_unique<JsonRenderer>(t);
  return std::make_unique<TextRenderer>(t, verbosity, mode == RenderMode::diff);
}

}  // namespace rollout::cli
