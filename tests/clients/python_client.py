#!/usr/bin/python3
"""The official Python Kubernetes client (Debian python3-kubernetes) against `rollout sandbox up`:
the everyday calls of scripts and operators written in Python must work as against a real API
server. Whatever fails here is a sandbox bug.

usage: python_client.py ROLLOUT SRC_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback

import yaml

try:
    from kubernetes import client, config, dynamic, watch
    from kubernetes.client.rest import ApiException
except ImportError:
    print("FAIL: missing python3-kubernetes (apt-get install python3-kubernetes)", file=sys.stderr)
    sys.exit(1)

rollout, src = sys.argv[1], sys.argv[2]
work = tempfile.mkdtemp(prefix="rollout-python-client.")
passed, failed = 0, 0


def check(name, fn):
    """Runs one check; an exception or a false assertion is a failure, and the suite goes on."""
    global passed, failed
    try:
        fn()
        passed += 1
    except Exception:  # noqa: BLE001 - every failure is reported, none stops the suite
        failed += 1
        print(f"FAIL: {name}\n{traceback.format_exc(limit=3)}")


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def expect_api_error(status, fn, reason=None):
    try:
        fn()
    except ApiException as e:
        expect(e.status == status, f"want HTTP {status}, got {e.status}: {e.body}")
        if reason:
            expect(json.loads(e.body).get("reason") == reason, f"want reason {reason}: {e.body}")
        return json.loads(e.body)
    raise AssertionError(f"want HTTP {status}, got success")


def start_sandbox():
    log = open(os.path.join(work, "sandbox.log"), "w")
    proc = subprocess.Popen([rollout, "sandbox", "up", "--port", "0", "--data-dir", os.path.join(work, "data"),
                             "--kubeconfig-out", os.path.join(work, "kubeconfig")], stdout=log, stderr=log)
    for _ in range(200):
        if "listening on" in open(os.path.join(work, "sandbox.log")).read():
            return proc
        time.sleep(0.05)
    print(open(os.path.join(work, "sandbox.log")).read())
    proc.kill()
    sys.exit("FAIL: the sandbox did not start")


def load_examples():
    docs = []
    for f in sorted(os.listdir(os.path.join(src, "examples/sandbox"))):
        with open(os.path.join(src, "examples/sandbox", f)) as fh:
            docs += [d for d in yaml.safe_load_all(fh) if d]
    return docs


def wait_for(what, fn, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if fn():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


sandbox = start_sandbox()
try:
    config.load_kube_config(config_file=os.path.join(work, "kubeconfig"))
    api_client = client.ApiClient()
    core, apps = client.CoreV1Api(), client.AppsV1Api()
    custom = client.CustomObjectsApi()
    ns = "default"

    check("version", lambda: expect(client.VersionApi().get_code().git_version.startswith("v1."), "git_version"))

    # Objects of the seeds, created through the typed clients and CustomObjectsApi.
    def create_examples():
        for d in load_examples():
            kind, api_version = d["kind"], d["apiVersion"]
            if kind == "ConfigMap":
                core.create_namespaced_config_map(ns, d)
            elif kind == "Deployment":
                apps.create_namespaced_deployment(ns, d)
            else:
                group, version = api_version.split("/")
                plural = kind.lower() + "s"
                custom.create_namespaced_custom_object(group, version, ns, plural, d)
    check("create the seeds' objects", create_examples)

    # Typed CoreV1Api: read, list with selectors, the three patch formats, replace, conflicts, delete.
    cm_name = "python-client"

    def configmap_lifecycle():
        body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name=cm_name, labels={"suite": "python"}),
                                  data={"a": "1"})
        created = core.create_namespaced_config_map(ns, body)
        expect(created.metadata.resource_version, "resourceVersion set on create")
        expect(core.read_namespaced_config_map(cm_name, ns).data == {"a": "1"}, "read back")
        expect_api_error(409, lambda: core.create_namespaced_config_map(ns, body), "AlreadyExists")
    check("ConfigMap create/read/AlreadyExists", configmap_lifecycle)

    def selectors():
        by_label = core.list_namespaced_config_map(ns, label_selector="suite=python")
        expect([c.metadata.name for c in by_label.items] == [cm_name], f"label selector: {by_label.items}")
        expect(by_label.metadata.resource_version, "list resourceVersion")
        none = core.list_namespaced_config_map(ns, label_selector="suite in (other),!missing")
        expect(none.items == [], "set-based selector matches nothing")
        by_field = core.list_namespaced_config_map(ns, field_selector=f"metadata.name={cm_name}")
        expect([c.metadata.name for c in by_field.items] == [cm_name], "field selector")
        everywhere = core.list_config_map_for_all_namespaces(field_selector=f"metadata.namespace={ns}")
        expect(len(everywhere.items) >= 2, "all namespaces")
        expect_api_error(400, lambda: core.list_namespaced_config_map(ns, label_selector="a=(b"), "BadRequest")
    check("label and field selectors", selectors)

    def patches():
        core.patch_namespaced_config_map(cm_name, ns, {"data": {"b": "2"}})  # a dict: strategic merge
        core.patch_namespaced_config_map(cm_name, ns, [{"op": "add", "path": "/data/c", "value": "3"}])  # JSON patch
        api_client.call_api(f"/api/v1/namespaces/{ns}/configmaps/{cm_name}", "PATCH",
                            header_params={"Content-Type": "application/merge-patch+json"},
                            body={"data": {"a": None}}, auth_settings=["BearerToken"], response_type="V1ConfigMap")
        got = core.read_namespaced_config_map(cm_name, ns).data
        expect(got == {"b": "2", "c": "3"}, f"after three patches: {got}")
        expect_api_error(422, lambda: core.patch_namespaced_config_map(
            cm_name, ns, [{"op": "test", "path": "/data/b", "value": "no"}]))
    check("strategic, JSON and merge patches", patches)

    def replace_and_conflict():
        cm = core.read_namespaced_config_map(cm_name, ns)
        stale = cm.metadata.resource_version
        cm.data["d"] = "4"
        replaced = core.replace_namespaced_config_map(cm_name, ns, cm)
        expect(replaced.metadata.resource_version != stale, "resourceVersion moves on replace")
        cm.metadata.resource_version = stale
        status = expect_api_error(409, lambda: core.replace_namespaced_config_map(cm_name, ns, cm), "Conflict")
        expect("the object has been modified" in status["message"], status["message"])
        # A patch naming a stale resourceVersion conflicts too.
        expect_api_error(409, lambda: core.patch_namespaced_config_map(
            cm_name, ns, {"metadata": {"resourceVersion": stale}, "data": {"e": "5"}}), "Conflict")
    check("replace and resourceVersion conflicts (409)", replace_and_conflict)

    def dry_run():
        core.patch_namespaced_config_map(cm_name, ns, {"data": {"dry": "1"}}, dry_run="All")
        expect("dry" not in core.read_namespaced_config_map(cm_name, ns).data, "dry run stored nothing")
    check("dryRun=All", dry_run)

    # Watch streams: pods (the Deployments' pods start) and a custom resource.
    def watch_pods():
        rv = core.list_namespaced_pod(ns).metadata.resource_version
        w = watch.Watch()
        seen = set()
        for event in w.stream(core.list_namespaced_pod, ns, label_selector="app=vllm-llama3-8b-instruct",
                              resource_version=rv, timeout_seconds=5):
            expect(isinstance(event["object"], client.V1Pod), f"typed object: {type(event['object'])}")
            seen.add(event["type"])
            if event["object"].status and event["object"].status.phase == "Running":
                w.stop()
        expect(seen, "events for the pods")
    check("watch pods with resource_version and timeout_seconds", watch_pods)

    def watch_custom_resource():
        route = custom.get_namespaced_custom_object("gateway.networking.k8s.io", "v1", ns, "httproutes", "llm-route")
        rv = route["metadata"]["resourceVersion"]
        events = []

        def later():
            time.sleep(0.5)
            custom.patch_namespaced_custom_object("gateway.networking.k8s.io", "v1", ns, "httproutes", "llm-route",
                                                  {"metadata": {"labels": {"watched": "yes"}}})
        threading.Thread(target=later).start()
        w = watch.Watch()
        start = time.time()
        for event in w.stream(custom.list_namespaced_custom_object, "gateway.networking.k8s.io", "v1", ns,
                              "httproutes", resource_version=rv, timeout_seconds=3):
            events.append(event)
            if event["object"]["metadata"].get("labels", {}).get("watched") == "yes":
                w.stop()
        expect(any(e["type"] == "MODIFIED" for e in events), f"MODIFIED event: {[e['type'] for e in events]}")
        expect(w.resource_version and int(w.resource_version) > int(rv), "watch remembers the last resourceVersion")
        expect(time.time() - start < 3.5, "the stream ended")
    check("watch a custom resource (HTTPRoute)", watch_custom_resource)

    def watch_timeout_ends_stream():
        start = time.time()
        list(watch.Watch().stream(core.list_namespaced_config_map, ns, field_selector="metadata.name=nothing",
                                  timeout_seconds=1))
        expect(time.time() - start < 3, f"timeout_seconds=1 took {time.time() - start:.1f}s")
    check("timeout_seconds ends a quiet watch", watch_timeout_ends_stream)

    # CustomObjectsApi on HTTPRoute: get, list, merge patch, status, delete.
    def custom_objects():
        routes = custom.list_namespaced_custom_object("gateway.networking.k8s.io", "v1", ns, "httproutes")
        expect([r["metadata"]["name"] for r in routes["items"]] == ["llm-route"], "list HTTPRoutes")
        patched = custom.patch_namespaced_custom_object(
            "gateway.networking.k8s.io", "v1", ns, "httproutes", "llm-route",
            {"spec": {"rules": [{"backendRefs": [
                {"group": "inference.networking.k8s.io", "kind": "InferencePool",
                 "name": "vllm-llama3-8b-instruct", "weight": 90},
                {"group": "inference.networking.k8s.io", "kind": "InferencePool",
                 "name": "vllm-llama3-8b-instruct-new", "weight": 10}]}]}})
        expect([b["weight"] for b in patched["spec"]["rules"][0]["backendRefs"]] == [90, 10], "weights")
        expect(patched["metadata"]["generation"] == 2, f"generation: {patched['metadata']['generation']}")
        wait_for("the gateway to accept generation 2", lambda: any(
            c.get("observedGeneration") == 2 for p in custom.get_namespaced_custom_object_status(
                "gateway.networking.k8s.io", "v1", ns, "httproutes", "llm-route").get("status", {}).get("parents", [])
            for c in p.get("conditions", [])))
        expect_api_error(404, lambda: custom.get_namespaced_custom_object(
            "gateway.networking.k8s.io", "v1", ns, "httproutes", "missing"), "NotFound")
    check("CustomObjectsApi on HTTPRoute", custom_objects)

    # The dynamic client: discovery of the kinds rollout drives, get, patch, scale.
    def dynamic_client():
        dyn = dynamic.DynamicClient(api_client)
        route_api = dyn.resources.get(api_version="gateway.networking.k8s.io/v1", kind="HTTPRoute")
        pool_api = dyn.resources.get(api_version="inference.networking.k8s.io/v1", kind="InferencePool")
        ms_api = dyn.resources.get(api_version="workload.serving.volcano.sh/v1alpha1", kind="ModelServing")
        expect(route_api.namespaced and pool_api.name == "inferencepools", "discovered resources")
        route = route_api.get(name="llm-route", namespace=ns)
        expect(route.spec.rules[0].backendRefs[0].weight == 90, "dynamic get")
        route_api.patch(name="llm-route", namespace=ns, body={"metadata": {"annotations": {"via": "dynamic"}}},
                        content_type="application/merge-patch+json")
        expect(route_api.get(name="llm-route", namespace=ns).metadata.annotations["via"] == "dynamic", "patched")
        pools = pool_api.get(namespace=ns)
        expect(len(pools.items) == 2, f"two pools: {len(pools.items)}")
        ms = ms_api.get(name="llama", namespace=ns)
        expect(ms.spec.replicas == 4, "ModelServing replicas")
        # Strategic merge patch is not for custom resources, as with a CRD on a real server.
        try:
            route_api.patch(name="llm-route", namespace=ns, body={"metadata": {"labels": {"x": "y"}}})
            raise AssertionError("strategic merge patch of a custom resource was accepted")
        except dynamic.exceptions.DynamicApiError as e:
            expect(e.status == 415, f"want 415, got {e.status}")
        scale_api = dyn.resources.get(api_version="apps/v1", kind="Deployment").subresources["scale"]
        expect(scale_api.get(name="vllm-llama3-8b-instruct", namespace=ns).spec.replicas == 3, "scale via dynamic")
    check("dynamic client: discovery, get, patch", dynamic_client)

    # The scale subresource through the typed client.
    def scale():
        name = "vllm-llama3-8b-instruct-new"
        s = apps.read_namespaced_deployment_scale(name, ns)
        expect(s.kind is None or s.kind == "Scale", "kind Scale")
        apps.patch_namespaced_deployment_scale(name, ns, {"spec": {"replicas": 2}})
        expect(apps.read_namespaced_deployment(name, ns).spec.replicas == 2, "patched through scale")
        s = apps.read_namespaced_deployment_scale(name, ns)
        s.spec.replicas = 1
        apps.replace_namespaced_deployment_scale(name, ns, s)
        expect(apps.read_namespaced_deployment(name, ns).spec.replicas == 1, "replaced through scale")
        wait_for("1 ready replica", lambda: apps.read_namespaced_deployment_status(name, ns).status.ready_replicas == 1)
        ms = custom.get_namespaced_custom_object_scale("workload.serving.volcano.sh", "v1alpha1", ns, "modelservings",
                                                       "llama")
        expect(ms["spec"]["replicas"] == 4, f"ModelServing scale: {ms}")
    check("scale subresource", scale)

    def deployment_typed():
        d = apps.read_namespaced_deployment("vllm-llama3-8b-instruct", ns)
        expect(d.spec.template.spec.containers[0].name == "vllm", "typed Deployment")
        apps.patch_namespaced_deployment("vllm-llama3-8b-instruct", ns,
                                         {"spec": {"template": {"metadata": {"annotations": {"touched": "1"}}}}})
        wait_for("the Deployment to roll out", lambda: (lambda s: s.observed_generation == 2 and
                                                        s.updated_replicas == 3 and s.ready_replicas == 3)(
            apps.read_namespaced_deployment_status("vllm-llama3-8b-instruct", ns).status), 60)
        rs = apps.list_namespaced_replica_set(ns, label_selector="app=vllm-llama3-8b-instruct")
        expect(len(rs.items) == 2, f"two ReplicaSets: {len(rs.items)}")
    check("Deployment read, strategic patch, rollout", deployment_typed)

    def pod_proxy():
        pod = core.list_namespaced_pod(ns, label_selector="app=vllm-llama3-8b-instruct").items[0]
        got = core.connect_get_namespaced_pod_proxy_with_path(pod.metadata.name + ":8000", ns, "v1/models")
        expect("meta-llama/Llama-3.1-8B-Instruct" in got, f"models: {got[:200]}")
    check("pod proxy", pod_proxy)

    def delete():
        status = core.delete_namespaced_config_map(cm_name, ns)
        expect(status.status in (None, "Success") or status.kind == "ConfigMap", f"delete answer: {status}")
        expect_api_error(404, lambda: core.read_namespaced_config_map(cm_name, ns), "NotFound")
        core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(
            name="gone-1", labels={"sweep": "yes"})))
        core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(
            name="gone-2", labels={"sweep": "yes"})))
        core.delete_collection_namespaced_config_map(ns, label_selector="sweep=yes")
        expect(core.list_namespaced_config_map(ns, label_selector="sweep=yes").items == [], "deletecollection")
        core.delete_namespaced_config_map("vllm-llama3-8b-instruct-adapters", ns, propagation_policy="Background")
    check("delete and deletecollection", delete)
finally:
    sandbox.terminate()
    sandbox.wait(timeout=30)
    if failed:
        print(open(os.path.join(work, "sandbox.log")).read()[-3000:])
    shutil.rmtree(work, ignore_errors=True)

print(f"python_client: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
