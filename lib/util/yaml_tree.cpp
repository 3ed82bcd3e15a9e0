#include "util/yaml_tree.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <map>
#include <sstream>

#include "util/text.hpp"

namespace rollout {

YamlNodePtr YamlNode::find(std::string_view key) const {
  for (const auto& [k, v] : entries)
    if (k->scalar == key) return v;
  return nullptr;
}

std::string YamlNode::describe() const {
  switch (type) {
    case Type::null: return "null";
    case Type::sequence: return "a list";
    case Type::map: return "a mapping";
    case Type::scalar: break;
  }
  return "the value " + quote(scalar);
}

namespace {

constexpr size_t kMaxDocuments = 1000;

SourcePos to_pos(const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0) return {1, 1};
  return {mark.line + 1, mark.column + 1};
}

bool is_plain_null(const std::string& tag, const std::string& value) {
  return tag == "?" && (value == "~" || value == "null" || value == "Null" || value == "NULL");
}

// Builds YamlNode trees from parser events. Containers under construction live on a stack;
// a completed node is attached to its parent (as a sequence item, or as a map key or value).
class TreeBuilder : public YAML::EventHandler {
 public:
  TreeBuilder(YamlParse& out, std::string_view text) : out_(out), text_(text) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    stack_.clear();
    anchors_.clear();
    doc_start_ = to_pos(mark);
    root_.reset();
  }
  void OnDocumentEnd() override {
    auto root = root_ ? root_ : std::make_shared<YamlNode>();
    if (!root_) const_cast<YamlNode&>(*root).pos = doc_start_;
    out_.documents.push_back({root, doc_start_});
  }
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto n = std::make_shared<YamlNode>();
    n->pos = to_pos(mark);
    finish(n, anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      out_.diagnostics.add(to_pos(mark), "alias refers to an unknown anchor");
      OnNull(mark, 0);
      return;
    }
    attach(it->second);
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    auto n = std::make_shared<YamlNode>();
    n->pos = to_pos(mark);
    if (is_plain_null(tag, value)) {
      finish(n, anchor);
      return;
    }
    n->type = YamlNode::Type::scalar;
    n->scalar = value;
    n->quoted = tag != "?";
    n->verbatim_column = verbatim_column(mark, value);
    finish(n, anchor);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(YamlNode::Type::sequence, mark, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(YamlNode::Type::map, mark, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    std::shared_ptr<YamlNode> node;
    YamlNodePtr pending_key;  // maps: the key waiting for its value
    bool expect_key = true;
    bool skip_value = false;  // the key was rejected; drop its value
    YAML::anchor_t anchor = 0;
  };

  void open(YamlNode::Type type, const YAML::Mark& mark, YAML::anchor_t anchor) {
    auto n = std::make_shared<YamlNode>();
    n->type = type;
    n->pos = to_pos(mark);
    stack_.push_back({n, nullptr, true, false, anchor});
  }
  void close() {
    if (stack_.empty()) return;
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    finish(f.node, f.anchor);
  }
  void finish(const std::shared_ptr<YamlNode>& n, YAML::anchor_t anchor) {
    if (anchor) anchors_[anchor] = n;
    attach(n);
  }
  void attach(const YamlNodePtr& n) {
    if (stack_.empty()) {
      root_ = n;
      return;
    }
    Frame& f = stack_.back();
    if (f.node->type == YamlNode::Type::sequence) {
      f.node->items.push_back(n);
    } else if (f.expect_key) {
      accept_key(f, n);
    } else {
      if (!f.skip_value) f.node->entries.emplace_back(f.pending_key, n);
      f.pending_key.reset();
      f.expect_key = true;
      f.skip_value = false;
    }
  }
  // Where `value` stands unchanged in the text at `mark` (after an opening quote), or 0.
  int verbatim_column(const YAML::Mark& mark, const std::string& value) const {
    if (mark.is_null() || mark.pos < 0 || static_cast<size_t>(mark.pos) >= text_.size()) return 0;
    if (value.empty() || value.find('\n') != std::string::npos) return 0;
    const size_t quote = text_[mark.pos] == '"' || text_[mark.pos] == '\'' ? 1 : 0;
    if (text_.substr(mark.pos + quote, value.size()) != value) return 0;
    return mark.column + 1 + static_cast<int>(quote);
  }
  void accept_key(Frame& f, const YamlNodePtr& key) {
    f.expect_key = false;
    f.pending_key = key;
    if (!key->is_scalar()) {
      out_.diagnostics.add(key->pos, "a mapping key must be a plain string, not " + key->describe());
      f.skip_value = true;
      return;
    }
    for (const auto& [k, v] : f.node->entries) {
      if (k->scalar == key->scalar) {
        out_.diagnostics.add(key->pos, "duplicate key " + quote(key->scalar) + " (first defined at line " +
                                           std::to_string(k->pos.line) + ")");
        f.skip_value = true;
        return;
      }
    }
  }

  YamlParse& out_;
  std::string_view text_;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, YamlNodePtr> anchors_;
  YamlNodePtr root_;
  SourcePos doc_start_;
};

// YAML forbids tabs in indentation and yaml-cpp's message does not say so: add a hint.
std::string tab_indentation_before(std::string_view text, int line) {
  int n = 1;
  for (size_t start = 0; start < text.size() && n <= line; ++n) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view l = text.substr(start, end - start);
    size_t indent = l.find_first_not_of(" \t");
    if (indent != std::string_view::npos && l.substr(0, indent).find('\t') != std::string_view::npos)
      return " (line " + std::to_string(n) + " is indented with a tab; YAML allows only spaces)";
    start = end + 1;
  }
  return "";
}

}  // namespace

YamlParse parse_yaml(std::string_view text) {
  YamlParse out;
  std::istringstream in{std::string(text)};
  TreeBuilder builder(out, text);
  try {
    YAML::Parser parser(in);
    // yaml-cpp 0.7 can loop forever emitting empty documents on some malformed input (",a,b"):
    // stop when a document starts where the previous one did, and cap the count.
    while (parser.HandleNextDocument(builder)) {
      const auto& docs = out.documents;
      const size_t n = docs.size();
      if (n >= 2 && docs[n - 1].root->is_null() && docs[n - 1].start.line == docs[n - 2].start.line &&
          docs[n - 1].start.column == docs[n - 2].start.column) {
        out.documents.pop_back();
        out.diagnostics.add(docs[n - 2].start, "YAML syntax error: unexpected character; the parser cannot continue");
        break;
      }
      if (n > kMaxDocuments) {
        out.diagnostics.add(docs.back().start,
                            "too many YAML documents (more than " + std::to_string(kMaxDocuments) + ")");
        break;
      }
    }
  } catch (const YAML::Exception& e) {
    SourcePos pos = to_pos(e.mark);
    std::string hint = tab_indentation_before(text, pos.line);
    out.diagnostics.add(pos, "YAML syntax error: " + e.msg + hint);
  } catch (const std::exception& e) {
    out.diagnostics.add({1, 1}, std::string("YAML syntax error: ") + e.what());
  }
  return out;
}

}  // namespace rollout
