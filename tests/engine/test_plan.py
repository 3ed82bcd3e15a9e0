#!/usr/bin/env python3
"""Derives a fast test plan from a shipped plan in plans/: the same target, adapters and steps,
with pauses and analyses shortened to seconds and the gates replaced by HTTP health gates (the
sandbox has no Prometheus at prometheus.monitoring:9090; the metric providers are the gates issue's).

usage: test_plan.py PLAN OUT [--finalize CMD] [--gate-interval 1s] [--analysis 2s] [--no-gates]
                             [--deadline 5m] [--on-failure pause] [--pause-duration 1s]
"""
import argparse
import yaml

p = argparse.ArgumentParser()
p.add_argument("plan")
p.add_argument("out")
p.add_argument("--finalize", default=None, help="shell command for finalize.run (replaces the plan's)")
p.add_argument("--gate-interval", default="1s")
p.add_argument("--analysis", default="2s")
p.add_argument("--no-gates", action="store_true")
p.add_argument("--deadline", default=None)
p.add_argument("--on-failure", default=None)
p.add_argument("--pause-duration", default=None, help="give every pause {} this duration")
p.add_argument("--name", default=None)
a = p.parse_args()

plan = yaml.safe_load(open(a.plan))
spec = plan["spec"]
if a.name:
    plan["metadata"]["name"] = a.name
gates = [{"name": "canary-health", "http": {"path": "/health", "from": "canary", "timeout": "5s"},
          "interval": a.gate_interval, "failureLimit": 1}]
for step in spec["steps"]:
    if "analysis" in step:
        step["analysis"] = {"gates": ["canary-health"], "duration": a.analysis}
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
    spec["background"] = ["canary-health"]
if "adapters" in spec and "verify" in spec["adapters"]:
    spec["adapters"]["verify"]["timeout"] = "60s"
spec.pop("progressDeadline", None)
if a.deadline:
    spec["progressDeadline"] = a.deadline
if a.on_failure:
    spec["onFailure"] = a.on_failure
if a.finalize is not None:
    spec["finalize"] = {"run": [["sh", "-c", a.finalize]]}
else:
    spec.pop("finalize", None)
yaml.safe_dump(plan, open(a.out, "w"), sort_keys=False)
