#!/usr/bin/python3
"""plans/schema.json accepts every shipped plan (plans/ and the demo's examples/demo/) and rejects the bad plans whose errors are
structural (unknown or missing fields, wrong types, out-of-range values, bad enum values),
so editors using the schema agree with `rollout plan validate`."""
import glob
import json
import os
import sys

import jsonschema
import yaml

src = sys.argv[1]
schema = json.load(open(os.path.join(src, "plans/schema.json")))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
structural = ("unknown field", "missing required field", "is not one of", "out of range",
              "expected a whole number", "expected a mapping", "expected a list", "exactly one")
passed = failed = 0


def report(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)


for path in sorted(glob.glob(os.path.join(src, "plans/*.yaml")) + glob.glob(os.path.join(src, "examples/demo/*.yaml"))):
    for doc in yaml.safe_load_all(open(path)):
        errors = [e.message for e in validator.iter_errors(doc)]
        report(not errors, f"{path} is valid but the schema says: {errors[:3]}")

for path in sorted(glob.glob(os.path.join(src, "tests/bad-plans/*.yaml"))):
    text = open(path).read()
    expects = [l for l in text.splitlines() if l.startswith("# expect: ")]
    if not any(s in e for e in expects for s in structural) or "YAML syntax" in text:
        continue
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError:
        continue
    rejected = any(list(validator.iter_errors(d)) for d in docs)
    report(rejected, f"{path} is invalid ({expects[0][10:]}) but the schema accepts it")

print(f"schema: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
