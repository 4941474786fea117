#!/usr/bin/env python3
"""Checks the non-conflict invariant from `podscaler replay --decisions` alone.

For every decision of a coordinated policy: the owners are stated; a resources
decision never changes the request of a resource the horizontal scaler owned
when it was made, nor lists it as touched; ownership decisions form a consistent
sequence per workload. Exits 1 with the offending lines, else prints a count.
usage: check_decisions.py DECISIONS.jsonl POLICY
"""
import json
import sys

path, policy = sys.argv[1], sys.argv[2]
bad, checked, owners_seen, switches = [], 0, 0, 0
bottleneck = {}
with open(path) as f:
    for n, line in enumerate(f, 1):
        d = json.loads(line)
        if d["policy"] != policy:
            continue
        if "owners" not in d:
            bad.append(f"{n}: no owners in a coordinated decision")
            continue
        owners_seen += 1
        w = d["workload"]
        if d["kind"] == "ownership":
            before = d["before"]["bottleneck"]
            if bottleneck.get(w, None) != before:
                bad.append(f"{n}: ownership before={before} but the last one said {bottleneck.get(w)}")
            bottleneck[w] = d["after"]["bottleneck"]
            switches += before is not None
            for r, o in d["owners"].items():
                want = "horizontal" if r == d["after"]["bottleneck"] else "vertical"
                if o != want:
                    bad.append(f"{n}: owner of {r} is {o} with bottleneck {d['after']['bottleneck']}")
            continue
        if d["kind"] != "resources":
            continue
        checked += 1
        keys = {"cpu": "cpu_request_milli", "memory": "memory_request_bytes"}
        for r, o in d["owners"].items():
            if o != "horizontal":
                continue
            if r in d["resources"]:
                bad.append(f"{n}: touches {r}, owned by the horizontal scaler")
            for c, before in d["before"].items():
                if before.get(keys[r]) != d["after"][c].get(keys[r]):
                    bad.append(f"{n}: container {c} {r} request {before.get(keys[r])} -> "
                               f"{d['after'][c].get(keys[r])} while the horizontal scaler owned it")
if bad:
    print("\n".join(bad[:20]))
    sys.exit(1)
if owners_seen == 0:
    print(f"no decisions of policy {policy} in {path}: nothing was checked")
    sys.exit(1)
print(f"invariant holds: {checked} resources decisions, {switches} owner switches, "
      f"{owners_seen} decisions with owners")
