#include "cli/terminal.hpp"

#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iostream>

namespace rollout::cli {

namespace {

// What the signal handlers restore: async-signal-safe state only.
struct termios g_saved_termios;
volatile sig_atomic_t g_termios_saved = 0;
volatile sig_atomic_t g_cursor_hidden = 0;
std::atomic<bool> g_resized{false};

constexpr char kShowCursor[] = "\x1b[?25h";

void restore_and_reraise(int sig) {
  if (g_cursor_hidden) (void)!::write(STDOUT_FILENO, kShowCursor, sizeof kShowCursor - 1);
  if (g_termios_saved) tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void on_winch(int) {
  g_resized = true;
}

}  // namespace

std::string Terminal::paint(bool on, const char* ansi, const std::string& text) const {
  if (!on) return text;
  return std::string("\x1b[") + ansi + "m" + text + "\x1b[0m";
}

bool want_color(const std::string& mode, int fd) {
  if (mode == "never") return false;
  if (mode == "always") return true;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return false;
  const char* term = std::getenv("TERM");
  if (term && std::string(term) == "dumb") return false;
  return isatty(fd) == 1;
}

Terminal make_terminal(const std::string& color_mode) {
  Terminal t{std::cout, std::cerr};
  t.color_out = want_color(color_mode, STDOUT_FILENO);
  t.color_err = want_color(color_mode, STDERR_FILENO);
  t.interactive = isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1;
  // The live view needs a screen to redraw: the same conditions as colour, whatever --color says.
  t.live = want_color("auto", STDOUT_FILENO);
  return t;
}

ScreenSize screen_size() {
  winsize ws{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) return {ws.ws_col, ws.ws_row};
  return {};
}

RawKeys::RawKeys() {
  // A background job (`rollout plan apply ... &`) would be stopped by SIGTTOU: no keys for it.
  if (tcgetpgrp(STDIN_FILENO) != getpgrp()) return;
  struct termios now;
  if (tcgetattr(STDIN_FILENO, &now) != 0) return;
  g_saved_termios = now;
  g_termios_saved = 1;
  now.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));
  now.c_cc[VMIN] = 1;
  now.c_cc[VTIME] = 0;
  active_ = tcsetattr(STDIN_FILENO, TCSANOW, &now) == 0;
}

RawKeys::~RawKeys() {
  if (g_termios_saved) tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
  g_termios_saved = 0;
}

void install_restore_on_signal() {
  static bool installed = false;
  if (installed) return;
  installed = true;
  for (int sig : {SIGINT, SIGTERM}) {
    // A signal the parent had ignored (nohup, a shell's background job) stays ignored.
    struct sigaction now {};
    if (sigaction(sig, nullptr, &now) == 0 && now.sa_handler == SIG_IGN) continue;
    std::signal(sig, restore_and_reraise);
  }
  std::signal(SIGWINCH, on_winch);
}

void set_cursor_hidden(bool hidden) {
  g_cursor_hidden = hidden ? 1 : 0;
  std::cout << (hidden ? "\x1b[?25l" : kShowCursor);
  std::cout.flush();
}

bool take_resized() {
  return g_resized.exchange(false);
}
bool resize_pending() {
  return g_resized.load();
}

}  // namespace rollout::cli
