// Where a command writes, and whether it may use colour: only on a TTY, never with NO_COLOR.
// Also the terminal as a screen: its size, drawing a region in place, single keys in raw mode.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>

namespace rollout::cli {

struct Terminal {
  std::ostream& out;
  std::ostream& err;
  bool color_out = false;
  bool color_err = false;
  bool interactive = false;  // stdin and stdout are TTYs: prompts are allowed
  bool live = false;         // stdout is a TTY that can be redrawn: no NO_COLOR, no TERM=dumb

  // Wraps `text` in an ANSI colour when colour is on for that stream.
  std::string paint(bool on, const char* ansi, const std::string& text) const;
};

// Resolves --color auto|always|never against NO_COLOR and isatty(fd).
bool want_color(const std::string& mode, int fd);

Terminal make_terminal(const std::string& color_mode);

struct ScreenSize {
  int columns = 80;
  int rows = 24;
};
// stdout's size (TIOCGWINSZ); 80x24 when it has none.
ScreenSize screen_size();

// While it lives, stdin gives single keys without echo (termios: no ICANON, no ECHO; ISIG kept,
// so Ctrl-C still interrupts); not for a background job (active() is false). Restored by the
// destructor and by SIGINT/SIGTERM (see install_restore_on_signal).
class RawKeys {
 public:
  RawKeys();
  ~RawKeys();
  RawKeys(const RawKeys&) = delete;
  RawKeys& operator=(const RawKeys&) = delete;
  bool active() const { return active_; }

 private:
  bool active_ = false;
};

// SIGINT and SIGTERM first show the cursor and put stdin back as it was (if RawKeys or a live
// region changed them), then end the process as they would have. SIGWINCH sets a flag that
// take_resized() reads and clears.
void install_restore_on_signal();
void set_cursor_hidden(bool hidden);  // remembered, so that a signal shows it again
bool take_resized();
bool resize_pending();

}  // namespace rollout::cli
