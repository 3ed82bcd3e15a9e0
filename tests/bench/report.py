#!/usr/bin/env python3
"""Renders the one table of tests/bench/run.sh from the TSV files its benchmarks wrote in DIR:
fleet.tsv (bench_fleet.sh), latency.tsv (bench_latency.sh), local.tsv (bench_local.sh),
blast.tsv (bench_sequential --compare), cli.tsv (bench_cli.sh), status.tsv (each part's exit
status and duration). Every figure is the median of its samples; "n" says how many there were.
Usage: report.py DIR  (Markdown on stdout)"""
import os
import statistics
import sys
from collections import defaultdict

d = sys.argv[1]


def rows(name):
    path = os.path.join(d, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def med(values):
    return statistics.median(values) if values else None


def fmt(v, digits=2):
    if v is None:
        return "—"
    if abs(v) >= 100:
        return f"{v:.0f}"
    return f"{v:.{digits}f}"


def ratio(a, b, suffix="x"):
    if a is None or b is None or b == 0:
        return "—"
    if suffix == "x faster" and a < b:
        return f"{b / a:.1f}x slower"
    return f"{a / b:.1f}{suffix}"


status = {r[0]: r[1:] for r in rows("status.tsv")}
out = []
out.append("| # | benchmark | figure | rollout | compared with | ratio | n |")
out.append("|---|---|---|---|---|---|---|")


def add(num, bench, figure, mine, other="—", r="—", n=""):
    out.append(f"| {num} | {bench} | {figure} | {mine} | {other} | {r} | {n} |")


# 1. fleet
fleet = defaultdict(list)
for n, method, wall, req, rss in rows("fleet.tsv"):
    fleet[(int(n), method)].append((float(wall), int(req), int(rss)))
for n in sorted({k[0] for k in fleet}):
    ro, lo = fleet.get((n, "rollout-apply"), []), fleet.get((n, "kubectl-loop"), [])
    w_r, w_l = med([x[0] for x in ro]), med([x[0] for x in lo])
    q_r, q_l = med([x[1] for x in ro]), med([x[1] for x in lo])
    m_r, m_l = med([x[2] / 1024 for x in ro]), med([x[2] / 1024 for x in lo])
    cnt = f"{len(ro)}+{len(lo)}"
    add(1, f"fleet step, {n} HTTPRoute(s)", "wall s", fmt(w_r), f"kubectl patch loop {fmt(w_l)}",
        ratio(w_l, w_r, "x faster"), cnt)
    add(1, f"fleet step, {n} HTTPRoute(s)", "API requests", fmt(q_r, 0), f"kubectl patch loop {fmt(q_l, 0)}",
        f"{q_r - n:+.0f} beyond 1/route" if q_r is not None else "—", cnt)
    add(1, f"fleet step, {n} HTTPRoute(s)", "peak RSS MiB", fmt(m_r, 1), f"kubectl (one process) {fmt(m_l, 1)}",
        ratio(m_r, m_l), cnt)
if "fleet" in status and status["fleet"][0] != "0":
    add(1, "fleet step", "outcome", "FAILED (see the log)")

# 2. reaction, 3. rollback
lat = defaultdict(list)
for kind, what, v in rows("latency.tsv"):
    lat[(kind, what)].append(float(v))
names = {"promote": "`rollout promote` acknowledged → next write",
         "gate-due": "gate's last measurement due → next write",
         "pod-ready": "a batch's pod Ready → next batch's write"}
for what in ("promote", "gate-due", "pod-ready"):
    v = lat.get(("reaction", what), [])
    add(2, "reaction latency", names[what] + " (ms)", fmt(med(v), 1),
        f"min {fmt(min(v), 1)}, max {fmt(max(v), 1)}" if v else "—", "—", len(v))
sizes = sorted({int(k[1]) for k in lat if k[0].startswith("rollback")})
for n in sizes:
    first, full = lat.get(("rollback-first", str(n)), []), lat.get(("rollback-all", str(n)), [])
    add(3, f"rollback, {n} HTTPRoute(s)", "gate failed → first restoring write (ms)", fmt(med(first), 1), "—", "—",
        len(first))
    add(3, f"rollback, {n} HTTPRoute(s)", "gate failed → every object restored (ms)", fmt(med(full), 1), "—", "—",
        len(full))
if "latency" in status and status["latency"][0] != "0":
    add("2, 3", "reaction/rollback", "outcome", "FAILED (see the log)")

# 4. local makespan
loc = defaultdict(list)
for lb, method, secs, failed in rows("local.tsv"):
    loc[(lb, method)].append((float(secs), int(failed) if failed.isdigit() else 0))
for lb in sorted({k[0] for k in loc}):
    r = [x[0] for x in loc.get((lb, "rollout"), [])]
    b = [x[0] for x in loc.get((lb, "bound"), [])]
    f = [x[0] for x in loc.get((lb, "fixed"), [])]
    fr = sum(x[1] for x in loc.get((lb, "rollout"), []))
    ff = sum(x[1] for x in loc.get((lb, "fixed"), []))
    add(4, f"local rolling, 4 replicas, {lb}", "makespan s", fmt(med(r)), f"lower bound {fmt(med(b))}",
        ratio(med(r), med(b), "x the bound"), len(r))
    add(4, f"local rolling, 4 replicas, {lb}", "makespan s", fmt(med(r)), f"seed's fixed-wait script {fmt(med(f))}",
        ratio(med(f), med(r), "x faster"), f"{len(r)}+{len(f)}")
    add(4, f"local rolling, 4 replicas, {lb}", "failed requests (all runs)", str(fr), f"fixed-wait script {ff}", "—",
        f"{len(r)}+{len(f)}")
if "local" in status and status["local"][0] != "0":
    add(4, "local rolling", "outcome", "FAILED (see the log)")

# 5. blast radius
blast = rows("blast.tsv")
seq = [r for r in blast if r[0] == "sequential judge"]
base = float(seq[0][3]) if seq else None
for method, config, rolled, medreq, p90, mx, secs, false in blast:
    mine = method == "sequential judge"
    cell = f"{medreq} (p90 {p90}, max {mx}; ~{secs} s); rolled back {rolled}; false rollbacks {false}"
    add(5, "blast radius: 5% vs 0.5% errors, canary 10%, 10 req/s",
        f"canary requests before rollback, median — {method}, {config}",
        cell if mine else "—", "—" if mine else cell,
        "—" if mine or base is None else ratio(float(medreq), base, "x the judge's"), rolled.split("/")[1])

# 6. CLI cost
cli = defaultdict(list)
for kind, what, v in rows("cli.tsv"):
    cli[(kind, what)].append(float(v))
for (kind, what), label in [(("startup", "plan validate"), "`rollout plan validate` start-up (ms)"),
                            (("lora", "cpu s"), "LoRA canary run: CPU s (user+sys)"),
                            (("lora", "peak rss MiB"), "LoRA canary run: peak RSS MiB"),
                            (("lora", "wall s"), "LoRA canary run: wall s"),
                            (("idle", "sandbox cpu %"), "sandbox at idle, example objects: CPU % of one core"),
                            (("idle", "sandbox rss MiB"), "sandbox at idle: RSS MiB")]:
    v = cli.get((kind, what), [])
    add(6, "CLI cost", label, fmt(med(v)), "—", "—", len(v))
if "cli" in status and status["cli"][0] != "0":
    add(6, "CLI cost", "outcome", "FAILED (see the log)")

# hardening hooks
for part, label in [("kill", "`kill -9` of apply at random moments, re-run ends right"),
                    ("fuzz", "fuzzers' bounded runs")]:
    if part in status:
        code, secs, detail = (status[part] + ["", ""])[:3]
        add("—", "hardening", label, ("passed" if code == "0" else f"FAILED (exit {code})") + (f", {detail}" if detail else ""),
            "—", "—", "")

print("\n".join(out))
print()
print("| part | exit | seconds |")
print("|---|---|---|")
for part, vals in status.items():
    print(f"| {part} | {vals[0]} | {vals[1] if len(vals) > 1 else ''} |")
