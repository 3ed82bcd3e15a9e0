// Text as a terminal shows it: every UTF-8 code point one column (the box and block characters
// the views use are), ANSI escape sequences none.
#pragma once

#include <string>

namespace rollout::cli {

size_t display_width(const std::string& text);

// At most `width` columns of `text`, cut at a code point, escapes kept; "…" marks a cut.
std::string fit_width(const std::string& text, size_t width);

// `text` padded with spaces to `width` columns (never cut).
std::string pad_right(const std::string& text, size_t width);

}  // namespace rollout::cli
