// Where a command writes, and whether it may use colour: only on a TTY, never with NO_COLOR.
#pragma once

#include <iosfwd>
#include <string>

namespace rollout::cli {

struct Terminal {
  std::ostream& out;
  std::ostream& err;
  bool color_out = false;
  bool color_err = false;
  bool interactive = false;  // stdin and stdout are TTYs: prompts are allowed

  // Wraps `text` in an ANSI colour when colour is on for that stream.
  std::string paint(bool on, const char* ansi, const std::string& text) const;
};

// Resolves --color auto|always|never against NO_COLOR and isatty(fd).
bool want_color(const std::string& mode, int fd);

Terminal make_terminal(const std::string& color_mode);

}  // namespace rollout::cli
