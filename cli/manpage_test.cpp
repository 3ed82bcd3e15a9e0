// The man page generator on a small hand-made tree: roff escaping, sections, options and examples.
#include <catch2/catch.hpp>

#include "cli/command_info.hpp"
#include "cli/help_examples.hpp"

using rollout::cli::CommandInfo;
using rollout::cli::Example;
using rollout::cli::man_page;
using rollout::cli::OptionInfo;

namespace {

CommandInfo tree() {
  CommandInfo root;
  root.name = "rollout";
  root.description = "Roll out things.";
  root.options = {{{"-h", "--help"}, "Print help", false, {}, false, false, ""},
                  {{"--state-dir"}, "Where state lives", true, {}, true, false, "TEXT"}};
  CommandInfo plan;
  plan.name = "plan";
  plan.description = "Plans";
  CommandInfo apply;
  apply.name = "apply";
  apply.description = ".dotted start, a back\\slash, caf\xc3\xa9 \xe2\x89\xa4 1, and `rollout promote`";
  apply.arguments = {{{"FILE"}, "Plan file", false, {}, false, false, ""}};
  apply.options = {{{"--dry-run"}, "client or server", true, {"client", "server"}, false, true, "TEXT"},
                   {{"-o", "--output"}, "Format", true, {"text", "json"}, false, false, "TEXT"}};
  apply.examples = {{"Run it", "rollout plan apply -o json plan.yaml"}, {"", "rollout status x"}};
  plan.subcommands = {apply};
  root.subcommands = {plan};
  return root;
}

}  // namespace

TEST_CASE("the man page escapes text for roff", "[manpage]") {
  std::string page = man_page(tree());
  CHECK(page.find("\\&.dotted start") != std::string::npos);  // a leading '.' is not a request
  CHECK(page.find("back\\eslash") != std::string::npos);
  CHECK(page.find("caf\\[u00E9] \\[u2264] 1") != std::string::npos);
  CHECK(page.find("\\fBrollout promote\\fR") != std::string::npos);  // `code` in bold
  CHECK(page.find("\xc3") == std::string::npos);                     // ASCII only
}

TEST_CASE("the man page lists commands, arguments, options and examples", "[manpage]") {
  std::string page = man_page(tree());
  for (const char* section :
       {".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS", ".SH COMMANDS", ".SH EXAMPLES",
        ".SH \"EXIT STATUS\"", ".SH ENVIRONMENT", ".SH FILES", ".SH \"SEE ALSO\""})
    CHECK(page.find(section) != std::string::npos);
  CHECK(page.find(".SS \"\\fBrollout plan\\fR \\fICOMMAND\\fR\"") != std::string::npos);
  CHECK(page.find(".br\n\\fBrollout plan apply\\fR [\\fIOPTIONS\\fR] \\fIFILE\\fR\n") != std::string::npos);
  CHECK(page.find("\\fB\\-\\-dry\\-run\\fR[=\\fIclient\\fR|\\fIserver\\fR]") != std::string::npos);
  CHECK(page.find("\\fB\\-o\\fR, \\fB\\-\\-output\\fR \\fItext\\fR|\\fIjson\\fR") != std::string::npos);
  CHECK(page.find("\\fB\\-\\-state\\-dir\\fR \\fIPATH\\fR") != std::string::npos);  // a path, not TEXT
  CHECK(page.find(".PP\nRun it\n.RS 4\n.nf\nrollout plan apply \\-o json plan.yaml\n.fi\n.RE\n"
                  ".RS 4\n.nf\nrollout status x\n.fi\n.RE\n") != std::string::npos);
  CHECK(page.find(".TP\n\\fB7\\fR\n") != std::string::npos);
  CHECK(page.find("\\fBKUBECONFIG\\fR") != std::string::npos);
}

TEST_CASE("help examples: one table keyed by command path", "[manpage]") {
  CHECK_FALSE(rollout::cli::help_examples("plan apply").empty());
  CHECK_FALSE(rollout::cli::help_examples("").empty());
  CHECK(rollout::cli::help_examples("no such command").empty());
  CHECK(rollout::cli::examples_text({}).empty());
  std::vector<Example> two = {{"First", "rollout a"}, {"", "rollout b"}, {"Second", "rollout c"}};
  CHECK(rollout::cli::examples_text(two) ==
        "Examples:\n  # First\n  rollout a\n  rollout b\n\n  # Second\n  rollout c\n");
}
