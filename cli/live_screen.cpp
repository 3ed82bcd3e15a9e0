#include "cli/live_screen.hpp"

#include <fmt/format.h>

#include "cli/text_width.hpp"
#include "engine/report.hpp"

namespace rollout::cli {

LiveScreen::LiveScreen(std::ostream& out, Frame frame) : out_(out), frame_(std::move(frame)) {
  install_restore_on_signal();
  set_cursor_hidden(true);
  ticker_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    auto next = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (!stop_) {
      cv_.wait_for(lock, std::chrono::milliseconds(100));
      if (stop_) break;
      if (resize_pending() || std::chrono::steady_clock::now() >= next) {
        draw_locked();
        next = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      }
    }
  });
}

LiveScreen::~LiveScreen() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    draw_locked();
  }
  cv_.notify_all();
  ticker_.join();
  set_cursor_hidden(false);
}

void LiveScreen::redraw() {
  std::lock_guard<std::mutex> lock(mu_);
  draw_locked();
}

void LiveScreen::print_above(const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  erase_locked();
  out_ << text;
  if (!text.empty() && text.back() != '\n') out_ << "\n";
  draw_locked();
}

// Back to the region's first line, and everything from there down erased.
void LiveScreen::erase_locked() {
  if (drawn_ > 0) out_ << fmt::format("\x1b[{}A\r\x1b[J", drawn_);
  drawn_ = 0;
  widths_.clear();
}

void LiveScreen::draw_locked() {
  const bool resized = take_resized();
  const ScreenSize size = screen_size();
  // One column spare: a line that fills the last column leaves the cursor pending a wrap, where
  // "erase to end of line" would take the last character.
  auto lines = frame_(size.columns - 1, std::chrono::system_clock::now());
  // A region taller than the screen could not be reached by moving up: its end is shown.
  const size_t room = static_cast<size_t>(std::max(1, size.rows - 1));
  if (lines.size() > room) lines.erase(lines.begin(), lines.end() - static_cast<long>(room));
  std::string buf;
  if (resized) {
    // A narrower terminal rewraps the old frame (tmux, VTE, kitty reflow): go up by the rows its
    // lines take now, then erase from there down.
    const size_t columns = static_cast<size_t>(size.columns);
    int rows = 0;
    for (size_t w : widths_) rows += std::max(1, static_cast<int>((w + columns - 1) / columns));
    rows = std::min(rows, size.rows - 1);
    if (rows > 0) buf += fmt::format("\x1b[{}A\r\x1b[J", rows);
  } else if (drawn_ > 0) {
    buf += fmt::format("\x1b[{}A\r", drawn_);
  }
  for (const auto& l : lines) buf += l + "\x1b[K\n";
  if (!resized && static_cast<int>(lines.size()) < drawn_) buf += "\x1b[J";
  drawn_ = static_cast<int>(lines.size());
  widths_.clear();
  for (const auto& l : lines) widths_.push_back(display_width(l));
  out_ << buf;
  out_.flush();
}

LiveRenderer::LiveRenderer(const plan::Plan& plan, std::ostream& out, bool keys)
    : plan_(plan), keys_(keys), screen_(out, [this](int width, WallTime now) {
        std::lock_guard<std::mutex> lock(mu_);
        // Nothing until the run starts: an apply refused before (lock held, bad objects) prints
        // only its error.
        return started_ ? render(view_, width, now) : std::vector<std::string>{};
      }) {
  std::lock_guard<std::mutex> lock(mu_);
  view_.name = plan.name;
  view_.phase = "Initializing";
  view_.layout = layout_for_plan(plan);
  planned_ = engine::plan_steps(plan, 0);
  for (const auto& s : planned_) view_.steps.push_back(s.title);
  for (const auto& g : plan.gates) view_.gates.push_back(GateView{g.name, engine::gate_condition(g), {}});
}

void LiveRenderer::emit(const engine::Event& e) {
  using engine::EventType;
  if (e.type == EventType::object_diff) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = std::chrono::system_clock::now();
    fold_event(view_, e, now);
    started_ = started_ || e.type == EventType::run_started || e.type == EventType::run_resumed ||
               e.type == EventType::finished;
    // Where the objects are: the planned positions, as the engine moves through them.
    const auto at = [&](int step) {
      return step > 0 && step <= static_cast<int>(planned_.size()) ? planned_[static_cast<size_t>(step - 1)].position
                                                                   : actuators::Position{};
    };
    if (e.type == EventType::run_started || e.type == EventType::run_resumed) {
      planned_ = engine::plan_steps(plan_, view_.replicas);
      view_.steps.clear();
      for (const auto& s : planned_) view_.steps.push_back(s.title);
      view_.position = at(view_.step);
    }
    if (e.type == EventType::step_started) {
      view_.position = at(view_.step);
      const auto& next = at(view_.step + 1);
      view_.updating = next.updated > view_.position.updated ? next.updated : 0;
    }
    if (e.type == EventType::verified || e.type == EventType::object_unchanged) {
      view_.position = at(view_.step + 1);
      view_.updating = 0;
    }
    if (e.type == EventType::rolled_back) view_.position = actuators::Position{};
    if (e.type == EventType::paused && e.data.value("reason", "") == to_string(engine::PauseReason::pause_step))
      view_.keys = keys_;
  }
  screen_.redraw();
}

void LiveRenderer::say(const std::string& line) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    view_.recent.push_back(line);
    if (view_.recent.size() > 3) view_.recent.erase(view_.recent.begin());
  }
  screen_.redraw();
}

void LiveRenderer::show_keys(bool on) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    keys_ = keys_ && on;
    view_.keys = on;
  }
  screen_.redraw();
}

}  // namespace rollout::cli
