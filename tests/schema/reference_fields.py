#!/usr/bin/python3
"""docs/plan-reference.md documents exactly the fields of plans/schema.json: every property of
every object type is a row of a field table, and every row names a property that exists.

A field table is a Markdown table whose header starts with "block", "step" followed by
"value", or a cell containing "field" followed by "type". Its rows' first cells name fields in backticks;
a dotted name (`health.path`) goes through nested objects. Backticked names in the header cell
(`` `nginx` field``, ``version field (`stable`, `canary`)``) are the property whose object the
rows describe. The section a table sits in says where it applies: SECTIONS below, by heading."""
import json
import os
import re
import sys

src = sys.argv[1]
schema = json.load(open(os.path.join(src, "plans/schema.json")))
reference = open(os.path.join(src, "docs/plan-reference.md")).read().splitlines()
defs = schema["$defs"]

# Heading of a section of the reference -> the paths (from the plan's root) its tables describe.
SECTIONS = {
    "RolloutPlan": [""],
    "metadata": ["metadata"],
    "spec": ["spec"],
    "target": ["spec.target"],
    "httpRoute": ["spec.target.httpRoute"],
    "backendRef": ["spec.target.httpRoute.stable"],
    "inferenceModel": ["spec.target.inferenceModel"],
    "inferenceModelRewrite": ["spec.target.inferenceModelRewrite"],
    "modelRoute": ["spec.target.modelRoute"],
    "modelServing": ["spec.target.modelServing"],
    "deployment and leaderWorkerSet": ["spec.target.deployment", "spec.target.leaderWorkerSet"],
    "local": ["spec.target.local"],
    "adapters": ["spec.adapters"],
    "steps": ["spec.steps"],
    "gates": ["spec.gates"],
    "Providers": ["spec.gates"],
    "compare": ["spec.gates.compare"],
    "sequential": ["spec.gates.sequential"],
    "finalize": ["spec.finalize"],
}

failures = []


def refs_in(node):
    """The object types a property's schema refers to (through items, oneOf, ...)."""
    found = []
    if isinstance(node, dict):
        if "$ref" in node:
            found.append(node["$ref"].split("/")[-1])
        for k, v in node.items():
            if k != "$ref":
                found += refs_in(v)
    elif isinstance(node, list):
        for v in node:
            found += refs_in(v)
    return found


def resolve(type_name, dotted):
    """[(object type, property)] along a dotted name from an object type, or None if it is not there."""
    steps = []
    for part in dotted.split("."):
        props = defs.get(type_name, {}).get("properties", {})
        if part not in props:
            return None
        steps.append((type_name, part))
        inner = refs_in(props[part])
        type_name = inner[0] if inner else None
    return steps, type_name


def type_at(path):
    if path == "":
        return schema["$ref"].split("/")[-1]
    found = resolve(type_at(""), path)
    if found is None or found[1] is None:
        sys.exit(f"reference_fields.py: SECTIONS names {path!r}, which is not an object in plans/schema.json")
    return found[1]


def cells(line):
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]


def is_field_table(header):
    first = header[0].lower()
    second = header[1] if len(header) > 1 else ""
    return first == "block" or (first == "step" and second == "value") or ("field" in first and second == "type")


documented = set()
heading = None
i = 0
while i < len(reference):
    line = reference[i]
    if line.startswith("#"):
        heading = line.lstrip("#").strip().strip("`")
    if line.startswith("|") and i + 1 < len(reference) and reference[i + 1].startswith("|---"):
        header = cells(line)
        i += 2
        rows = []
        while i < len(reference) and reference[i].startswith("|"):
            rows.append((i + 1, cells(reference[i])))
            i += 1
        if not is_field_table(header):
            continue
        if heading not in SECTIONS:
            failures.append(f"plan-reference.md:{i}: a field table under '{heading}', a heading "
                            "tests/schema/reference_fields.py does not map to the schema (add it to SECTIONS)")
            continue
        prefixes = re.findall(r"`([^`]+)`", header[0]) or [""]
        for base in SECTIONS[heading]:
            for prefix in prefixes:
                for lineno, row in rows:
                    for name in re.findall(r"`([^`]+)`", row[0]):
                        dotted = ".".join(p for p in (prefix, name) if p)
                        found = resolve(type_at(base), dotted)
                        where = ".".join(p for p in (base, dotted) if p)
                        if found is None:
                            failures.append(f"plan-reference.md:{lineno}: documents {where}, "
                                            "which plans/schema.json does not have")
                            continue
                        documented.update(found[0])
        continue
    i += 1

for type_name, d in sorted(defs.items()):
    for prop in d.get("properties", {}):
        if (type_name, prop) not in documented:
            failures.append(f"plans/schema.json: {type_name}.{prop} is not documented in docs/plan-reference.md")

for f in failures:
    print("FAIL:", f)
total = sum(len(d.get("properties", {})) for d in defs.values())
print(f"plan reference: {len(documented)} of {total} schema fields documented, {len(failures)} problems")
sys.exit(1 if failures else 0)
