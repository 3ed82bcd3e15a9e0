#!/usr/bin/env bash
# `rollout plan apply --junit FILE --summary FILE` against `rollout sandbox up`: a blue-green run
# that succeeds and one whose new version fails its health gate and is rolled back. The JUnit
# file is well-formed XML (xmllint), and read with Python's xml.etree it lists every step and
# every gate evaluation the events report, the failing one with a <failure> that carries the
# gate's value and condition; the Markdown summary is appended with its tables; exit codes 0 and
# 3. Also: a report for an apply that ends by an error (no cluster: exit 6), and report paths that
# cannot be written refused before anything changes (exit 2). The CI examples parse as YAML.
set -u
rollout=$1
src=$2
work=$(mktemp -d /tmp/rollout-reports-test.XXXXXX)
. "$src/tests/engine/lib.sh"
require xmllint:libxml2-utils
trap 'stop_sandbox; [[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT

# Checks a JUnit file against the JSON events of the same apply; prints one line per problem.
check_junit() {  # check_junit JUNIT EVENTS OUTCOME
  python3 - "$@" <<'EOF'
import json, sys
import xml.etree.ElementTree as ET
junit, events_file, outcome = sys.argv[1:4]
events = [json.loads(l) for l in open(events_file) if l.startswith("{")]
root = ET.parse(junit).getroot()
problems = []
def want(cond, what):
    if not cond:
        problems.append(what)
want(root.tag == "testsuites", "root is <testsuites>")
suites = root.findall("testsuite")
want(len(suites) == 1, "one <testsuite>")
suite = suites[0]
for attr in ("name", "tests", "failures", "errors", "time", "timestamp"):
    want(attr in suite.attrib, "testsuite has " + attr)
cases = suite.findall("testcase")
want(int(suite.get("tests")) == len(cases), "tests= counts the test cases")
want(int(suite.get("failures")) == len(suite.findall("testcase/failure")), "failures= counts the failures")
want(int(suite.get("errors")) == len(suite.findall("testcase/error")), "errors= counts the errors")
props = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
started = [e for e in events if e["event"] == "run_started"]
want(props.get("outcome") == outcome, "outcome property %s (got %s)" % (outcome, props.get("outcome")))
want(started and props.get("run.id") == started[0]["runId"], "run.id property is the run's id")
want(len(props.get("plan.hash", "")) > 0, "plan.hash property")
name = suite.get("name")
steps = [e for e in events if e["event"] == "step_started"]
for s in steps:
    match = [c for c in cases if c.get("name") == s["title"] and c.get("classname", "").startswith(name + "/step ")]
    want(len(match) >= 1, "a test case for step %d %r" % (s["step"] + 1, s["title"]))
gates = [e for e in events if e["event"] == "gate_measured"]
gate_cases = [c for c in cases if c.get("name", "").startswith("gate ")]
want(len(gate_cases) == len(gates), "one test case per gate evaluation (%d events, %d cases)" % (len(gates), len(gate_cases)))
want(len(gates) > 0, "gates were measured")
for g in gates:
    want(any(c.get("name").startswith("gate " + g["gate"]) for c in gate_cases), "a test case for gate " + g["gate"])
    want("condition" in g, "the gate_measured event carries its condition")
if outcome == "Failed":
    failed = [c.find("failure") for c in gate_cases if c.find("failure") is not None]
    want(len(failed) >= 1, "a failed gate evaluation has a <failure>")
    for f in failed:
        want(f.get("type") == "GateFailed", "failure type GateFailed")
        msg = f.get("message")
        want("value 0" in msg, "the failure message has the value: " + msg)
        want("condition: GET /health answers 200 on every ready canary pod" in msg, "and the condition: " + msg)
        want("value: 0" in (f.text or ""), "the failure text has the value")
    want(any(c.find("failure") is not None and c.find("failure").get("type") == "RolledBack" for c in cases),
         "the step that failed says RolledBack")
    want(suite.findtext("system-out", "").find("rolled back: restored HTTPRoute/llm-route") >= 0, "system-out names what was rolled back")
else:
    want(not suite.findall("testcase/failure") and not suite.findall("testcase/error"), "no failures or errors")
for p in problems:
    print(p)
EOF
}

# ---- the CI examples are valid YAML with the jobs they promise ----------------------------
out=$(python3 - "$src/examples/ci" <<'EOF'
import sys, yaml
d = sys.argv[1]
gh = yaml.safe_load(open(d + "/github-actions.yml"))
gl = yaml.safe_load(open(d + "/gitlab-ci.yml"))
runs = " ".join(s.get("run", "") for s in gh["jobs"]["rollout"]["steps"])
for needle in ("rollout plan validate", "rollout plan diff", "--yes -o json", "--junit", '--summary "$GITHUB_STEP_SUMMARY"',
               " 3) ", " 4) ", " 5) ", " 6) ", " 7) "):
    if needle not in runs:
        print("github-actions.yml lacks " + needle)
if not any("upload-artifact" in s.get("uses", "") for s in gh["jobs"]["rollout"]["steps"]):
    print("github-actions.yml does not upload the report")
job = gl["rollout"]
script = " ".join(job["script"])
for needle in ("--yes -o json", "--junit rollout-junit.xml", "--summary", " 3) ", " 4) ", " 5) ", " 6) ", " 7) "):
    if needle not in script:
        print("gitlab-ci.yml lacks " + needle)
if job["artifacts"]["reports"]["junit"] != "rollout-junit.xml" or job["artifacts"]["when"] != "always":
    print("gitlab-ci.yml does not publish the JUnit report always")
check = " ".join(gl["plan-check"]["script"])
if "rollout plan validate" not in check or "rollout plan diff" not in check:
    print("gitlab-ci.yml does not validate and diff")
EOF
)
expect_eq "the CI examples parse and use the reports and exit codes" "" "$out"

start_sandbox || exit 1
export KUBECONFIG=$work/kubeconfig
apply_examples
wait_ready

# ---- report paths that cannot be written: refused before anything changes ------------------
test_plan plans/inferencepool-blue-green.yaml "$work/good.yaml" --name good-bg --pause-duration 1s
out=$("$rollout" plan apply --yes "$work/good.yaml" --junit "$work/no/such/dir/junit.xml" 2>&1)
expect_eq "an unwritable --junit path exits 2" 2 $?
expect_contains "it names the flag and directory" "--junit $work/no/such/dir/junit.xml: directory $work/no/such/dir does not exist" "$out"
expect_eq "nothing was started" "" "$(k get cm rollout-good-bg -o name --ignore-not-found)"

# ---- a dry run in text mode: the renderer still prints, the report says DRY RUN --------------
out=$("$rollout" plan apply --dry-run=client "$work/good.yaml" --junit "$work/dry.xml" --summary "$work/dry.md" 2>&1)
expect_eq "a dry run with reports exits 0" 0 $?
expect_contains "the text renderer still prints the steps" "step 1/12: setWeight 1" "$out"
expect_contains "the JUnit file says Previewed" '<property name="outcome" value="Previewed"/>' "$(cat "$work/dry.xml" 2>/dev/null)"
expect_contains "the summary says DRY RUN" "## Rollout good-bg: DRY RUN" "$(cat "$work/dry.md" 2>/dev/null)"
expect_eq "the dry run changed nothing" "" "$(k get cm rollout-good-bg -o name --ignore-not-found)"

# ---- a successful blue-green run ------------------------------------------------------------
summary_md=$work/summary.md
echo "# CI job summary" >"$summary_md"
"$rollout" plan apply --yes -o json --timeout 120s "$work/good.yaml" --junit "$work/good.xml" --summary "$summary_md" \
  >"$work/good.jsonl" 2>"$work/good.err"
expect_eq "the successful apply exits 0" 0 $?
xmllint --noout "$work/good.xml" 2>&1
expect_eq "the JUnit file is well-formed" 0 $?
expect_eq "the JUnit file lists every step and gate evaluation" "" "$(check_junit "$work/good.xml" "$work/good.jsonl" Succeeded)"
md=$(cat "$summary_md")
expect_contains "the summary is appended" "# CI job summary" "$md"
expect_contains "it has the outcome" "## Rollout good-bg: SUCCEEDED" "$md"
expect_contains "a steps table" "| # | step | action | weights / replicas | result | duration |" "$md"
expect_contains "with the weights" "| setWeight | canary 10% / stable 90% | passed |" "$md"
expect_contains "a gate table" "| gate | step | verdict | value | condition |" "$md"
expect_contains "with the health gate" "| canary-health |" "$md"

# ---- a new version that never becomes healthy: the gate fails, the route is rolled back ------
crash_new_pool
k apply -f "$src/examples/sandbox/httproute-llm-route.yaml" -f "$src/examples/sandbox/inferencepools.yaml" >/dev/null
test_plan plans/inferencepool-blue-green.yaml "$work/bad.yaml" --name bad-bg --pause-duration 1s
"$rollout" plan apply --yes -o json --timeout 120s "$work/bad.yaml" --junit "$work/bad.xml" --summary "$summary_md" \
  >"$work/bad.jsonl" 2>"$work/bad.err"
expect_eq "a failed health gate exits 3" 3 $?
xmllint --noout "$work/bad.xml" 2>&1
expect_eq "the JUnit file of the failed run is well-formed" 0 $?
expect_eq "it has the failure with value and condition" "" "$(check_junit "$work/bad.xml" "$work/bad.jsonl" Failed)"
md=$(cat "$summary_md")
expect_contains "both runs are in the summary" "## Rollout good-bg: SUCCEEDED" "$md"
expect_contains "the failed run's outcome" "## Rollout bad-bg: ROLLED BACK" "$md"
expect_contains "the failed gate in the gate table" "| canary-health | 2 | Failed 1 | 0 | \`GET /health answers 200 on every ready canary pod\` |" "$md"
expect_contains "the failed step" "| failed |" "$md"
expect_contains "what was rolled back" "restored to its recorded value: \`HTTPRoute/llm-route\`" "$md"

# ---- an apply that ends by an error still writes its report -------------------------------
stop_sandbox
"$rollout" plan apply --yes -o json "$work/good.yaml" --junit "$work/down.xml" --summary "$summary_md" \
  >"$work/down.jsonl" 2>"$work/down.err"
code=$?
expect_eq "an unreachable cluster exits 6" 6 "$code"
xmllint --noout "$work/down.xml" 2>&1
expect_eq "its JUnit file is well-formed" 0 $?
expect_contains "with the error" 'type="unavailable"' "$(cat "$work/down.xml" 2>/dev/null)"
expect_contains "and the summary says ERROR" "## Rollout good-bg: ERROR" "$(cat "$summary_md")"
# No credential of the kubeconfig (token, client key) appears in any report.
leaked="" checked=0
for secret in $(grep -E '^\s*(token|client-key-data):' "$work/kubeconfig" | awk '{print $2}'); do
  checked=$((checked + 1))
  grep -qF -- "$secret" "$work"/*.xml "$summary_md" && leaked="$leaked ${secret:0:6}..."
done
expect_eq "the kubeconfig's token and client key were looked for" 2 "$checked"
expect_eq "no kubeconfig credential is in a report" "" "$leaked"
expect_eq "no temporary file is left" "" "$(ls "$work" | grep '\.tmp-' || true)"

summary reports_e2e
