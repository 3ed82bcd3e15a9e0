#include "cli/text_width.hpp"

namespace rollout::cli {

namespace {

// Length in bytes of the escape sequence at `i` (CSI: ESC [ ... final byte), 0 if none.
size_t escape_at(const std::string& s, size_t i) {
  if (s[i] != '\x1b' || i + 1 >= s.size() || s[i + 1] != '[') return 0;
  size_t j = i + 2;
  while (j < s.size() && !(s[j] >= 0x40 && s[j] <= 0x7e)) ++j;
  return j < s.size() ? j - i + 1 : s.size() - i;
}

bool continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xc0) == 0x80;
}

}  // namespace

size_t display_width(const std::string& text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size();) {
    if (size_t e = escape_at(text, i)) {
      i += e;
      continue;
    }
    if (!continuation(text[i])) ++width;
    ++i;
  }
  return width;
}

std::string fit_width(const std::string& text, size_t width) {
  if (display_width(text) <= width) return text;
  if (width == 0) return "";
  std::string out;
  size_t used = 0;
  for (size_t i = 0; i < text.size();) {
    if (size_t e = escape_at(text, i)) {
      out += text.substr(i, e);
      i += e;
      continue;
    }
    if (!continuation(text[i])) {
      if (used + 1 == width) break;
      ++used;
    }
    out += text[i++];
  }
  return out + "…";
}

std::string pad_right(const std::string& text, size_t width) {
  const size_t w = display_width(text);
  return w >= width ? text : text + std::string(width - w, ' ');
}

}  // namespace rollout::cli
