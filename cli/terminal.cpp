#include "cli/terminal.hpp"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

namespace rollout::cli {

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
  return t;
}

}  // namespace rollout::cli
