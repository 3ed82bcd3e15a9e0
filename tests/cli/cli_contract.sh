#!/usr/bin/env bash
# The binary as users and scripts see it: exit codes, help, completion, the plans/ corpus.
set -u
rollout=$1
src=$2
. "$src/tests/require.sh"
require zsh:zsh fish:fish groff:groff-base man:man-db
pass=0 fail=0
check() {  # check NAME EXPECTED_EXIT COMMAND...
  local name=$1 want=$2; shift 2
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [[ $rc == "$want" ]]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $name: exit $rc, want $want"; echo "$out" | head -20; fi
}
contains() {  # contains NAME NEEDLE COMMAND...
  local name=$1 needle=$2; shift 2
  local out
  out=$("$@" 2>&1)
  if grep -qF -- "$needle" <<<"$out"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $name: output lacks '$needle'"; echo "$out" | head -20; fi
}

cd "$src"
check "every plan in plans/ is valid" 0 "$rollout" plan validate plans/*.yaml
check "a bad plan exits 2" 2 "$rollout" plan validate tests/bad-plans/unknown-field-typo.yaml
check "one bad file among good ones exits 2" 2 "$rollout" plan validate plans/inferencepool-blue-green.yaml tests/bad-plans/unknown-field-typo.yaml
check "a missing file exits 2" 2 "$rollout" plan validate /nonexistent/plan.yaml
contains "a missing file is named" "/nonexistent/plan.yaml:1:1: cannot read the file" "$rollout" plan validate /nonexistent/plan.yaml
contains "a directory is named as such" "plans:1:1: is a directory, not a plan file" "$rollout" plan validate plans
check "no subcommand is a usage error" 2 "$rollout"
check "an unknown subcommand is a usage error" 2 "$rollout" frobnicate
check "an unknown flag is a usage error" 2 "$rollout" plan validate --frob plans/inferencepool-blue-green.yaml
check "a bad --output value is a usage error" 2 "$rollout" plan validate -o yaml plans/inferencepool-blue-green.yaml
check "global flags work after subcommands" 0 "$rollout" plan validate plans/inferencepool-blue-green.yaml -n prod --context x
check "version" 0 "$rollout" version
contains "version names the plan API" "rollout/v1alpha1" "$rollout" version
contains "version -o json" '"version":' "$rollout" version -o json
check "validate reads standard input" 0 bash -c "\"$rollout\" plan validate - < plans/inferencepool-blue-green.yaml"
contains "validate -o json reports errors" '"line":' "$rollout" plan validate -o json tests/bad-plans/unknown-field-typo.yaml
check "apply of an invalid plan exits 2" 2 "$rollout" plan apply --yes tests/bad-plans/unknown-field-typo.yaml
check "diff of an invalid plan exits 2" 2 "$rollout" plan diff tests/bad-plans/unknown-field-typo.yaml
check "a bad --timeout is a usage error" 2 "$rollout" plan apply --yes --timeout soon plans/inferencepool-blue-green.yaml
check "an unreachable cluster exits 6" 6 env KUBECONFIG=/dev/null "$rollout" status food-review --kubeconfig <(printf 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n')

# --help describes the whole command tree.
for cmd in "" "plan" "plan validate" "plan diff" "plan apply" "status" "promote" "abort" "pause" "resume" \
           "history" "list" "sandbox" "sandbox up" "sandbox model-server" "completion" "version"; do
  # shellcheck disable=SC2086
  check "rollout $cmd --help" 0 "$rollout" $cmd --help
done
contains "apply --help lists --dry-run" "--dry-run" "$rollout" plan apply --help
contains "apply --help lists --until-pause" "--until-pause" "$rollout" plan apply --help
contains "top-level help lists exit codes" "7 locked by another apply" "$rollout" --help
contains "global flags in help" "--kubeconfig" "$rollout" status --help

# Every command's --help ends with examples: the commands as the man page lists them (so a new
# command is covered without editing this list), and rollout itself.
mapfile -t cmds < <("$rollout" man | sed -n '/^\.SH COMMANDS/,/^\.SH EXAMPLES/s/^\.SS "\\fB\(.*\)/\1/p' |
                    sed 's/\\fR.*//; s/\\-/-/g; s/^rollout *//')
if ((${#cmds[@]} >= 16)); then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: the man page lists ${#cmds[@]} commands: ${cmds[*]}"; fi
for cmd in "" "${cmds[@]}"; do
  # shellcheck disable=SC2086
  contains "rollout $cmd --help has examples" "Examples:" "$rollout" $cmd --help
  # shellcheck disable=SC2086
  contains "rollout $cmd --help examples run rollout $cmd" "  rollout $cmd" "$rollout" $cmd --help
done

# Every flag an example uses is one the command it runs takes (or a global one), so examples do
# not outlive a renamed flag or show one that has not landed.
global_help=$("$rollout" --help | sed '/^Examples:/,$d')
for cmd in "" "${cmds[@]}"; do
  # shellcheck disable=SC2086
  while read -r line; do
    words=$(sed 's/^.*rollout //; s/ [|>].*//' <<<"$line")
    run=""  # the longest command path the example starts with
    for c in "${cmds[@]}"; do [[ "$words " == "$c "* && ${#c} -gt ${#run} ]] && run=$c; done
    # shellcheck disable=SC2086
    run_help=$("$rollout" $run --help | sed '/^Examples:/,$d')  # its options, not its examples
    for flag in $(grep -oE '(^| )--?[a-z][a-z-]*' <<<"$words"); do
      if grep -qE -- "(^|[ ,])$flag([ ,=]|$)" <<<"$run_help$global_help"; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL: the example '$line' of 'rollout $cmd --help' uses $flag, which 'rollout $run' lacks"
      fi
    done
  done < <("$rollout" $cmd --help | sed -n '/^Examples:/,/^Global flags\|^Exit codes/p' | grep -E '^  ([^#].*)?rollout ')
done

# The committed man page is what the binary generates, and it renders without warnings.
check "docs/rollout.1 is up to date (regenerate: cmake --build build --target update_generated_docs)" 0 diff <("$rollout" man) docs/rollout.1
out=$(groff -ww -z -man docs/rollout.1 2>&1)
if [[ -z $out ]]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: groff warns about docs/rollout.1:"; echo "$out" | head; fi
for section in NAME SYNOPSIS DESCRIPTION OPTIONS COMMANDS EXAMPLES "EXIT STATUS" ENVIRONMENT FILES "SEE ALSO"; do
  contains "the man page has $section" "$section" env MANWIDTH=100 man -l docs/rollout.1
done
contains "the man page lists model-server's options" "--on-sigterm drain|abort" env MANWIDTH=100 man -l docs/rollout.1
contains "the man page lists exit code 7" "another apply holds this rollout's lock" env MANWIDTH=100 man -l docs/rollout.1

# The committed completion scripts are what the binary generates, and they load.
for shell in bash zsh fish; do
  case $shell in bash) f=completions/rollout.bash ;; zsh) f=completions/_rollout ;; fish) f=completions/rollout.fish ;; esac
  check "completions/$shell is up to date (regenerate: cmake --build build --target update_generated_docs)" 0 diff <("$rollout" completion $shell) "$f"
done
check "bash completion loads" 0 bash -c "source completions/rollout.bash && complete -p rollout"
out=$(bash -c 'source completions/rollout.bash; COMP_WORDS=(rollout plan ""); COMP_CWORD=2; _rollout; echo "${COMPREPLY[*]}"')
if [[ " $out " == *" validate "* && " $out " == *" apply "* ]]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: bash completion of 'rollout plan ': $out"; fi
out=$(bash -c 'source completions/rollout.bash; COMP_WORDS=(rollout plan apply --dry-run= x -o ""); COMP_CWORD=6; _rollout; echo "${COMPREPLY[*]}"')
if [[ "$out" == "text json" ]]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: bash completion of -o values: $out"; fi

check "zsh completion loads" 0 zsh -c "autoload -U compinit && compinit -u -d /tmp/.zcompdump-rollout-\$\$ && source completions/_rollout && (( \${+_comps[rollout]} ))"
check "fish completion parses" 0 fish --no-execute completions/rollout.fish
check "fish completion loads" 0 fish -c "source completions/rollout.fish; complete -C 'rollout pl' | grep -q plan"

echo "cli_contract: $pass passed, $fail failed"
[[ $fail == 0 ]]
