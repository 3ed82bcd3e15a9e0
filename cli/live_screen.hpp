// Drawing the live view in place: the region the last frame took is rewritten line by line
// (cursor up, each line then "erase to end of line", what is left below erased), the cursor
// hidden meanwhile, so nothing flickers. A ticker redraws every second (elapsed times) and at
// once after SIGWINCH, laid out for the new width.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <thread>

#include "cli/live_view.hpp"
#include "cli/terminal.hpp"
#include "engine/planner.hpp"

namespace rollout::cli {

class LiveScreen {
 public:
  using Frame = std::function<std::vector<std::string>(int width, WallTime now)>;
  LiveScreen(std::ostream& out, Frame frame);
  ~LiveScreen();  // the last frame stays, the cursor is shown again
  LiveScreen(const LiveScreen&) = delete;
  LiveScreen& operator=(const LiveScreen&) = delete;

  void redraw();
  // Text that scrolls above the region (a diff asked for with [d]), then the region again.
  void print_above(const std::string& text);

 private:
  void draw_locked();
  void erase_locked();

  std::ostream& out_;
  Frame frame_;
  std::mutex mu_;
  int drawn_ = 0;               // lines the last frame took
  std::vector<size_t> widths_;  // their widths: after a resize, the rows a reflowing terminal made of them
  bool stop_ = false;
  std::condition_variable cv_;
  std::thread ticker_;
};

// The engine's events as the live view of one plan's apply.
class LiveRenderer : public engine::EventSink {
 public:
  // `keys`: a manual pause shows the keys line (stdin is a TTY too).
  LiveRenderer(const plan::Plan& plan, std::ostream& out, bool keys);
  void emit(const engine::Event& event) override;
  void say(const std::string& line);  // a line among the view's recent events
  void print_above(const std::string& text) { screen_.print_above(text); }
  void show_keys(bool on);

 private:
  const plan::Plan& plan_;
  bool keys_;
  std::vector<engine::PlannedStep> planned_;
  std::mutex mu_;  // guards view_
  View view_;
  bool started_ = false;  // a run started or resumed: the view is drawn
  LiveScreen screen_;
};

}  // namespace rollout::cli
