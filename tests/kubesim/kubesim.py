#!/usr/bin/env python3
"""kubesim: a simulated Kubernetes API server for podscaler's tests.

Test infrastructure, standard library only, so that any test can start it without
installing anything (README.md documents the interface; the C client's tests depend on it).
It follows shared/spec/kubernetes-api.md: paths and verbs (section 3), Status errors (5),
lists and pagination (6), watch (7), writes and patches (8), object shapes (9), discovery
for kubectl (9.13) and the checklist of section 11.

One global lock guards the whole state: the server serves a handful of test clients, so
simplicity beats concurrency. Every write that changes something bumps one global
resourceVersion counter and appends an event to a bounded per-resource history that
watches read from, and that a list at an older resourceVersion undoes back to a snapshot.
A small "deployment controller" runs inside each write that touches a deployment, so a
response already shows the pods and status the write leads to (no eventual consistency to
wait for in tests). Private bookkeeping lives in metadata keys starting with "kubesim/", which are
stripped from everything a client sees.
"""

import argparse
import base64
import collections
import copy
import datetime
import fractions
import gzip
import hashlib
import http.server
import json
import os
import random
import re
import secrets
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

# ---------------------------------------------------------------------------
# Resource registry
# ---------------------------------------------------------------------------

ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


class Res:
    """One served resource type (what discovery lists and the router resolves)."""

    def __init__(self, group, version, plural, kind, namespaced=True, builtin=True,
                 status=False, subresources=(), short=(), singular=None, verbs=None,
                 computed=False, categories=()):
        self.group = group
        self.version = version
        self.plural = plural
        self.kind = kind
        self.namespaced = namespaced
        # Custom resources differ from built-ins: 415 on strategic merge, 422 on an
        # update without resourceVersion, list items keep kind/apiVersion.
        self.builtin = builtin
        self.status = status
        self.subresources = list(subresources)
        self.short = list(short)
        self.singular = singular or kind.lower()
        self.verbs = verbs or ALL_VERBS
        self.computed = computed  # metrics: built from the load model, never stored
        self.categories = list(categories)

    @property
    def gv(self):
        return self.version if not self.group else self.group + "/" + self.version

    @property
    def key(self):
        return (self.group, self.plural)

    def qualified(self):
        # Upstream messages name a resource as <plural>[.<group>].
        return self.plural if not self.group else self.plural + "." + self.group


RESOURCES = [
    Res("", "v1", "namespaces", "Namespace", namespaced=False, status=True,
        subresources=["status"], short=["ns"]),
    Res("", "v1", "nodes", "Node", namespaced=False, status=True, subresources=["status"],
        short=["no"]),
    Res("", "v1", "pods", "Pod", status=True, subresources=["status", "eviction", "resize"],
        short=["po"], categories=["all"]),
    Res("", "v1", "events", "Event", short=["ev"]),
    Res("apps", "v1", "deployments", "Deployment", status=True,
        subresources=["status", "scale"], short=["deploy"], categories=["all"]),
    Res("apps", "v1", "replicasets", "ReplicaSet", status=True,
        subresources=["status", "scale"], short=["rs"], categories=["all"]),
    Res("apps", "v1", "statefulsets", "StatefulSet", status=True,
        subresources=["status", "scale"], short=["sts"], categories=["all"]),
    Res("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler",
        status=True, subresources=["status"], short=["hpa"], categories=["all"]),
    Res("coordination.k8s.io", "v1", "leases", "Lease"),
    Res("events.k8s.io", "v1", "events", "Event", short=["ev"]),
    Res("autoscaling.k8s.io", "v1", "verticalpodautoscalers", "VerticalPodAutoscaler",
        builtin=False, status=True, subresources=["status"], short=["vpa"]),
    Res("autoscaling.k8s.io", "v1", "verticalpodautoscalercheckpoints",
        "VerticalPodAutoscalerCheckpoint", builtin=False, short=["vpacheckpoint"]),
    Res("podscaler.io", "v1alpha1", "podscalers", "PodScaler", builtin=False, status=True,
        subresources=["status"], short=["psc"]),
    Res("metrics.k8s.io", "v1beta1", "pods", "PodMetrics", builtin=False, computed=True,
        verbs=["get", "list"]),
    Res("metrics.k8s.io", "v1beta1", "nodes", "NodeMetrics", namespaced=False,
        builtin=False, computed=True, verbs=["get", "list"]),
]

BY_GVR = {(r.group, r.version, r.plural): r for r in RESOURCES}
BY_KEY = {r.key: r for r in RESOURCES}
# Workloads whose pods kubesim's built-in "controllers" create and delete.
WORKLOAD_KINDS = {"deployments": "Deployment", "statefulsets": "StatefulSet"}


def find_res(group, plural):
    return BY_KEY.get((group, plural))


def res_for_object(obj):
    """The resource an object with apiVersion+kind belongs to (scenario objects)."""
    api = obj.get("apiVersion", "")
    group, _, version = api.rpartition("/")
    for r in RESOURCES:
        if r.group == group and r.version == version and r.kind == obj.get("kind") \
                and not r.computed:
            return r
    return None


def group_versions():
    """Ordered {group: [versions]} for /api and /apis."""
    out = collections.OrderedDict()
    for r in RESOURCES:
        out.setdefault(r.group, [])
        if r.version not in out[r.group]:
            out[r.group].append(r.version)
    return out


# ---------------------------------------------------------------------------
# Small helpers: time, quantities, JSON comparisons
# ---------------------------------------------------------------------------

def rfc3339(wall):
    return datetime.datetime.fromtimestamp(int(wall), datetime.timezone.utc) \
        .strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_micro(wall):
    return datetime.datetime.fromtimestamp(wall, datetime.timezone.utc) \
        .strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_QTY_RE = re.compile(r"^([+-]?)([0-9]+\.?[0-9]*|\.[0-9]+)?"
                     r"(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$")
_SI = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BIN = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}


def parse_quantity(v):
    """Quantity (string or JSON number) -> Fraction; ValueError when invalid (spec 2.1)."""
    if isinstance(v, bool) or v is None:
        raise ValueError("not a quantity")
    if isinstance(v, (int, float)):
        return fractions.Fraction(str(v))
    if not isinstance(v, str):
        raise ValueError("not a quantity")
    m = _QTY_RE.match(v)
    if not m or v == "":
        raise ValueError("invalid quantity %r" % v)
    sign, num, suf = m.group(1), m.group(2) or "0", m.group(3) or ""
    if num.endswith("."):
        num += "0"
    val = fractions.Fraction(num)
    if suf in _SI:
        val *= fractions.Fraction(10) ** _SI[suf]
    elif suf in _BIN:
        val *= 2 ** _BIN[suf]
    else:
        val *= fractions.Fraction(10) ** int(suf[1:])
    return -val if sign == "-" else val


def cpu_nanos_quantity(nanos):
    """Nano-cores as metrics-server emits them: DecimalSI canonical ("250m", "2341538n")."""
    nanos = int(round(nanos))
    if nanos <= 0:
        return "0"
    for suffix, factor in (("k", 10**12), ("", 10**9), ("m", 10**6), ("u", 10**3)):
        if nanos % factor == 0:
            return "%d%s" % (nanos // factor, suffix)
    return "%dn" % nanos


def memory_quantity(nbytes):
    """Bytes as BinarySI canonical text ("187412Ki", "1536", "1Gi")."""
    nbytes = int(round(nbytes))
    if nbytes <= 0:
        return "0"
    if nbytes < 1024:
        return str(nbytes)
    suffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
    i = 0
    while nbytes % 1024 == 0 and i < 6:
        nbytes //= 1024
        i += 1
    return "%d%s" % (nbytes, suffixes[i])


def json_equal(a, b):
    """JSON equality: Python's == says True == 1, JSON does not."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    return a == b


def meta(obj):
    m = obj.get("metadata") if isinstance(obj, dict) else None
    return m if isinstance(m, dict) else {}


def labels_of(obj):
    lb = meta(obj).get("labels")
    return lb if isinstance(lb, dict) else {}


HASH_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # upstream's SafeEncodeString alphabet


def rand_suffix(n=5):
    return "".join(random.choice(HASH_ALPHABET) for _ in range(n))


def template_hash(template):
    h = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).digest()
    num = int.from_bytes(h[:8], "big")
    out = ""
    for _ in range(10):
        out += HASH_ALPHABET[num % len(HASH_ALPHABET)]
        num //= len(HASH_ALPHABET)
    return out


# ---------------------------------------------------------------------------
# Errors as Status objects (spec section 5)
# ---------------------------------------------------------------------------

REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
           405: "MethodNotAllowed", 406: "NotAcceptable", 409: "Conflict", 410: "Expired",
           413: "RequestEntityTooLarge", 415: "UnsupportedMediaType", 422: "Invalid",
           429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable",
           504: "Timeout"}


class ApiError(Exception):
    def __init__(self, code, message, reason=None, details=None, metadata=None, headers=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason if reason is not None else REASONS.get(code, "")
        self.details = details
        self.metadata = metadata or {}
        self.headers = headers or {}

    def status(self):
        st = {"kind": "Status", "apiVersion": "v1", "metadata": self.metadata,
              "status": "Failure", "message": self.message, "code": self.code}
        if self.reason:  # metav1.Status.Reason is omitempty: an empty one is left out
            st["reason"] = self.reason
        if self.details is not None:
            st["details"] = self.details
        return st


def details_for(res, name):
    d = {"name": name, "kind": res.plural}
    if res.group:
        d["group"] = res.group
    return d


def not_found(res, name):
    return ApiError(404, '%s "%s" not found' % (res.qualified(), name),
                    details=details_for(res, name))


def conflict(res, name):
    return ApiError(409, 'Operation cannot be fulfilled on %s "%s": the object has been '
                    'modified; please apply your changes to the latest version and try again'
                    % (res.qualified(), name), details=details_for(res, name))


def invalid(res, name, field, value, why, cause="FieldValueInvalid"):
    kind_group = res.kind + ("." + res.group if res.group else "")
    if cause == "FieldValueRequired":
        detail = "Required value: " + why
    else:
        detail = "Invalid value: %s: %s" % (json.dumps(value), why)
    d = {"name": name, "kind": res.kind,
         "causes": [{"reason": cause, "message": detail, "field": field}]}
    if res.group:
        d["group"] = res.group
    return ApiError(422, '%s "%s" is invalid: %s: %s' % (kind_group, name, field, detail),
                    details=d)


def bad_request(message):
    return ApiError(400, message)


def go_json(value):
    """A value as Go's encoding/json writes it (field errors quote bad values this way)."""
    s = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def forbidden_cause(field, detail):
    return {"reason": "FieldValueForbidden", "message": "Forbidden: " + detail, "field": field}


def not_supported_cause(field, value, supported):
    return {"reason": "FieldValueNotSupported",
            "message": "Unsupported value: %s: supported values: %s"
                       % (go_json(value), ", ".join(json.dumps(s) for s in supported)),
            "field": field}


def too_large_rv(want, current):
    """storage.NewTooLargeResourceVersionError as the watch cache raises it: 504 Timeout,
    retry after 1 s (resourceVersionTooHighRetrySeconds)."""
    return ApiError(504, "Timeout: Too large resource version: %d, current: %d"
                    % (want, current),
                    details={"causes": [{"reason": "ResourceVersionTooLarge",
                                         "message": "Too large resource version"}],
                             "retryAfterSeconds": 1})


def rv_number(rv):
    """A requested resourceVersion that asks for a minimum ("" and "0" ask for none)."""
    return int(rv) if isinstance(rv, str) and re.fullmatch(r"[0-9]+", rv) and int(rv) else None


def go_quote(s):
    """strconv.Quote (Go's %q of a string): printable characters as they are, the rest
    escaped."""
    out = []
    for ch in s:
        o = ord(ch)
        if ch in "\\\"":
            out.append("\\" + ch)
        elif ch in "\a\b\f\n\r\t\v":
            out.append("\\" + "abfnrtv"["\a\b\f\n\r\t\v".index(ch)])
        elif ch.isprintable():
            out.append(ch)
        elif o < 0x20 or o == 0x7f:
            out.append("\\x%02x" % o)
        elif o < 0x10000:
            out.append("\\u%04x" % o)
        else:
            out.append("\\U%08x" % o)
    return '"' + "".join(out) + '"'


def rv_parse_error(rv):
    """What APIObjectVersioner.ParseResourceVersion says of a requested resourceVersion ("" and
    "0" are 0, anything else goes through strconv.ParseUint(rv, 10, 64)): the text of its
    storage.InvalidError, or None when rv parses."""
    if rv in (None, "", "0"):
        return None
    digits = re.fullmatch(r"[0-9]+", rv) is not None
    if digits and int(rv) < 1 << 64:
        return None
    return "resourceVersion: Invalid value: %s: strconv.ParseUint: parsing %s: %s" % (
        go_quote(rv), go_quote(rv), "value out of range" if digits else "invalid syntax")


def rv_unparsable(rv):
    """The watch cache's Get and Watch return ParseResourceVersion's error as it is: no API
    status, so the apiserver answers 500 with an empty (Unknown) reason."""
    return ApiError(500, rv_parse_error(rv), reason="")


def invalid_options(kind, causes):
    """errors.NewInvalid(meta.k8s.io/<kind>, "", errs): every error is a cause; the message
    aggregates them as field.ErrorList.ToAggregate does (duplicates once, several in [])."""
    msgs = []
    for c in causes:
        m = "%s: %s" % (c["field"], c["message"])
        if m not in msgs:
            msgs.append(m)
    text = msgs[0] if len(msgs) == 1 else "[%s]" % ", ".join(msgs)
    return ApiError(422, '%s.meta.k8s.io "" is invalid: %s' % (kind, text),
                    details={"group": "meta.k8s.io", "kind": kind, "causes": causes})


def delete_options_causes(opts):
    """Upstream's ValidateDeleteOptions (apimachinery meta/v1/validation), in its order, on a
    decoded DeleteOptions (absent and null fields are nil). Empty means valid. Bad values are
    written as field.Error does: a DeletionPropagation (no string case, %#v) and a []string
    (%#v) in Go syntax."""
    policy = opts.get("propagationPolicy")
    dry = opts.get("dryRun") or []
    out = []
    if opts.get("orphanDependents") is not None and policy is not None:
        out.append({"reason": "FieldValueInvalid",
                    "message": "Invalid value: %s: orphanDependents and deletionPropagation "
                               "cannot be both set" % go_quote(policy),
                    "field": "propagationPolicy"})
    if policy is not None and policy not in ("Foreground", "Background", "Orphan"):
        out.append({"reason": "FieldValueNotSupported",
                    "message": 'Unsupported value: %s: supported values: "Foreground", '
                               '"Background", "Orphan", "nil"' % go_quote(policy),
                    "field": "propagationPolicy"})
    if any(d != "All" for d in dry):  # ValidateDryRun
        out.append({"reason": "FieldValueNotSupported",
                    "message": 'Unsupported value: []string{%s}: supported values: "All"'
                               % ", ".join(go_quote(d) for d in dry),
                    "field": "dryRun"})
    return out


def validate_delete_options(opts):
    causes = delete_options_causes(opts)
    if causes:
        raise invalid_options("DeleteOptions", causes)
    return opts


def list_options_causes(params, watch):
    """Upstream's ValidateListOptions (apimachinery meta/internalversion/validation), in its
    order: list and watch rules differ. Empty means valid."""
    rvm = params.get("resourceVersionMatch", "")
    rv = params.get("resourceVersion", "")
    cont = params.get("continue", "")
    initial = "sendInitialEvents" in params
    out = []
    if watch:  # validateWatchOptions (spec 7.4)
        if initial and rvm != "NotOlderThan":
            out.append(forbidden_cause("resourceVersionMatch", "sendInitialEvents requires "
                                       "setting resourceVersionMatch to NotOlderThan"))
        if rvm:
            if not initial:
                out.append(forbidden_cause("resourceVersionMatch", "resourceVersionMatch is "
                                           "forbidden for watch unless sendInitialEvents is "
                                           "provided"))
            if rvm != "NotOlderThan":
                out.append(not_supported_cause("resourceVersionMatch", rvm, ["NotOlderThan"]))
            if cont:
                out.append(forbidden_cause("resourceVersionMatch", "resourceVersionMatch is "
                                           "forbidden when continue is provided"))
        return out
    if rvm:
        if not rv:
            out.append(forbidden_cause("resourceVersionMatch", "resourceVersionMatch is "
                                       "forbidden unless resourceVersion is provided"))
        if cont:
            out.append(forbidden_cause("resourceVersionMatch", "resourceVersionMatch is "
                                       "forbidden when continue is provided"))
        if rvm not in ("Exact", "NotOlderThan"):
            out.append(not_supported_cause("resourceVersionMatch", rvm,
                                           ["Exact", "NotOlderThan", ""]))
        if rvm == "Exact" and rv == "0":
            out.append(forbidden_cause("resourceVersionMatch", 'resourceVersionMatch "exact" '
                                       'is forbidden for resourceVersion "0"'))
    if initial:
        out.append(forbidden_cause("sendInitialEvents", "sendInitialEvents is forbidden for "
                                   "list"))
    return out


# ---------------------------------------------------------------------------
# Selectors (spec 3.6, 3.2)
# ---------------------------------------------------------------------------

def _split_top(s):
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


_LABEL_KEY = r"[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?"
_LABEL_VAL = r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?"


def parse_label_selector(s):
    """String selector -> list of (key, op, values). Raises ApiError 400 when malformed."""
    reqs = []
    if s is None or s.strip() == "":
        return reqs
    for part in _split_top(s):
        p = part.strip()
        m = re.match(r"^(%s)\s+(in|notin)\s*\(([^()]*)\)$" % _LABEL_KEY, p)
        if m:
            vals = [v.strip() for v in m.group(4).split(",")]
            if any(not re.match("^%s$" % _LABEL_VAL, v) for v in vals):
                raise bad_request("unable to parse requirement: invalid label value in %r" % p)
            reqs.append((m.group(1), m.group(3), vals))
            continue
        m = re.match(r"^(!?)\s*(%s)$" % _LABEL_KEY, p)
        if m:
            reqs.append((m.group(2), "!" if m.group(1) else "exists", []))
            continue
        m = re.match(r"^(%s)\s*(==|=|!=|>|<)\s*(%s)$" % (_LABEL_KEY, _LABEL_VAL), p)
        if m:
            key = m.group(1)
            op = m.group(3)
            val = m.group(4)
            if op in (">", "<") and not re.match(r"^-?[0-9]+$", val or ""):
                raise bad_request("unable to parse requirement: for 'Gt', 'Lt' operators, "
                                  "the value must be an integer")
            reqs.append((key, "=" if op == "==" else op, [val or ""]))
            continue
        raise bad_request("unable to parse requirement: found '%s', expected: "
                          "identifier, !, in, notin, =, ==, !=, >, <" % p)
    return reqs


def label_match(reqs, labels):
    for key, op, vals in reqs:
        have = key in labels
        v = labels.get(key)
        if op == "exists" and not have:
            return False
        if op == "!" and have:
            return False
        if op == "=" and (not have or v != vals[0]):
            return False
        if op == "!=" and have and v == vals[0]:
            return False
        if op == "in" and (not have or v not in vals):
            return False
        if op == "notin" and have and v in vals:
            return False
        if op in (">", "<"):
            try:
                n = int(v)
            except (TypeError, ValueError):
                return False
            if (op == ">" and not n > int(vals[0])) or (op == "<" and not n < int(vals[0])):
                return False
    return True


FIELD_PATHS = {"metadata.name": ("metadata", "name"),
               "metadata.namespace": ("metadata", "namespace"),
               "status.phase": ("status", "phase"),
               "spec.nodeName": ("spec", "nodeName")}


def parse_field_selector(s):
    reqs = []
    if s is None or s.strip() == "":
        return reqs
    for part in s.split(","):
        m = re.match(r"^\s*([A-Za-z.]+)\s*(==|=|!=)\s*(.*?)\s*$", part)
        if not m:
            raise bad_request("invalid selector: '%s'; can't understand '%s'" % (s, part))
        if m.group(1) not in FIELD_PATHS:
            raise bad_request('"%s" is not a known field selector: only "metadata.name", '
                              '"metadata.namespace", "status.phase", "spec.nodeName"'
                              % m.group(1))
        reqs.append((FIELD_PATHS[m.group(1)], m.group(2) != "!=", m.group(3)))
    return reqs


def field_match(reqs, obj):
    for path, equal, val in reqs:
        cur = obj
        for p in path:
            cur = cur.get(p) if isinstance(cur, dict) else None
        cur = "" if cur is None else str(cur)
        if (cur == val) != equal:
            return False
    return True


def selector_string(sel):
    """LabelSelector object -> string form (spec 3.6), used in Scale status.selector."""
    if not isinstance(sel, dict):
        return ""
    reqs = []
    for k, v in (sel.get("matchLabels") or {}).items():
        reqs.append((k, "%s=%s" % (k, v)))
    for e in sel.get("matchExpressions") or []:
        k, op, vals = e.get("key"), e.get("operator"), sorted(e.get("values") or [])
        if op == "In":
            reqs.append((k, "%s in (%s)" % (k, ",".join(vals))))
        elif op == "NotIn":
            reqs.append((k, "%s notin (%s)" % (k, ",".join(vals))))
        elif op == "Exists":
            reqs.append((k, k))
        elif op == "DoesNotExist":
            reqs.append((k, "!" + k))
    return ",".join(r for _, r in sorted(reqs))


# ---------------------------------------------------------------------------
# Patches (spec 8.3)
# ---------------------------------------------------------------------------

def merge_patch(target, patch):
    """RFC 7386."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


# Lists of built-in types merged by key in a strategic merge patch (the patchMergeKey tags
# of k8s.io/api for the objects kubesim serves).
SMP_KEYS = {"containers": "name", "initContainers": "name", "ephemeralContainers": "name",
            "env": "name", "volumes": "name", "volumeMounts": "mountPath",
            "volumeDevices": "devicePath", "ports": "containerPort", "conditions": "type",
            "ownerReferences": "uid", "containerStatuses": "name",
            "initContainerStatuses": "name", "imagePullSecrets": "name",
            "hostAliases": "ip", "resizePolicy": "resourceName",
            "topologySpreadConstraints": "topologyKey", "currentMetrics": None}
SMP_PRIMITIVE_MERGE = {"finalizers"}


def _strip_directives(v):
    if isinstance(v, dict):
        return {k: _strip_directives(x) for k, x in v.items() if not k.startswith("$")}
    if isinstance(v, list):
        return [_strip_directives(x) for x in v]
    return v


def strategic_merge(orig, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    directive = patch.get("$patch")
    if directive == "replace":
        return _strip_directives(patch)
    if directive == "delete":
        return None
    out = copy.deepcopy(orig) if isinstance(orig, dict) else {}
    for k, v in patch.items():
        if k.startswith("$setElementOrder/") or k in ("$patch", "$retainKeys"):
            continue
        if k.startswith("$deleteFromPrimitiveList/"):
            field = k.split("/", 1)[1]
            if isinstance(out.get(field), list) and isinstance(v, list):
                out[field] = [x for x in out[field] if x not in v]
            continue
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict):
            sub = strategic_merge(out.get(k), v)
            if sub is None:
                out.pop(k, None)
            else:
                out[k] = sub
        elif isinstance(v, list) and SMP_KEYS.get(k) and isinstance(out.get(k), list):
            out[k] = _smp_list(out[k], v, SMP_KEYS[k])
        elif isinstance(v, list) and k in SMP_PRIMITIVE_MERGE and isinstance(out.get(k), list):
            out[k] = out[k] + [x for x in v if x not in out[k]]
        else:
            out[k] = _strip_directives(v)
    if isinstance(patch.get("$retainKeys"), list):
        keep = set(patch["$retainKeys"])
        out = {k: v for k, v in out.items() if k in keep}
    return out


def _smp_list(orig, patch, key):
    if any(isinstance(x, dict) and x.get("$patch") == "replace" for x in patch):
        return [_strip_directives(x) for x in patch
                if not (isinstance(x, dict) and x.get("$patch") == "replace")]
    out = copy.deepcopy(orig)
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            out.append(_strip_directives(item))
            continue
        idx = next((i for i, x in enumerate(out)
                    if isinstance(x, dict) and x.get(key) == item[key]), None)
        if item.get("$patch") == "delete":
            if idx is not None:
                del out[idx]
            continue
        if idx is None:
            out.append(_strip_directives(item))
        else:
            out[idx] = strategic_merge(out[idx], item)
    return out


class PatchError(Exception):
    pass


def _pointer(path):
    if path == "":
        return []
    if not isinstance(path, str) or not path.startswith("/"):
        raise PatchError("invalid JSON pointer %r" % (path,))
    return [t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/")]


def _parent(doc, tokens, path, op):
    cur = doc
    for t in tokens[:-1]:
        if isinstance(cur, dict) and t in cur:
            cur = cur[t]
        elif isinstance(cur, list) and re.match(r"^(0|[1-9][0-9]*)$", t) and int(t) < len(cur):
            cur = cur[int(t)]
        else:
            raise PatchError("jsonpatch %s operation does not apply: doc is missing path: "
                             "\"%s\": missing value" % (op, path))
    return cur


def _get(doc, path, op):
    tokens = _pointer(path)
    if not tokens:
        return doc
    parent = _parent(doc, tokens, path, op)
    t = tokens[-1]
    if isinstance(parent, dict) and t in parent:
        return parent[t]
    if isinstance(parent, list) and re.match(r"^(0|[1-9][0-9]*)$", t) and int(t) < len(parent):
        return parent[int(t)]
    raise PatchError("jsonpatch %s operation does not apply: doc is missing key: %s: "
                     "missing value" % (op, path))


def _add(doc, path, value, op="add"):
    tokens = _pointer(path)
    if not tokens:
        return value
    parent = _parent(doc, tokens, path, op)
    t = tokens[-1]
    if isinstance(parent, dict):
        parent[t] = value
    elif isinstance(parent, list):
        if t == "-":
            parent.append(value)
        elif re.match(r"^(0|[1-9][0-9]*)$", t) and int(t) <= len(parent):
            parent.insert(int(t), value)
        else:
            raise PatchError("Unable to access invalid index: %s" % t)
    else:
        raise PatchError("jsonpatch %s operation does not apply: doc is missing path: %s"
                         % (op, path))
    return doc


def _remove(doc, path, op="remove"):
    tokens = _pointer(path)
    if not tokens:
        raise PatchError("cannot remove the whole document")
    _get(doc, path, op)
    parent = _parent(doc, tokens, path, op)
    t = tokens[-1]
    if isinstance(parent, dict):
        del parent[t]
    else:
        del parent[int(t)]
    return doc


def json_patch(doc, ops):
    """RFC 6902. Raises ApiError 400 on an undecodable patch, PatchError (-> 422) otherwise."""
    if not isinstance(ops, list) or any(not isinstance(o, dict) for o in ops):
        raise bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    if len(ops) > 10000:  # apiserver maxJSONPatchOperations
        raise ApiError(413, "The allowed operations in a JSON patch are limited to 10000, "
                       "got %d" % len(ops))
    doc = copy.deepcopy(doc)
    for o in ops:
        op = o.get("op")
        path = o.get("path")
        if op not in ("add", "remove", "replace", "move", "copy", "test") \
                or not isinstance(path, str):
            raise bad_request("Unexpected kind: %s" % op)
        if op in ("add", "replace", "test") and "value" not in o:
            raise bad_request("jsonpatch %s operation missing value" % op)
        if op == "add":
            doc = _add(doc, path, copy.deepcopy(o["value"]))
        elif op == "remove":
            doc = _remove(doc, path)
        elif op == "replace":
            if _pointer(path):
                _get(doc, path, op)
                doc = _remove(doc, path, op)
            doc = _add(doc, path, copy.deepcopy(o["value"]), op)
        elif op in ("move", "copy"):
            frm = o.get("from")
            if not isinstance(frm, str):
                raise bad_request("jsonpatch %s operation missing from" % op)
            val = copy.deepcopy(_get(doc, frm, op))
            if op == "move":
                doc = _remove(doc, frm, op)
            doc = _add(doc, path, val, op)
        elif op == "test":
            try:
                have = _get(doc, path, op)
            except PatchError:
                have = None
                if o["value"] is not None:
                    raise PatchError("testing value %s failed: test failed" % path)
            if not json_equal(have, o["value"]):
                raise PatchError("testing value %s failed: test failed" % path)
    return doc


# ---------------------------------------------------------------------------
# Simulated clock
# ---------------------------------------------------------------------------

class Clock:
    """Simulated seconds since start; runs at `rate` real seconds, can be moved or frozen."""

    def __init__(self, rate=1.0):
        self.start_wall = float(int(time.time()))
        self.base = time.monotonic()
        self.offset = 0.0
        self.rate = rate
        self.lock = threading.Lock()

    def now_s(self):
        with self.lock:
            return self.offset + (time.monotonic() - self.base) * self.rate

    def set(self, s, rate=None):
        with self.lock:
            self.offset = s
            self.base = time.monotonic()
            if rate is not None:
                self.rate = rate

    def wall(self):
        return self.start_wall + self.now_s()


# ---------------------------------------------------------------------------
# The simulated cluster state
# ---------------------------------------------------------------------------

class Sim:
    def __init__(self, clock, tokens, admin_token):
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.clock = clock
        self.rv = 0
        self.store = {r.key: {} for r in RESOURCES if not r.computed}
        self.raw_seq = 0
        self.raw_metrics = []  # (plural, namespace, object) stored verbatim
        self.config = {
            # etcd's default compaction interval (5 min) is what expires continue tokens.
            "continue_ttl_s": 300.0,
            # Upstream sends a bookmark about once a minute; 1 s keeps tests short.
            "bookmark_interval_s": 1.0,
            # apiserver defaultGzipThresholdBytes (endpoints/handlers/responsewriters).
            "gzip_threshold": 128 * 1024,
            # Events kept per resource for watches (upstream: the watch cache capacity).
            "watch_history": 1000,
            # metrics-server's default --metric-resolution is 15 s.
            "metrics_window_s": 15,
            "scrape_delay_s": 0,
            # How long a read of a resourceVersion not reached yet waits for it before the
            # 504 "Too large resource version" (upstream's watch cache: blockTimeout, 3 s).
            "rv_wait_s": 3.0}
        # Per resource, like upstream's watch cache: churn on pods never expires a watch on
        # leases. Events with rv <= floor[key] are no longer available. Each event is
        # (rv, resource key, namespace, type, object, store key, object before the event),
        # so undoing the events after an rv gives the collection as it was at that rv.
        self.history = collections.defaultdict(collections.deque)
        self.history_floor = collections.defaultdict(int)
        # (resource key, store key) -> the copy of the object its last event recorded.
        self.last_copy = {}
        self.tokens = list(tokens)
        self.admin_token = admin_token
        self.faults = []
        self.fault_seq = 0
        self.requests = collections.deque(maxlen=10000)
        self.loads = {}  # (ns, deployment, container) -> entry
        self.hidden_metrics = set()
        self.continue_epoch = 0
        self.watch_gen = 0
        self.open_watches = 0
        self.closing = False
        self.nodes = []
        self.node_rr = 0

    # -- versioning and events -------------------------------------------------

    def now(self):
        return rfc3339(self.clock.wall())

    def bump(self):
        self.rv += 1
        return str(self.rv)

    def record(self, res, typ, obj, key):
        dq = self.history[res.key]
        now = copy.deepcopy(obj)
        prev = self.last_copy.pop((res.key, key), None)
        if typ != "DELETED":
            self.last_copy[(res.key, key)] = now
        dq.append((self.rv, res.key, meta(obj).get("namespace", ""), typ, now, key, prev))
        while len(dq) > max(1, int(self.config["watch_history"])):
            self.history_floor[res.key] = dq.popleft()[0]
        self.cond.notify_all()

    def snapshot(self, res, at):
        """The collection (store key -> object) as it was at resourceVersion at, rebuilt by
        undoing the kept events after it; None when they are no longer all kept (upstream:
        compacted). Raw items, which make no events, show in every snapshot while stored."""
        if at >= self.rv:
            return self.store[res.key]
        if at < self.history_floor[res.key]:
            return None
        items = dict(self.store[res.key])
        for e in reversed(self.history[res.key]):
            if e[0] <= at:
                break
            if e[6] is None:
                items.pop(e[5], None)
            else:
                items[e[5]] = e[6]
        return items

    def wait_for_rv(self, want):
        """Block (the lock held, as cond.wait releases it) until the counter reaches want,
        as upstream's watch cache waits to catch up with a requested resourceVersion."""
        deadline = time.monotonic() + float(self.config["rv_wait_s"])
        while self.rv < want:
            left = deadline - time.monotonic()
            if left <= 0 or self.closing:
                raise too_large_rv(want, self.rv)
            self.cond.wait(left)

    def put(self, res, obj, typ):
        """Store obj with a fresh resourceVersion and record the watch event."""
        m = obj.setdefault("metadata", {})
        m["resourceVersion"] = self.bump()
        key = (m.get("namespace", "") if res.namespaced else "", m["name"])
        self.store[res.key][key] = obj
        self.record(res, typ, obj, key)
        return obj

    def remove(self, res, ns, name):
        obj = self.store[res.key].pop((ns, name))
        if not meta(obj).get("kubesim/raw"):
            obj["metadata"]["resourceVersion"] = self.bump()
        self.record(res, "DELETED", obj, (ns, name))
        return obj

    def get(self, res, ns, name):
        """A stored object by name; raw (verbatim) items only ever show up in lists."""
        obj = self.store[res.key].get((ns if res.namespaced else "", name))
        return None if meta(obj).get("kubesim/raw") else obj

    def objects(self, res, ns=None):
        """Stored objects in key order, without raw items (which only lists show)."""
        items = self.store[res.key]
        return [items[k] for k in sorted(items) if (ns is None or k[0] == ns)
                and not meta(items[k]).get("kubesim/raw")]

    def new_meta(self, m, res, ns):
        m["uid"] = str(uuid.uuid4())
        m["creationTimestamp"] = self.now()
        m["generation"] = 1
        if res.namespaced:
            m["namespace"] = ns
        else:
            m.pop("namespace", None)
        for k in ("resourceVersion", "deletionTimestamp", "managedFields", "selfLink"):
            m.pop(k, None)

    # -- nodes and namespaces ----------------------------------------------------

    def add_namespace(self, name):
        res = find_res("", "namespaces")
        if self.get(res, "", name):
            return
        obj = {"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
               "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
        self.new_meta(obj["metadata"], res, "")
        self.put(res, obj, "ADDED")

    def add_node(self, name, cpu="16", memory="64Gi"):
        res = find_res("", "nodes")
        idx = len(self.nodes)
        obj = {"apiVersion": "v1", "kind": "Node",
               "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                                     "kubernetes.io/os": "linux"}},
               "spec": {"podCIDR": "10.244.%d.0/24" % idx},
               "status": {"capacity": {"cpu": cpu, "memory": memory, "pods": "110"},
                          "allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
                          "addresses": [{"type": "InternalIP",
                                         "address": "10.0.1.%d" % (10 + idx)},
                                        {"type": "Hostname", "address": name}],
                          "conditions": [{"type": "Ready", "status": "True",
                                          "reason": "KubeletReady",
                                          "message": "kubelet is posting ready status",
                                          "lastHeartbeatTime": self.now(),
                                          "lastTransitionTime": self.now()}],
                          "nodeInfo": {"kubeletVersion": "v1.36.3",
                                       "operatingSystem": "linux",
                                       "architecture": "amd64"}}}
        self.new_meta(obj["metadata"], res, "")
        self.put(res, obj, "ADDED")
        self.nodes.append(name)

    # -- pods --------------------------------------------------------------------

    def pick_node(self):
        if not self.nodes:
            return "kubesim-node-1"
        self.node_rr += 1
        return self.nodes[(self.node_rr - 1) % len(self.nodes)]

    @staticmethod
    def qos_class(spec):
        containers = [c for c in (spec.get("containers") or []) if isinstance(c, dict)]
        any_set, guaranteed = False, True
        for c in containers:
            r = c.get("resources") or {}
            req = dict(r.get("limits") or {})
            req.update(r.get("requests") or {})
            lim = r.get("limits") or {}
            if req or lim:
                any_set = True
            for name in ("cpu", "memory"):
                try:
                    if name not in lim or parse_quantity(req.get(name, lim[name])) != \
                            parse_quantity(lim[name]):
                        guaranteed = False
                except ValueError:
                    guaranteed = False
        if not any_set:
            return "BestEffort"
        return "Guaranteed" if guaranteed and containers else "Burstable"

    def running_status(self, pod, node):
        now = self.now()
        spec = pod["spec"]
        statuses = []
        for c in spec.get("containers") or []:
            if not isinstance(c, dict):
                continue
            st = {"name": c.get("name", ""), "ready": True, "started": True,
                  "restartCount": 0, "image": c.get("image", "registry.example/app:1"),
                  "imageID": "registry.example/app@sha256:%s"
                             % hashlib.sha256(str(c.get("image")).encode()).hexdigest()[:12],
                  "containerID": "containerd://" + secrets.token_hex(6),
                  "state": {"running": {"startedAt": now}}, "lastState": {}}
            res = c.get("resources") or {}
            if res.get("requests"):
                st["allocatedResources"] = copy.deepcopy(res["requests"])
            if res:
                st["resources"] = copy.deepcopy(res)
            statuses.append(st)
        conds = [{"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": now}
                 for t in ("PodReadyToStartContainers", "Initialized", "Ready",
                           "ContainersReady", "PodScheduled")]
        idx = self.nodes.index(node) if node in self.nodes else 0
        return {"phase": "Running", "qosClass": self.qos_class(spec),
                "hostIP": "10.0.1.%d" % (10 + idx),
                "podIP": "10.244.%d.%d" % (idx, random.randint(2, 250)),
                "startTime": now, "conditions": conds, "containerStatuses": statuses}

    def make_pod(self, ns, owner, template, extra_labels, name=None):
        """A Running pod from a template, owned (controller) by owner.

        name None: <owner>-<5 chars>, as the ReplicaSet controller names pods.
        """
        res = find_res("", "pods")
        tmeta = template.get("metadata") or {}
        owner_name = owner["metadata"]["name"]
        generate_name = None
        if name is None:
            generate_name = owner_name + "-"
            name = generate_name + rand_suffix()
            while self.get(res, ns, name):
                name = generate_name + rand_suffix()
        labels = dict(tmeta.get("labels") or {})
        labels.update(extra_labels)
        spec = copy.deepcopy(template.get("spec") or {})
        node = self.pick_node()
        spec.setdefault("restartPolicy", "Always")
        spec.setdefault("dnsPolicy", "ClusterFirst")
        spec.setdefault("schedulerName", "default-scheduler")
        spec.setdefault("terminationGracePeriodSeconds", 30)
        spec["nodeName"] = node
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": name, "labels": labels,
                            "ownerReferences": [{"apiVersion": "apps/v1",
                                                 "kind": owner["kind"],
                                                 "name": owner_name,
                                                 "uid": owner["metadata"]["uid"],
                                                 "controller": True,
                                                 "blockOwnerDeletion": True}]},
               "spec": spec}
        if generate_name:
            pod["metadata"]["generateName"] = generate_name
        else:
            spec.setdefault("hostname", name)
        if tmeta.get("annotations"):
            pod["metadata"]["annotations"] = copy.deepcopy(tmeta["annotations"])
        self.new_meta(pod["metadata"], res, ns)
        pod["metadata"]["kubesim/created_s"] = self.clock.now_s()
        pod["status"] = self.running_status(pod, node)
        return self.put(res, pod, "ADDED")

    # -- the deployment "controller" -----------------------------------------------

    def owned_by(self, obj, kind, name):
        for o in meta(obj).get("ownerReferences") or []:
            if isinstance(o, dict) and o.get("kind") == kind and o.get("name") == name:
                return True
        return False

    def workload_of_pod(self, pod):
        """(ns, name, kind) of the Deployment (through its ReplicaSet) or StatefulSet that
        owns a pod, or None."""
        ns = meta(pod).get("namespace", "")
        rs_res = find_res("apps", "replicasets")
        for o in meta(pod).get("ownerReferences") or []:
            if not isinstance(o, dict):
                continue
            if o.get("kind") == "StatefulSet":
                return (ns, o.get("name"), "StatefulSet")
            if o.get("kind") == "ReplicaSet":
                rs = self.get(rs_res, ns, o.get("name"))
                if rs:
                    for d in meta(rs).get("ownerReferences") or []:
                        if isinstance(d, dict) and d.get("kind") == "Deployment":
                            return (ns, d.get("name"), "Deployment")
        return None

    def reconcile_workload(self, res, obj):
        if res.plural == "deployments":
            self.reconcile(obj)
        elif res.plural == "statefulsets":
            self.reconcile_statefulset(obj)

    def reconcile_statefulset(self, sts):
        """Pods <name>-0 .. <name>-(n-1), highest ordinal removed first; a template change
        replaces every pod at once (an instant rolling update)."""
        ns = sts["metadata"]["namespace"]
        name = sts["metadata"]["name"]
        spec = sts.get("spec") or {}
        template = spec.get("template") or {}
        replicas = spec.get("replicas", 1)
        rev = name + "-" + template_hash(template)
        pods_res = find_res("", "pods")

        def ordinal(p):
            try:
                return int(meta(p)["name"].rsplit("-", 1)[1])
            except (KeyError, IndexError, ValueError):
                return -1
        pods = [p for p in self.objects(pods_res, ns) if self.owned_by(p, "StatefulSet", name)]
        for p in list(pods):
            if labels_of(p).get("controller-revision-hash") != rev or \
                    not 0 <= ordinal(p) < replicas:
                self.remove(pods_res, ns, meta(p)["name"])
                self.emit_event(ns, sts, "SuccessfulDelete", "delete Pod %s in StatefulSet %s "
                                "successful" % (meta(p)["name"], name), "statefulset-controller")
                pods.remove(p)
        have = {ordinal(p) for p in pods}
        for i in range(replicas):
            if i not in have:
                pname = "%s-%d" % (name, i)
                pods.append(self.make_pod(ns, sts, template, {
                    "controller-revision-hash": rev,
                    "statefulset.kubernetes.io/pod-name": pname,
                    "apps.kubernetes.io/pod-index": str(i)}, name=pname))
                self.emit_event(ns, sts, "SuccessfulCreate", "create Pod %s in StatefulSet %s "
                                "successful" % (pname, name), "statefulset-controller")
        ready = sum(1 for p in pods if self.pod_ready(p))
        st = {"observedGeneration": sts["metadata"].get("generation", 1),
              "replicas": len(pods), "availableReplicas": ready}
        for k, v in (("readyReplicas", ready), ("currentReplicas", len(pods)),
                     ("updatedReplicas", len(pods))):
            if v:
                st[k] = v  # omitempty upstream; replicas and availableReplicas are not
        st.update(currentRevision=rev, updateRevision=rev, collisionCount=0)
        sts["status"] = st

    def reconcile(self, dep, emit_events=True):
        """Make pods and ReplicaSet match dep.spec (instant rollout), fill dep.status.

        Runs inside the write that changed the deployment, so the response already shows
        the final state and its resourceVersion is the one a follow-up PUT must carry.
        """
        ns = dep["metadata"]["namespace"]
        name = dep["metadata"]["name"]
        spec = dep.get("spec") or {}
        template = spec.get("template") or {}
        replicas = spec.get("replicas", 1)
        hash_ = template_hash(template)
        rs_name = name + "-" + hash_
        rs_res = find_res("apps", "replicasets")
        pods_res = find_res("", "pods")
        rs = self.get(rs_res, ns, rs_name)
        # Old ReplicaSets (previous templates) go away with their pods.
        for other in self.objects(rs_res, ns):
            if other is not rs and self.owned_by(other, "Deployment", name):
                for pod in self.objects(pods_res, ns):
                    if self.owned_by(pod, "ReplicaSet", other["metadata"]["name"]):
                        self.remove(pods_res, ns, pod["metadata"]["name"])
                self.remove(rs_res, ns, other["metadata"]["name"])
        sel = copy.deepcopy(spec.get("selector") or {})
        sel.setdefault("matchLabels", {})["pod-template-hash"] = hash_
        rs_template = copy.deepcopy(template)
        rs_template.setdefault("metadata", {}).setdefault("labels", {})[
            "pod-template-hash"] = hash_
        if rs is None:
            rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                  "metadata": {"name": rs_name,
                               "labels": dict(rs_template["metadata"]["labels"]),
                               "annotations": {"deployment.kubernetes.io/desired-replicas":
                                               str(replicas)},
                               "ownerReferences": [{"apiVersion": "apps/v1",
                                                    "kind": "Deployment", "name": name,
                                                    "uid": dep["metadata"]["uid"],
                                                    "controller": True,
                                                    "blockOwnerDeletion": True}]},
                  "spec": {"replicas": replicas, "selector": sel, "template": rs_template},
                  "status": {}}
            self.new_meta(rs["metadata"], rs_res, ns)
            self.put(rs_res, rs, "ADDED")
        pods = [p for p in self.objects(pods_res, ns) if self.owned_by(p, "ReplicaSet", rs_name)]
        before = len(pods)
        while len(pods) < replicas:
            pods.append(self.make_pod(ns, rs, template, {"pod-template-hash": hash_}))
        if len(pods) > replicas:
            # Newest first, as the ReplicaSet controller prefers younger pods for deletion.
            pods.sort(key=lambda p: (meta(p).get("kubesim/created_s", 0),
                                     meta(p).get("name")))
            for pod in pods[replicas:]:
                self.remove(pods_res, ns, pod["metadata"]["name"])
            pods = pods[:replicas]
        ready = sum(1 for p in pods if self.pod_ready(p))
        rs_status = {"replicas": len(pods), "fullyLabeledReplicas": len(pods),
                     "readyReplicas": ready, "availableReplicas": ready,
                     "observedGeneration": rs["metadata"].get("generation", 1)}
        rs_status = {k: v for k, v in rs_status.items() if v}
        if rs["spec"].get("replicas") != replicas or rs.get("status") != rs_status:
            rs["spec"]["replicas"] = replicas
            rs["metadata"].setdefault("annotations", {})[
                "deployment.kubernetes.io/desired-replicas"] = str(replicas)
            rs["status"] = rs_status
            self.put(rs_res, rs, "MODIFIED")
        now = self.now()
        st = {"observedGeneration": dep["metadata"].get("generation", 1),
              "replicas": len(pods), "updatedReplicas": len(pods), "readyReplicas": ready,
              "availableReplicas": ready, "unavailableReplicas": len(pods) - ready}
        st = {k: v for k, v in st.items() if v}
        old = dep.get("status") or {}
        conds = {c.get("type"): c for c in old.get("conditions") or [] if isinstance(c, dict)}
        avail = "True" if ready >= replicas else "False"
        for typ, status, reason, msg in (
                ("Available", avail,
                 "MinimumReplicasAvailable" if avail == "True" else "MinimumReplicasUnavailable",
                 "Deployment has minimum availability." if avail == "True" else
                 "Deployment does not have minimum availability."),
                ("Progressing", "True", "NewReplicaSetAvailable",
                 'ReplicaSet "%s" has successfully progressed.' % rs_name)):
            c = conds.get(typ)
            if not c or c.get("status") != status or c.get("reason") != reason:
                conds[typ] = {"type": typ, "status": status, "lastUpdateTime": now,
                              "lastTransitionTime": now, "reason": reason, "message": msg}
        st["conditions"] = [conds["Available"], conds["Progressing"]]
        dep["status"] = st
        if emit_events and before != len(pods):
            self.emit_event(ns, dep, "ScalingReplicaSet",
                            "Scaled %s replica set %s from %d to %d" %
                            ("up" if len(pods) > before else "down", rs_name, before, len(pods)),
                            "deployment-controller")

    def pod_ready(self, pod):
        for c in (pod.get("status") or {}).get("conditions") or []:
            if isinstance(c, dict) and c.get("type") == "Ready":
                return c.get("status") == "True" and pod["status"].get("phase") == "Running"
        return False

    def refresh_workload(self, wl):
        """Re-run the controller of workload wl = (ns, name, kind) after a pod changed."""
        if not wl:
            return
        ns, name, kind = wl
        res = find_res("apps", "deployments" if kind == "Deployment" else "statefulsets")
        obj = self.get(res, ns, name)
        if obj:
            obj = copy.deepcopy(obj)
            before = copy.deepcopy(obj.get("status"))
            self.reconcile_workload(res, obj)
            if obj.get("status") != before:
                self.put(res, obj, "MODIFIED")

    def emit_event(self, ns, obj, reason, message, component):
        res = find_res("", "events")
        if not self.get(find_res("", "namespaces"), "", ns):
            return
        now = self.now()
        name = "%s.%x" % (obj["metadata"]["name"], random.getrandbits(60))
        ev = {"apiVersion": "v1", "kind": "Event",
              "metadata": {"name": name},
              "involvedObject": {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"),
                                 "name": obj["metadata"]["name"], "namespace": ns,
                                 "uid": obj["metadata"].get("uid"),
                                 "resourceVersion": obj["metadata"].get("resourceVersion")},
              "reason": reason, "message": message, "type": "Normal",
              "source": {"component": component}, "firstTimestamp": now,
              "lastTimestamp": now, "count": 1, "reportingComponent": component,
              "reportingInstance": ""}
        self.new_meta(ev["metadata"], res, ns)
        self.put(res, ev, "ADDED")

    # -- load model and metrics ---------------------------------------------------

    def load_at(self, entry, t):
        pts = entry.get("points") or []
        pts = sorted((p for p in pts if isinstance(p, list) and len(p) >= 3),
                     key=lambda p: p[0])
        if not pts:
            return 0.0, 0.0
        if t <= pts[0][0]:
            return float(pts[0][1]), float(pts[0][2])
        for a, b in zip(pts, pts[1:]):
            if a[0] <= t <= b[0]:
                f = 0.0 if b[0] == a[0] else (t - a[0]) / (b[0] - a[0])
                return a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])
        return float(pts[-1][1]), float(pts[-1][2])

    def pod_usage(self, pod, t, counts):
        """[(container, cpu_millicores, memory_bytes)] for a pod under the load model."""
        ns = meta(pod).get("namespace", "")
        dep = self.workload_of_pod(pod)
        out = []
        for c in (pod.get("spec") or {}).get("containers") or []:
            if not isinstance(c, dict):
                continue
            cpu = mem = 0.0
            entry = self.loads.get((ns, dep[1] if dep else None, c.get("name")))
            if entry is None and dep is None:
                entry = self.loads.get((ns, meta(pod).get("name"), c.get("name")))
            if entry is not None:
                n = max(1, counts.get(dep, 1))
                total_cpu, total_mem = self.load_at(entry, t)
                fixed = entry.get("fixed_per_pod") or {}
                cpu = fixed.get("cpu_millicores", 0) + total_cpu / n
                mem = fixed.get("memory_bytes", 0) + total_mem / n
            out.append((c.get("name", ""), cpu, mem))
        return out

    def metrics_visible(self, pod):
        if not isinstance(pod, dict) or meta(pod).get("kubesim/raw"):
            return False
        if (pod.get("status") or {}).get("phase") != "Running":
            return False
        m = meta(pod)
        if (m.get("namespace"), m.get("name")) in self.hidden_metrics:
            return False
        age = self.clock.now_s() - m.get("kubesim/created_s", -1e9)
        return age >= float(self.config["scrape_delay_s"])

    def running_counts(self):
        counts = collections.Counter()
        for pod in self.objects(find_res("", "pods")):
            if self.metrics_visible(pod) or \
                    ((pod.get("status") or {}).get("phase") == "Running"
                     and not meta(pod).get("kubesim/raw")):
                counts[self.workload_of_pod(pod)] += 1
        return counts

    def pod_metrics(self, pod, t, counts):
        now = self.now()
        w = self.config["metrics_window_s"]
        return {"metadata": {"name": meta(pod)["name"], "namespace": meta(pod)["namespace"],
                             "creationTimestamp": now, "labels": dict(labels_of(pod))},
                "timestamp": now, "window": "%gs" % w if w != int(w) else "%ds" % w,
                "containers": [{"name": n, "usage": {"cpu": cpu_nanos_quantity(cpu * 1e6),
                                                     "memory": memory_quantity(mem)}}
                               for n, cpu, mem in self.pod_usage(pod, t, counts)]}

    def node_metrics(self, node, t, counts):
        now = self.now()
        # kubesim's own figure for kubelet and system daemons, so nodes are never idle.
        cpu, mem = 100.0, 512 * 1024 * 1024
        for pod in self.objects(find_res("", "pods")):
            if self.metrics_visible(pod) and (pod.get("spec") or {}).get("nodeName") == node:
                for _, c, m in self.pod_usage(pod, t, counts):
                    cpu += c
                    mem += m
        w = self.config["metrics_window_s"]
        return {"metadata": {"name": node, "creationTimestamp": now,
                             "labels": dict(labels_of(self.get(find_res("", "nodes"), "", node)
                                                      or {}))},
                "timestamp": now, "window": "%ds" % w if w == int(w) else "%gs" % w,
                "usage": {"cpu": cpu_nanos_quantity(cpu * 1e6),
                          "memory": memory_quantity(mem)}}


# ---------------------------------------------------------------------------
# API logic: create / update / patch / delete / list
# ---------------------------------------------------------------------------

def defaults_and_validate(sim, res, obj, name):
    """Built-in defaulting and the validation that tests rely on (422 with causes)."""
    spec = obj.get("spec")
    if "spec" in obj and not isinstance(spec, dict):
        raise invalid(res, name, "spec", spec, "must be an object")
    if res.plural in WORKLOAD_KINDS:
        spec = obj.setdefault("spec", {})
        spec.setdefault("replicas", 1)
        r = spec["replicas"]
        if isinstance(r, bool) or not isinstance(r, int) or r < 0:
            raise invalid(res, name, "spec.replicas", r,
                          "must be greater than or equal to 0")
        sel = spec.get("selector")
        if not isinstance(sel, dict) or not (sel.get("matchLabels") or
                                             sel.get("matchExpressions")):
            raise invalid(res, name, "spec.selector", None, "", "FieldValueRequired")
        tlabels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        try:
            reqs = parse_label_selector(selector_string(sel))
        except ApiError:
            reqs = None
        if reqs is None or not label_match(reqs, tlabels):
            raise invalid(res, name, "spec.template.metadata.labels", tlabels,
                          "`selector` does not match template `labels`")
        containers = ((spec.get("template") or {}).get("spec") or {}).get("containers")
        if not isinstance(containers, list) or not containers:
            raise invalid(res, name, "spec.template.spec.containers", None, "",
                          "FieldValueRequired")
        spec.setdefault("revisionHistoryLimit", 10)
        if res.plural == "deployments":  # apps/v1 defaults.go
            spec.setdefault("strategy", {"type": "RollingUpdate",
                                         "rollingUpdate": {"maxUnavailable": "25%",
                                                           "maxSurge": "25%"}})
            spec.setdefault("progressDeadlineSeconds", 600)
        else:
            spec.setdefault("podManagementPolicy", "OrderedReady")
            spec.setdefault("updateStrategy", {"type": "RollingUpdate",
                                               "rollingUpdate": {"partition": 0}})
    elif res.plural == "horizontalpodautoscalers":
        spec = obj.setdefault("spec", {})
        mx = spec.get("maxReplicas")
        if isinstance(mx, bool) or not isinstance(mx, int) or mx < 1:
            raise invalid(res, name, "spec.maxReplicas", mx if mx is not None else 0,
                          "must be greater than or equal to 1")
        spec.setdefault("minReplicas", 1)
        mn = spec["minReplicas"]
        if isinstance(mn, bool) or not isinstance(mn, int) or mn > mx:
            raise invalid(res, name, "spec.minReplicas", mn,
                          "must be less than or equal to maxReplicas")
        ref = spec.get("scaleTargetRef")
        if not isinstance(ref, dict) or not ref.get("kind") or not ref.get("name"):
            raise invalid(res, name, "spec.scaleTargetRef", None, "", "FieldValueRequired")
        if not spec.get("metrics"):
            # autoscaling/v2 defaults.go: CPU utilization 80% (spec 9.5).
            spec["metrics"] = [{"type": "Resource", "resource": {
                "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]
        beh = spec.get("behavior")
        if isinstance(beh, dict):  # autoscaling/v2 defaults.go, SetDefaults_HPAScalingRules
            up = beh.setdefault("scaleUp", {})
            up.setdefault("stabilizationWindowSeconds", 0)
            up.setdefault("selectPolicy", "Max")
            up.setdefault("policies", [{"type": "Pods", "value": 4, "periodSeconds": 15},
                                       {"type": "Percent", "value": 100,
                                        "periodSeconds": 15}])
            down = beh.setdefault("scaleDown", {})
            down.setdefault("selectPolicy", "Max")
            down.setdefault("policies", [{"type": "Percent", "value": 100,
                                          "periodSeconds": 15}])
    elif res.plural in ("verticalpodautoscalers", "podscalers"):
        ref = (obj.get("spec") or {}).get("targetRef")
        if not isinstance(ref, dict):
            raise invalid(res, name, "spec.targetRef", None, "", "FieldValueRequired")
    elif res.plural == "leases":
        d = (obj.get("spec") or {}).get("leaseDurationSeconds")
        if d is not None and (isinstance(d, bool) or not isinstance(d, int) or d <= 0):
            raise invalid(res, name, "spec.leaseDurationSeconds", d, "must be greater than 0")
    elif res.plural == "pods":
        cs = (obj.get("spec") or {}).get("containers")
        if not isinstance(cs, list) or not cs:
            raise invalid(res, name, "spec.containers", None, "", "FieldValueRequired")


def body_kind_check(res, obj):
    if not isinstance(obj, dict):
        raise bad_request("the body of the request was not a JSON object")
    if obj.get("kind") not in (None, "", res.kind) or \
            obj.get("apiVersion") not in (None, "", res.gv):
        raise bad_request("the API version in the data (%s) does not match the expected API "
                          "version (%s)" % (obj.get("apiVersion"), res.gv)
                          if obj.get("apiVersion") not in (None, "", res.gv) else
                          "kind %s does not match the expected kind %s"
                          % (obj.get("kind"), res.kind))
    if "metadata" in obj and not isinstance(obj["metadata"], dict):
        raise bad_request("metadata must be an object")


def pod_immutable(spec):
    """A pod spec without the fields an update may change (resources go through /resize)."""
    spec = copy.deepcopy(spec) if isinstance(spec, dict) else {}
    for k in ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds"):
        spec.pop(k, None)
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or []:
            if isinstance(c, dict):
                c.pop("image", None)
    return spec


def spec_part(res, obj):
    """What counts as 'spec' for generation: everything but metadata (and status)."""
    return {k: v for k, v in obj.items()
            if k not in ("metadata", "apiVersion", "kind") and not (res.status and k == "status")}


def unchanged(new, cur):
    """True when a write would store exactly what is stored. Upstream's GuaranteedUpdate
    (storage/etcd3) then writes nothing: the stored object (resourceVersion and all) is the
    answer and no watch event is sent. resourceVersion is not part of the stored bytes."""
    def without_rv(o):
        o = dict(o)
        o["metadata"] = {k: v for k, v in meta(o).items() if k != "resourceVersion"}
        return o
    return json_equal(without_rv(new), without_rv(cur))


def do_create(sim, res, ns, obj, dry_run=False, keep_status=False):
    body_kind_check(res, obj)
    obj = copy.deepcopy(obj)
    obj["apiVersion"] = res.gv
    obj["kind"] = res.kind
    m = obj.setdefault("metadata", {})
    if res.namespaced:
        if m.get("namespace") not in (None, "", ns):
            raise bad_request("the namespace of the provided object does not match the "
                              "namespace sent on the request")
        if not sim.get(find_res("", "namespaces"), "", ns):
            raise not_found(find_res("", "namespaces"), ns)
    if not m.get("name"):
        gen = m.get("generateName")
        if not gen:
            raise invalid(res, "", "metadata.name", None, "name or generateName is required",
                          "FieldValueRequired")
        m["name"] = gen + rand_suffix()
        while sim.get(res, ns, m["name"]):
            m["name"] = gen + rand_suffix()
    name = m["name"]
    if not isinstance(name, str) or not re.match(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", name):
        raise invalid(res, str(name), "metadata.name", name,
                      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                      "characters, '-' or '.'")
    if res.status and not keep_status:
        obj.pop("status", None)
    # Validation runs before storage, so an invalid duplicate is 422, not 409, as upstream.
    defaults_and_validate(sim, res, obj, name)
    # Upstream's storage refuses a set (non-zero decimal) rv before it looks for a duplicate;
    # a dry run never reaches that check. Its error is no API status, so the apiserver
    # answers it as ErrorToAPIStatus does any other: 500 with an empty (Unknown) reason.
    rv = m.get("resourceVersion")
    if not dry_run and isinstance(rv, str) and re.fullmatch(r"[0-9]+", rv) and int(rv) != 0:
        raise ApiError(500, "resourceVersion should not be set on objects to be created",
                       reason="")
    if sim.get(res, ns, name):
        raise ApiError(409, '%s "%s" already exists' % (res.qualified(), name),
                       reason="AlreadyExists", details=details_for(res, name))
    sim.new_meta(m, res, ns)
    if res.plural == "pods":
        node = (obj.get("spec") or {}).get("nodeName") or sim.pick_node()
        obj["spec"]["nodeName"] = node
        m["kubesim/created_s"] = sim.clock.now_s()
        if not keep_status or not obj.get("status"):
            obj["status"] = sim.running_status(obj, node)
    if res.plural == "namespaces":
        m.setdefault("labels", {})["kubernetes.io/metadata.name"] = name
        obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        obj["status"] = {"phase": "Active"}
    if dry_run:
        m["resourceVersion"] = str(sim.rv)
        return obj
    sim.reconcile_workload(res, obj)
    sim.put(res, obj, "ADDED")
    return obj


def do_update(sim, res, ns, name, obj, sub="", dry_run=False, check_rv=True):
    """PUT semantics for the main resource and the status subresource (spec 8.1, 8.2)."""
    body_kind_check(res, obj)
    cur = sim.get(res, ns, name)
    if cur is None:
        raise not_found(res, name)
    m = obj.get("metadata") or {}
    if m.get("name") != name:  # upstream's checkName: a missing name is "" and mismatches
        raise bad_request("the name of the object (%s) does not match the name on the URL (%s)"
                          % (m.get("name") or "", name))
    if res.namespaced and m.get("namespace") not in (None, "", ns):
        raise bad_request("the namespace of the provided object does not match the namespace "
                          "sent on the request")
    rv = m.get("resourceVersion")
    if check_rv:
        if rv:
            if rv != meta(cur).get("resourceVersion"):
                raise conflict(res, name)
        elif not res.builtin:
            # Upstream prints the missing value as 0x0 for custom resources.
            raise ApiError(422, '%s.%s "%s" is invalid: metadata.resourceVersion: Invalid '
                           'value: 0x0: must be specified for an update'
                           % (res.kind, res.group, name),
                           details={"name": name, "group": res.group, "kind": res.kind,
                                    "causes": [{"reason": "FieldValueInvalid",
                                                "message": "Invalid value: 0x0: must be "
                                                           "specified for an update",
                                                "field": "metadata.resourceVersion"}]})
    if sub == "status":
        new = copy.deepcopy(cur)
        if "status" in obj:
            new["status"] = copy.deepcopy(obj["status"])
        else:
            new.pop("status", None)
    else:
        new = copy.deepcopy(obj)
        new["apiVersion"] = res.gv
        new["kind"] = res.kind
        nm = new.setdefault("metadata", {})
        cm = meta(cur)
        for k in ("uid", "creationTimestamp", "deletionTimestamp", "generation",
                  "kubesim/created_s"):
            if k in cm:
                nm[k] = cm[k]
            else:
                nm.pop(k, None)
        nm["name"] = name
        if res.namespaced:
            nm["namespace"] = ns
        nm.pop("managedFields", None)
        if res.status:
            if "status" in cur:
                new["status"] = copy.deepcopy(cur["status"])
            else:
                new.pop("status", None)
        if res.plural in WORKLOAD_KINDS:
            osel = (cur.get("spec") or {}).get("selector")
            nsel = (new.get("spec") or {}).get("selector")
            if nsel is not None and osel is not None and nsel != osel:
                raise invalid(res, name, "spec.selector", nsel, "field is immutable")
        defaults_and_validate(sim, res, new, name)
        if res.plural == "pods" and not json_equal(pod_immutable(new.get("spec")),
                                                   pod_immutable(cur.get("spec"))):
            raise ApiError(422, 'Pod "%s" is invalid: spec: Forbidden: pod updates may not '
                           'change fields other than `spec.containers[*].image`, '
                           '`spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, '
                           '`spec.tolerations` (only additions to existing tolerations), '
                           '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if '
                           'it was previously negative)' % name,
                           details={"name": name, "kind": "Pod", "causes": [
                               {"reason": "FieldValueForbidden",
                                "message": "Forbidden: pod updates may not change fields "
                                           "other than the mutable ones",
                                "field": "spec"}]})
        if not json_equal(spec_part(res, new), spec_part(res, cur)):
            new["metadata"]["generation"] = int(meta(cur).get("generation", 1)) + 1
    if unchanged(new, cur):
        return copy.deepcopy(cur)
    if dry_run:
        return new
    sim.reconcile_workload(res, new)
    sim.put(res, new, "MODIFIED")
    if res.plural == "pods" and sub != "status":
        sim.refresh_workload(sim.workload_of_pod(new))
    return new


def scale_of(sim, res, obj):
    spec = obj.get("spec") or {}
    st = obj.get("status") or {}
    sel = spec.get("selector")
    m = meta(obj)
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {"name": m.get("name"), "namespace": m.get("namespace"),
                         "uid": m.get("uid"), "resourceVersion": m.get("resourceVersion"),
                         "creationTimestamp": m.get("creationTimestamp")},
            "spec": {"replicas": spec.get("replicas", 1)},
            "status": {"replicas": st.get("replicas", 0), "selector": selector_string(sel)}}


def do_scale_update(sim, res, ns, name, scale, dry_run=False):
    cur = sim.get(res, ns, name)
    if cur is None:
        raise not_found(res, name)
    if not isinstance(scale, dict):
        raise bad_request("the body of the request was not a JSON object")
    if scale.get("kind") not in (None, "", "Scale"):
        raise bad_request("kind %s does not match the expected kind Scale" % scale.get("kind"))
    m = scale.get("metadata") or {}
    if m.get("name") != name:  # upstream's checkName: a missing name is "" and mismatches
        raise bad_request("the name of the object (%s) does not match the name on the URL (%s)"
                          % (m.get("name") or "", name))
    rv = m.get("resourceVersion")
    if rv and rv != meta(cur).get("resourceVersion"):
        raise conflict(res, name)
    r = (scale.get("spec") or {}).get("replicas", 0)
    if isinstance(r, bool) or not isinstance(r, int) or r < 0:
        raise ApiError(422, 'Scale.autoscaling "%s" is invalid: spec.replicas: Invalid value: '
                       '%s: must be greater than or equal to 0' % (name, json.dumps(r)),
                       details={"name": name, "group": "autoscaling", "kind": "Scale",
                                "causes": [{"reason": "FieldValueInvalid",
                                            "message": "Invalid value: %s: must be greater "
                                                       "than or equal to 0" % json.dumps(r),
                                            "field": "spec.replicas"}]})
    new = copy.deepcopy(cur)
    new["spec"]["replicas"] = r
    if new["spec"].get("replicas") != (cur.get("spec") or {}).get("replicas", 1):
        new["metadata"]["generation"] = int(meta(cur).get("generation", 1)) + 1
    if unchanged(new, cur):
        return scale_of(sim, res, cur)
    if not dry_run:
        sim.reconcile_workload(res, new)
        sim.put(res, new, "MODIFIED")
    return scale_of(sim, res, new)


def do_resize(sim, ns, name, new_pod, dry_run=False):
    """Pod resize subresource: only container resources are taken (spec 8.4)."""
    res = find_res("", "pods")
    cur = sim.get(res, ns, name)
    if cur is None:
        raise not_found(res, name)
    if not isinstance(new_pod, dict):
        raise bad_request("the body of the request was not a JSON object")
    rv = meta(new_pod).get("resourceVersion")
    if rv and rv != meta(cur).get("resourceVersion"):
        raise conflict(res, name)
    newc = {c.get("name"): c for c in (new_pod.get("spec") or {}).get("containers") or []
            if isinstance(c, dict)}
    pod = copy.deepcopy(cur)
    for i, c in enumerate(pod["spec"].get("containers") or []):
        nc = newc.get(c.get("name"))
        if nc is None:
            continue
        r = nc.get("resources") or {}
        if not isinstance(r, dict):
            raise invalid(res, name, "spec.containers[%d].resources" % i, r, "must be an object")
        for kind in ("requests", "limits"):
            for k, v in (r.get(kind) or {}).items():
                try:
                    if parse_quantity(v) < 0:
                        raise ValueError()
                except ValueError:
                    raise invalid(res, name, "spec.containers[%d].resources.%s[%s]"
                                  % (i, kind, k), v, "must be a valid non-negative quantity")
        c["resources"] = copy.deepcopy(r)
        for st in (pod.get("status") or {}).get("containerStatuses") or []:
            if st.get("name") == c.get("name"):
                st["resources"] = copy.deepcopy(r)
                if r.get("requests"):
                    st["allocatedResources"] = copy.deepcopy(r["requests"])
    # The pod strategy's updatePodGeneration: +1 only when the spec changed.
    if not json_equal(pod.get("spec"), cur.get("spec")):
        pod["metadata"]["generation"] = int(meta(cur).get("generation", 1)) + 1
    pod["status"]["qosClass"] = pod["status"].get("qosClass", Sim.qos_class(pod["spec"]))
    if unchanged(pod, cur):
        return copy.deepcopy(cur)
    if not dry_run:
        sim.put(res, pod, "MODIFIED")
    return pod


def check_preconditions(res, cur, preconditions):
    """DeleteOptions.preconditions as rest.BeforeDelete checks them (dry runs too): a uid or
    resourceVersion other than the stored one is 409 Conflict. Upstream names the object by
    its kind there (GroupResource{group, Kind}), not by its resource."""
    m = meta(cur)
    what = res.kind + ("." + res.group if res.group else "")
    details = {"name": m.get("name"), "kind": res.kind}
    if res.group:
        details["group"] = res.group
    pre = preconditions or {}
    for key, field, why in (("uid", "UID", "deleted and then recreated"),
                            ("resourceVersion", "ResourceVersion", "modified")):
        want = pre.get(key)
        if want is not None and want != m.get(key, ""):
            raise ApiError(409, 'Operation cannot be fulfilled on %s "%s": the %s in the '
                           'precondition (%s) does not match the %s in record (%s). The object '
                           'might have been %s' % (what, m.get("name"), field, want, field,
                                                   m.get(key, ""), why), details=details)


def do_delete(sim, res, ns, name, dry_run=False, preconditions=None):
    cur = sim.get(res, ns, name)
    if cur is None:
        raise not_found(res, name)
    check_preconditions(res, cur, preconditions)
    if dry_run:
        return copy.deepcopy(cur)
    owner = sim.workload_of_pod(cur) if res.plural == "pods" else None
    obj = sim.remove(res, ns if res.namespaced else "", name)
    if res.plural == "namespaces":
        for r in RESOURCES:
            if r.namespaced and not r.computed:
                for key in [k for k in sim.store[r.key] if k[0] == name]:
                    sim.remove(r, key[0], key[1])
        sim.raw_metrics = [e for e in sim.raw_metrics if e[1] != name]
    elif res.plural == "deployments":
        rs_res = find_res("apps", "replicasets")
        pods_res = find_res("", "pods")
        for rs in sim.objects(rs_res, ns):
            if sim.owned_by(rs, "Deployment", name):
                for pod in sim.objects(pods_res, ns):
                    if sim.owned_by(pod, "ReplicaSet", rs["metadata"]["name"]):
                        sim.remove(pods_res, ns, pod["metadata"]["name"])
                sim.remove(rs_res, ns, rs["metadata"]["name"])
    elif res.plural == "statefulsets":
        pods_res = find_res("", "pods")
        for pod in sim.objects(pods_res, ns):
            if sim.owned_by(pod, "StatefulSet", name):
                sim.remove(pods_res, ns, pod["metadata"]["name"])
    elif owner:
        sim.refresh_workload(owner)  # the owner's controller replaces the pod
    return obj


def store_raw(sim, data):
    """Store data['object'] verbatim as an item of the collection data['path']."""
    path = data.get("path", "")
    obj = data.get("object")
    segs = path.strip("/").split("/")
    if len(segs) >= 2 and segs[0] == "api":
        group, version, rest = "", segs[1], segs[2:]
    elif len(segs) >= 3 and segs[0] == "apis":
        group, version, rest = segs[1], segs[2], segs[3:]
    else:
        raise bad_request("raw path must be a collection path")
    ns = ""
    if len(rest) == 3 and rest[0] == "namespaces":
        ns, rest = rest[1], rest[2:]
    if len(rest) != 1 or (group, version, rest[0]) not in BY_GVR:
        raise bad_request("raw path must be a collection path")
    res = BY_GVR[(group, version, rest[0])]
    if res.computed:
        sim.raw_metrics.append((res.plural, ns, copy.deepcopy(obj)))
        return {"stored": True}
    sim.raw_seq += 1
    if isinstance(obj, dict):
        o = copy.deepcopy(obj)
        if not isinstance(o.get("metadata"), dict):
            # A non-object metadata stays verbatim: keep it aside and restore on output.
            o = {"kubesim/value": o, "metadata": {}}
    else:
        o = {"kubesim/value": copy.deepcopy(obj), "metadata": {}}
    o["metadata"]["kubesim/raw"] = True
    name = meta(o).get("name")
    ns_key = ns if res.namespaced else ""
    key_name = name if isinstance(name, str) and name and \
        (ns_key, name) not in sim.store[res.key] else "~raw-%06d" % sim.raw_seq
    sim.store[res.key][(ns_key, key_name)] = o
    sim.last_copy[(res.key, (ns_key, key_name))] = copy.deepcopy(o)
    return {"stored": True, "key": key_name}


# ---------------------------------------------------------------------------
# Server-side printing: meta.k8s.io/v1 Table, what human-readable `kubectl get` asks for
# ---------------------------------------------------------------------------

def human_duration(seconds):
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return "%ds" % s
    m = s // 60
    if m < 10:
        return "%dm" % m if s % 60 == 0 else "%dm%ds" % (m, s % 60)
    if m < 180:
        return "%dm" % m
    h = m // 60
    if h < 8:
        return "%dh" % h if m % 60 == 0 else "%dh%dm" % (h, m % 60)
    if h < 48:
        return "%dh" % h
    if h < 24 * 8:
        return "%dd" % (h // 24) if h % 24 == 0 else "%dd%dh" % (h // 24, h % 24)
    if h < 24 * 365 * 2:
        return "%dd" % (h // 24)
    d = h // 24
    if h < 24 * 365 * 8:
        return "%dy" % (d // 365) if d % 365 == 0 else "%dy%dd" % (d // 365, d % 365)
    return "%dy" % (d // 365)


def _age(sim, obj):
    ts = meta(obj).get("creationTimestamp")
    try:
        t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
    except (TypeError, ValueError):
        return "<unknown>"
    return human_duration(sim.clock.wall() - t)


def _pod_cells(sim, p):
    st = p.get("status") or {}
    cs = st.get("containerStatuses") or []
    n = len((p.get("spec") or {}).get("containers") or [])
    ready = sum(1 for c in cs if isinstance(c, dict) and c.get("ready"))
    restarts = sum(int(c.get("restartCount", 0)) for c in cs if isinstance(c, dict))
    return ["%d/%d" % (ready, n), st.get("phase", ""), restarts, _age(sim, p)]


def _hpa_targets(h):
    out = []
    for m in (h.get("spec") or {}).get("metrics") or []:
        src = (m or {}).get("resource") or (m or {}).get("containerResource") or {}
        tgt = src.get("target") or {}
        if "averageUtilization" in tgt:
            out.append("%s: <unknown>/%d%%" % (src.get("name"), tgt["averageUtilization"]))
        elif tgt:
            out.append("%s: <unknown>/%s" % (src.get("name") or m.get("type"),
                                             tgt.get("averageValue") or tgt.get("value")))
    return ", ".join(out) or "<none>"


TABLE_COLUMNS = {
    "pods": (["Ready", "Status", "Restarts", "Age"], ["string", "string", "integer", "string"],
             _pod_cells),
    "deployments": (["Ready", "Up-to-date", "Available", "Age"],
                    ["string", "integer", "integer", "string"],
                    lambda sim, d: ["%d/%d" % ((d.get("status") or {}).get("readyReplicas", 0),
                                               (d.get("spec") or {}).get("replicas", 1)),
                                    (d.get("status") or {}).get("updatedReplicas", 0),
                                    (d.get("status") or {}).get("availableReplicas", 0),
                                    _age(sim, d)]),
    "statefulsets": (["Ready", "Age"], ["string", "string"],
                     lambda sim, s: ["%d/%d" % ((s.get("status") or {}).get("readyReplicas", 0),
                                                (s.get("spec") or {}).get("replicas", 1)),
                                     _age(sim, s)]),
    "replicasets": (["Desired", "Current", "Ready", "Age"],
                    ["integer", "integer", "integer", "string"],
                    lambda sim, r: [(r.get("spec") or {}).get("replicas", 1),
                                    (r.get("status") or {}).get("replicas", 0),
                                    (r.get("status") or {}).get("readyReplicas", 0),
                                    _age(sim, r)]),
    "horizontalpodautoscalers": (
        ["Reference", "Targets", "MinPods", "MaxPods", "Replicas", "Age"],
        ["string", "string", "integer", "integer", "integer", "string"],
        lambda sim, h: ["%s/%s" % (((h.get("spec") or {}).get("scaleTargetRef") or {})
                                   .get("kind"),
                                   ((h.get("spec") or {}).get("scaleTargetRef") or {})
                                   .get("name")),
                        _hpa_targets(h), (h.get("spec") or {}).get("minReplicas", 1),
                        (h.get("spec") or {}).get("maxReplicas", 0),
                        (h.get("status") or {}).get("currentReplicas", 0), _age(sim, h)]),
    "namespaces": (["Status", "Age"], ["string", "string"],
                   lambda sim, n: [(n.get("status") or {}).get("phase", ""), _age(sim, n)]),
    "nodes": (["Status", "Roles", "Age", "Version"], ["string", "string", "string", "string"],
              lambda sim, n: ["Ready", "<none>", _age(sim, n),
                              ((n.get("status") or {}).get("nodeInfo") or {})
                              .get("kubeletVersion", "")]),
}


def to_table(sim, res, objs, list_meta, include):
    names, types, cells = TABLE_COLUMNS.get(
        res.plural, (["Age"], ["string"], lambda sim_, o: [_age(sim_, o)]))
    cols = [{"name": "Name", "type": "string", "format": "name", "priority": 0,
             "description": "Name must be unique within a namespace."}]
    cols += [{"name": n, "type": t, "format": "", "priority": 0, "description": n}
             for n, t in zip(names, types)]
    rows = []
    for o in objs:
        if not isinstance(o, dict):
            continue
        row = {"cells": [meta(o).get("name", "")] + cells(sim, o)}
        if include == "Object":
            row["object"] = o
        elif include != "None":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": meta(o)}
        rows.append(row)
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta,
            "columnDefinitions": cols, "rows": rows}


# ---------------------------------------------------------------------------
# HTTP layer
# ---------------------------------------------------------------------------

def encode_continue(d):
    return base64.urlsafe_b64encode(json.dumps(d, separators=(",", ":")).encode()) \
        .decode().rstrip("=")


def decode_continue(tok):
    try:
        pad = "=" * (-len(tok) % 4)
        d = json.loads(base64.urlsafe_b64decode(tok + pad))
        if not isinstance(d, dict) or d.get("v") != "meta.k8s.io/v1" or \
                not isinstance(d.get("start"), str) or not isinstance(d.get("rv"), int) or \
                not isinstance(d.get("e"), int) or not isinstance(d.get("t"), (int, float)):
            raise ValueError()
        return d
    except (ValueError, TypeError):
        # storage.ValidateListOptions: BadRequest("invalid continue token: " + the error of
        # DecodeContinue, whose own text always starts "continue key is not valid").
        raise bad_request("invalid continue token: continue key is not valid: incorrect "
                          "encoded start resourceVersion (version meta.k8s.io/v1)")


# registry Store deleteCollectionPageSize: the page a deletecollection lists by.
DELETE_COLLECTION_PAGE = 10000
# apiserver MaxRequestBodyBytes: 3 MiB.
MAX_REQUEST_BODY = 3 * 1024 * 1024
# apiserver --min-request-timeout default: the longest a watch runs without timeoutSeconds.
WATCH_TIMEOUT_DEFAULT_S = 1800


def go_bool(s):
    return s in ("1", "t", "T", "true", "TRUE", "True")


def query_bool_ptr(s):
    """A *bool query parameter as apimachinery's Convert_Slice_string_To_Pointer_bool decodes
    it: absent is nil (None); "0" and any case of "false" are false; any other value, the
    empty one included, is true."""
    if s is None:
        return None
    return not (s == "0" or s.lower() == "false")


class Response:
    def __init__(self, code, body, ctype="application/json", headers=None):
        self.code = code
        self.body = body if isinstance(body, bytes) else \
            (json.dumps(body) + "\n").encode()
        self.ctype = ctype
        self.headers = dict(headers or {})


class WatchMarker:
    def __init__(self, res, ns, params):
        self.res, self.ns, self.params = res, ns, params


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, and chunked encoding for watches
    server_version = "kubesim/1"
    sys_version = ""

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("kubesim: %s\n" % (fmt % args))

    # -- plumbing -------------------------------------------------------------------

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def read_body(self):
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            data = b""
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline(65537)
                if len(data) > MAX_REQUEST_BODY:
                    raise ApiError(413, "Request entity too large: limit is 3145728")
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_REQUEST_BODY:
            raise ApiError(413, "Request entity too large: limit is 3145728")
        return self.rfile.read(n) if n > 0 else b""

    def send(self, resp, fault=None):
        body = resp.body
        headers = dict(resp.headers)
        if fault and fault["kind"] == "malformed":
            body = fault.get("body", '{"kind": "PodList", "apiVersion": "v1", "items": '
                             '[{"metadata": {"name": "x",}}, oops').encode()
            resp.code = fault.get("status", 200)
            resp.ctype = "application/json"
        ae = self.headers.get("Accept-Encoding", "")
        if "gzip" in ae and len(body) >= int(self.server.sim.config["gzip_threshold"]) \
                and not (fault and fault["kind"] == "truncated"):
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        length = len(body)
        if fault and fault["kind"] == "truncated":
            cut = int(fault.get("truncate_at", len(body) // 2))
            body = body[:max(0, min(cut, len(body)))]
            if not fault.get("close_early"):
                length = len(body)
        self.send_response(resp.code)
        self.send_header("Content-Type", resp.ctype)
        self.send_header("Content-Length", str(length))
        self.send_header("Audit-Id", str(uuid.uuid4()))
        self.send_header("Cache-Control", "no-cache, private")
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if fault and fault["kind"] == "slow" and fault.get("phase") == "body":
            self.wfile.flush()
            time.sleep(fault.get("delay_ms", 1000) / 1000.0)
        self.wfile.write(body)
        self.wfile.flush()
        if fault and fault["kind"] == "truncated" and fault.get("close_early"):
            self.close_connection = True
            self.hard_close()
        self.status_sent = resp.code

    def hard_close(self):
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass

    def error(self, e, fault=None):
        headers = dict(e.headers)
        if e.details and e.details.get("retryAfterSeconds"):
            headers.setdefault("Retry-After", str(e.details["retryAfterSeconds"]))
        self.send(Response(e.code, e.status(), headers=headers), fault)

    # -- authentication -------------------------------------------------------------

    def credential(self):
        """('bearer'|'client-cert'|'none'|'invalid', token or None)."""
        auth = self.headers.get("Authorization")
        if auth is not None:
            m = re.match(r"^\s*[Bb]earer\s+(\S+)\s*$", auth)
            if not m:
                return "invalid", None
            return "bearer", m.group(1)
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                if self.connection.getpeercert():
                    return "client-cert", None
            except (ValueError, OSError):
                pass
        return "none", None

    # -- dispatch ---------------------------------------------------------------------

    def dispatch(self, method):
        sim = self.server.sim
        self.status_sent = 0
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        # A repeated key counts with its first value, as upstream's parameter codec decodes
        # the query (its Convert_Slice_string_To_* conversions read (*in)[0]).
        self.query_all = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        params = {k: v[0] for k, v in self.query_all.items()}
        try:
            body = self.read_body()
        except (ValueError, ApiError) as e:
            self.close_connection = True
            err = e if isinstance(e, ApiError) else bad_request("bad request body framing")
            return self.error(err)
        if path in ("/healthz", "/livez", "/readyz"):
            return self.send(Response(200, b"ok", "text/plain; charset=utf-8"))
        kind, token = self.credential()
        with sim.lock:
            tokens = list(sim.tokens)
        valid = kind == "client-cert" or (kind == "bearer" and token in tokens)
        if path.startswith("/kubesim/") or path == "/kubesim":
            if not (valid or (kind == "bearer" and token == sim.admin_token)):
                return self.error(ApiError(401, "Unauthorized"))
            try:
                return self.admin(method, path, body)
            except ApiError as e:
                return self.error(e)
            except (ValueError, TypeError, KeyError, AttributeError) as e:
                return self.error(bad_request("admin: %s: %s" % (type(e).__name__, e)))
        entry = {"method": method, "path": path, "query": url.query, "params": params,
                 "token": token, "body": self.logged_body(body),
                 "auth": kind if (valid or kind in ("none", "invalid")) else "invalid",
                 "authorization_present": self.headers.get("Authorization") is not None,
                 "content_type": self.headers.get("Content-Type"),
                 "accept": self.headers.get("Accept"),
                 "accept_encoding": self.headers.get("Accept-Encoding"),
                 "user_agent": self.headers.get("User-Agent"),
                 "host": self.headers.get("Host"),
                 "impersonate": [[k, v] for k, v in self.headers.items()
                                 if k.lower().startswith("impersonate-")],
                 "status": 0, "fault": None, "time_s": round(sim.clock.now_s(), 3)}
        with sim.lock:
            sim.requests.append(entry)
        try:
            self.api(method, path, params, body, valid, entry)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True
        entry["status"] = self.status_sent

    @staticmethod
    def logged_body(body):
        """The request body for the log: JSON when it parses, else text; bounded."""
        if not body:
            return None
        text = body[:65536].decode("utf-8", errors="replace")
        try:
            return json.loads(text)
        except ValueError:
            return text

    def acceptable(self):
        """False when the client accepts no JSON at all (e.g. protobuf only) -> 406."""
        accept = self.headers.get("Accept")
        if not accept:
            return True
        for part in accept.split(","):
            mt = part.split(";")[0].strip().lower()
            if mt in ("*/*", "application/*", "application/json") or mt.endswith("+json") \
                    or mt.endswith("/json"):
                return True
        return False

    def match_fault(self, method, path):
        sim = self.server.sim
        with sim.lock:
            for f in list(sim.faults):
                if not f["re"].search(path):
                    continue
                if f.get("method") and f["method"].upper() != method:
                    continue
                if f.get("skip", 0) > 0:
                    f["skip"] -= 1
                    continue
                if f.get("count") is not None:
                    f["count"] -= 1
                    if f["count"] <= 0:
                        sim.faults.remove(f)
                return {k: v for k, v in f.items() if k != "re"}
        return None

    def api(self, method, path, params, body, valid, entry):
        if not valid:
            return self.error(ApiError(401, "Unauthorized"))
        if not self.acceptable():
            return self.error(ApiError(406, "only the following media types are accepted: "
                                       "application/json, application/json;stream=watch"))
        fault = self.match_fault(method, path)
        if fault:
            entry["fault"] = fault["kind"]
            k = fault["kind"]
            if k == "reset":
                return self.hard_close()
            if k == "unauthorized":
                return self.error(ApiError(401, "Unauthorized"))
            if k == "status":
                code = int(fault.get("status", 500))
                headers = {}
                ra = fault.get("retry_after")
                if ra is not None:
                    headers["Retry-After"] = str(ra)
                if fault.get("plain"):
                    headers["X-Content-Type-Options"] = "nosniff"
                    text = fault.get("body", "Too many requests, please try again later.\n")
                    return self.send(Response(code, text.encode(), "text/plain; charset=utf-8",
                                              headers))
                details = {}
                if ra is not None:
                    details["retryAfterSeconds"] = int(ra)
                msg = fault.get("message") or {
                    429: "Too many requests, please try again later.",
                    500: "Internal error occurred: injected by kubesim",
                    503: "the server is currently unable to handle the request",
                    504: "Timeout: request did not complete within requested timeout"}.get(
                        code, "injected failure")
                return self.error(ApiError(code, msg, reason=fault.get("reason"),
                                           details=details or None, headers=headers))
            if k == "pdb":
                return self.error(ApiError(
                    429, "Cannot evict pod as it would violate the pod's disruption budget.",
                    details={"causes": [{"reason": "DisruptionBudget",
                                         "message": fault.get(
                                             "message", "The disruption budget web-pdb needs "
                                             "2 healthy pods and has 2 currently")}]}))
            if k == "slow" and fault.get("phase") != "body":
                time.sleep(fault.get("delay_ms", 1000) / 1000.0)
                fault = None
        try:
            result = self.route(method, path, params, body)
        except ApiError as e:
            return self.error(e, fault)
        except Exception as e:  # a kubesim bug or an input it did not foresee
            if self.server.verbose:
                import traceback
                traceback.print_exc()
            return self.error(ApiError(500, "Internal error occurred: kubesim: %s: %s"
                                       % (type(e).__name__, e)), fault)
        if isinstance(result, WatchMarker):
            return self.watch(result, fault)
        return self.send(result, fault)

    # -- routing ------------------------------------------------------------------------

    def route(self, method, path, params, body):
        sim = self.server.sim
        segs = [urllib.parse.unquote(s) for s in path.strip("/").split("/")] \
            if path.strip("/") else []
        if segs == ["version"] and method == "GET":
            return Response(200, {"major": "1", "minor": "36", "gitVersion": "v1.36.3",
                                  "gitCommit": "kubesim", "gitTreeState": "clean",
                                  "buildDate": "2026-07-15T00:00:00Z",
                                  "goVersion": "go1.25.0", "compiler": "gc",
                                  "platform": "linux/amd64"})
        if not segs or segs[0] not in ("api", "apis"):
            raise ApiError(404, "the server could not find the requested resource",
                           details={})
        if segs[0] == "api":
            if len(segs) == 1:
                if method != "GET":
                    raise ApiError(405, "the server does not allow this method on the "
                                   "requested resource")
                return Response(200, {"kind": "APIVersions", "versions": ["v1"],
                                      "serverAddressByClientCIDRs": [
                                          {"clientCIDR": "0.0.0.0/0",
                                           "serverAddress": "127.0.0.1:%d"
                                           % self.server.server_address[1]}]})
            group, version, rest = "", segs[1], segs[2:]
        else:
            if len(segs) == 1:
                return Response(200, self.group_list())
            if len(segs) == 2:
                gvs = group_versions()
                if segs[1] not in gvs or segs[1] == "":
                    raise ApiError(404, "the server could not find the requested resource",
                                   details={})
                return Response(200, self.group_doc(segs[1], gvs[segs[1]]))
            group, version, rest = segs[1], segs[2], segs[3:]
        if group not in group_versions() or version not in group_versions()[group]:
            raise ApiError(404, "the server could not find the requested resource",
                           details={})
        if not rest:
            if method != "GET":
                raise ApiError(405, "the server does not allow this method on the requested "
                               "resource")
            return Response(200, self.resource_list(group, version))
        ns, plural, name, sub = None, None, None, ""
        if rest[0] == "namespaces" and len(rest) >= 3 and not (
                group == "" and len(rest) == 3 and rest[2] in ("status", "finalize")):
            ns, plural = rest[1], rest[2]
            name = rest[3] if len(rest) > 3 else None
            sub = rest[4] if len(rest) > 4 else ""
            if len(rest) > 5:
                raise ApiError(404, "the server could not find the requested resource",
                               details={})
        else:
            plural = rest[0]
            name = rest[1] if len(rest) > 1 else None
            sub = rest[2] if len(rest) > 2 else ""
            if len(rest) > 3:
                raise ApiError(404, "the server could not find the requested resource",
                               details={})
        res = BY_GVR.get((group, version, plural))
        if res is None or (ns is not None and not res.namespaced):
            raise ApiError(404, "the server could not find the requested resource",
                           details={})
        if sub and sub not in res.subresources:
            raise ApiError(404, "the server could not find the requested resource",
                           details={})
        if res.namespaced and ns is None and name is not None:
            raise ApiError(404, "the server could not find the requested resource",
                           details={})
        with sim.lock:
            if res.computed:
                return self.metrics(method, res, ns, name, params)
            return self.rest(method, res, ns or "", name, sub, params, body, all_ns=ns is None)

    def group_list(self):
        groups = []
        for g, versions in group_versions().items():
            if g:
                groups.append(self.group_doc(g, versions))
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    @staticmethod
    def group_doc(g, versions):
        vs = [{"groupVersion": g + "/" + v, "version": v} for v in versions]
        return {"kind": "APIGroup", "apiVersion": "v1", "name": g, "versions": vs,
                "preferredVersion": vs[0]}

    @staticmethod
    def resource_list(group, version):
        out = []
        for r in RESOURCES:
            if r.group != group or r.version != version:
                continue
            d = {"name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
                 "kind": r.kind, "verbs": r.verbs}
            if r.short:
                d["shortNames"] = r.short
            if r.categories:
                d["categories"] = r.categories
            out.append(d)
            for s in r.subresources:
                sd = {"name": r.plural + "/" + s, "singularName": "",
                      "namespaced": r.namespaced, "kind": r.kind,
                      "verbs": ["get", "patch", "update"]}
                if s == "scale":
                    sd.update(group="autoscaling", version="v1", kind="Scale")
                elif s == "eviction":
                    sd.update(group="policy", version="v1", kind="Eviction", verbs=["create"])
                out.append(sd)
        return {"kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": version if not group else group + "/" + version,
                "resources": out}

    def parse_json(self, body):
        try:
            return json.loads(body.decode("utf-8")) if body else None
        except (ValueError, UnicodeDecodeError) as e:
            raise bad_request("couldn't get version/kind; json parse error: %s" % e)

    @staticmethod
    def delete_options(opts):
        """A DeleteOptions body as decoded JSON (None when there is no body); the shapes Go
        cannot decode into DeleteOptions are 400."""
        if opts is None:
            return {}
        pre = opts.get("preconditions") if isinstance(opts, dict) else None
        dry = opts.get("dryRun") if isinstance(opts, dict) else None
        if not isinstance(opts, dict) or not isinstance(pre, (dict, type(None))) or \
                any(not isinstance((pre or {}).get(k), (str, type(None)))
                    for k in ("uid", "resourceVersion")) or \
                not (dry is None or (isinstance(dry, list) and
                                     all(isinstance(d, str) for d in dry))) or \
                not isinstance(opts.get("propagationPolicy"), (str, type(None))) or \
                not isinstance(opts.get("orphanDependents"), (bool, type(None))):
            raise bad_request("the body of the request was not a valid DeleteOptions")
        return opts

    def request_delete_options(self, params, body):
        """The DeleteOptions of a DELETE as handlers/delete.go reads them: from the body when
        there is one (the query's dryRun is then not read at all), else from the query (every
        value of dryRun, a []string; the first of the others); then validated as upstream's
        ValidateDeleteOptions (422). Answers (options, dry run)."""
        if not body:
            opts = {}
            if self.query_all.get("dryRun"):
                opts["dryRun"] = self.query_all["dryRun"]
            if "propagationPolicy" in params:
                opts["propagationPolicy"] = params["propagationPolicy"]
            if "orphanDependents" in params:
                opts["orphanDependents"] = query_bool_ptr(params["orphanDependents"])
        else:
            opts = self.delete_options(self.parse_json(body))
        validate_delete_options(opts)
        return opts, bool(opts.get("dryRun"))

    def delete_collection(self, res, ns, params, body):
        """DELETE on a collection: handlers/delete.go DeleteCollection, then the registry
        Store's DeleteCollection."""
        sim = self.server.sim
        # The handler decodes the list options (400) and validates them as a list's (422),
        # then reads the DeleteOptions (400), before anything is listed.
        self.selectors(params)
        causes = list_options_causes(params, watch=False)
        if causes:
            raise invalid_options("ListOptions", causes)
        opts, dry = self.request_delete_options(params, body)
        # The store lists as a list would (resourceVersion, continue, 410, 504 alike), in
        # pages of deleteCollectionPageSize when no limit is asked (one page when it is), and
        # deletes each item with the same options, in list order (one worker, upstream's
        # default): a NotFound is skipped, any other error ends it and is the answer.
        query = dict(params)
        try:
            has_limit = int(params.get("limit") or 0) > 0
        except ValueError:
            has_limit = False  # list() answers the 400
        if not has_limit:
            query["limit"] = str(DELETE_COLLECTION_PAGE)
        first, items = None, []
        while True:
            lst = self.list(res, ns, query)
            for item in lst["items"]:
                m = meta(item)
                item_ns = m.get("namespace", "") if res.namespaced else ""
                if not isinstance(m.get("name"), str) or sim.get(res, item_ns, m["name"]) is None:
                    continue  # raw (verbatim) items, and objects already gone
                do_delete(sim, res, item_ns, m["name"], dry, opts.get("preconditions"))
            if has_limit:
                return lst
            items += lst["items"]
            first = first or lst
            cont = lst["metadata"].get("continue")
            if not cont:
                first["items"] = items
                return first
            query["continue"] = cont
            query.pop("resourceVersion", None)
            query.pop("resourceVersionMatch", None)

    def check_json_ctype(self):
        ct = (self.headers.get("Content-Type") or "application/json").split(";")[0].strip()
        if ct not in ("application/json", "*/*", ""):
            raise ApiError(415, 'the body of the request was in an unknown format - accepted '
                           'media types include: application/json')

    def rest(self, method, res, ns, name, sub, params, body, all_ns):
        sim = self.server.sim
        dry = params.get("dryRun") == "All"
        if name is None:
            if method == "GET":
                if go_bool(params.get("watch", "")):
                    # Validate before the 200 of the stream is sent: errors are Statuses.
                    self.selectors(params)
                    try:
                        float(params.get("timeoutSeconds") or 0)
                    except ValueError:
                        raise bad_request("invalid timeoutSeconds %r"
                                          % params.get("timeoutSeconds"))
                    # Upstream's validateWatchOptions: sendInitialEvents and
                    # resourceVersionMatch=NotOlderThan go together (spec 7.4).
                    causes = list_options_causes(params, watch=True)
                    if causes:
                        raise invalid_options("ListOptions", causes)
                    if rv_parse_error(params.get("resourceVersion")):
                        raise rv_unparsable(params.get("resourceVersion"))
                    return WatchMarker(res, None if all_ns else ns, params)
                lst = self.list(res, None if all_ns else ns, params)
                if self.wants_table():
                    return Response(200, to_table(sim, res, lst["items"], lst["metadata"],
                                                  params.get("includeObject")))
                return Response(200, lst)
            if method == "POST":
                if all_ns and res.namespaced:
                    raise ApiError(405, "the server does not allow this method on the "
                                   "requested resource")
                self.check_json_ctype()
                obj = self.parse_json(body)
                return Response(201, self.public(do_create(sim, res, ns, obj, dry_run=dry)))
            if method == "DELETE":
                if all_ns and res.namespaced:
                    # deletecollection is only installed on the namespaced path.
                    raise ApiError(405, "the server does not allow this method on the "
                                   "requested resource")
                return Response(200, self.delete_collection(res, ns, params, body))
            raise ApiError(405, "the server does not allow this method on the requested "
                           "resource")
        if method == "GET" and sub != "eviction" and params.get("resourceVersion"):
            # Upstream's watch cache serves it, once it has reached the rv (or 504); it parses
            # the rv first, before it looks for the object.
            if rv_parse_error(params.get("resourceVersion")):
                raise rv_unparsable(params.get("resourceVersion"))
            if rv_number(params.get("resourceVersion")):
                sim.wait_for_rv(rv_number(params.get("resourceVersion")))
        if sub == "scale":
            cur = sim.get(res, ns, name)
            if cur is None:
                raise not_found(res, name)
            if method == "GET":
                return Response(200, scale_of(sim, res, cur))
            if method == "PUT":
                self.check_json_ctype()
                return Response(200, do_scale_update(sim, res, ns, name,
                                                     self.parse_json(body), dry))
            if method == "PATCH":
                view = scale_of(sim, res, cur)
                new = self.apply_patch(res, view, body, params, scale=True)
                return Response(200, do_scale_update(sim, res, ns, name, new, dry))
            raise ApiError(405, "the server does not allow this method on the requested "
                           "resource")
        if sub == "eviction":
            if method != "POST":
                raise ApiError(405, "the server does not allow this method on the requested "
                               "resource")
            ev = self.parse_json(body)
            if not isinstance(ev, dict):
                raise bad_request("the body of the request was not a JSON object")
            en = meta(ev).get("name")
            if en not in (None, name):
                raise bad_request("name in URL does not match name in Eviction object")
            # The Eviction is decoded (400) before the pod is looked for; the pod is deleted
            # with the Eviction's own DeleteOptions (eviction.go), which the store's
            # rest.BeforeDelete validates (422) before it checks their preconditions.
            opts = self.delete_options(ev.get("deleteOptions"))
            if sim.get(res, ns, name) is None:
                raise not_found(res, name)
            validate_delete_options(opts)
            do_delete(sim, res, ns, name, dry, opts.get("preconditions"))
            return Response(201, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                  "status": "Success", "code": 201})
        if sub == "resize":
            cur = sim.get(res, ns, name)
            if cur is None:
                raise not_found(res, name)
            if method == "GET":
                return Response(200, self.public(cur))
            if method == "PUT":
                self.check_json_ctype()
                return Response(200, self.public(do_resize(sim, ns, name,
                                                           self.parse_json(body), dry)))
            if method == "PATCH":
                new = self.apply_patch(res, cur, body, params)
                return Response(200, self.public(do_resize(sim, ns, name, new, dry)))
            raise ApiError(405, "the server does not allow this method on the requested "
                           "resource")
        # object or status subresource
        if method == "GET":
            cur = sim.get(res, ns, name)
            if cur is None or meta(cur).get("kubesim/raw"):
                raise not_found(res, name)
            if self.wants_table() and not sub:
                return Response(200, to_table(sim, res, [self.public(cur)],
                                              {"resourceVersion": str(sim.rv)},
                                              params.get("includeObject")))
            return Response(200, self.public(cur))
        if method == "PUT":
            self.check_json_ctype()
            obj = self.parse_json(body)
            return Response(200, self.public(do_update(sim, res, ns, name, obj, sub, dry)))
        if method == "PATCH":
            ct = self.content_type()
            cur = sim.get(res, ns, name)
            if cur is None:
                if ct == "application/apply-patch+yaml":
                    if not params.get("fieldManager"):
                        raise self.apply_without_manager()
                    obj = self.parse_json(body)
                    if isinstance(obj, dict):
                        obj = _strip_directives(obj)
                        obj.setdefault("metadata", {}).setdefault("name", name)
                    return Response(201, self.public(do_create(sim, res, ns, obj, dry)))
                raise not_found(res, name)
            new = self.apply_patch(res, cur, body, params)
            return Response(200, self.public(do_update(sim, res, ns, name, new, sub, dry)))
        if method == "DELETE":
            opts, dry = self.request_delete_options(params, body)
            if sim.get(res, ns, name) is None:
                raise not_found(res, name)
            return Response(200, self.public(do_delete(sim, res, ns, name, dry,
                                                       opts.get("preconditions"))))
        raise ApiError(405, "the server does not allow this method on the requested resource")

    @staticmethod
    def public(obj):
        """The object as a client sees it: without kubesim's private bookkeeping."""
        if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict):
            return obj
        m = obj["metadata"]
        if not any(k.startswith("kubesim/") for k in m):
            return obj
        out = dict(obj)
        out["metadata"] = {k: v for k, v in m.items() if not k.startswith("kubesim/")}
        return out

    def wants_table(self):
        return "as=table" in (self.headers.get("Accept") or "").lower()

    def content_type(self):
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    @staticmethod
    def apply_without_manager():
        return ApiError(422, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required '
                        'value: is required for apply patch',
                        details={"group": "meta.k8s.io", "kind": "PatchOptions",
                                 "causes": [{"reason": "FieldValueRequired",
                                             "message": "Required value: is required for "
                                                        "apply patch",
                                             "field": "fieldManager"}]})

    def apply_patch(self, res, cur, body, params, scale=False):
        """The patched view of cur, to be written by the caller (spec 8.3)."""
        ct = self.content_type()
        cur = self.public(cur)
        patch = self.parse_json(body)
        if ct == "application/json-patch+json":
            try:
                return json_patch(cur, patch)
            except PatchError as e:
                raise ApiError(422, str(e), details={"name": meta(cur).get("name"),
                                                     "kind": res.plural})
        if ct == "application/merge-patch+json":
            if not isinstance(patch, dict):
                raise bad_request("the body of a merge patch must be a JSON object")
            out = merge_patch(cur, patch)
        elif ct == "application/strategic-merge-patch+json":
            if not res.builtin:
                raise ApiError(415, "strategic merge patch is not supported for %s; use "
                               "application/merge-patch+json or application/json-patch+json"
                               % res.qualified())
            if not isinstance(patch, dict):
                raise bad_request("the body of a strategic merge patch must be a JSON object")
            out = strategic_merge(cur, patch)
        elif ct == "application/apply-patch+yaml":
            if not params.get("fieldManager"):
                raise self.apply_without_manager()
            if not isinstance(patch, dict):
                raise bad_request("the body of an apply patch must be a JSON object "
                                  "(kubesim reads only the JSON subset of YAML)")
            out = strategic_merge(cur, patch) if res.builtin else merge_patch(cur, patch)
            # Apply is declarative: it asserts no resourceVersion unless given.
            if "resourceVersion" not in meta(patch):
                out.setdefault("metadata", {})["resourceVersion"] = \
                    meta(cur).get("resourceVersion")
        else:
            raise ApiError(415, 'the body of the request was in an unknown format - accepted '
                           'media types include: application/json-patch+json, '
                           'application/merge-patch+json, application/apply-patch+yaml, '
                           'application/strategic-merge-patch+json')
        return out

    # -- lists, watch, metrics ----------------------------------------------------------

    def selectors(self, params):
        return (parse_label_selector(params.get("labelSelector")),
                parse_field_selector(params.get("fieldSelector")))

    def list(self, res, ns, params):
        sim = self.server.sim
        lsel, fsel = self.selectors(params)
        # Selectors are decoded with the query (400); ListOptions are validated next (422).
        causes = list_options_causes(params, watch=False)
        if causes:
            raise invalid_options("ListOptions", causes)
        if not params.get("continue") and rv_parse_error(params.get("resourceVersion")):
            # storage.ValidateListOptions (cache and etcd alike) wraps the parse error.
            raise bad_request("invalid resource version: " +
                              rv_parse_error(params.get("resourceVersion")))
        limit = params.get("limit")
        try:
            limit = int(limit) if limit not in (None, "") else 0
        except ValueError:
            raise bad_request("invalid limit %r" % limit)
        rvm = params.get("resourceVersionMatch")
        cont = params.get("continue")
        want = rv_number(params.get("resourceVersion"))
        if want and not cont:
            # Served from the watch cache, which must first reach the rv (NotOlderThan and
            # Exact alike); a continue token carries its own snapshot instead.
            sim.wait_for_rv(want)
        items = sim.store[res.key]  # what is served: the current state, or a snapshot
        list_rv = str(sim.rv)
        start = None
        if cont:
            tok = decode_continue(cont)
            # The token carries the snapshot; upstream's etcd3 store refuses another rv.
            if params.get("resourceVersion") not in (None, "", "0"):
                raise bad_request("specifying resource version is not allowed when using "
                                  "continue")
            start = tok.get("start")
            # Later chunks read the first chunk's snapshot; once the history no longer reaches
            # back to it (upstream: etcd compacted it) the token has expired.
            items = sim.snapshot(res, tok.get("rv"))
            expired = tok.get("e") != sim.continue_epoch or items is None or \
                time.time() - tok.get("t", 0) > float(sim.config["continue_ttl_s"])
            if expired:
                fresh = encode_continue({"v": "meta.k8s.io/v1", "rv": sim.rv, "start": start,
                                         "e": sim.continue_epoch, "t": time.time()})
                raise ApiError(410, "The provided continue parameter is too old to display a "
                               "consistent list result. You can start a new list without the "
                               "continue parameter, or use the continue token in this "
                               "response to retrieve the remainder of the results. Continuing "
                               "with the provided token results in an inconsistent list - "
                               "objects that were created, modified, or deleted between the "
                               "time the first chunk was returned and now may show up in the "
                               "list.", metadata={"continue": fresh})
            list_rv = str(tok.get("rv"))
        elif want and (rvm == "Exact" or (not rvm and limit > 0)):
            # Exact, or the legacy exact of a limited list with an rv: the collection as it
            # was at that rv (upstream: a watch-cache snapshot or etcd at that revision), while
            # the kept history reaches back that far; then 410 (compacted).
            items = sim.snapshot(res, want)
            if items is None:
                raise ApiError(410, "The resourceVersion for the provided list is too old.")
            list_rv = str(want)
        keys = sorted(k for k in items if ns is None or k[0] == ns)
        sel = []
        for k in keys:
            if start is not None and "\x00".join(k) <= start:
                continue
            obj = items[k]
            if meta(obj).get("kubesim/raw") and "kubesim/value" in obj:
                # Not even an object with metadata: only an unfiltered list shows it.
                if not lsel and not fsel:
                    sel.append((k, obj))
                continue
            # Raw items with metadata are filtered by their labels/fields like any other.
            if label_match(lsel, labels_of(obj)) and field_match(fsel, obj):
                sel.append((k, obj))
        if params.get("resourceVersion") == "0" and not cont:
            # Served whole from the watch cache, which ignores limit for resourceVersion "0"
            # (cacher's computeListLimit): every item, no continue, no remainingItemCount.
            limit = 0
        lmeta = {"resourceVersion": list_rv}
        if limit > 0 and len(sel) > limit:
            last = sel[limit - 1][0]
            lmeta["continue"] = encode_continue({"v": "meta.k8s.io/v1", "rv": int(list_rv),
                                                 "start": "\x00".join(last),
                                                 "e": sim.continue_epoch, "t": time.time()})
            # Upstream counts what is left in storage, selected or not, so with a selector
            # it gives no estimate at all (storage.PrepareContinueToken: Predicate.Empty()).
            if not lsel and not fsel:
                lmeta["remainingItemCount"] = len(sel) - limit
            sel = sel[:limit]
        out = []
        for _, obj in sel:
            if meta(obj).get("kubesim/raw"):
                o = copy.deepcopy(obj)
                del o["metadata"]["kubesim/raw"]
                if "kubesim/value" in o:
                    o = o["kubesim/value"]
                out.append(o)
                continue
            o = self.public(obj)
            if res.builtin:
                o = {k: v for k, v in o.items() if k not in ("kind", "apiVersion")}
            out.append(o)
        return {"kind": res.kind + "List", "apiVersion": res.gv, "metadata": lmeta,
                "items": out}

    def metrics(self, method, res, ns, name, params):
        sim = self.server.sim
        if method != "GET":
            raise ApiError(405, "the server does not allow this method on the requested "
                           "resource")
        if go_bool(params.get("watch", "")):
            raise ApiError(405, "the server does not allow this method on the requested "
                           "resource")
        lsel, fsel = self.selectors(params)
        t = sim.clock.now_s()
        counts = sim.running_counts()
        items = []
        if res.plural == "pods":
            for pod in sim.objects(find_res("", "pods"), ns):
                if sim.metrics_visible(pod) and (name is None or meta(pod)["name"] == name) \
                        and label_match(lsel, labels_of(pod)) and field_match(fsel, pod):
                    items.append(sim.pod_metrics(pod, t, counts))
        else:
            for node in sim.objects(find_res("", "nodes")):
                n = meta(node).get("name")
                if (name is None or n == name) and label_match(lsel, labels_of(node)) \
                        and field_match(fsel, node):
                    items.append(sim.node_metrics(n, t, counts))
        for plural, rns, obj in sim.raw_metrics:
            if plural == res.plural and (ns is None or rns == ns) and name is None:
                if isinstance(obj, dict) and isinstance(obj.get("metadata"), dict):
                    if not (label_match(lsel, labels_of(obj)) and field_match(fsel, obj)):
                        continue
                elif lsel or fsel:
                    continue
                items.append(copy.deepcopy(obj))
        if name is not None:
            if not items:
                raise ApiError(404, '%s.metrics.k8s.io "%s" not found'
                               % ("podmetrics" if res.plural == "pods" else "nodemetrics",
                                  name),
                               details={"name": name, "group": "metrics.k8s.io",
                                        "kind": res.plural})
            item = items[0]
            item["kind"] = res.kind
            item["apiVersion"] = res.gv
            return Response(200, item)
        return Response(200, {"kind": res.kind + "List", "apiVersion": res.gv,
                              "metadata": {}, "items": items})

    def write_chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def watch(self, w, fault):
        sim = self.server.sim
        res, ns, params = w.res, w.ns, w.params
        lsel, fsel = self.selectors(params)  # validated in rest()
        timeout = float(params.get("timeoutSeconds") or WATCH_TIMEOUT_DEFAULT_S)
        bookmarks = go_bool(params.get("allowWatchBookmarks", ""))
        # sendInitialEvents is three-way (a *bool upstream): true streams the state first;
        # false never does, whatever the rv; absent keeps the legacy rule (rv "" or "0").
        send_initial = query_bool_ptr(params.get("sendInitialEvents"))
        initial = send_initial is True
        rv_param = params.get("resourceVersion", "")
        too_large = None
        if initial and rv_number(rv_param):
            # A watch-list waits for its rv as a list does (Cacher.Watch); failing that, its
            # stream is just the 504 as an ERROR event. A plain watch from an rv not reached
            # yet starts at once and sends only what comes after that rv.
            with sim.lock:
                try:
                    sim.wait_for_rv(rv_number(rv_param))
                except ApiError as e:
                    too_large = e
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.status_sent = 200
        self.close_connection = True
        if fault and fault["kind"] in ("malformed", "truncated"):
            line = b'{"type":"ADDED","object":{"kind":' if fault["kind"] == "truncated" \
                else b'{"type": "ADDED", "object": nonsense}\n'
            self.write_chunk(line)
            if fault["kind"] == "truncated":
                return self.hard_close()
            self.write_chunk(b"")
            return
        deadline = time.monotonic() + timeout

        def matches(obj):
            if meta(obj).get("kubesim/raw"):
                return False
            return label_match(lsel, labels_of(obj)) and field_match(fsel, obj)

        def event(typ, obj):
            return (json.dumps({"type": typ, "object": self.public(obj)}) + "\n").encode()

        def bookmark(rv, end=False):
            m = {"resourceVersion": str(rv), "creationTimestamp": None}
            if end:
                m["annotations"] = {"k8s.io/initial-events-end": "true"}
            return event("BOOKMARK", {"kind": res.kind, "apiVersion": res.gv, "metadata": m})

        with sim.lock:
            sim.open_watches += 1
            gen = sim.watch_gen
            out = []
            if too_large is not None:
                out.append((json.dumps({"type": "ERROR", "object": too_large.status()}) +
                            "\n").encode())
                last = None
            elif initial or (send_initial is None and rv_param in ("", "0")):
                for obj in sim.objects(res, ns):
                    if matches(obj):
                        out.append(event("ADDED", obj))
                last = sim.rv
                if initial and bookmarks:
                    out.append(bookmark(last, end=True))
            elif rv_param in ("", "0"):
                # sendInitialEvents=false: no synthetic ADDED events, only what comes after
                # now (upstream: "0" starts at the cache's rv, "" at the storage's current).
                last = sim.rv
            else:
                try:
                    last = int(rv_param)
                except ValueError:
                    last = -1
                if last < 0 or last < sim.history_floor[res.key]:
                    st = ApiError(410, "too old resource version: %s (%d)"
                                  % (rv_param, sim.history_floor[res.key])).status()
                    out.append((json.dumps({"type": "ERROR", "object": st}) + "\n").encode())
                    last = None
        try:
            for line in out:
                self.write_chunk(line)
            if last is None:
                self.write_chunk(b"")
                return
            next_bookmark = time.monotonic() + float(sim.config["bookmark_interval_s"])

            def pending_events():
                return [e for e in sim.history[res.key] if e[0] > last
                        and (ns is None or e[2] == ns)]

            while True:
                now = time.monotonic()
                if now >= deadline:
                    break
                with sim.lock:
                    if not sim.closing and sim.watch_gen == gen and \
                            last >= sim.history_floor[res.key] and not pending_events():
                        sim.cond.wait(min(deadline, next_bookmark) - now if bookmarks
                                      else deadline - now)
                    if sim.closing or sim.watch_gen != gen:
                        break
                    if last < sim.history_floor[res.key]:
                        err = ApiError(410, "too old resource version: %d (%d)"
                                       % (last, sim.history_floor[res.key])).status()
                        lines = [(json.dumps({"type": "ERROR", "object": err}) +
                                  "\n").encode()]
                        last = None
                    else:
                        # Every event of this resource up to sim.rv was just sent, so the
                        # stream is current up to sim.rv, or up to the rv it started from
                        # while the counter has not reached that.
                        lines = [event(e[3], e[4]) for e in pending_events()
                                 if matches(e[4])]
                        last = max(last, sim.rv)
                    reached = last is not None and last <= sim.rv
                for line in lines:
                    self.write_chunk(line)
                if last is None:
                    break
                if bookmarks and time.monotonic() >= next_bookmark:
                    # Upstream sends no bookmark older than the rv the watch started from.
                    if reached:
                        self.write_chunk(bookmark(last))
                    next_bookmark = time.monotonic() + float(sim.config["bookmark_interval_s"])
            self.write_chunk(b"")
        finally:
            with sim.lock:
                sim.open_watches -= 1

    # -- admin API ----------------------------------------------------------------------

    def admin(self, method, path, body):
        sim = self.server.sim
        segs = path.strip("/").split("/")[1:]
        try:
            data = json.loads(body.decode("utf-8")) if body else {}
        except (ValueError, UnicodeDecodeError) as e:
            raise bad_request("admin: bad JSON: %s" % e)
        if not isinstance(data, dict):
            raise bad_request("admin: body must be a JSON object")
        ok = Response(200, {"ok": True})
        with sim.lock:
            if segs == ["faults"]:
                if method == "GET":
                    return self.send(Response(200, [{k: v for k, v in f.items() if k != "re"}
                                                    for f in sim.faults]))
                if method == "DELETE":
                    sim.faults.clear()
                    return self.send(ok)
                if method == "POST":
                    kinds = ("status", "slow", "malformed", "truncated", "unauthorized",
                             "reset", "pdb")
                    if data.get("kind") not in kinds:
                        raise bad_request("admin: kind must be one of %s" % ", ".join(kinds))
                    try:
                        rx = re.compile(data.get("path", ""))
                    except re.error as e:
                        raise bad_request("admin: bad path regex: %s" % e)
                    sim.fault_seq += 1
                    f = dict(data)
                    f["id"] = sim.fault_seq
                    f["re"] = rx
                    f.setdefault("path", "")
                    sim.faults.append(f)
                    return self.send(Response(200, {"id": f["id"]}))
            if len(segs) == 2 and segs[0] == "faults" and method == "DELETE":
                sim.faults[:] = [f for f in sim.faults if str(f["id"]) != segs[1]]
                return self.send(ok)
            if segs == ["clock"]:
                if method == "POST":
                    if "set_s" in data:
                        sim.clock.set(float(data["set_s"]))
                    if "advance_s" in data:
                        sim.clock.set(sim.clock.now_s() + float(data["advance_s"]))
                    if "rate" in data:
                        sim.clock.set(sim.clock.now_s(), float(data["rate"]))
                return self.send(Response(200, {"now_s": sim.clock.now_s(),
                                                "rate": sim.clock.rate,
                                                "time": sim.now()}))
            if segs == ["requests"]:
                if method == "DELETE":
                    sim.requests.clear()
                    return self.send(ok)
                return self.send(Response(200, list(sim.requests)))
            if segs == ["tokens"]:
                if method == "POST":
                    if data.get("add"):
                        if data["add"] not in sim.tokens:
                            sim.tokens.append(str(data["add"]))
                    if data.get("revoke"):
                        sim.tokens = [t for t in sim.tokens if t != data["revoke"]]
                return self.send(Response(200, {"tokens": sim.tokens}))
            if len(segs) == 4 and segs[0] == "pods" and segs[3] in ("oom", "state") \
                    and method == "POST":
                return self.send(Response(200, self.admin_pod(segs[1], segs[2], segs[3],
                                                              data)))
            if segs == ["raw"] and method == "POST":
                return self.send(Response(200, store_raw(sim, data)))
            if segs == ["load"] and method == "POST":
                check_load("load", data)
                key = (data.get("namespace", "default"), data.get("deployment"),
                       data.get("container"))
                sim.loads[key] = data
                return self.send(ok)
            if segs == ["metrics"] and method == "POST":
                key = (data.get("namespace", "default"), data.get("pod"))
                if data.get("absent", True):
                    sim.hidden_metrics.add(key)
                else:
                    sim.hidden_metrics.discard(key)
                return self.send(ok)
            if segs == ["continue", "expire"] and method == "POST":
                sim.continue_epoch += 1
                return self.send(ok)
            if segs == ["watch", "close"] and method == "POST":
                sim.watch_gen += 1
                sim.cond.notify_all()
                return self.send(ok)
            if segs == ["watch", "compact"] and method == "POST":
                for key in list(sim.history):
                    sim.history[key].clear()
                for r in RESOURCES:
                    sim.history_floor[r.key] = sim.rv
                sim.cond.notify_all()
                return self.send(ok)
            if segs == ["config"]:
                if method == "POST":
                    for k, v in data.items():
                        if k not in sim.config:
                            raise bad_request("admin: unknown config key %s" % k)
                        sim.config[k] = v
                return self.send(Response(200, sim.config))
            if segs == ["state"]:
                counts = {"/".join(filter(None, k)): len(v) for k, v in sim.store.items()}
                return self.send(Response(200, {"resourceVersion": str(sim.rv),
                                                "objects": counts,
                                                "open_watches": sim.open_watches,
                                                "now_s": sim.clock.now_s()}))
        raise ApiError(404, "kubesim: no such admin endpoint %s %s" % (method, path))

    def admin_pod(self, ns, name, what, data):
        sim = self.server.sim
        res = find_res("", "pods")
        cur = sim.get(res, ns, name)
        if cur is None:
            raise not_found(res, name)
        pod = copy.deepcopy(cur)
        now = sim.now()
        st = pod.setdefault("status", {})
        if what == "oom":
            cname = data.get("container")
            statuses = st.get("containerStatuses") or []
            target = next((s for s in statuses if cname is None or s.get("name") == cname), None)
            if target is None:
                raise bad_request("admin: no container %r in pod %s" % (cname, name))
            started = ((target.get("state") or {}).get("running") or {}).get("startedAt", now)
            target["lastState"] = {"terminated": {
                "exitCode": 137, "reason": "OOMKilled", "startedAt": started,
                "finishedAt": now, "containerID": target.get("containerID", "")}}
            target["restartCount"] = int(target.get("restartCount", 0)) + 1
            target["containerID"] = "containerd://" + secrets.token_hex(6)
            target["state"] = {"running": {"startedAt": now}}
        else:
            if "phase" in data:
                st["phase"] = data["phase"]
            if "ready" in data:
                for c in st.get("conditions") or []:
                    if c.get("type") in ("Ready", "ContainersReady"):
                        c["status"] = "True" if data["ready"] else "False"
                        c["lastTransitionTime"] = now
                for c in st.get("containerStatuses") or []:
                    c["ready"] = bool(data["ready"])
        sim.put(res, pod, "MODIFIED")
        sim.refresh_workload(sim.workload_of_pod(pod))
        return self.public(pod)

class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, addr, sim, tls_ctx, verbose):
        self.sim = sim
        self.tls_ctx = tls_ctx
        self.verbose = verbose
        super().__init__(addr, Handler)

    def finish_request(self, request, client_address):
        # The TLS handshake runs here, in the connection's own thread, so that a slow or
        # broken client never blocks the accept loop.
        if self.tls_ctx is not None:
            try:
                request.settimeout(30)
                request = self.tls_ctx.wrap_socket(request, server_side=True)
                request.settimeout(None)
            except (ssl.SSLError, OSError) as e:
                if self.verbose:
                    sys.stderr.write("kubesim: TLS handshake failed: %s\n" % e)
                try:
                    request.close()
                except OSError:
                    pass
                return
        try:
            self.RequestHandlerClass(request, client_address, self)
        except (ConnectionError, ssl.SSLError, OSError):
            pass

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)


# ---------------------------------------------------------------------------
# Start-up: certificates, scenario, state files
# ---------------------------------------------------------------------------

def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_certs(d):
    """CA, server and client certificates (EC P-256: fast to generate)."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "3",
            "-subj", "/CN=kubesim-ca", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-addext", "subjectKeyIdentifier=hash", cwd=d)
    for who, subj, ext in (
            ("server", "/CN=kubesim", "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n"
                                      "extendedKeyUsage=serverAuth\n"),
            ("client", "/O=system:masters/CN=kubesim-client", "extendedKeyUsage=clientAuth\n")):
        with open(os.path.join(d, who + ".ext"), "w") as f:
            f.write(ext + "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                          "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n")
        openssl("req", *ec, "-keyout", who + ".key", "-out", who + ".csr", "-subj", subj, cwd=d)
        openssl("x509", "-req", "-in", who + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-set_serial", str(random.getrandbits(63)), "-days", "3",
                "-extfile", who + ".ext", "-out", who + ".crt", cwd=d)
        os.unlink(os.path.join(d, who + ".csr"))
        os.unlink(os.path.join(d, who + ".ext"))


def write_file(d, name, text, mode=0o600):
    path = os.path.join(d, name)
    fd, tmp = tempfile.mkstemp(dir=d, prefix="." + name)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)  # readers polling for the file never see half of it


def b64file(d, name):
    with open(os.path.join(d, name), "rb") as f:
        return base64.b64encode(f.read()).decode()


def kubeconfig(url, user_name, user_lines, ca_b64):
    q = json.dumps  # JSON strings are valid YAML double-quoted scalars
    cluster = ["    server: %s" % q(url)]
    if ca_b64:
        cluster.append("    certificate-authority-data: %s" % ca_b64)
    return "\n".join(["apiVersion: v1", "kind: Config", "preferences: {}", "clusters:",
                      "- name: kubesim", "  cluster:"] + cluster +
                     ["users:", "- name: %s" % user_name, "  user:"] +
                     ["    " + line for line in user_lines] +
                     ["contexts:", "- name: kubesim", "  context:", "    cluster: kubesim",
                      "    user: %s" % user_name, "    namespace: default",
                      "current-context: kubesim", ""])


SCENARIO_KEYS = {"namespaces", "nodes", "deployments", "load", "objects", "raw", "settings",
                 "description"}
DEPLOYMENT_KEYS = {"namespace", "name", "replicas", "containers", "labels", "kind"}
CONTAINER_KEYS = {"name", "image", "requests", "limits"}
LOAD_KEYS = {"namespace", "deployment", "container", "points", "fixed_per_pod"}


def check_keys(what, d, allowed):
    """Unknown keys are errors: a typo in a scenario must not pass silently."""
    if not isinstance(d, dict):
        raise ValueError("%s must be a JSON object" % what)
    unknown = sorted(set(d) - allowed)
    if unknown:
        raise ValueError("%s: unknown key(s) %s" % (what, ", ".join(unknown)))


def check_load(what, entry):
    check_keys(what, entry, LOAD_KEYS)
    pts = entry.get("points")
    if not isinstance(pts, list) or not pts:
        raise ValueError("%s: points must be a non-empty list" % what)
    for p in pts:
        if not isinstance(p, list) or len(p) != 3 or \
                any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in p):
            raise ValueError("%s: each point must be [t_s, cpu_millicores, memory_bytes]" % what)
    fixed = entry.get("fixed_per_pod") or {}
    check_keys(what + ".fixed_per_pod", fixed, {"cpu_millicores", "memory_bytes"})
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in fixed.values()):
        raise ValueError("%s.fixed_per_pod: values must be numbers" % what)
    if not entry.get("deployment") or not entry.get("container"):
        raise ValueError("%s: deployment and container are required" % what)


def load_scenario(sim, path):
    with open(path) as f:
        sc = json.load(f)
    check_keys("scenario", sc, SCENARIO_KEYS)
    for i, d in enumerate(sc.get("deployments") or []):
        check_keys("deployments[%d]" % i, d, DEPLOYMENT_KEYS)
        if not d.get("name"):
            raise ValueError("deployments[%d]: name is required" % i)
        if d.get("kind", "Deployment") not in ("Deployment", "StatefulSet"):
            raise ValueError("deployments[%d]: kind must be Deployment or StatefulSet" % i)
        for j, c in enumerate(d.get("containers") or []):
            check_keys("deployments[%d].containers[%d]" % (i, j), c, CONTAINER_KEYS)
            if not c.get("name"):
                raise ValueError("deployments[%d].containers[%d]: name is required" % (i, j))
    for i, entry in enumerate(sc.get("load") or []):
        check_load("load[%d]" % i, entry)
    for k, v in (sc.get("settings") or {}).items():
        if k not in sim.config:
            raise ValueError("unknown scenario setting %r" % k)
        sim.config[k] = v
    for ns in sc.get("namespaces") or []:
        sim.add_namespace(ns)
    for node in sc.get("nodes") or []:
        sim.add_node(node["name"], node.get("cpu", "16"), node.get("memory", "64Gi"))
    if not sim.nodes:
        sim.add_node("kubesim-node-1")
    for d in sc.get("deployments") or []:
        kind = d.get("kind", "Deployment")
        dep_res = find_res("apps", "deployments" if kind == "Deployment" else "statefulsets")
        ns = d.get("namespace", "default")
        sim.add_namespace(ns)
        labels = d.get("labels") or {"app": d["name"]}
        containers = []
        for c in d.get("containers") or [{"name": "app"}]:
            cc = {"name": c["name"], "image": c.get("image", "registry.example/%s:1"
                                                   % c["name"])}
            r = {}
            if c.get("requests"):
                r["requests"] = c["requests"]
            if c.get("limits"):
                r["limits"] = c["limits"]
            cc["resources"] = r
            containers.append(cc)
        obj = {"apiVersion": "apps/v1", "kind": kind,
               "metadata": {"name": d["name"], "namespace": ns, "labels": dict(labels)},
               "spec": {"replicas": d.get("replicas", 1),
                        "selector": {"matchLabels": dict(labels)},
                        "template": {"metadata": {"labels": dict(labels)},
                                     "spec": {"containers": containers}}}}
        do_create(sim, dep_res, ns, obj)
    for entry in sc.get("load") or []:
        sim.loads[(entry.get("namespace", "default"), entry.get("deployment"),
                   entry.get("container"))] = entry
    for entry in sc.get("raw") or []:
        store_raw(sim, entry)
    for obj in sc.get("objects") or []:
        res = res_for_object(obj)
        if res is None:
            raise ValueError("scenario object of unknown kind %s %s"
                             % (obj.get("apiVersion"), obj.get("kind")))
        ns = meta(obj).get("namespace", "default") if res.namespaced else ""
        if res.namespaced:
            sim.add_namespace(ns)
        do_create(sim, res, ns, obj, keep_status=True)
    return sc


def main(argv=None):
    ap = argparse.ArgumentParser(description="simulated Kubernetes API server for tests")
    ap.add_argument("--state-dir", required=True)
    ap.add_argument("--port", type=int, default=0)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--tls", dest="tls", action="store_true", default=True)
    g.add_argument("--no-tls", dest="tls", action="store_false")
    ap.add_argument("--token", action="append", default=[])
    ap.add_argument("--scenario")
    ap.add_argument("--clock-rate", type=float, default=1.0)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)

    d = os.path.abspath(args.state_dir)
    os.makedirs(d, exist_ok=True)
    tokens = args.token or [secrets.token_hex(16)]
    admin_token = "admin-" + secrets.token_hex(16)
    sim = Sim(Clock(args.clock_rate), tokens, admin_token)
    with sim.lock:
        for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
            sim.add_namespace(ns)
        try:
            if args.scenario:
                load_scenario(sim, args.scenario)
            elif not sim.nodes:
                sim.add_node("kubesim-node-1")
        except (OSError, ValueError, KeyError, TypeError, ApiError) as e:
            msg = e.message if isinstance(e, ApiError) else str(e)
            sys.stderr.write("kubesim: bad scenario %s: %s\n" % (args.scenario, msg))
            return 2

    ctx = None
    if args.tls:
        try:
            make_certs(d)
        except (OSError, subprocess.CalledProcessError) as e:
            sys.stderr.write("kubesim: openssl failed: %s %s\n"
                             % (e, getattr(e, "stderr", b"").decode(errors="replace")))
            return 2
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(d, "server.crt"), os.path.join(d, "server.key"))
        ctx.load_verify_locations(os.path.join(d, "ca.crt"))
        ctx.verify_mode = ssl.CERT_OPTIONAL  # client certificates are one way to log in

    try:
        server = Server(("127.0.0.1", args.port), sim, ctx, args.verbose)
    except OSError as e:
        sys.stderr.write("kubesim: cannot listen on 127.0.0.1:%d: %s\n" % (args.port, e))
        return 2
    port = server.server_address[1]
    url = "%s://127.0.0.1:%d" % ("https" if args.tls else "http", port)
    write_file(d, "port", "%d\n" % port, 0o644)
    write_file(d, "url", url + "\n", 0o644)
    write_file(d, "token", tokens[0] + "\n")
    write_file(d, "admin-token", admin_token + "\n")
    write_file(d, "pid", "%d\n" % os.getpid(), 0o644)
    ca = b64file(d, "ca.crt") if args.tls else None
    write_file(d, "kubeconfig", kubeconfig(url, "kubesim", ["token: " + json.dumps(tokens[0])],
                                           ca))
    if args.tls:
        write_file(d, "kubeconfig-cert", kubeconfig(
            url, "kubesim-cert", ["client-certificate-data: " + b64file(d, "client.crt"),
                                  "client-key-data: " + b64file(d, "client.key")], ca))

    def stop(signum, frame):
        with sim.lock:
            sim.closing = True
            sim.cond.notify_all()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.stdout.write("kubesim ready %s\n" % url)
    sys.stdout.flush()
    server.serve_forever(poll_interval=0.2)
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
