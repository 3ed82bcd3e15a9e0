#!/usr/bin/python3
"""Clients of tests/engine/sandbox_crash_e2e.sh, with the official Python client (Debian's
python3-kubernetes), run while the sandbox is killed (-9) and restarted on the same port and data dir.

  writer KUBECONFIG LOG STOPFILE     one write after the other (create ConfigMap w-N labelled
                                     writer=sandbox-crash, then merge-patch
                                     one of the ten before it); each answered 2xx is logged as
                                     "NAME RESOURCEVERSION" and flushed before the next is sent;
                                     connection errors are retried until STOPFILE exists
  reflector KUBECONFIG LOG STOPFILE  list + watch of the namespace's ConfigMaps as client-go's
                                     reflector does: a broken watch resumes from the last
                                     resourceVersion seen, a 410 Gone relists; on STOPFILE it writes
                                     its cache (NAME RESOURCEVERSION per line) and what happened
"""
import json
import os
import sys
import time

from kubernetes import client, config
from kubernetes.client.rest import ApiException

NS = "default"


def api(kubeconfig):
    config.load_kube_config(config_file=kubeconfig)
    return client.CoreV1Api()


def writer(kubeconfig, log_path, stop):
    v1 = api(kubeconfig)
    n = 0
    with open(log_path, "a") as log:
        while not os.path.exists(stop):
            if n % 2 == 0:
                name, call = f"w-{n // 2}", lambda name: v1.create_namespaced_config_map(
                    NS, {"metadata": {"name": name, "labels": {"writer": "sandbox-crash"}}, "data": {"n": str(n)}}, _request_timeout=5)
            else:
                name, call = f"w-{(n // 2) - (n // 2) % 10}", lambda name: v1.patch_namespaced_config_map(
                    name, NS, {"data": {"n": str(n)}}, _request_timeout=5)
            try:
                obj = call(name)
            except ApiException as e:
                if e.status == 409 and n % 2 == 0:  # created before the crash, answer lost: not acknowledged
                    n += 1
                    continue
                time.sleep(0.05)
                continue
            except Exception:  # the sandbox is down: the same write again
                time.sleep(0.05)
                continue
            log.write(f"{name} {obj.metadata.resource_version}\n")
            log.flush()
            os.fsync(log.fileno())
            n += 1


def reflector(kubeconfig, log_path, stop):
    v1 = api(kubeconfig)
    cache, rv, stats = {}, None, {"lists": 0, "gone": 0, "resumed": 0, "events": 0, "rv_backwards": 0}

    def relist():
        nonlocal rv
        while True:
            try:
                items = v1.list_namespaced_config_map(NS, _request_timeout=5)
                break
            except Exception:
                time.sleep(0.05)
        cache.clear()
        for o in items.items:
            cache[o.metadata.name] = int(o.metadata.resource_version)
        rv = items.metadata.resource_version
        stats["lists"] += 1

    relist()
    while not os.path.exists(stop):
        try:
            resp = v1.list_namespaced_config_map(NS, watch=True, resource_version=rv, timeout_seconds=2,
                                                 allow_watch_bookmarks=True, _preload_content=False,
                                                 _request_timeout=5)
            for line in resp:
                if not line.strip():
                    continue
                ev = json.loads(line)
                obj = ev["object"]
                if ev["type"] == "ERROR":
                    if obj.get("code") == 410:
                        stats["gone"] += 1
                        relist()
                    break
                new_rv = obj["metadata"]["resourceVersion"]
                if int(new_rv) <= int(rv):
                    stats["rv_backwards"] += 1
                rv = new_rv
                if ev["type"] == "BOOKMARK":
                    continue
                stats["events"] += 1
                if ev["type"] == "DELETED":
                    cache.pop(obj["metadata"]["name"], None)
                else:
                    cache[obj["metadata"]["name"]] = int(new_rv)
        except ApiException as e:
            if e.status == 410:
                stats["gone"] += 1
                relist()
            else:
                time.sleep(0.05)
                stats["resumed"] += 1
        except Exception:  # connection refused or reset: resume from rv
            time.sleep(0.05)
            stats["resumed"] += 1
    with open(log_path, "w") as log:
        for name in sorted(cache):
            log.write(f"{name} {cache[name]}\n")
    with open(log_path + ".stats", "w") as s:
        json.dump(stats, s)


if __name__ == "__main__":
    mode, kubeconfig, log_path, stop = sys.argv[1:5]
    {"writer": writer, "reflector": reflector}[mode](kubeconfig, log_path, stop)
