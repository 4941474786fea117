#!/usr/bin/env python3
"""Checks the non-conflict invariant and the daily cap from `podscaler replay
--decisions` alone.

For every decision of a coordinated policy: the owners are stated; a resources
decision never changes the request of a resource the horizontal scaler owned
when it was made, nor lists it as touched; ownership decisions form a consistent
sequence per workload; no 24 hours hold more resources decisions counted
against the daily cap ("daily_cap": "counted") than CAP (default 4, the
built-in's maxVerticalChangesPerDay). A raise that follows the group
(follow_group) only raises: where the group shrank, from a larger group to a
smaller one; where the HPA scales out, each request it changes by 10% or more.
Exits 1 with the offending lines, else prints a count.
usage: check_decisions.py DECISIONS.jsonl POLICY [CAP]
"""
import json
import re
import sys

path, policy = sys.argv[1], sys.argv[2]
cap = int(sys.argv[3]) if len(sys.argv) > 3 else 4
bad, checked, owners_seen, switches = [], 0, 0, 0
bottleneck = {}
counted = {}  # workload -> times of the changes counted against the cap
exempt = 0
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
        if d.get("daily_cap") == "counted":
            times = counted.setdefault(w, [])
            times.append(d["time"])
            in_day = [t for t in times if t > d["time"] - 86400]
            if len(in_day) > cap:
                bad.append(f"{n}: {len(in_day)} changes counted against the daily cap of {cap} "
                           f"in the 24 h before {d['time']}")
            counted[w] = in_day
        elif d.get("daily_cap") == "exempt":
            exempt += 1
        else:
            bad.append(f"{n}: resources decision without daily_cap")
        keys = {"cpu": "cpu_request_milli", "memory": "memory_request_bytes"}
        shrank = re.search(r"the group shrank from (\d+) to (\d+) pods", d.get("reason", ""))
        grows = re.search(r"the HPA scales out from (\d+) to (\d+) pods", d.get("reason", ""))
        if shrank and int(shrank.group(2)) >= int(shrank.group(1)):
            bad.append(f"{n}: 'the group shrank' from {shrank.group(1)} to {shrank.group(2)}")
        if grows and int(grows.group(2)) <= int(grows.group(1)):
            bad.append(f"{n}: 'scales out' from {grows.group(1)} to {grows.group(2)}")
        for c, before in d["before"].items():
            for key in keys.values():
                a, b = before.get(key), d["after"][c].get(key)
                if (shrank or grows) and a is not None and b is not None and b < a:
                    bad.append(f"{n}: a raise for the group lowers {c} {key} {a} -> {b}")
                if grows and a and b and b != a and b < a * 1.1:
                    bad.append(f"{n}: a scale-out raise of {c} {key} {a} -> {b}, under 10%")
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
print(f"invariant holds: {checked} resources decisions ({exempt} exempt from the daily cap), "
      f"{switches} owner switches, {owners_seen} decisions with owners")
