#!/usr/bin/env python3
"""Reads the sandbox's audit log (`sandbox up --audit-log-path`, one audit.k8s.io/v1 Event per
line, microsecond timestamps from the sandbox's clock) and prints latencies in milliseconds, one
per line, for tests/bench/bench_latency.sh. Both ends of every figure come from this one clock.

  promote LOG SINCE NAME   from the `rollout promote` write (the first write to ConfigMap
                           rollout-NAME received at or after SINCE, epoch seconds) being
                           acknowledged to the next write of `rollout` to a target object
  gate LOG SINCE COUNT INTERVAL_S
                           from the moment the COUNT-th measurement of a gate is due (the first
                           probe of the first measurement + (COUNT-1) * INTERVAL) to the next
                           write of `rollout` to a target object after that measurement
  ready LOG SINCE          for each write of `rollout` to a target object that follows pods turning
                           Ready (the simulated kubelet's status writes) since its previous write:
                           from the last such Ready transition to that write
  rollback LOG SINCE       two figures: from the failing measurement's answer (the last pod-proxy
                           probe before the rollback's first write) to that first write, and to
                           the last write of the rollback acknowledged (every object restored)
"""
import json
import sys
from datetime import datetime, timezone


def ts(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()


def events(path, since):
    out = []
    with open(path) as f:
        for line in f:
            try:
                e = json.loads(line)
            except ValueError:
                continue  # a line cut by a crash
            e["t0"] = ts(e["requestReceivedTimestamp"])
            e["t1"] = ts(e["stageTimestamp"])
            if e["t0"] >= since:
                out.append(e)
    out.sort(key=lambda e: e["t0"])
    return out


WRITES = {"create", "update", "patch", "delete", "deletecollection"}


def by_rollout(e):
    return e.get("userAgent", "").startswith("rollout/")


def target_write(e):
    """A write of `rollout` to what it rolls out: not its state ConfigMap, not Events."""
    ref = e.get("objectRef", {})
    return (by_rollout(e) and e["verb"] in WRITES and ref.get("resource") not in ("configmaps", "events")
            and e["responseStatus"]["code"] < 300)


def probe(e):
    return by_rollout(e) and e.get("objectRef", {}).get("subresource") == "proxy"


def ms(a, b):
    return f"{(b - a) * 1000:.1f}"


def promote(evs, name):
    cm = next((e for e in evs if e["verb"] in ("update", "patch") and e.get("objectRef", {}).get("resource") ==
               "configmaps" and e["objectRef"].get("name") == "rollout-" + name), None)
    if cm is None:
        sys.exit("no write of the promote found")
    w = next((e for e in evs if target_write(e) and e["t0"] >= cm["t1"]), None)
    if w is None:
        sys.exit("no write after the promote")
    print(ms(cm["t1"], w["t0"]))


def gate(evs, count, interval):
    probes = [e for e in evs if probe(e)]
    if not probes:
        sys.exit("no gate probe found")
    due = probes[0]["t0"] + (count - 1) * interval
    last = [e for e in probes if e["t0"] >= due - interval / 2]
    if not last:
        sys.exit("the last measurement was not taken")
    w = next((e for e in evs if target_write(e) and e["t0"] >= last[0]["t0"]), None)
    if w is None:
        sys.exit("no write after the last measurement")
    print(ms(due, w["t0"]))


def ready_transitions(evs):
    state, out = {}, []
    for e in evs:
        obj = e.get("responseObject")
        if not obj or e["objectRef"].get("resource") != "pods":
            continue
        uid = obj.get("metadata", {}).get("uid", "")
        conds = obj.get("status", {}).get("conditions", []) or []
        ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds)
        if ready and not state.get(uid):
            out.append(e["t1"])
        state[uid] = ready
    return out


def ready(evs):
    transitions = ready_transitions(evs)
    prev = None
    for w in (e for e in evs if target_write(e)):
        since = [t for t in transitions if t <= w["t0"] and (prev is None or t > prev)]
        if since and prev is not None:
            print(ms(since[-1], w["t0"]))
        prev = w["t0"]


def rollback(evs):
    last_probe, first = None, None
    for e in evs:
        if probe(e):
            last_probe = e
        elif last_probe is not None and target_write(e):
            first = e
            break
    if first is None:
        sys.exit("no rollback write after a probe")
    end = max(e["t1"] for e in evs if target_write(e) and e["t0"] >= first["t0"])
    print(ms(last_probe["t1"], first["t0"]))
    print(ms(last_probe["t1"], end))


def main():
    cmd, log, since = sys.argv[1], sys.argv[2], float(sys.argv[3])
    evs = events(log, since)
    if cmd == "promote":
        promote(evs, sys.argv[4])
    elif cmd == "gate":
        gate(evs, int(sys.argv[4]), float(sys.argv[5]))
    elif cmd == "ready":
        ready(evs)
    elif cmd == "rollback":
        rollback(evs)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
