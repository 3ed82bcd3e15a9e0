#!/usr/bin/env python3
"""Derives a fast test plan from a shipped plan in plans/: the same target, adapters and steps,
with pauses and analyses shortened to seconds and the gates replaced by HTTP health gates (the
sandbox has no Prometheus at prometheus.monitoring:9090).
  --keep-gates             the plan's own gates stay, only their intervals and the analyses shortened;
  --prometheus-as-scrape   (with --keep-gates) a Prometheus gate named after a scrape preset metric
                           (error-rate, ttft-p99, queue-depth, ...) becomes that vLLM scrape gate;
  --add-gate YAML          appends a gate (YAML flow text) that also runs in the background;
  --drop-gate NAME         (with --keep-gates) removes a gate everywhere;
  --prometheus ADDRESS     the plan's own Prometheus gates, asking ADDRESS with short rate windows.

usage: test_plan.py PLAN OUT [--finalize CMD] [--gate-interval 1s] [--analysis 2s] [--no-gates]
                             [--deadline 5m] [--on-failure pause] [--pause-duration 1s] [--name N]
                             [--keep-gates] [--prometheus-as-scrape] [--add-gate YAML] [--drop-gate NAME]
                             [--prometheus http://127.0.0.1:PORT] [--rate-window 15s] [--max-ratio 3]
                             [--steps YAML] [--pod-annotation K=V] [--ready-timeout 30s]
                             [--inconclusive-limit N]
"""
import argparse
import re
import yaml

p = argparse.ArgumentParser()
p.add_argument("plan")
p.add_argument("out")
p.add_argument("--finalize", default=None, help="shell command for finalize.run (replaces the plan's)")
p.add_argument("--delete-stable", action="store_true", help="finalize.deleteStable: true")
p.add_argument("--gate-interval", default="1s")
p.add_argument("--analysis", default="2s")
p.add_argument("--no-gates", action="store_true")
p.add_argument("--deadline", default=None)
p.add_argument("--on-failure", default=None)
p.add_argument("--pause-duration", default=None, help="give every pause {} this duration")
p.add_argument("--name", default=None)
p.add_argument("--keep-gates", action="store_true")
p.add_argument("--prometheus-as-scrape", action="store_true")
p.add_argument("--add-gate", action="append", default=[])
p.add_argument("--drop-gate", action="append", default=[], help="with --keep-gates: remove this gate everywhere")
p.add_argument("--prometheus", default=None, help="keep the plan's prometheus gates, asking this address")
p.add_argument("--rate-window", default="15s", help="with --prometheus: every [Nm] range becomes this")
p.add_argument("--max-ratio", default=None, help="with --prometheus or --keep-gates: compare.maxRatio of every gate")
p.add_argument("--steps", default=None, help="YAML flow list that replaces spec.steps (before analyses are shortened)")
p.add_argument("--pod-annotation", action="append", default=[],
               help="KEY=VALUE added to every pod template inside the target's template (sandbox knobs)")
p.add_argument("--ready-timeout", default=None, help="the rolling target's readyTimeout")
p.add_argument("--inconclusive-limit", type=int, default=None,
               help="with --keep-gates: every gate's inconclusiveLimit (a short window at 1%% of the traffic often sees no request)")
a = p.parse_args()
METRICS = {"error-rate", "ttft-p50", "ttft-p95", "ttft-p99", "itl-p99", "e2e-p99", "queue-depth",
           "kv-cache-usage", "throughput"}

plan = yaml.safe_load(open(a.plan))
spec = plan["spec"]
if a.name:
    plan["metadata"]["name"] = a.name
health = [{"name": "canary-health", "http": {"path": "/health", "from": "canary", "timeout": "5s"},
           "interval": a.gate_interval, "failureLimit": 1}]


def prometheus_gates(gates):
    """The plan's Prometheus gates against a test Prometheus: short windows, no initial delay,
    no-data measurements tolerated (a 1% canary sees few requests in a 15s window)."""
    out = []
    for g in gates:
        if "prometheus" not in g:
            continue
        g["prometheus"]["address"] = a.prometheus
        g["prometheus"]["query"] = re.sub(r"\[\d+[smh]\]", "[" + a.rate_window + "]", g["prometheus"]["query"])
        g["interval"] = a.gate_interval
        g.pop("initialDelay", None)
        g["inconclusiveLimit"] = 1000
        if a.max_ratio and "compare" in g:
            g["compare"]["maxRatio"] = float(a.max_ratio)
        out.append(g)
    return out


def kept_gates():
    gates = spec.get("gates", [])
    for g in gates:
        g["interval"] = a.gate_interval
        g.pop("initialDelay", None)
        if a.inconclusive_limit is not None:
            g["inconclusiveLimit"] = a.inconclusive_limit
        if a.max_ratio and "compare" in g:
            g["compare"]["maxRatio"] = float(a.max_ratio)
        if a.prometheus_as_scrape and "prometheus" in g and g["name"] in METRICS:
            del g["prometheus"]
            g["scrape"] = {"from": "canary", "preset": "vllm", "metric": g["name"]}
    gates = [g for g in gates if g["name"] not in a.drop_gate]
    spec["background"] = [n for n in spec.get("background", []) if n not in a.drop_gate]
    for text in a.add_gate:
        g = yaml.safe_load(text)
        gates.append(g)
        spec["background"] = spec.get("background", []) + [g["name"]]
    return gates


if a.keep_gates:
    gates = kept_gates()
elif a.prometheus:
    gates = prometheus_gates(spec.get("gates", [])) + health
else:
    gates = health
names = {g["name"] for g in gates}
if a.steps:
    spec["steps"] = yaml.safe_load(a.steps)


def annotate(node):
    """Every pod template ({metadata?, spec: {containers}}) below node gets the annotations."""
    if isinstance(node, dict):
        if isinstance(node.get("spec"), dict) and "containers" in node["spec"]:
            ann = node.setdefault("metadata", {}).setdefault("annotations", {})
            for kv in a.pod_annotation:
                k, v = kv.split("=", 1)
                ann[k] = v
        for v in node.values():
            annotate(v)
    elif isinstance(node, list):
        for v in node:
            annotate(v)


target = next(iter(spec["target"].values()))
if a.pod_annotation:
    annotate(target.get("template"))
if a.ready_timeout:
    target["readyTimeout"] = a.ready_timeout
for step in spec["steps"]:
    if "analysis" in step:
        kept = [n for n in step["analysis"]["gates"] if n in names] if (a.keep_gates or a.prometheus) else []
        step["analysis"] = {"gates": kept or ["canary-health"], "duration": a.analysis}
    if "pause" in step:
        if step["pause"].get("duration"):
            step["pause"]["duration"] = "1s"
        elif a.pause_duration:
            step["pause"]["duration"] = a.pause_duration
if a.no_gates:
    spec["steps"] = [s for s in spec["steps"] if "analysis" not in s]
    spec.pop("gates", None)
    spec.pop("background", None)
else:
    spec["gates"] = gates
    if not a.keep_gates:
        spec["background"] = [n for n in spec.get("background", []) if n in names] if a.prometheus else []
        spec["background"] = spec["background"] or ["canary-health"]
if "adapters" in spec and "verify" in spec["adapters"]:
    spec["adapters"]["verify"]["timeout"] = "60s"
spec.pop("progressDeadline", None)
if a.deadline:
    spec["progressDeadline"] = a.deadline
if a.on_failure:
    spec["onFailure"] = a.on_failure
if a.finalize is not None:
    spec["finalize"] = {"run": [["sh", "-c", a.finalize]]}
    if a.delete_stable:
        spec["finalize"]["deleteStable"] = True
else:
    spec.pop("finalize", None)
yaml.safe_dump(plan, open(a.out, "w"), sort_keys=False)
