#include "util/yaml_diff.hpp"

#include <regex>
#include <string_view>

namespace rollout {

namespace {

using nlohmann::json;

// ---- scalars ----

// Plain scalars that a YAML 1.1 or 1.2 reader (kubectl's included) takes for null, a boolean or a number.
bool reads_as_non_string(const std::string& s) {
  static const std::regex non_string(
      "~|null|Null|NULL|<<"
      "|[yY]|yes|Yes|YES|[nN]|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
      "|[-+]?(0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)"
      "|[-+]?([0-9][0-9_]*(\\.[0-9_]*)?|\\.[0-9][0-9_]*)([eE][-+]?[0-9]+)?"
      "|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\\.[0-9_]*)?"
      "|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");
  return s.empty() || std::regex_match(s, non_string);
}

unsigned char byte_at(std::string_view s, size_t i) {
  return i < s.size() ? static_cast<unsigned char>(s[i]) : 0;
}

// The length of the character at `i` when YAML can only show it escaped (C0 and C1 controls, tab and newline
// included, DEL, U+2028, U+2029, U+FEFF, U+FFFE, U+FFFF), else 0.
size_t special_length(std::string_view s, size_t i) {
  const unsigned char c = byte_at(s, i);
  if (c < 0x20 || c == 0x7f) return 1;
  if (c == 0xc2 && byte_at(s, i + 1) >= 0x80 && byte_at(s, i + 1) <= 0x9f) return 2;
  if (c == 0xe2 && byte_at(s, i + 1) == 0x80 && (byte_at(s, i + 2) == 0xa8 || byte_at(s, i + 2) == 0xa9)) return 3;
  if (c == 0xef && byte_at(s, i + 1) == 0xbb && byte_at(s, i + 2) == 0xbf) return 3;
  if (c == 0xef && byte_at(s, i + 1) == 0xbf && byte_at(s, i + 2) >= 0xbe) return 3;
  return 0;
}

// Whether `s` has a character that needs an escape, other than a newline when `newlines_ok`.
bool has_special(std::string_view s, bool newlines_ok = false) {
  for (size_t i = 0; i < s.size(); ++i)
    if (special_length(s, i) > 0 && !(newlines_ok && s[i] == '\n')) return true;
  return false;
}

// The code point of the special character at `i` (see special_length).
unsigned special_code_point(std::string_view s, size_t i) {
  const unsigned char c = byte_at(s, i);
  if (c < 0x80) return c;
  if (c == 0xc2) return byte_at(s, i + 1);
  if (c == 0xe2) return 0x2000 + (byte_at(s, i + 2) & 0x3f);
  if (byte_at(s, i + 1) == 0xbb) return 0xfeff;
  return 0xffc0 + (byte_at(s, i + 2) & 0x3f);
}

std::string hex(unsigned value, int digits) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out(static_cast<size_t>(digits), '0');
  for (int d = digits - 1; d >= 0; --d, value >>= 4) out[static_cast<size_t>(d)] = kDigits[value & 0xf];
  return out;
}

std::string escape(unsigned code_point) {
  switch (code_point) {
    case '\n': return "\\n";
    case '\t': return "\\t";
    case '\r': return "\\r";
    default: return code_point < 0x100 ? "\\x" + hex(code_point, 2) : "\\u" + hex(code_point, 4);
  }
}

std::string double_quoted(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '"' || s[i] == '\\') {
      out += '\\';
      out += s[i];
    } else if (size_t n = special_length(s, i); n > 0) {
      out += escape(special_code_point(s, i));
      i += n - 1;
    } else {
      out += s[i];
    }
  }
  return out + "\"";
}

std::string single_quoted(std::string_view s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// Whether `s` reads back as the same string when written without quotes, in a block context.
bool plain_is_safe(std::string_view s) {
  if (s.empty() || has_special(s) || reads_as_non_string(std::string(s))) return false;
  if (s.front() == ' ' || s.back() == ' ' || s.back() == ':') return false;
  if (std::string_view("#,[]{}&*!|>'\"%@`").find(s.front()) != std::string_view::npos) return false;
  if (std::string_view("-?:").find(s.front()) != std::string_view::npos && (s.size() == 1 || s[1] == ' ')) return false;
  if (s.starts_with("---") || s.starts_with("...")) return false;
  return s.find(": ") == std::string_view::npos && s.find(" #") == std::string_view::npos;
}

// Quotes as kubectl does: double quotes for what would read as another type or needs escapes.
std::string quoted_scalar(std::string_view s) {
  if (has_special(s) || reads_as_non_string(std::string(s))) return double_quoted(s);
  return single_quoted(s);
}

// A literal block keeps every character of its lines except trailing spaces on a line and tabs (which
// kubectl's emitter refuses there too), so those strings are quoted instead.
bool fits_literal_block(std::string_view s) {
  return s.find('\n') != std::string_view::npos && !has_special(s, true) && s.find(" \n") == std::string_view::npos &&
         s.back() != ' ';
}

// "|" keeps one final newline, "|-" none, "|+" all; the indentation indicator (relative to the parent's
// indentation, which sits two columns left of `indent`) is needed when the first line starts with a space
// or is empty.
std::string literal_block(std::string_view s, int indent) {
  const size_t last_content = s.find_last_not_of('\n');
  const size_t trailing = last_content == std::string_view::npos ? s.size() : s.size() - last_content - 1;
  std::string out = "|";
  if (s.front() == ' ' || s.front() == '\n') out += '2';
  out += trailing == 0 ? "-" : trailing == 1 && last_content != std::string_view::npos ? "" : "+";
  const std::string_view body = s.substr(0, s.size() - (trailing > 0 ? 1 : 0));
  for (size_t start = 0; start <= body.size();) {
    size_t end = std::min(body.find('\n', start), body.size());
    out += '\n';
    if (end > start) out += std::string(static_cast<size_t>(indent), ' ').append(body.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string key_text(const std::string& key) {
  return plain_is_safe(key) ? key : quoted_scalar(key);
}

// A scalar or empty container after "key: " or "- "; block scalar lines go at `indent`.
std::string inline_text(const json& value, int indent) {
  if (value.is_object()) return "{}";
  if (value.is_array()) return "[]";
  if (!value.is_string()) return value.dump();
  const auto& s = value.get_ref<const std::string&>();
  if (plain_is_safe(s)) return s;
  if (fits_literal_block(s)) return literal_block(s, indent);
  return quoted_scalar(s);
}

// ---- block collections ----

bool is_block(const json& value) {
  return value.is_structured() && !value.empty();
}

void write_block(const json& value, int indent, std::string& out);

void write_entry(const std::string& key, const json& value, int indent, std::string& out) {
  out.append(static_cast<size_t>(indent), ' ').append(key_text(key)).append(":");
  if (is_block(value)) {
    out += '\n';
    write_block(value, value.is_array() ? indent : indent + 2, out);  // kubectl keeps "- " under the key
  } else {
    out.append(" ").append(inline_text(value, indent + 2)).append("\n");
  }
}

void write_item(const json& value, int indent, std::string& out) {
  if (!is_block(value)) {
    out.append(static_cast<size_t>(indent), ' ').append("- ").append(inline_text(value, indent + 2)).append("\n");
    return;
  }
  std::string nested;  // its first line starts indent + 2 spaces in: "- " takes the last two
  write_block(value, indent + 2, nested);
  nested.replace(static_cast<size_t>(indent), 2, "- ");
  out += nested;
}

void write_block(const json& value, int indent, std::string& out) {
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) write_entry(key, item, indent, out);
  } else {
    for (const auto& item : value) write_item(item, indent, out);
  }
}

}  // namespace

std::string to_yaml(const nlohmann::json& value) {
  std::string out;
  if (is_block(value))
    write_block(value, 0, out);
  else
    out = inline_text(value, 2) + "\n";
  return out;
}

}  // namespace rollout
