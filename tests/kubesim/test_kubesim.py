#!/usr/bin/env python3
"""kubesim against the checklist of kubernetes-api.md section 11, over HTTPS with urllib.

Each test class starts its own kubesim (port 0, temporary state dir) and stops it with
SIGTERM, checking the exit code.
"""

import datetime
import gzip
import http.client
import json
import os
import socket
import ssl
import sys
import threading
import time
import unittest
import urllib.error

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import KubeSim  # noqa: E402

SCENARIO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scenarios", "basic.json")

DEP = "/apis/apps/v1/namespaces/default/deployments"
PODS = "/api/v1/namespaces/default/pods"
LEASES = "/apis/coordination.k8s.io/v1/namespaces/default/leases"
CKPT = "/apis/autoscaling.k8s.io/v1/namespaces/default/verticalpodautoscalercheckpoints"
HPA = "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers"
PM = "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods"


def lease(name, holder="a", **meta):
    m = {"name": name}
    m.update(meta)
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": m,
            "spec": {"holderIdentity": holder, "leaseDurationSeconds": 15}}


class Base(unittest.TestCase):
    scenario = SCENARIO
    kwargs = {}

    @classmethod
    def setUpClass(cls):
        cls.sim = KubeSim(scenario=cls.scenario, **cls.kwargs)

    @classmethod
    def tearDownClass(cls):
        rc = cls.sim.stop()
        assert rc == 0, "kubesim exited with %r" % rc

    def req(self, *a, **kw):
        r = self.sim.request(*a, **kw)
        # kubesim's private bookkeeping must never reach a client.
        self.assertNotIn(b'"kubesim/', r.body)
        return r

    def assertStatus(self, r, code, reason):
        self.assertEqual(r.status, code, r.body)
        self.assertEqual(r.headers.get("Content-Type"), "application/json")
        st = r.json()
        self.assertEqual(st["kind"], "Status")
        self.assertEqual(st["apiVersion"], "v1")
        self.assertEqual(st["status"], "Failure")
        self.assertEqual(st["code"], code)
        if reason:
            self.assertEqual(st["reason"], reason)
        else:  # metav1.Status.Reason is omitempty
            self.assertNotIn("reason", st)
        return st

    def pods_of(self, app, ns="default"):
        r = self.req("GET", "/api/v1/namespaces/%s/pods?labelSelector=app%%3D%s" % (ns, app))
        self.assertEqual(r.status, 200)
        return r.json()["items"]


class TestBasics(Base):
    def test_state_files(self):
        d = self.sim.dir
        for f in ("ca.crt", "port", "url", "token", "admin-token", "kubeconfig",
                  "kubeconfig-cert", "client.crt", "client.key"):
            self.assertTrue(os.path.exists(os.path.join(d, f)), f)
        self.assertEqual(self.sim.file("url").strip(), self.sim.url)
        self.assertTrue(self.sim.url.startswith("https://127.0.0.1:"))
        self.assertEqual(self.sim.file("port").strip(), self.sim.url.rsplit(":", 1)[1])
        kc = self.sim.file("kubeconfig")
        for needle in ("current-context: kubesim", "certificate-authority-data: ",
                       "namespace: default", 'token: "%s"' % self.sim.token,
                       'server: "%s"' % self.sim.url):
            self.assertIn(needle, kc)

    def test_auth(self):
        st = self.assertStatus(self.req("GET", PODS, token=None), 401, "Unauthorized")
        self.assertEqual(st["message"], "Unauthorized")
        self.assertStatus(self.req("GET", PODS, token="wrong"), 401, "Unauthorized")
        self.assertStatus(self.req("GET", PODS, headers={"Authorization": "Basic eDp5"},
                                   token=None), 401, "Unauthorized")
        # The admin token is only for /kubesim/.
        self.assertStatus(self.req("GET", PODS, token=self.sim.admin_token), 401,
                          "Unauthorized")
        self.assertEqual(self.req("GET", PODS).status, 200)
        # Token rotation: add, use, revoke, refused on the next request.
        self.sim.admin("POST", "tokens", {"add": "rotated-1"})
        self.assertEqual(self.req("GET", PODS, token="rotated-1").status, 200)
        self.sim.admin("POST", "tokens", {"revoke": "rotated-1"})
        self.assertStatus(self.req("GET", PODS, token="rotated-1"), 401, "Unauthorized")
        self.assertEqual(self.req("GET", PODS).status, 200)
        # Health endpoints are anonymous.
        r = self.req("GET", "/healthz", token=None)
        self.assertEqual((r.status, r.body), (200, b"ok"))

    def test_client_certificate(self):
        ctx = ssl.create_default_context(cafile=os.path.join(self.sim.dir, "ca.crt"))
        ctx.load_cert_chain(os.path.join(self.sim.dir, "client.crt"),
                            os.path.join(self.sim.dir, "client.key"))
        r = self.req("GET", PODS, token=None, context=ctx)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["kind"], "PodList")
        # A certificate does not rescue a bad bearer token.
        self.assertStatus(self.req("GET", PODS, token="bad", context=ctx), 401, "Unauthorized")

    def test_tls_verification(self):
        # The server certificate must not verify against an unrelated CA store.
        ctx = ssl.create_default_context()
        with self.assertRaises(urllib.error.URLError):
            self.req("GET", PODS, context=ctx)

    def test_discovery(self):
        r = self.req("GET", "/version")
        self.assertEqual(r.json()["major"], "1")
        self.assertEqual(self.req("GET", "/api").json()["versions"], ["v1"])
        groups = {g["name"]: g for g in self.req("GET", "/apis").json()["groups"]}
        for g in ("apps", "autoscaling", "coordination.k8s.io", "metrics.k8s.io",
                  "autoscaling.k8s.io", "podscaler.io"):
            self.assertIn(g, groups)
        self.assertEqual(groups["autoscaling"]["preferredVersion"]["groupVersion"],
                         "autoscaling/v2")
        apps = self.req("GET", "/apis/apps/v1").json()
        self.assertEqual(apps["kind"], "APIResourceList")
        names = {r["name"]: r for r in apps["resources"]}
        self.assertEqual(names["deployments/scale"]["kind"], "Scale")
        self.assertEqual(names["deployments/scale"]["group"], "autoscaling")
        core = {r["name"] for r in self.req("GET", "/api/v1").json()["resources"]}
        self.assertTrue({"pods", "pods/eviction", "pods/resize", "namespaces", "events",
                         "nodes"} <= core)
        self.assertStatus(self.req("GET", "/apis/nope.io/v1"), 404, "NotFound")

    def test_table(self):
        accept = ("application/json;as=Table;v=v1;g=meta.k8s.io,"
                  "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json")
        r = self.req("GET", "/api/v1/namespaces/shop/pods?limit=1", headers={"Accept": accept})
        self.assertEqual(r.status, 200)
        tab = r.json()
        self.assertEqual((tab["kind"], tab["apiVersion"]), ("Table", "meta.k8s.io/v1"))
        self.assertEqual([c["name"] for c in tab["columnDefinitions"]],
                         ["Name", "Ready", "Status", "Restarts", "Age"])
        self.assertEqual(len(tab["rows"]), 1)
        self.assertEqual(tab["rows"][0]["cells"][1:4], ["1/1", "Running", 0])
        self.assertEqual(tab["rows"][0]["object"]["kind"], "PartialObjectMetadata")
        self.assertIn("continue", tab["metadata"])
        r = self.req("GET", DEP + "/web", headers={"Accept": accept})
        self.assertEqual(r.json()["rows"][0]["cells"][0], "web")

    def test_not_found(self):
        st = self.assertStatus(self.req("GET", DEP + "/missing"), 404, "NotFound")
        self.assertEqual(st["message"], 'deployments.apps "missing" not found')
        self.assertEqual(st["details"], {"name": "missing", "group": "apps",
                                         "kind": "deployments"})
        st = self.assertStatus(self.req("GET", PODS + "/nope"), 404, "NotFound")
        self.assertEqual(st["details"], {"name": "nope", "kind": "pods"})
        self.assertStatus(self.req("GET", "/api/v1/namespaces/default/widgets"), 404,
                          "NotFound")
        self.assertStatus(self.req("GET", "/nothing/here"), 404, "NotFound")
        self.assertStatus(self.req("PUT", DEP + "/missing", {"metadata": {"name": "missing"}}),
                          404, "NotFound")
        self.assertStatus(self.req("DELETE", LEASES + "/missing"), 404, "NotFound")
        # Creating in a namespace that does not exist.
        st = self.assertStatus(self.req("POST", "/apis/coordination.k8s.io/v1/namespaces/"
                                        "ghost/leases", lease("x")), 404, "NotFound")
        self.assertEqual(st["message"], 'namespaces "ghost" not found')

    def test_create_update_conflict(self):
        r = self.req("POST", LEASES, lease("l1"))
        self.assertEqual(r.status, 201, r.body)
        obj = r.json()
        m = obj["metadata"]
        self.assertEqual(len(m["uid"]), 36)
        self.assertTrue(m["creationTimestamp"].endswith("Z"))
        self.assertEqual(m["generation"], 1)
        rv1 = m["resourceVersion"]
        st = self.assertStatus(self.req("POST", LEASES, lease("l1")), 409, "AlreadyExists")
        self.assertEqual(st["message"], 'leases.coordination.k8s.io "l1" already exists')
        # A create must not carry a resourceVersion (checked before the duplicate; "0" is
        # no version; a dry run does not get that far).
        for n in ("l1", "rv-set"):
            st = self.assertStatus(self.req("POST", LEASES, lease(n, resourceVersion=rv1)),
                                   500, "")
            self.assertEqual(st["message"],
                             "resourceVersion should not be set on objects to be created")
        self.assertStatus(self.req("GET", LEASES + "/rv-set"), 404, "NotFound")
        self.assertEqual(self.req("POST", LEASES + "?dryRun=All",
                                  lease("rv-set", resourceVersion=rv1)).status, 201)
        r = self.req("POST", LEASES, lease("rv-zero", resourceVersion="0"))
        self.assertEqual(r.status, 201, r.body)
        self.assertNotEqual(r.json()["metadata"]["resourceVersion"], "0")
        obj["spec"]["holderIdentity"] = "b"
        r = self.req("PUT", LEASES + "/l1", obj)
        self.assertEqual(r.status, 200, r.body)
        rv2 = r.json()["metadata"]["resourceVersion"]
        self.assertNotEqual(rv1, rv2)
        self.assertGreater(int(rv2), int(rv1))
        self.assertEqual(r.json()["metadata"]["generation"], 2)
        self.assertEqual(r.json()["metadata"]["uid"], m["uid"])
        # Stale resourceVersion -> 409 Conflict with the optimistic-lock message.
        obj["spec"]["holderIdentity"] = "c"
        st = self.assertStatus(self.req("PUT", LEASES + "/l1", obj), 409, "Conflict")
        self.assertEqual(st["message"], 'Operation cannot be fulfilled on '
                         'leases.coordination.k8s.io "l1": the object has been modified; '
                         'please apply your changes to the latest version and try again')
        self.assertEqual(st["details"]["kind"], "leases")
        # Built-ins accept an unconditional update.
        del obj["metadata"]["resourceVersion"]
        r = self.req("PUT", LEASES + "/l1", obj)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["spec"]["holderIdentity"], "c")
        # Name mismatch.
        obj["metadata"]["name"] = "other"
        self.assertStatus(self.req("PUT", LEASES + "/l1", obj), 400, "BadRequest")
        # No name at all is a mismatch too (upstream's checkName).
        del obj["metadata"]["name"]
        st = self.assertStatus(self.req("PUT", LEASES + "/l1", obj), 400, "BadRequest")
        self.assertEqual(st["message"],
                         "the name of the object () does not match the name on the URL (l1)")
        # generateName.
        r = self.req("POST", LEASES, lease("", generateName="gen-"))
        self.assertEqual(r.status, 201)
        self.assertRegex(r.json()["metadata"]["name"], r"^gen-[a-z0-9]{5}$")
        st = self.assertStatus(self.req("POST", LEASES, lease("")), 422, "Invalid")
        # Not JSON, wrong kind, wrong content type.
        self.assertStatus(self.req("POST", LEASES, b"{nope"), 400, "BadRequest")
        bad = lease("l9")
        bad["kind"] = "Pod"
        self.assertStatus(self.req("POST", LEASES, bad), 400, "BadRequest")
        self.assertStatus(self.req("POST", LEASES, lease("l8"), ctype="application/yaml"), 415,
                          "UnsupportedMediaType")
        # Delete returns the object; a second delete is 404.
        r = self.req("DELETE", LEASES + "/l1")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["metadata"]["name"], "l1")
        self.assertStatus(self.req("DELETE", LEASES + "/l1"), 404, "NotFound")

    def test_delete_preconditions(self):
        obj = self.req("POST", LEASES, lease("pre")).json()
        uid, rv = obj["metadata"]["uid"], obj["metadata"]["resourceVersion"]

        def options(**pre):
            return {"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": pre}

        # A mismatch is 409 Conflict naming the kind (rest.BeforeDelete), dry run or not.
        for q in ("", "?dryRun=All"):
            st = self.assertStatus(self.req("DELETE", LEASES + "/pre" + q,
                                            options(uid="not-" + uid)), 409, "Conflict")
            self.assertEqual(st["message"], 'Operation cannot be fulfilled on '
                             'Lease.coordination.k8s.io "pre": the UID in the precondition '
                             '(not-%s) does not match the UID in record (%s). The object might '
                             'have been deleted and then recreated' % (uid, uid))
            self.assertEqual(st["details"], {"name": "pre", "group": "coordination.k8s.io",
                                             "kind": "Lease"})
        st = self.assertStatus(self.req("DELETE", LEASES + "/pre",
                                        options(uid=uid, resourceVersion="1")), 409, "Conflict")
        self.assertEqual(st["message"], 'Operation cannot be fulfilled on '
                         'Lease.coordination.k8s.io "pre": the ResourceVersion in the '
                         'precondition (1) does not match the ResourceVersion in record (%s). '
                         'The object might have been modified' % rv)
        self.assertEqual(self.req("GET", LEASES + "/pre").json(), obj)
        # An undecodable body is 400; a missing object is 404 whatever the preconditions.
        self.assertStatus(self.req("DELETE", LEASES + "/pre", b"{nope"), 400, "BadRequest")
        self.assertStatus(self.req("DELETE", LEASES + "/pre", options(uid=5)), 400,
                          "BadRequest")
        self.assertStatus(self.req("DELETE", LEASES + "/gone", options(uid=uid)), 404,
                          "NotFound")
        # Matching preconditions (and options without any) delete.
        r = self.req("DELETE", LEASES + "/pre", options(uid=uid, resourceVersion=rv))
        self.assertEqual(r.status, 200, r.body)
        self.assertStatus(self.req("GET", LEASES + "/pre"), 404, "NotFound")
        self.req("POST", LEASES, lease("pre"))
        r = self.req("DELETE", LEASES + "/pre", {"kind": "DeleteOptions", "apiVersion": "v1",
                                                 "propagationPolicy": "Background"})
        self.assertEqual(r.status, 200, r.body)
        # A core kind has no group; an Eviction's deleteOptions are the pod's delete options.
        pod = self.pods_of("web")[0]
        name = pod["metadata"]["name"]
        st = self.assertStatus(self.req("DELETE", PODS + "/" + name, options(uid="x")), 409,
                               "Conflict")
        self.assertTrue(st["message"].startswith('Operation cannot be fulfilled on Pod "%s": '
                                                 'the UID in the precondition (x)' % name))
        self.assertEqual(st["details"], {"name": name, "kind": "Pod"})
        st = self.assertStatus(self.req("POST", PODS + "/" + name + "/eviction", {
            "apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name},
            "deleteOptions": {"preconditions": {"resourceVersion": "1"}}}), 409, "Conflict")
        self.assertIn("the ResourceVersion in the precondition (1)", st["message"])
        self.assertEqual(self.req("GET", PODS + "/" + name).status, 200)

    def test_delete_options_validated(self):
        # Upstream's ValidateDeleteOptions: 422 Invalid on DeleteOptions.meta.k8s.io, from the
        # body's options or (without a body) the query's, before the object is looked for.
        self.req("POST", LEASES, lease("dov"))
        rv = self.sim.admin("GET", "state")["resourceVersion"]
        both = ('propagationPolicy: Invalid value: "%s": orphanDependents and '
                'deletionPropagation cannot be both set')
        policy = ('propagationPolicy: Unsupported value: "%s": supported values: '
                  '"Foreground", "Background", "Orphan", "nil"')
        dry = 'dryRun: Unsupported value: []string{%s}: supported values: "All"'
        cases = [
            ({"dryRun": ["x"]}, "", [dry % '"x"']),
            ({"dryRun": ["All", ""]}, "", [dry % '"All", ""']),
            ({"propagationPolicy": "Bogus"}, "", [policy % "Bogus"]),
            ({"propagationPolicy": "Orphan", "orphanDependents": False}, "",
             [both % "Orphan"]),
            (None, "?dryRun=x", [dry % '"x"']),
            (None, "?dryRun=All&dryRun=x", [dry % '"All", "x"']),
            (None, "?propagationPolicy=", [policy % ""]),
            (None, "?propagationPolicy=Bogus&orphanDependents=true&dryRun=no",
             [both % "Bogus", policy % "Bogus", dry % '"no"']),
        ]
        for body, q, msgs in cases:
            for name in ("dov", "missing"):
                st = self.assertStatus(self.req("DELETE", LEASES + "/" + name + q, body), 422,
                                       "Invalid")
                text = msgs[0] if len(msgs) == 1 else "[%s]" % ", ".join(msgs)
                self.assertEqual(st["message"], 'DeleteOptions.meta.k8s.io "" is invalid: '
                                 + text, (body, q))
                self.assertEqual(st["details"]["kind"], "DeleteOptions")
                self.assertEqual(st["details"]["group"], "meta.k8s.io")
                self.assertEqual([c["field"] + ": " + c["message"]
                                  for c in st["details"]["causes"]], msgs)
        # Undecodable option values are 400; the object is still there.
        for body in ({"propagationPolicy": 5}, {"orphanDependents": "yes"}):
            self.assertStatus(self.req("DELETE", LEASES + "/dov", body), 400, "BadRequest")
        self.assertEqual(self.sim.admin("GET", "state")["resourceVersion"], rv)
        self.assertEqual(self.req("GET", LEASES + "/dov").status, 200)
        # deletecollection: nothing is deleted.
        dcl = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases"
        self.req("POST", dcl, lease("dov-c"))
        st = self.assertStatus(self.req("DELETE", dcl, {"propagationPolicy": "Bogus"}), 422,
                               "Invalid")
        self.assertEqual(st["details"]["kind"], "DeleteOptions")
        self.assertStatus(self.req("DELETE", dcl + "?orphanDependents=false&propagationPolicy="
                                   "Orphan"), 422, "Invalid")
        self.assertEqual(self.req("GET", dcl + "/dov-c").status, 200)
        # Eviction: its deleteOptions, validated once the pod is found.
        name = self.pods_of("web")[0]["metadata"]["name"]
        ev = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name},
              "deleteOptions": {"dryRun": ["x"]}}
        st = self.assertStatus(self.req("POST", PODS + "/" + name + "/eviction", ev), 422,
                               "Invalid")
        self.assertEqual(st["message"], 'DeleteOptions.meta.k8s.io "" is invalid: '
                         + dry % '"x"')
        ev["metadata"]["name"] = "no-such-pod"
        self.assertStatus(self.req("POST", PODS + "/no-such-pod/eviction", ev), 404,
                          "NotFound")
        self.assertEqual(self.req("GET", PODS + "/" + name).status, 200)
        # Valid options delete.
        for q in ("?orphanDependents=true&dryRun=All", "?propagationPolicy=Foreground"):
            self.assertEqual(self.req("DELETE", LEASES + "/dov" + q).status, 200, q)
        self.assertStatus(self.req("GET", LEASES + "/dov"), 404, "NotFound")
        self.assertEqual(self.req("DELETE", dcl, {"propagationPolicy": "Orphan"}).status, 200)
        self.assertStatus(self.req("GET", dcl + "/dov-c"), 404, "NotFound")

    def test_deletecollection_options(self):
        # The handler validates the list options as a list's and reads the DeleteOptions
        # (the body's, or the query's without a body); the store lists as a list would and
        # deletes item by item in list order with those options, stopping at the first error.
        dcl = "/apis/coordination.k8s.io/v1/namespaces/kube-public/leases"
        uids = [self.req("POST", dcl, lease("dc%d" % i, labels={"dc": "x"})).json()
                ["metadata"]["uid"] for i in range(4)]

        def left():
            return [i["metadata"]["name"] for i in self.req("GET", dcl).json()["items"]]

        def options(**kw):
            o = {"kind": "DeleteOptions", "apiVersion": "v1"}
            o.update(kw)
            return o

        st = self.assertStatus(self.req("DELETE", dcl + "?resourceVersionMatch=NotOlderThan"),
                               422, "Invalid")
        self.assertEqual(st["details"]["kind"], "ListOptions")
        self.assertStatus(self.req("DELETE", dcl + "?sendInitialEvents=true"), 422, "Invalid")
        self.assertStatus(self.req("DELETE", dcl + "?labelSelector=a%3D%3D%3Db"), 400,
                          "BadRequest")
        st = self.assertStatus(self.req("DELETE", dcl + "?resourceVersion=abc"), 400,
                               "BadRequest")
        self.assertTrue(st["message"].startswith("invalid resource version: "))
        self.assertStatus(self.req("DELETE", dcl, {"dryRun": "All"}), 400, "BadRequest")
        cur = int(self.sim.admin("GET", "state")["resourceVersion"])
        self.sim.admin("POST", "config", {"rv_wait_s": 0.2})
        try:
            self.assertStatus(self.req("DELETE", dcl + "?resourceVersion=%d" % (cur + 9)), 504,
                              "Timeout")
        finally:
            self.sim.admin("POST", "config", {"rv_wait_s": 3})
        self.assertEqual(left(), ["dc0", "dc1", "dc2", "dc3"])
        # Preconditions hold for every item: dc0 matches and goes, dc1 is the 409 answer.
        st = self.assertStatus(self.req("DELETE", dcl + "?labelSelector=dc%3Dx",
                                        options(preconditions={"uid": uids[0]})), 409,
                               "Conflict")
        self.assertIn('Lease.coordination.k8s.io "dc1": the UID in the precondition (%s)'
                      % uids[0], st["message"])
        self.assertEqual(left(), ["dc1", "dc2", "dc3"])
        # dryRun from the body: answered, nothing stored; preconditions are checked still.
        rv = self.sim.admin("GET", "state")["resourceVersion"]
        r = self.req("DELETE", dcl + "?labelSelector=dc%3Dx", options(dryRun=["All"]))
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual([i["metadata"]["name"] for i in r.json()["items"]],
                         ["dc1", "dc2", "dc3"])
        self.assertStatus(self.req("DELETE", dcl, options(dryRun=["All"], preconditions={
            "resourceVersion": "1"})), 409, "Conflict")
        self.assertEqual(self.req("DELETE", dcl + "/dc2", options(dryRun=["All"])).status, 200)
        self.assertEqual(self.sim.admin("GET", "state")["resourceVersion"], rv)
        self.assertEqual(left(), ["dc1", "dc2", "dc3"])
        # With a body, the query's dryRun is not read: this one deletes.
        r = self.req("DELETE", dcl + "?dryRun=All&fieldSelector=metadata.name%3Ddc3", options())
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(left(), ["dc1", "dc2"])
        # A limit deletes one page and answers it, continue token included.
        r = self.req("DELETE", dcl + "?limit=1").json()
        self.assertEqual([i["metadata"]["name"] for i in r["items"]], ["dc1"])
        self.assertTrue(r["metadata"]["continue"])
        self.assertEqual(left(), ["dc2"])
        # Only the namespaced path has deletecollection.
        self.assertStatus(self.req("DELETE", "/apis/coordination.k8s.io/v1/leases"), 405,
                          "MethodNotAllowed")
        r = self.req("DELETE", dcl)
        self.assertEqual([i["metadata"]["name"] for i in r.json()["items"]], ["dc2"])
        self.assertEqual(left(), [])

    def test_dry_run(self):
        r = self.req("POST", LEASES + "?dryRun=All", lease("dry"))
        self.assertEqual(r.status, 201)
        self.assertEqual(r.json()["metadata"]["name"], "dry")
        self.assertStatus(self.req("GET", LEASES + "/dry"), 404, "NotFound")
        before = self.req("GET", DEP + "/web").json()
        r = self.req("PATCH", DEP + "/web?dryRun=All", {"spec": {"replicas": 9}},
                     ctype="application/merge-patch+json")
        self.assertEqual(r.json()["spec"]["replicas"], 9)
        after = self.req("GET", DEP + "/web").json()
        self.assertEqual(after["metadata"]["resourceVersion"],
                         before["metadata"]["resourceVersion"])
        self.assertEqual(after["spec"]["replicas"], before["spec"]["replicas"])

    def test_dry_run_delete_evict_resize(self):
        self.assertEqual(self.req("POST", LEASES, lease("dry-del", labels={"dry": "x"})).status,
                         201)
        pods = self.pods_of("web")
        name = pods[0]["metadata"]["name"]
        cpu = pods[0]["spec"]["containers"][0]["resources"]["requests"]["cpu"]
        rv = self.sim.admin("GET", "state")["resourceVersion"]
        # Each answers as the real write would, and nothing is stored.
        r = self.req("DELETE", LEASES + "/dry-del?dryRun=All")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["metadata"]["name"], "dry-del")
        r = self.req("DELETE", LEASES + "?dryRun=All&labelSelector=dry%3Dx")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual([i["metadata"]["name"] for i in r.json()["items"]], ["dry-del"])
        r = self.req("POST", PODS + "/" + name + "/eviction?dryRun=All",
                     {"apiVersion": "policy/v1", "kind": "Eviction",
                      "metadata": {"name": name, "namespace": "default"}})
        self.assertEqual(r.status, 201, r.body)
        r = self.req("PATCH", PODS + "/" + name + "/resize?dryRun=All", {"spec": {"containers": [
            {"name": "app", "resources": {"requests": {"cpu": "777m"}}}]}},
            ctype="application/strategic-merge-patch+json")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["spec"]["containers"][0]["resources"]["requests"]["cpu"],
                         "777m")
        self.assertEqual(self.sim.admin("GET", "state")["resourceVersion"], rv)
        self.assertEqual(self.req("GET", LEASES + "/dry-del").status, 200)
        self.assertEqual([p["metadata"]["name"] for p in self.pods_of("web")],
                         [p["metadata"]["name"] for p in pods])
        p = self.req("GET", PODS + "/" + name).json()
        self.assertEqual(p["spec"]["containers"][0]["resources"]["requests"]["cpu"], cpu)

    def test_custom_resource_update_needs_rv(self):
        ck = {"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscalerCheckpoint",
              "metadata": {"name": "web-app"}, "spec": {"vpaObjectName": "web",
                                                         "containerName": "app"},
              "status": {"version": "v3", "totalSamplesCount": 1}}
        r = self.req("POST", CKPT, ck)
        self.assertEqual(r.status, 201, r.body)
        self.assertEqual(r.json()["kind"], "VerticalPodAutoscalerCheckpoint")
        # No status subresource: status is written through the main resource.
        self.assertEqual(r.json()["status"]["version"], "v3")
        st = self.assertStatus(self.req("PUT", CKPT + "/web-app", ck), 422, "Invalid")
        self.assertIn("metadata.resourceVersion: Invalid value: 0x0", st["message"])
        # The JSON patch the VPA recommender sends.
        r = self.req("PATCH", CKPT + "/web-app",
                     [{"op": "replace", "path": "/status", "value": {"version": "v3",
                                                                     "totalSamplesCount": 9}}],
                     ctype="application/json-patch+json")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["status"]["totalSamplesCount"], 9)
        # Custom resource lists keep kind on items; built-in lists do not.
        items = self.req("GET", CKPT).json()["items"]
        self.assertEqual(items[0]["kind"], "VerticalPodAutoscalerCheckpoint")
        items = self.req("GET", DEP).json()["items"]
        self.assertNotIn("kind", items[0])

    def test_status_subresource(self):
        hpa = self.req("GET", HPA + "/web").json()
        self.assertEqual(hpa["spec"]["minReplicas"], 2)
        hpa["status"] = {"currentReplicas": 3, "desiredReplicas": 4}
        r = self.req("PUT", HPA + "/web/status", hpa)
        self.assertEqual(r.status, 200, r.body)
        got = r.json()
        self.assertEqual(got["status"]["desiredReplicas"], 4)
        gen = got["metadata"]["generation"]
        # Status writes leave spec alone; main writes leave status alone.
        got["spec"]["maxReplicas"] = 99
        got["status"]["desiredReplicas"] = 7
        r = self.req("PUT", HPA + "/web/status", got)
        self.assertEqual(r.json()["spec"]["maxReplicas"], 10)
        self.assertEqual(r.json()["status"]["desiredReplicas"], 7)
        self.assertEqual(r.json()["metadata"]["generation"], gen)
        cur = r.json()
        cur["spec"]["maxReplicas"] = 12
        cur["status"]["desiredReplicas"] = 1
        r = self.req("PUT", HPA + "/web", cur)
        self.assertEqual(r.json()["spec"]["maxReplicas"], 12)
        self.assertEqual(r.json()["status"]["desiredReplicas"], 7)
        self.assertEqual(r.json()["metadata"]["generation"], gen + 1)
        # Validation: maxReplicas 0 is invalid, with the upstream message and causes.
        cur = r.json()
        cur["spec"]["maxReplicas"] = 0
        st = self.assertStatus(self.req("PUT", HPA + "/web", cur), 422, "Invalid")
        self.assertIn("spec.maxReplicas: Invalid value: 0", st["message"])
        self.assertEqual(st["details"]["causes"][0]["field"], "spec.maxReplicas")

    def test_pagination_and_expiry(self):
        ns = "/apis/coordination.k8s.io/v1/namespaces/shop/leases"
        for i in range(7):
            self.assertEqual(self.req("POST", ns, lease("p%d" % i)).status, 201)
        r = self.req("GET", ns + "?limit=3").json()
        self.assertEqual(r["kind"], "LeaseList")
        self.assertEqual(len(r["items"]), 3)
        self.assertEqual(r["metadata"]["remainingItemCount"], 4)
        rv = r["metadata"]["resourceVersion"]
        names = [i["metadata"]["name"] for i in r["items"]]
        token = r["metadata"]["continue"]
        # The next chunk is asked for without resourceVersion ("0" is tolerated).
        st = self.assertStatus(self.req("GET", ns + "?limit=3&resourceVersion=%s&continue=%s"
                                        % (rv, token)), 400, "BadRequest")
        self.assertEqual(st["message"],
                         "specifying resource version is not allowed when using continue")
        r0 = self.req("GET", ns + "?limit=3&resourceVersion=0&continue=" + token)
        self.assertEqual(r0.status, 200, r0.body)
        while token:
            # A write between chunks does not change the list's resourceVersion.
            self.req("POST", LEASES, lease("between-%d" % len(names)))
            r = self.req("GET", ns + "?limit=3&continue=" + token).json()
            self.assertEqual(r["metadata"]["resourceVersion"], rv)
            names += [i["metadata"]["name"] for i in r["items"]]
            token = r["metadata"].get("continue")
        self.assertEqual(names, ["p%d" % i for i in range(7)])
        # Expired continue token -> 410 Expired with a fresh token.
        first = self.req("GET", ns + "?limit=2").json()
        self.sim.admin("POST", "continue/expire")
        st = self.assertStatus(self.req("GET", ns + "?limit=2&continue=" +
                                        first["metadata"]["continue"]), 410, "Expired")
        self.assertIn("too old to display a consistent list result", st["message"])
        fresh = st["metadata"]["continue"]
        r = self.req("GET", ns + "?limit=10&continue=" + fresh).json()
        self.assertEqual([i["metadata"]["name"] for i in r["items"]],
                         ["p%d" % i for i in range(2, 7)])
        self.assertNotIn("continue", r["metadata"])
        # A malformed token: 400 with the storage's "invalid continue token: " prefix
        # (storage.ValidateListOptions wraps DecodeContinue's error), checked before the rv.
        for q in ("?limit=2&continue=garbage", "?limit=2&continue=garbage&resourceVersion=5"):
            st = self.assertStatus(self.req("GET", ns + q), 400, "BadRequest")
            self.assertEqual(st["message"], "invalid continue token: continue key is not "
                             "valid: incorrect encoded start resourceVersion (version "
                             "meta.k8s.io/v1)")
        # Time-based expiry.
        first = self.req("GET", ns + "?limit=2").json()
        self.sim.admin("POST", "config", {"continue_ttl_s": 0})
        time.sleep(0.05)
        self.assertStatus(self.req("GET", ns + "?limit=2&continue=" +
                                   first["metadata"]["continue"]), 410, "Expired")
        self.sim.admin("POST", "config", {"continue_ttl_s": 300})

    def test_repeated_query_key_takes_first_value(self):
        # Upstream decodes the query with the parameter codec, whose conversions take the first
        # value of a repeated key (url.Values.Get alike); the request log shows the same.
        self.req("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                "metadata": {"name": "repeated-keys"}})
        ns = "/apis/coordination.k8s.io/v1/namespaces/repeated-keys/leases"
        for i in range(3):
            self.req("POST", ns, lease("rq%d" % i, labels={"rq": str(i)}))
        self.req("DELETE", "/kubesim/requests", token=self.sim.admin_token)
        r = self.req("GET", ns + "?limit=1&limit=5").json()
        self.assertEqual([i["metadata"]["name"] for i in r["items"]], ["rq0"])
        self.assertTrue(r["metadata"]["continue"])
        r = self.req("GET", ns + "?limit=5&limit=1").json()
        self.assertEqual(len(r["items"]), 3)
        r = self.req("GET", ns + "?labelSelector=rq%3D2&labelSelector=rq%3D0").json()
        self.assertEqual([i["metadata"]["name"] for i in r["items"]], ["rq2"])
        self.assertStatus(self.req("GET", ns + "?labelSelector=a%3D%3D%3Db&labelSelector=rq"),
                          400, "BadRequest")
        log = self.sim.admin("GET", "requests")
        self.assertEqual(log[0]["params"], {"limit": "1"})
        self.assertEqual(log[2]["params"], {"labelSelector": "rq=2"})

    def test_remaining_item_count_only_without_selectors(self):
        n = len(self.req("GET", PODS).json()["items"])
        r = self.req("GET", PODS + "?limit=1").json()
        self.assertEqual(r["metadata"]["remainingItemCount"], n - 1)
        # With a label or field selector upstream gives no estimate (storage counts
        # every item left, selected or not), though more chunks follow.
        for q in ("labelSelector=app%3Dweb", "fieldSelector=status.phase%3DRunning"):
            r = self.req("GET", PODS + "?limit=1&" + q).json()
            self.assertTrue(r["metadata"]["continue"], q)
            self.assertNotIn("remainingItemCount", r["metadata"], q)
            r = self.req("GET", PODS + "?limit=1&continue=%s&%s"
                         % (r["metadata"]["continue"], q)).json()
            self.assertNotIn("remainingItemCount", r["metadata"], q)

    def test_limit_ignored_at_resource_version_0(self):
        # resourceVersion "0" is served whole from the watch cache, which ignores limit
        # (cacher's computeListLimit): every item, no continue, no remainingItemCount. Any
        # other resourceVersion (unset, a number, NotOlderThan) pages as asked.
        ns = "/apis/coordination.k8s.io/v1/namespaces/data/leases"
        for i in range(4):
            self.assertEqual(self.req("POST", ns, lease("z%d" % i)).status, 201)
        rv = self.req("GET", ns).json()["metadata"]["resourceVersion"]
        for q in ("resourceVersion=0", "resourceVersion=0&resourceVersionMatch=NotOlderThan"):
            r = self.req("GET", ns + "?limit=2&" + q)
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual([i["metadata"]["name"] for i in r.json()["items"]],
                             ["z0", "z1", "z2", "z3"], q)
            self.assertEqual(r.json()["metadata"], {"resourceVersion": rv}, q)
        for q in ("", "&resourceVersion=" + rv,
                  "&resourceVersion=%s&resourceVersionMatch=NotOlderThan" % rv):
            r = self.req("GET", ns + "?limit=2" + q).json()
            self.assertEqual([i["metadata"]["name"] for i in r["items"]], ["z0", "z1"], q)
            self.assertTrue(r["metadata"]["continue"], q)
            self.assertEqual(r["metadata"]["remainingItemCount"], 2, q)

    def test_list_at_an_older_resource_version(self):
        # An Exact list, or a limited one with an rv (legacy exact), answers the collection as
        # it was at that rv while the history reaches back to it (upstream: the watch cache's
        # snapshots, or etcd until compaction); later chunks read the first chunk's snapshot.
        lnl = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"
        for n in ("o0", "o1"):
            self.req("POST", lnl, lease(n))
        then = self.req("GET", lnl).json()
        rv1 = then["metadata"]["resourceVersion"]
        self.req("PATCH", lnl + "/o0", {"spec": {"holderIdentity": "z"}},
                 ctype="application/merge-patch+json")
        self.req("DELETE", lnl + "/o1")
        self.req("POST", lnl, lease("o2"))
        now = self.req("GET", lnl).json()
        self.assertEqual([i["metadata"]["name"] for i in now["items"]], ["o0", "o2"])
        r = self.req("GET", lnl + "?resourceVersion=%s&resourceVersionMatch=Exact" % rv1)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json(), then)
        r = self.req("GET", lnl + "?limit=1&resourceVersion=" + rv1).json()
        self.assertEqual((r["items"], r["metadata"]["resourceVersion"]), (then["items"][:1], rv1))
        r = self.req("GET", lnl + "?limit=1&continue=" + r["metadata"]["continue"]).json()
        self.assertEqual((r["items"], r["metadata"]["resourceVersion"]), (then["items"][1:], rv1))
        self.assertNotIn("continue", r["metadata"])
        # NotOlderThan (and no limit) reads the current state.
        for q in ("resourceVersion=" + rv1,
                  "resourceVersion=%s&resourceVersionMatch=NotOlderThan&limit=5" % rv1):
            self.assertEqual(self.req("GET", lnl + "?" + q).json()["items"], now["items"], q)
        # A chunked list does not see writes made after its first chunk.
        first = self.req("GET", lnl + "?limit=1").json()
        self.req("POST", lnl, lease("o3"))
        r = self.req("GET", lnl + "?limit=5&continue=" + first["metadata"]["continue"]).json()
        self.assertEqual(r["items"], now["items"][1:])
        self.assertEqual(r["metadata"]["resourceVersion"], now["metadata"]["resourceVersion"])
        # Once the history is compacted past them, both are gone: 410. The state at the
        # compaction's rv stays readable.
        first = self.req("GET", lnl + "?limit=1").json()
        self.req("POST", lnl, lease("o4"))
        self.sim.admin("POST", "watch/compact")
        st = self.assertStatus(self.req("GET", lnl + "?resourceVersion=%s&"
                                        "resourceVersionMatch=Exact" % rv1), 410, "Expired")
        self.assertEqual(st["message"], "The resourceVersion for the provided list is too old.")
        self.assertStatus(self.req("GET", lnl + "?limit=1&resourceVersion=" + rv1), 410,
                          "Expired")
        st = self.assertStatus(self.req("GET", lnl + "?limit=1&continue=" +
                                        first["metadata"]["continue"]), 410, "Expired")
        self.assertTrue(st["metadata"]["continue"])
        cur = self.req("GET", lnl).json()["metadata"]["resourceVersion"]
        r = self.req("GET", lnl + "?resourceVersion=%s&resourceVersionMatch=Exact" % cur)
        self.assertEqual(r.status, 200, r.body)

    def test_list_options_validation(self):
        # Upstream's ValidateListOptions: 422 on ListOptions.meta.k8s.io, a cause per broken
        # rule, and the message aggregates them ([a, b] when there are several).
        token = self.req("GET", PODS + "?limit=1").json()["metadata"]["continue"]

        def invalid(query, *errors):
            st = self.assertStatus(self.req("GET", PODS + "?" + query), 422, "Invalid")
            text = errors[0] if len(errors) == 1 else "[%s]" % ", ".join(errors)
            self.assertEqual(st["message"], 'ListOptions.meta.k8s.io "" is invalid: ' + text)
            self.assertEqual((st["details"]["group"], st["details"]["kind"]),
                             ("meta.k8s.io", "ListOptions"))
            self.assertEqual(["%s: %s" % (c["field"], c["message"])
                              for c in st["details"]["causes"]], list(errors))
            return st

        st = invalid("resourceVersionMatch=NotOlderThan", "resourceVersionMatch: Forbidden: "
                     "resourceVersionMatch is forbidden unless resourceVersion is provided")
        self.assertEqual(st["details"]["causes"][0]["reason"], "FieldValueForbidden")
        st = invalid("resourceVersion=5&resourceVersionMatch=Newest",
                     'resourceVersionMatch: Unsupported value: "Newest": supported values: '
                     '"Exact", "NotOlderThan", ""')
        self.assertEqual(st["details"]["causes"][0]["reason"], "FieldValueNotSupported")
        invalid("resourceVersion=0&resourceVersionMatch=Exact", 'resourceVersionMatch: '
                'Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"')
        invalid("limit=1&resourceVersionMatch=NotOlderThan&continue=" + token,
                "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless "
                "resourceVersion is provided",
                "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when "
                "continue is provided")
        invalid("sendInitialEvents=false",
                "sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list")
        # A malformed selector is a 400 from decoding the query, before validation.
        self.assertStatus(self.req("GET", PODS + "?labelSelector=a%3D%3D%3Db&"
                                   "resourceVersionMatch=Exact"), 400, "BadRequest")
        # The valid combinations.
        rv = self.req("GET", PODS).json()["metadata"]["resourceVersion"]
        for q in ("resourceVersion=%s&resourceVersionMatch=NotOlderThan" % rv,
                  "resourceVersion=0&resourceVersionMatch=NotOlderThan",
                  "resourceVersion=%s&resourceVersionMatch=Exact" % rv):
            r = self.req("GET", PODS + "?" + q)
            self.assertEqual(r.status, 200, q)
            self.assertEqual(r.json()["metadata"]["resourceVersion"], rv, q)

    def test_unparsable_resource_version(self):
        # ParseResourceVersion (strconv.ParseUint) refuses anything but a decimal number. A
        # list's storage.ValidateListOptions wraps it in a 400; the watch cache's Get and Watch
        # return it as it is, no API status, so the apiserver answers 500 with no reason.
        def parse_error(rv, why="invalid syntax"):
            return ('resourceVersion: Invalid value: "%s": strconv.ParseUint: parsing "%s": %s'
                    % (rv, rv, why))

        for q in ("resourceVersion=abc", "resourceVersion=abc&resourceVersionMatch=NotOlderThan",
                  "resourceVersion=abc&resourceVersionMatch=Exact", "limit=1&resourceVersion=abc"):
            st = self.assertStatus(self.req("GET", LEASES + "?" + q), 400, "BadRequest")
            self.assertEqual(st["message"], "invalid resource version: " + parse_error("abc"), q)
        st = self.assertStatus(self.req("GET", LEASES + "?resourceVersion=-1"), 400, "BadRequest")
        self.assertEqual(st["message"], "invalid resource version: " + parse_error("-1"))
        big = "18446744073709551616"  # 2^64
        st = self.assertStatus(self.req("GET", LEASES + "?resourceVersion=" + big), 400,
                               "BadRequest")
        self.assertEqual(st["message"],
                         "invalid resource version: " + parse_error(big, "value out of range"))
        # With a continue token the rv is refused for being there at all.
        token = self.req("GET", PODS + "?limit=1").json()["metadata"]["continue"]
        st = self.assertStatus(self.req("GET", PODS + "?limit=1&resourceVersion=abc&continue=" +
                                        token), 400, "BadRequest")
        self.assertEqual(st["message"],
                         "specifying resource version is not allowed when using continue")
        # Get (an object, a missing one, a subresource) and watch: 500, reason unset.
        self.req("POST", LEASES, lease("unparsable"))
        for path in (LEASES + "/unparsable", LEASES + "/missing", DEP + "/web/scale",
                     DEP + "/web/status", LEASES + "?watch=true"):
            sep = "&" if "?" in path else "?"
            st = self.assertStatus(self.req("GET", path + sep + "resourceVersion=x1"), 500, "")
            self.assertEqual(st["message"], parse_error("x1"), path)
        # A list option that breaks validation is still 422 first.
        self.assertStatus(self.req("GET", LEASES + "?watch=true&sendInitialEvents=true&"
                                   "resourceVersion=abc"), 422, "Invalid")
        # Numbers (leading zeros too) still read.
        self.assertEqual(self.req("GET", LEASES + "/unparsable?resourceVersion=01").status, 200)
        self.assertEqual(self.req("GET", LEASES + "?resourceVersion=0").status, 200)

    def test_selectors(self):
        all_pods = self.req("GET", "/api/v1/pods").json()["items"]
        self.assertEqual(len(all_pods), len(self.pods_of("web")) +
                         len(self.pods_of("api", "shop")) + len(self.pods_of("db", "data")))
        q = "/api/v1/pods?labelSelector="
        cases = {"app%3Dweb": {"web"}, "app%3D%3Dweb": {"web"}, "app%21%3Dweb": {"api", "db"},
                 "app%20in%20(api%2Cweb)": {"web", "api"},
                 "app%20notin%20(web)": {"api", "db"}, "tier": {"api"},
                 "%21tier": {"web", "db"}, "app%3Dweb%2Ctier": set(),
                 "app%20in%20(db)%2Capp%21%3Dweb": {"db"}}
        for sel, expect in cases.items():
            items = self.req("GET", q + sel).json()["items"]
            apps = {i["metadata"]["labels"]["app"] for i in items}
            self.assertEqual(apps, expect, sel)
        self.assertStatus(self.req("GET", q + "app%3D%3D%3Dx"), 400, "BadRequest")
        name = self.pods_of("web")[0]["metadata"]["name"]
        items = self.req("GET", PODS + "?fieldSelector=metadata.name%3D" + name).json()["items"]
        self.assertEqual([i["metadata"]["name"] for i in items], [name])
        items = self.req("GET", "/api/v1/pods?fieldSelector=status.phase%3DRunning%2C"
                         "metadata.namespace%21%3Dshop").json()["items"]
        self.assertTrue(items)
        self.assertEqual({i["metadata"]["namespace"] for i in items}, {"default", "data"})
        self.assertStatus(self.req("GET", PODS + "?fieldSelector=spec.bogus%3D1"), 400,
                          "BadRequest")

    def test_pod_create(self):
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "solo"},
               "spec": {"containers": [{"name": "c", "image": "x",
                                        "resources": {"requests": {"cpu": "1"},
                                                      "limits": {"cpu": "1"}}}]}}
        r = self.req("POST", PODS, pod)
        self.assertEqual(r.status, 201, r.body)
        st = r.json()["status"]
        self.assertEqual(st["phase"], "Running")
        self.assertEqual(st["qosClass"], "Burstable")  # memory has no limit
        self.assertTrue(r.json()["spec"]["nodeName"])
        self.assertEqual(self.req("GET", PODS + "/solo/resize").status, 200)
        del pod["spec"]["containers"]
        self.assertStatus(self.req("POST", PODS, pod), 422, "Invalid")
        self.assertEqual(self.req("DELETE", PODS + "/solo").status, 200)

    def test_events_and_leases(self):
        ev = {"apiVersion": "v1", "kind": "Event", "metadata": {"generateName": "web."},
              "involvedObject": {"kind": "Deployment", "name": "web", "namespace": "default"},
              "reason": "Scaled", "message": "podscaler scaled web", "type": "Normal"}
        r = self.req("POST", "/api/v1/namespaces/default/events", ev)
        self.assertEqual(r.status, 201, r.body)
        name = r.json()["metadata"]["name"]
        got = self.req("GET", "/api/v1/namespaces/default/events/" + name).json()
        self.assertEqual(got["reason"], "Scaled")
        evs = self.req("GET", "/api/v1/namespaces/default/events?fieldSelector="
                       "metadata.name%3D" + name).json()["items"]
        self.assertEqual(len(evs), 1)
        r = self.req("POST", "/apis/events.k8s.io/v1/namespaces/default/events",
                     {"apiVersion": "events.k8s.io/v1", "kind": "Event",
                      "metadata": {"name": "e2"}, "reason": "X", "note": "y"})
        self.assertEqual(r.status, 201, r.body)
        # Leader election traffic: create, renew with the fetched resourceVersion.
        r = self.req("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases",
                     lease("podscaler", holder="me"))
        self.assertEqual(r.status, 201)
        got = r.json()
        got["spec"]["renewTime"] = "2026-07-01T10:00:04.120551Z"
        r = self.req("PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/"
                     "podscaler", got)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["spec"]["renewTime"], "2026-07-01T10:00:04.120551Z")
        bad = lease("neg")
        bad["spec"]["leaseDurationSeconds"] = -1
        self.assertStatus(self.req("POST", LEASES, bad), 422, "Invalid")

    def test_request_log_and_gzip(self):
        self.sim.admin("DELETE", "requests")
        self.req("GET", PODS + "?limit=1", headers={"Accept-Encoding": "gzip"})
        self.req("GET", PODS, token=None)
        self.req("PATCH", LEASES + "/none", {}, ctype="application/merge-patch+json")
        log = self.sim.admin("GET", "requests")
        self.assertEqual(len(log), 3)
        self.assertEqual(log[0]["method"], "GET")
        self.assertEqual(log[0]["path"], PODS)
        self.assertEqual(log[0]["query"], "limit=1")
        self.assertEqual(log[0]["auth"], "bearer")
        self.assertTrue(log[0]["authorization_present"])
        self.assertEqual(log[0]["status"], 200)
        self.assertEqual(log[1]["auth"], "none")
        self.assertEqual(log[1]["status"], 401)
        self.assertEqual(log[2]["content_type"], "application/merge-patch+json")
        self.assertEqual(log[2]["status"], 404)
        self.assertEqual(log[0]["token"], self.sim.token)
        self.assertIsNone(log[0]["body"])
        self.assertEqual(log[2]["body"], {})
        # Protobuf-only clients are refused.
        self.assertStatus(self.req("GET", PODS, headers={
            "Accept": "application/vnd.kubernetes.protobuf"}), 406, "NotAcceptable")
        self.assertEqual(self.req("GET", PODS, headers={
            "Accept": "application/vnd.kubernetes.protobuf, application/json"}).status, 200)
        # Compression above the threshold, only when asked for.
        self.sim.admin("POST", "config", {"gzip_threshold": 10})
        try:
            r = self.req("GET", PODS, headers={"Accept-Encoding": "gzip"})
            self.assertEqual(r.headers.get("Content-Encoding"), "gzip")
            self.assertEqual(json.loads(gzip.decompress(r.body))["kind"], "PodList")
            r = self.req("GET", PODS)
            self.assertIsNone(r.headers.get("Content-Encoding"))
        finally:
            self.sim.admin("POST", "config", {"gzip_threshold": 131072})

    def test_raw_injection(self):
        self.sim.admin("POST", "raw", {
            "path": "/apis/autoscaling.k8s.io/v1/namespaces/shop/verticalpodautoscalers",
            "object": {"metadata": {"name": "broken"}, "spec": 42}})
        self.sim.admin("POST", "raw", {
            "path": "/apis/autoscaling.k8s.io/v1/namespaces/shop/verticalpodautoscalers",
            "object": "not even an object"})
        items = self.req("GET", "/apis/autoscaling.k8s.io/v1/namespaces/shop/"
                         "verticalpodautoscalers").json()["items"]
        self.assertIn({"metadata": {"name": "broken"}, "spec": 42}, items)
        self.assertIn("not even an object", items)
        self.assertEqual(len(items), 3)
        # Selectors apply to raw items that have metadata; the rest only show unfiltered.
        vpas = "/apis/autoscaling.k8s.io/v1/namespaces/shop/verticalpodautoscalers"
        items = self.req("GET", vpas + "?fieldSelector=metadata.name%3Dbroken").json()["items"]
        self.assertEqual(items, [{"metadata": {"name": "broken"}, "spec": 42}])
        self.sim.admin("POST", "raw", {"path": PODS, "object": {
            "metadata": {"name": "odd", "labels": {"app": "web"}}, "spec": {"containers": 7}}})
        self.assertIn("odd", [i["metadata"]["name"] for i in self.pods_of("web")])
        self.assertNotIn("odd", [i["metadata"]["name"] for i in self.pods_of("api")])
        self.sim.admin("POST", "raw", {
            "path": "/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods",
            "object": {"metadata": {"name": "ghost"}, "containers": [
                {"name": "c", "usage": {"cpu": "-5", "memory": "lots"}}]}})
        items = self.req("GET", "/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods") \
            .json()["items"]
        self.assertIn("lots", json.dumps(items))
        with self.assertRaises(RuntimeError):
            self.sim.admin("POST", "raw", {"path": "/nope", "object": {}})
        with self.assertRaises(RuntimeError):
            self.sim.admin("POST", "clock", {"advance_s": "soon"})
        # A raw object that breaks kubesim's own logic gives a 500 Status, not a hang-up.
        self.sim.admin("POST", "raw", {"path": "/apis/apps/v1/namespaces/shop/deployments",
                                       "object": {"metadata": {"name": "weird"}, "spec": 42}})
        self.assertStatus(self.req("GET", "/apis/apps/v1/namespaces/shop/deployments/weird"),
                          404, "NotFound")
        self.assertEqual(len(self.req("GET", "/apis/apps/v1/namespaces/shop/deployments")
                             .json()["items"]), 2)
        self.assertStatus(self.req("GET", "/apis/apps/v1/namespaces/shop/deployments/weird/"
                                   "scale"), 404, "NotFound")


class TestPatches(Base):
    def test_merge_patch(self):
        r = self.req("PATCH", DEP + "/web",
                     {"metadata": {"labels": {"team": "a"}, "annotations": {"x": "1"}}},
                     ctype="application/merge-patch+json")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["metadata"]["labels"], {"app": "web", "team": "a"})
        r = self.req("PATCH", DEP + "/web", {"metadata": {"annotations": {"x": None}}},
                     ctype="application/merge-patch+json")
        self.assertNotIn("x", r.json()["metadata"].get("annotations", {}))
        # A resourceVersion in the patch is a precondition.
        st = self.assertStatus(self.req("PATCH", DEP + "/web",
                                        {"metadata": {"resourceVersion": "1"}},
                                        ctype="application/merge-patch+json"), 409, "Conflict")
        self.assertIn("the object has been modified", st["message"])
        # Merge patch replaces lists whole.
        r = self.req("PATCH", HPA + "/web", {"spec": {"metrics": [
            {"type": "Resource", "resource": {"name": "memory", "target": {
                "type": "AverageValue", "averageValue": "400Mi"}}}]}},
            ctype="application/merge-patch+json")
        self.assertEqual(len(r.json()["spec"]["metrics"]), 1)
        self.assertStatus(self.req("PATCH", DEP + "/web", [1],
                                   ctype="application/merge-patch+json"), 400, "BadRequest")

    def test_strategic_merge_patch(self):
        before = self.req("GET", DEP + "/web").json()
        old_pods = {p["metadata"]["name"] for p in self.pods_of("web")}
        patch = {"spec": {"template": {"spec": {"containers": [
            {"name": "app", "resources": {"requests": {"cpu": "300m"}}}]}}}}
        r = self.req("PATCH", DEP + "/web", patch, ctype="application/strategic-merge-patch+json")
        self.assertEqual(r.status, 200, r.body)
        cs = r.json()["spec"]["template"]["spec"]["containers"]
        self.assertEqual([c["name"] for c in cs], ["app", "envoy"])
        self.assertEqual(cs[0]["resources"]["requests"], {"cpu": "300m", "memory": "256Mi"})
        self.assertEqual(cs[0]["resources"]["limits"], {"cpu": "1", "memory": "512Mi"})
        self.assertEqual(r.json()["metadata"]["generation"],
                         before["metadata"]["generation"] + 1)
        # The template changed: the pods were replaced and carry the new requests.
        pods = self.pods_of("web")
        self.assertEqual(len(pods), before["spec"]["replicas"])
        self.assertFalse(old_pods & {p["metadata"]["name"] for p in pods})
        for p in pods:
            self.assertEqual(p["spec"]["containers"][0]["resources"]["requests"]["cpu"], "300m")
        # $patch: delete removes a keyed list element.
        r = self.req("PATCH", DEP + "/web", {"spec": {"template": {"spec": {"containers": [
            {"name": "envoy", "$patch": "delete"}]}}}},
            ctype="application/strategic-merge-patch+json")
        self.assertEqual([c["name"] for c in r.json()["spec"]["template"]["spec"]
                          ["containers"]], ["app"])
        # Custom resources refuse strategic merge.
        self.assertStatus(self.req("PATCH", "/apis/podscaler.io/v1alpha1/namespaces/default/"
                                   "podscalers/web", {"spec": {}},
                                   ctype="application/strategic-merge-patch+json"),
                          415, "UnsupportedMediaType")

    def test_json_patch(self):
        cur = self.req("GET", DEP + "/web").json()
        rv = cur["metadata"]["resourceVersion"]
        ops = [{"op": "test", "path": "/metadata/resourceVersion", "value": rv},
               {"op": "replace", "path": "/spec/replicas", "value": 4}]
        r = self.req("PATCH", DEP + "/web", ops, ctype="application/json-patch+json")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["spec"]["replicas"], 4)
        self.assertEqual(len(self.pods_of("web")), 4)
        # Same test op again: the resourceVersion moved on.
        st = self.assertStatus(self.req("PATCH", DEP + "/web", ops,
                                        ctype="application/json-patch+json"), 422, "Invalid")
        self.assertIn("test failed", st["message"])
        st = self.assertStatus(self.req("PATCH", DEP + "/web",
                                        [{"op": "replace", "path": "/spec/nope/x", "value": 1}],
                                        ctype="application/json-patch+json"), 422, "Invalid")
        self.assertStatus(self.req("PATCH", DEP + "/web", {"op": "add"},
                                   ctype="application/json-patch+json"), 400, "BadRequest")
        self.assertStatus(self.req("PATCH", DEP + "/web", b"[{",
                                   ctype="application/json-patch+json"), 400, "BadRequest")
        self.assertStatus(self.req("PATCH", DEP + "/web",
                                   [{"op": "test", "path": "/spec/replicas", "value": 4}] * 10001,
                                   ctype="application/json-patch+json"),
                          413, "RequestEntityTooLarge")
        # add / remove / move / copy, and ~1 escaping.
        r = self.req("PATCH", DEP + "/web", [
            {"op": "add", "path": "/metadata/annotations", "value": {}},
            {"op": "add", "path": "/metadata/annotations/podscaler.io~1a", "value": "1"},
            {"op": "copy", "from": "/metadata/annotations/podscaler.io~1a",
             "path": "/metadata/annotations/b"},
            {"op": "move", "from": "/metadata/annotations/b", "path": "/metadata/annotations/c"},
            {"op": "remove", "path": "/metadata/annotations/podscaler.io~1a"}],
            ctype="application/json-patch+json")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["metadata"]["annotations"], {"c": "1"})
        # test distinguishes JSON types (true is not 1).
        self.assertStatus(self.req("PATCH", DEP + "/web",
                                   [{"op": "test", "path": "/spec/replicas", "value": True}],
                                   ctype="application/json-patch+json"), 422, "Invalid")

    def test_apply_and_unknown_media_type(self):
        body = {"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "web", "namespace": "default"}, "spec": {"replicas": 2}}
        st = self.assertStatus(self.req("PATCH", DEP + "/web", body,
                                        ctype="application/apply-patch+yaml"), 422, "Invalid")
        self.assertIn("fieldManager", st["message"])
        r = self.req("PATCH", DEP + "/web?fieldManager=podscaler&force=true", body,
                     ctype="application/apply-patch+yaml")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["spec"]["replicas"], 2)
        self.assertEqual(len(self.pods_of("web")), 2)
        # Apply creates missing objects.
        r = self.req("PATCH", LEASES + "/applied?fieldManager=podscaler",
                     lease("applied"), ctype="application/apply-patch+yaml")
        self.assertEqual(r.status, 201, r.body)
        self.assertStatus(self.req("PATCH", DEP + "/web", {}, ctype="text/plain"), 415,
                          "UnsupportedMediaType")


class TestScale(Base):
    def test_scale_subresource(self):
        r = self.req("GET", DEP + "/web/scale")
        self.assertEqual(r.status, 200)
        sc = r.json()
        self.assertEqual(sc["kind"], "Scale")
        self.assertEqual(sc["apiVersion"], "autoscaling/v1")
        self.assertEqual(sc["spec"]["replicas"], 3)
        self.assertEqual(sc["status"], {"replicas": 3, "selector": "app=web"})
        dep = self.req("GET", DEP + "/web").json()
        self.assertEqual(sc["metadata"]["resourceVersion"], dep["metadata"]["resourceVersion"])
        sc["spec"]["replicas"] = 5
        r = self.req("PUT", DEP + "/web/scale", sc)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["spec"]["replicas"], 5)
        self.assertEqual(r.json()["status"]["replicas"], 5)
        pods = self.pods_of("web")
        self.assertEqual(len(pods), 5)
        rs_names = set()
        for p in pods:
            self.assertEqual(p["status"]["phase"], "Running")
            ready = [c for c in p["status"]["conditions"] if c["type"] == "Ready"]
            self.assertEqual(ready[0]["status"], "True")
            self.assertEqual([c["name"] for c in p["status"]["containerStatuses"]],
                             ["app", "envoy"])
            self.assertEqual(p["status"]["qosClass"], "Burstable")
            ref = p["metadata"]["ownerReferences"][0]
            self.assertEqual((ref["kind"], ref["controller"]), ("ReplicaSet", True))
            rs_names.add(ref["name"])
            self.assertEqual(p["metadata"]["labels"]["pod-template-hash"],
                             ref["name"].rsplit("-", 1)[1])
        self.assertEqual(len(rs_names), 1)
        rs = self.req("GET", "/apis/apps/v1/namespaces/default/replicasets/" +
                      rs_names.pop()).json()
        self.assertEqual(rs["spec"]["replicas"], 5)
        self.assertEqual(rs["metadata"]["ownerReferences"][0]["name"], "web")
        dep = self.req("GET", DEP + "/web").json()
        self.assertEqual(dep["spec"]["replicas"], 5)
        self.assertEqual(dep["status"]["readyReplicas"], 5)
        self.assertEqual(dep["status"]["observedGeneration"], dep["metadata"]["generation"])
        # The old Scale's resourceVersion is stale now.
        self.assertStatus(self.req("PUT", DEP + "/web/scale", sc), 409, "Conflict")
        st = self.assertStatus(self.req("PUT", DEP + "/web/scale", {
            "kind": "Scale", "apiVersion": "autoscaling/v1", "spec": {"replicas": 4}}),
            400, "BadRequest")
        self.assertEqual(st["message"],
                         "the name of the object () does not match the name on the URL (web)")
        r = self.req("PATCH", DEP + "/web/scale", {"spec": {"replicas": 2}},
                     ctype="application/merge-patch+json")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(len(self.pods_of("web")), 2)
        self.assertStatus(self.req("PATCH", DEP + "/web/scale", {"spec": {"replicas": -1}},
                                   ctype="application/merge-patch+json"), 422, "Invalid")
        # Writing spec.replicas on the deployment itself scales too; 0 is allowed.
        r = self.req("PATCH", DEP + "/web", {"spec": {"replicas": 0}},
                     ctype="application/strategic-merge-patch+json")
        self.assertEqual(r.status, 200)
        self.assertEqual(self.pods_of("web"), [])
        self.assertNotIn("replicas", r.json()["status"])
        self.req("PATCH", DEP + "/web", {"spec": {"replicas": 3}},
                 ctype="application/merge-patch+json")
        self.assertEqual(len(self.pods_of("web")), 3)
        self.assertStatus(self.req("GET", DEP + "/nope/scale"), 404, "NotFound")
        # A scaling event was recorded.
        evs = self.req("GET", "/api/v1/namespaces/default/events").json()["items"]
        self.assertTrue(any(e["reason"] == "ScalingReplicaSet" for e in evs))

    def test_eviction_oom_resize(self):
        pods = self.pods_of("api", "shop")
        victim = pods[0]["metadata"]["name"]
        base = "/api/v1/namespaces/shop/pods/"
        ev = {"apiVersion": "policy/v1", "kind": "Eviction",
              "metadata": {"name": victim, "namespace": "shop"}}
        fid = self.sim.admin("POST", "faults", {"path": "/eviction$", "kind": "pdb",
                                                "count": 1})["id"]
        self.assertIsInstance(fid, int)
        st = self.assertStatus(self.req("POST", base + victim + "/eviction", ev), 429,
                               "TooManyRequests")
        self.assertEqual(st["details"]["causes"][0]["reason"], "DisruptionBudget")
        r = self.req("POST", base + victim + "/eviction", ev)
        self.assertEqual(r.status, 201, r.body)
        self.assertEqual(r.json()["status"], "Success")
        self.assertStatus(self.req("GET", base + victim), 404, "NotFound")
        after = self.pods_of("api", "shop")
        self.assertEqual(len(after), len(pods))  # replaced by the "controller"
        self.assertNotIn(victim, [p["metadata"]["name"] for p in after])
        # OOM kill.
        name = after[0]["metadata"]["name"]
        self.sim.admin("POST", "pods/shop/%s/oom" % name, {"container": "api"})
        p = self.req("GET", base + name).json()
        cs = p["status"]["containerStatuses"][0]
        self.assertEqual(cs["restartCount"], 1)
        self.assertEqual(cs["lastState"]["terminated"]["reason"], "OOMKilled")
        self.assertEqual(cs["lastState"]["terminated"]["exitCode"], 137)
        self.assertIn("running", cs["state"])
        self.assertEqual(p["status"]["qosClass"], "Guaranteed")
        # Resources cannot change through the pod itself (only through /resize).
        st = self.assertStatus(self.req("PATCH", base + name, {"spec": {"containers": [
            {"name": "api", "resources": {"requests": {"cpu": "400m"}}}]}},
            ctype="application/strategic-merge-patch+json"), 422, "Invalid")
        self.assertIn("pod updates may not change fields", st["message"])
        r = self.req("PATCH", base + name, {"spec": {"containers": [
            {"name": "api", "image": "api:2"}]}, "metadata": {"labels": {"x": "y"}}},
            ctype="application/strategic-merge-patch+json")
        self.assertEqual(r.status, 200, r.body)
        # In-place resize through JSON patch on pods/{name}/resize.
        r = self.req("PATCH", base + name + "/resize", [
            {"op": "add", "path": "/spec/containers/0/resources/requests/cpu", "value": "400m"},
            {"op": "add", "path": "/spec/containers/0/resources/limits/cpu", "value": "400m"}],
            ctype="application/json-patch+json")
        self.assertEqual(r.status, 200, r.body)
        p = self.req("GET", base + name).json()
        self.assertEqual(p["spec"]["containers"][0]["resources"]["requests"]["cpu"], "400m")
        self.assertEqual(p["status"]["containerStatuses"][0]["resources"]["requests"]["cpu"],
                         "400m")
        self.assertStatus(self.req("PATCH", base + name + "/resize", [
            {"op": "add", "path": "/spec/containers/0/resources/requests/cpu",
             "value": "lots"}], ctype="application/json-patch+json"), 422, "Invalid")
        # Readiness changes show in the deployment status.
        self.sim.admin("POST", "pods/shop/%s/state" % name, {"ready": False})
        dep = self.req("GET", "/apis/apps/v1/namespaces/shop/deployments/api").json()
        self.assertEqual(dep["status"]["readyReplicas"], len(after) - 1)


class TestStatefulSet(Base):
    kwargs = {"clock_rate": 0}
    scenario = {
        "deployments": [{"kind": "StatefulSet", "name": "db", "replicas": 2,
                         "containers": [{"name": "pg", "requests": {"cpu": "1",
                                                                    "memory": "1Gi"}}]}],
        "load": [{"deployment": "db", "container": "pg", "points": [[0, 1000, 2147483648]]}]}
    STS = "/apis/apps/v1/namespaces/default/statefulsets"

    def names(self):
        return sorted(p["metadata"]["name"] for p in self.pods_of("db"))

    def test_statefulset(self):
        self.assertEqual(self.names(), ["db-0", "db-1"])
        pod = self.req("GET", PODS + "/db-1").json()
        ref = pod["metadata"]["ownerReferences"][0]
        self.assertEqual((ref["kind"], ref["name"]), ("StatefulSet", "db"))
        self.assertEqual(pod["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"], "db-1")
        self.assertNotIn("generateName", pod["metadata"])
        sts = self.req("GET", self.STS + "/db").json()
        self.assertEqual(sts["status"]["replicas"], 2)
        self.assertEqual(sts["status"]["readyReplicas"], 2)
        self.assertEqual(sts["spec"]["podManagementPolicy"], "OrderedReady")
        sc = self.req("GET", self.STS + "/db/scale").json()
        self.assertEqual(sc["status"], {"replicas": 2, "selector": "app=db"})
        r = self.req("PATCH", self.STS + "/db/scale", {"spec": {"replicas": 4}},
                     ctype="application/merge-patch+json")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(self.names(), ["db-0", "db-1", "db-2", "db-3"])
        usage = self.req("GET", PM).json()["items"]
        self.assertEqual({i["containers"][0]["usage"]["cpu"] for i in usage}, {"250m"})
        self.assertEqual({i["containers"][0]["usage"]["memory"] for i in usage}, {"512Mi"})
        # Scale-down removes the highest ordinals; a deleted pod comes back by name.
        self.req("PATCH", self.STS + "/db/scale", {"spec": {"replicas": 3}},
                 ctype="application/merge-patch+json")
        self.assertEqual(self.names(), ["db-0", "db-1", "db-2"])
        uid = self.req("GET", PODS + "/db-1").json()["metadata"]["uid"]
        self.assertEqual(self.req("DELETE", PODS + "/db-1").status, 200)
        back = self.req("GET", PODS + "/db-1").json()
        self.assertNotEqual(back["metadata"]["uid"], uid)
        # A template change replaces the pods (instant rolling update).
        r = self.req("PATCH", self.STS + "/db", {"spec": {"template": {"spec": {"containers": [
            {"name": "pg", "resources": {"requests": {"cpu": "2"}}}]}}}},
            ctype="application/strategic-merge-patch+json")
        self.assertEqual(r.status, 200, r.body)
        pods = self.pods_of("db")
        self.assertEqual(len(pods), 3)
        for p in pods:
            self.assertEqual(p["spec"]["containers"][0]["resources"]["requests"]["cpu"], "2")
        self.assertStatus(self.req("PATCH", self.STS + "/db", {"spec": {"selector": {
            "matchLabels": {"app": "other"}}}}, ctype="application/merge-patch+json"),
            422, "Invalid")
        self.assertEqual(self.req("DELETE", self.STS + "/db").status, 200)
        self.assertEqual(self.pods_of("db"), [])


class TestMetrics(Base):
    kwargs = {"clock_rate": 0}
    scenario = {
        "deployments": [{"name": "web", "replicas": 3,
                         "containers": [{"name": "app", "requests": {"cpu": "500m"}}]}],
        "load": [{"namespace": "default", "deployment": "web", "container": "app",
                  "points": [[0, 600, 3 * 100 * 1048576], [100, 1200, 3 * 200 * 1048576]],
                  "fixed_per_pod": {"cpu_millicores": 5, "memory_bytes": 1048576}}],
        "raw": [{"path": CKPT, "object": {"kind": "VerticalPodAutoscalerCheckpoint",
                                          "status": {"totalWeight": "NaN"}}}],
        "settings": {"metrics_window_s": 30}}

    def test_scenario_raw(self):
        items = self.req("GET", CKPT).json()["items"]
        self.assertEqual(items, [{"kind": "VerticalPodAutoscalerCheckpoint",
                                  "status": {"totalWeight": "NaN"}}])

    def usage(self):
        items = self.req("GET", PM).json()["items"]
        return [(i["containers"][0]["usage"]["cpu"], i["containers"][0]["usage"]["memory"])
                for i in items]

    def test_load_model(self):
        r = self.req("GET", PM)
        self.assertEqual(r.status, 200)
        doc = r.json()
        self.assertEqual(doc["kind"], "PodMetricsList")
        self.assertEqual(doc["apiVersion"], "metrics.k8s.io/v1beta1")
        self.assertEqual(doc["items"][0]["window"], "30s")
        self.assertEqual(self.usage(), [("205m", "101Mi")] * 3)
        self.sim.admin("POST", "clock", {"advance_s": 50})
        self.assertEqual(self.usage(), [("305m", "151Mi")] * 3)
        # Scaling out divides the same load over more pods.
        self.req("PATCH", DEP + "/web/scale", {"spec": {"replicas": 6}},
                 ctype="application/merge-patch+json")
        self.assertEqual(self.usage(), [("155m", "76Mi")] * 6)
        # After the last point the load holds.
        clock = self.sim.admin("POST", "clock", {"advance_s": 1000})
        self.assertEqual(clock["now_s"], 1050)
        self.assertEqual(self.usage(), [("205m", "101Mi")] * 6)
        # Non-round values come out as nano-cores and plain bytes.
        self.sim.admin("POST", "clock", {"set_s": 1})
        cpu, _ = self.usage()[0]
        self.assertEqual(cpu, "106m")  # 5 + 606/6
        self.sim.admin("POST", "clock", {"set_s": 0.5})
        cpu, _ = self.usage()[0]
        self.assertEqual(cpu, "105500u")  # 5 + 603/6 = 105.5m
        # Timestamps follow the simulated clock.
        t0 = self.req("GET", PM).json()["items"][0]["timestamp"]
        self.sim.admin("POST", "clock", {"advance_s": 3600})
        t1 = self.req("GET", PM).json()["items"][0]["timestamp"]
        fmt = "%Y-%m-%dT%H:%M:%SZ"
        delta = datetime.datetime.strptime(t1, fmt) - datetime.datetime.strptime(t0, fmt)
        self.assertEqual(delta.total_seconds(), 3600)

    def test_scrape_delay_load_api_and_pending(self):
        self.req("PATCH", DEP + "/web/scale", {"spec": {"replicas": 3}},
                 ctype="application/merge-patch+json")
        self.sim.admin("POST", "load", {"namespace": "default", "deployment": "web",
                                        "container": "app", "points": [[0, 300, 3145728]]})
        self.assertEqual(self.usage(), [("100m", "1Mi")] * 3)
        with self.assertRaises(RuntimeError):
            self.sim.admin("POST", "load", {"deployment": "web", "container": "app",
                                            "points": [[0, "lots", 1]]})
        # A Pending pod serves nothing: the load spreads over the two Running ones.
        pods = self.pods_of("web")
        self.sim.admin("POST", "pods/default/%s/state" % pods[0]["metadata"]["name"],
                       {"phase": "Pending", "ready": False})
        self.assertEqual(self.usage(), [("150m", "1536Ki")] * 2)
        self.sim.admin("POST", "pods/default/%s/state" % pods[0]["metadata"]["name"],
                       {"phase": "Running", "ready": True})
        # New pods are absent until metrics-server has scraped them.
        self.sim.admin("POST", "config", {"scrape_delay_s": 10})
        try:
            self.req("PATCH", DEP + "/web/scale", {"spec": {"replicas": 4}},
                     ctype="application/merge-patch+json")
            self.assertEqual(len(self.usage()), 3)
            self.sim.admin("POST", "clock", {"advance_s": 10})
            self.assertEqual(self.usage(), [("75m", "768Ki")] * 4)
        finally:
            self.sim.admin("POST", "config", {"scrape_delay_s": 0})

    def test_selectors_single_and_nodes(self):
        name = self.pods_of("web")[0]["metadata"]["name"]
        r = self.req("GET", PM + "/" + name)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["kind"], "PodMetrics")
        st = self.assertStatus(self.req("GET", PM + "/missing"), 404, "NotFound")
        self.assertEqual(st["message"], 'podmetrics.metrics.k8s.io "missing" not found')
        self.assertEqual(self.req("GET", PM + "?labelSelector=app%3Dnone").json()["items"], [])
        self.assertEqual(len(self.req("GET", "/apis/metrics.k8s.io/v1beta1/pods")
                             .json()["items"]), len(self.pods_of("web")))
        nodes = self.req("GET", "/apis/metrics.k8s.io/v1beta1/nodes").json()
        self.assertEqual(nodes["kind"], "NodeMetricsList")
        self.assertEqual(nodes["items"][0]["metadata"]["name"], "kubesim-node-1")
        self.assertIn("cpu", nodes["items"][0]["usage"])
        self.assertEqual(self.req("GET", "/apis/metrics.k8s.io/v1beta1/nodes/kubesim-node-1")
                         .json()["kind"], "NodeMetrics")
        self.assertStatus(self.req("POST", PM, {}), 405, "MethodNotAllowed")
        # A pod hidden from metrics-server is absent.
        self.sim.admin("POST", "metrics", {"namespace": "default", "pod": name, "absent": True})
        names = [i["metadata"]["name"] for i in self.req("GET", PM).json()["items"]]
        self.assertNotIn(name, names)
        self.sim.admin("POST", "metrics", {"namespace": "default", "pod": name, "absent": False})
        # metrics-server down.
        self.sim.admin("POST", "faults", {"path": "^/apis/metrics.k8s.io/", "kind": "status",
                                          "status": 503, "count": 1})
        self.assertStatus(self.req("GET", PM), 503, "ServiceUnavailable")
        self.assertEqual(self.req("GET", PM).status, 200)


class TestFaults(Base):
    def test_status_faults(self):
        self.sim.admin("POST", "faults", {"path": "/pods$", "kind": "status", "status": 500,
                                          "count": 2})
        self.assertStatus(self.req("GET", PODS), 500, "InternalError")
        self.assertStatus(self.req("GET", PODS), 500, "InternalError")
        self.assertEqual(self.req("GET", PODS).status, 200)
        self.sim.admin("POST", "faults", {"path": "/pods$", "kind": "status", "status": 429,
                                          "retry_after": 2, "count": 1})
        r = self.req("GET", PODS)
        st = self.assertStatus(r, 429, "TooManyRequests")
        self.assertEqual(r.headers.get("Retry-After"), "2")
        self.assertEqual(st["details"]["retryAfterSeconds"], 2)
        self.sim.admin("POST", "faults", {"path": "/pods$", "kind": "status", "status": 429,
                                          "retry_after": 1, "plain": True, "count": 1})
        r = self.req("GET", PODS)
        self.assertEqual(r.status, 429)
        self.assertEqual(r.headers.get("Content-Type"), "text/plain; charset=utf-8")
        self.assertEqual(r.body, b"Too many requests, please try again later.\n")
        # Method filter and skip.
        self.sim.admin("POST", "faults", {"path": "/leases", "method": "POST", "kind": "status",
                                          "status": 503, "skip": 1, "count": 1})
        self.assertEqual(self.req("GET", LEASES).status, 200)
        self.assertEqual(self.req("POST", LEASES, lease("f1")).status, 201)
        self.assertStatus(self.req("POST", LEASES, lease("f2")), 503, "ServiceUnavailable")
        self.assertEqual(self.req("POST", LEASES, lease("f2")).status, 201)
        # Unlimited until deleted.
        fid = self.sim.admin("POST", "faults", {"path": "/leases/f1$", "kind": "status",
                                                "status": 504})["id"]
        for _ in range(3):
            self.assertStatus(self.req("GET", LEASES + "/f1"), 504, "Timeout")
        self.assertEqual(len(self.sim.admin("GET", "faults")), 1)
        self.sim.admin("DELETE", "faults/%d" % fid)
        self.assertEqual(self.req("GET", LEASES + "/f1").status, 200)
        log = self.sim.admin("GET", "requests")
        self.assertEqual(log[-2]["fault"], "status")
        self.assertEqual(log[-2]["status"], 504)

    def test_unauthorized_fault(self):
        self.sim.admin("POST", "faults", {"path": "", "kind": "unauthorized", "count": 1})
        self.assertStatus(self.req("GET", PODS), 401, "Unauthorized")
        self.assertEqual(self.req("GET", PODS).status, 200)

    def test_slow(self):
        self.sim.admin("POST", "faults", {"path": "/pods$", "kind": "slow", "delay_ms": 400,
                                          "count": 1})
        t = time.monotonic()
        self.assertEqual(self.req("GET", PODS).status, 200)
        self.assertGreaterEqual(time.monotonic() - t, 0.4)
        self.sim.admin("POST", "faults", {"path": "/pods$", "kind": "slow", "delay_ms": 2000,
                                          "phase": "body", "count": 1})
        with self.assertRaises((socket.timeout, TimeoutError, urllib.error.URLError)):
            self.req("GET", PODS, timeout=0.5)
        t = time.monotonic()
        self.assertEqual(self.req("GET", PODS).status, 200)
        self.assertLess(time.monotonic() - t, 1.5)

    def test_malformed_and_truncated(self):
        self.sim.admin("POST", "faults", {"path": "/pods$", "kind": "malformed", "count": 1})
        r = self.req("GET", PODS)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers.get("Content-Type"), "application/json")
        with self.assertRaises(ValueError):
            r.json()
        self.sim.admin("POST", "faults", {"path": "/pods$", "kind": "malformed",
                                          "body": "[1, 2", "count": 1})
        self.assertEqual(self.req("GET", PODS).body, b"[1, 2")
        full = self.req("GET", PODS).body
        self.sim.admin("POST", "faults", {"path": "/pods$", "kind": "truncated", "count": 1})
        r = self.req("GET", PODS)
        self.assertEqual(r.status, 200)
        self.assertEqual(len(r.body), len(full) // 2)
        self.assertEqual(r.headers.get("Content-Length"), str(len(full) // 2))
        with self.assertRaises(ValueError):
            r.json()
        self.sim.admin("POST", "faults", {"path": "/pods$", "kind": "truncated",
                                          "truncate_at": 10, "close_early": True, "count": 1})
        with self.assertRaises((http.client.IncompleteRead, ConnectionError,
                                urllib.error.URLError)):
            self.req("GET", PODS)
        self.assertEqual(self.req("GET", PODS).status, 200)

    def test_reset(self):
        self.sim.admin("POST", "faults", {"path": "/pods$", "kind": "reset", "count": 1})
        with self.assertRaises((ConnectionError, http.client.HTTPException,
                                urllib.error.URLError)):
            self.req("GET", PODS)
        self.assertEqual(self.req("GET", PODS).status, 200)
        log = self.sim.admin("GET", "requests")
        self.assertEqual([e["fault"] for e in log[-2:]], ["reset", None])

    def test_admin_errors(self):
        r = self.req("POST", "/kubesim/faults", {"kind": "bogus"}, token=self.sim.admin_token)
        self.assertEqual(r.status, 400)
        r = self.req("POST", "/kubesim/faults", {"kind": "slow", "path": "("},
                     token=self.sim.admin_token)
        self.assertEqual(r.status, 400)
        self.assertEqual(self.req("GET", "/kubesim/state", token=None).status, 401)
        self.assertEqual(self.req("GET", "/kubesim/nope", token=self.sim.admin_token).status,
                         404)
        # Admin calls still work after every API token was revoked.
        self.sim.admin("POST", "tokens", {"revoke": self.sim.token})
        try:
            self.assertStatus(self.req("GET", PODS), 401, "Unauthorized")
            self.assertIn("resourceVersion", self.sim.admin("GET", "state"))
        finally:
            self.sim.admin("POST", "tokens", {"add": self.sim.token})


class TestWatch(Base):
    def open_watch(self, path):
        host, port = self.sim.url.split("//")[1].split(":")
        conn = http.client.HTTPSConnection(host, int(port), context=self.sim.ctx, timeout=10)
        conn.request("GET", path, headers={"Authorization": "Bearer " + self.sim.token})
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.getheader("Transfer-Encoding"), "chunked")
        return conn, resp

    def test_watch_events(self):
        lst = self.req("GET", LEASES).json()
        rv = lst["metadata"]["resourceVersion"]
        conn, resp = self.open_watch(LEASES + "?watch=true&resourceVersion=%s" % rv)
        try:
            self.req("POST", LEASES, lease("w1"))
            self.req("PATCH", LEASES + "/w1", {"spec": {"holderIdentity": "z"}},
                     ctype="application/merge-patch+json")
            self.req("DELETE", LEASES + "/w1")
            events = [json.loads(resp.readline()) for _ in range(3)]
            self.assertEqual([e["type"] for e in events], ["ADDED", "MODIFIED", "DELETED"])
            self.assertEqual(events[1]["object"]["spec"]["holderIdentity"], "z")
            rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
            self.assertEqual(rvs, sorted(rvs))
            self.assertGreater(rvs[0], int(rv))
        finally:
            conn.close()

    def test_noop_writes_keep_rv_and_send_nothing(self):
        # Upstream stores nothing when a write leaves the object as stored: the answer is the
        # stored object, resourceVersion unchanged, and no watch event follows.
        obj = self.req("POST", LEASES, lease("noop")).json()
        rv = obj["metadata"]["resourceVersion"]
        state = self.sim.admin("GET", "state")["resourceVersion"]
        conn, resp = self.open_watch(LEASES + "?watch=true&resourceVersion=" + state)
        try:
            unconditional = json.loads(json.dumps(obj))
            del unconditional["metadata"]["resourceVersion"]
            merge, json_patch = "application/merge-patch+json", "application/json-patch+json"
            for method, path, body, ctype in (
                    ("PUT", "/noop", obj, None),
                    ("PUT", "/noop", unconditional, None),
                    ("PATCH", "/noop", {"spec": {"holderIdentity": "a"}}, merge),
                    ("PATCH", "/noop", {}, "application/strategic-merge-patch+json"),
                    ("PATCH", "/noop", [{"op": "test", "path": "/spec/holderIdentity",
                                         "value": "a"}], json_patch),
                    ("PATCH", "/noop?fieldManager=t", lease("noop"),
                     "application/apply-patch+yaml")):
                r = self.req(method, LEASES + path, body, ctype=ctype)
                self.assertEqual(r.status, 200, r.body)
                self.assertEqual(r.json(), obj, (method, body))
            # Workloads, their status, scale and resize subresources alike.
            dep = self.req("GET", DEP + "/web").json()
            for path, body in (("", dep), ("/status", dep)):
                r = self.req("PUT", DEP + "/web" + path, body)
                self.assertEqual(r.status, 200, r.body)
                self.assertEqual(r.json(), dep, path)
            sc = self.req("GET", DEP + "/web/scale").json()
            r = self.req("PUT", DEP + "/web/scale", sc)
            self.assertEqual((r.status, r.json()), (200, sc))
            r = self.req("PATCH", DEP + "/web/scale", {"spec": {"replicas": sc["spec"]
                                                                ["replicas"]}}, ctype=merge)
            self.assertEqual((r.status, r.json()), (200, sc))
            name = self.pods_of("web")[0]["metadata"]["name"]
            pod = self.req("GET", PODS + "/" + name).json()
            r = self.req("PATCH", PODS + "/" + name + "/resize", {"spec": {"containers": [
                {"name": c["name"], "resources": c["resources"]}
                for c in pod["spec"]["containers"]]}},
                ctype="application/strategic-merge-patch+json")
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(r.json(), pod)
            # Nothing at all was written.
            self.assertEqual(self.sim.admin("GET", "state")["resourceVersion"], state)
            self.assertEqual(self.req("GET", LEASES + "/noop").json(), obj)
            # The first event the watch sees is the first real change.
            r = self.req("PATCH", LEASES + "/noop", {"spec": {"holderIdentity": "b"}},
                         ctype=merge)
            self.assertGreater(int(r.json()["metadata"]["resourceVersion"]), int(rv))
            ev = json.loads(resp.readline())
            self.assertEqual(ev["type"], "MODIFIED")
            self.assertEqual(ev["object"]["spec"]["holderIdentity"], "b")
        finally:
            conn.close()

    def test_future_resource_version(self):
        # Reads from a resourceVersion the server has not reached wait for it (upstream's
        # watch cache, 3 s), then answer 504 Timeout "Too large resource version".
        self.req("POST", LEASES, lease("future"))
        self.sim.admin("POST", "config", {"rv_wait_s": 0.3, "bookmark_interval_s": 0.2})
        try:
            cur = int(self.sim.admin("GET", "state")["resourceVersion"])
            for path in (LEASES + "?resourceVersion=%d", LEASES + "?resourceVersion=%d&"
                         "resourceVersionMatch=NotOlderThan", LEASES + "?resourceVersion=%d&"
                         "resourceVersionMatch=Exact", LEASES + "/future?resourceVersion=%d"):
                t = time.monotonic()
                r = self.req("GET", path % (cur + 5))
                self.assertGreaterEqual(time.monotonic() - t, 0.3)
                st = self.assertStatus(r, 504, "Timeout")
                self.assertEqual(st["message"], "Timeout: Too large resource version: %d, "
                                 "current: %d" % (cur + 5, cur))
                self.assertEqual(st["details"], {"causes": [
                    {"reason": "ResourceVersionTooLarge",
                     "message": "Too large resource version"}], "retryAfterSeconds": 1})
                self.assertEqual(r.headers.get("Retry-After"), "1")
            # A write within the wait answers the read.
            self.sim.admin("POST", "config", {"rv_wait_s": 5})
            writer = threading.Timer(0.3, self.req, ("POST", LEASES, lease("future-1")))
            writer.start()
            t = time.monotonic()
            r = self.req("GET", LEASES + "?resourceVersion=%d" % (cur + 1))
            writer.join()
            self.assertLess(time.monotonic() - t, 4)
            self.assertEqual(r.status, 200, r.body)
            self.assertGreaterEqual(int(r.json()["metadata"]["resourceVersion"]), cur + 1)
            self.assertIn("future-1", [i["metadata"]["name"] for i in r.json()["items"]])
            self.sim.admin("POST", "config", {"rv_wait_s": 0.3})
            # A plain watch starts at once (no 504) and sends only what comes after its rv,
            # bookmarks included, however long the counter takes to get there.
            cur += 1
            conn, resp = self.open_watch(LEASES + "?watch=true&allowWatchBookmarks=true&"
                                         "resourceVersion=%d" % (cur + 2))
            try:
                for i in (2, 3, 4):
                    time.sleep(0.3)
                    self.req("POST", LEASES, lease("future-%d" % i))  # rv cur+1 .. cur+3
                while True:
                    ev = json.loads(resp.readline())
                    self.assertGreaterEqual(int(ev["object"]["metadata"]["resourceVersion"]),
                                            cur + 2, ev)
                    if ev["type"] != "BOOKMARK":
                        break
                self.assertEqual(ev["type"], "ADDED")
                self.assertEqual(ev["object"]["metadata"]["name"], "future-4")
            finally:
                conn.close()
            # A watch-list waits like a list; its stream is the 504 as an ERROR event.
            conn, resp = self.open_watch(LEASES + "?watch=true&sendInitialEvents=true&"
                                         "resourceVersionMatch=NotOlderThan&"
                                         "allowWatchBookmarks=true&resourceVersion=%d"
                                         % (cur + 10))
            try:
                ev = json.loads(resp.readline())
                self.assertEqual(ev["type"], "ERROR")
                self.assertEqual((ev["object"]["code"], ev["object"]["reason"]),
                                 (504, "Timeout"))
                self.assertEqual(ev["object"]["details"]["causes"][0]["reason"],
                                 "ResourceVersionTooLarge")
                self.assertEqual(resp.read(), b"")
            finally:
                conn.close()
        finally:
            self.sim.admin("POST", "config", {"rv_wait_s": 3, "bookmark_interval_s": 1})

    def test_pod_watch_during_scale(self):
        lst = self.req("GET", PODS + "?labelSelector=app%3Dweb").json()
        n = len(lst["items"])
        conn, resp = self.open_watch(PODS + "?watch=true&labelSelector=app%3Dweb&"
                                     "resourceVersion=" + lst["metadata"]["resourceVersion"])
        try:
            self.req("PATCH", DEP + "/web/scale", {"spec": {"replicas": n + 2}},
                     ctype="application/merge-patch+json")
            added = [json.loads(resp.readline()) for _ in range(2)]
            self.assertEqual([e["type"] for e in added], ["ADDED", "ADDED"])
            self.assertEqual(added[0]["object"]["kind"], "Pod")
            self.req("PATCH", DEP + "/web/scale", {"spec": {"replicas": n}},
                     ctype="application/merge-patch+json")
            gone = [json.loads(resp.readline()) for _ in range(2)]
            self.assertEqual([e["type"] for e in gone], ["DELETED", "DELETED"])
            # Newest pods go first.
            self.assertEqual({e["object"]["metadata"]["name"] for e in gone},
                             {e["object"]["metadata"]["name"] for e in added})
        finally:
            conn.close()

    def test_bad_watch_request(self):
        self.assertStatus(self.req("GET", LEASES + "?watch=true&labelSelector=a%3D%3D%3Db"),
                          400, "BadRequest")
        self.assertStatus(self.req("GET", LEASES + "?watch=true&timeoutSeconds=x"),
                          400, "BadRequest")
        self.assertStatus(self.req("GET", PM + "?watch=true"), 405, "MethodNotAllowed")
        self.assertStatus(self.req("GET", LEASES + "?watch=true&resourceVersion=abc"),
                          500, "")
        # sendInitialEvents and resourceVersionMatch=NotOlderThan only go together.
        requires = ('resourceVersionMatch: Forbidden: sendInitialEvents requires setting '
                    'resourceVersionMatch to NotOlderThan')
        for q in ("sendInitialEvents=true", "sendInitialEvents=false"):
            st = self.assertStatus(self.req("GET", LEASES + "?watch=true&timeoutSeconds=1&" + q),
                                   422, "Invalid")
            self.assertEqual(st["message"], 'ListOptions.meta.k8s.io "" is invalid: ' + requires)
            self.assertEqual(st["details"]["causes"][0]["field"], "resourceVersionMatch")
        # Every broken rule is a cause; the message lists them all.
        st = self.assertStatus(self.req("GET", LEASES + "?watch=true&timeoutSeconds=1&"
                                        "sendInitialEvents=true&resourceVersionMatch=Exact"),
                               422, "Invalid")
        self.assertEqual(st["message"], 'ListOptions.meta.k8s.io "" is invalid: [%s, %s]' % (
            requires, 'resourceVersionMatch: Unsupported value: "Exact": supported values: '
            '"NotOlderThan"'))
        self.assertEqual([c["reason"] for c in st["details"]["causes"]],
                         ["FieldValueForbidden", "FieldValueNotSupported"])
        st = self.assertStatus(self.req("GET", LEASES + "?watch=true&sendInitialEvents=true&"
                                        "resourceVersionMatch=NotOlderThan&continue=x"),
                               422, "Invalid")
        self.assertIn("resourceVersionMatch is forbidden when continue is provided",
                      st["message"])
        st = self.assertStatus(self.req("GET", LEASES + "?watch=true&timeoutSeconds=1&"
                                        "resourceVersion=1&resourceVersionMatch=NotOlderThan"),
                               422, "Invalid")
        self.assertIn("resourceVersionMatch is forbidden for watch unless sendInitialEvents "
                      "is provided", st["message"])

    def test_send_initial_events_false(self):
        # sendInitialEvents=false never streams the current state (watch cache: rv "0" starts
        # at the cache's rv, "" at storage's current rv; a number is a plain watch from it).
        self.req("POST", LEASES, lease("sie-base"))
        for i, (rvq, value) in enumerate((("", "false"), ("&resourceVersion=0", "0"),
                                          ("&resourceVersion=%s", "False"))):
            if "%s" in rvq:
                rvq %= self.req("GET", LEASES).json()["metadata"]["resourceVersion"]
                self.req("POST", LEASES, lease("sie-after-rv"))
            conn, resp = self.open_watch(LEASES + "?watch=true&resourceVersionMatch=NotOlderThan"
                                         "&sendInitialEvents=%s%s" % (value, rvq))
            try:
                if value == "False":
                    ev = json.loads(resp.readline())
                    self.assertEqual((ev["type"], ev["object"]["metadata"]["name"]),
                                     ("ADDED", "sie-after-rv"))
                self.req("POST", LEASES, lease("sie-%d" % i))
                ev = json.loads(resp.readline())
                self.assertEqual((ev["type"], ev["object"]["metadata"]["name"]),
                                 ("ADDED", "sie-%d" % i), rvq)
            finally:
                conn.close()
        # Without the parameter, "0" keeps the legacy initial ADDED events.
        names = [i["metadata"]["name"] for i in self.req("GET", LEASES).json()["items"]]
        conn, resp = self.open_watch(LEASES + "?watch=true&resourceVersion=0")
        try:
            evs = [json.loads(resp.readline()) for _ in names]
            self.assertEqual([(e["type"], e["object"]["metadata"]["name"]) for e in evs],
                             [("ADDED", n) for n in names])
        finally:
            conn.close()

    def test_churn_elsewhere_does_not_expire(self):
        rv = self.req("GET", LEASES).json()["metadata"]["resourceVersion"]
        self.sim.admin("POST", "config", {"watch_history": 5})
        conn, resp = self.open_watch(LEASES + "?watch=true&resourceVersion=" + rv)
        try:
            for i in range(4):  # each scale writes pods, a ReplicaSet, events...
                self.req("PATCH", DEP + "/web/scale", {"spec": {"replicas": 8 - 6 * (i % 2)}},
                         ctype="application/merge-patch+json")
            self.req("POST", LEASES, lease("after-churn"))
            ev = json.loads(resp.readline())
            self.assertEqual(ev["type"], "ADDED")
            self.assertEqual(ev["object"]["metadata"]["name"], "after-churn")
        finally:
            conn.close()
            self.sim.admin("POST", "config", {"watch_history": 1000})

    def test_initial_events_bookmarks_timeout(self):
        self.req("POST", LEASES, lease("w2"))
        self.sim.admin("POST", "config", {"bookmark_interval_s": 0.2})
        conn, resp = self.open_watch(
            LEASES + "?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"
            "&allowWatchBookmarks=true&timeoutSeconds=2&fieldSelector=metadata.name%3Dw2")
        try:
            first = json.loads(resp.readline())
            self.assertEqual(first["type"], "ADDED")
            self.assertEqual(first["object"]["metadata"]["name"], "w2")
            end = json.loads(resp.readline())
            self.assertEqual(end["type"], "BOOKMARK")
            self.assertEqual(end["object"]["metadata"]["annotations"],
                             {"k8s.io/initial-events-end": "true"})
            bm = json.loads(resp.readline())
            self.assertEqual(bm["type"], "BOOKMARK")
            t = time.monotonic()
            rest = resp.read()  # the server ends the stream after timeoutSeconds
            self.assertLess(time.monotonic() - t, 5)
            for line in rest.splitlines():
                self.assertEqual(json.loads(line)["type"], "BOOKMARK")
        finally:
            conn.close()
            self.sim.admin("POST", "config", {"bookmark_interval_s": 1})

    def test_too_old_and_close(self):
        old = self.req("GET", LEASES).json()["metadata"]["resourceVersion"]
        self.req("POST", LEASES, lease("w3"))
        self.sim.admin("POST", "watch/compact")
        conn, resp = self.open_watch(LEASES + "?watch=true&resourceVersion=" + old)
        try:
            ev = json.loads(resp.readline())
            self.assertEqual(ev["type"], "ERROR")
            self.assertEqual(ev["object"]["code"], 410)
            self.assertEqual(ev["object"]["reason"], "Expired")
            self.assertIn("too old resource version", ev["object"]["message"])
            self.assertEqual(resp.read(), b"")
        finally:
            conn.close()
        # The admin can end open streams (clients must reconnect).
        cur = self.req("GET", LEASES).json()["metadata"]["resourceVersion"]
        conn, resp = self.open_watch(LEASES + "?watch=true&resourceVersion=" + cur)
        try:
            done = threading.Event()

            def closer():
                time.sleep(0.3)
                self.sim.admin("POST", "watch/close")
                done.set()
            threading.Thread(target=closer).start()
            self.assertEqual(resp.read(), b"")
            self.assertTrue(done.wait(5))
        finally:
            conn.close()


class TestPlainHttp(Base):
    kwargs = {"tls": False, "tokens": ["alpha", "beta"]}
    scenario = None

    def test_no_tls_and_tokens(self):
        self.assertTrue(self.sim.url.startswith("http://127.0.0.1:"))
        self.assertEqual(self.sim.token, "alpha")
        self.assertFalse(os.path.exists(os.path.join(self.sim.dir, "ca.crt")))
        self.assertNotIn("certificate-authority-data", self.sim.file("kubeconfig"))
        for t in ("alpha", "beta"):
            self.assertEqual(self.req("GET", "/api/v1/namespaces", token=t).status, 200)
        items = self.req("GET", "/api/v1/namespaces").json()["items"]
        self.assertEqual({i["metadata"]["name"] for i in items},
                         {"default", "kube-system", "kube-public", "kube-node-lease"})
        # Namespace deletion takes its objects along.
        self.assertEqual(self.req("POST", "/api/v1/namespaces",
                                  {"metadata": {"name": "tmp"}}).status, 201)
        self.assertEqual(self.req("POST", "/apis/coordination.k8s.io/v1/namespaces/tmp/leases",
                                  lease("x")).status, 201)
        self.assertEqual(self.req("DELETE", "/api/v1/namespaces/tmp").status, 200)
        self.assertEqual(self.req("GET", "/apis/coordination.k8s.io/v1/leases").json()["items"],
                         [])


class TestStartup(unittest.TestCase):
    def test_sigterm_with_open_watch(self):
        sim = KubeSim()
        host, port = sim.url.split("//")[1].split(":")
        conn = http.client.HTTPSConnection(host, int(port), context=sim.ctx, timeout=10)
        conn.request("GET", LEASES + "?watch=true",
                     headers={"Authorization": "Bearer " + sim.token})
        self.assertEqual(conn.getresponse().status, 200)
        t = time.monotonic()
        self.assertEqual(sim.stop(), 0)
        self.assertLess(time.monotonic() - t, 5)
        conn.close()

    def test_deletecollection(self):
        sim = KubeSim()
        try:
            for i in range(3):
                sim.request("POST", LEASES, lease("d%d" % i))
            r = sim.request("DELETE", LEASES + "?fieldSelector=metadata.name%21%3Dd1")
            self.assertEqual(r.status, 200)
            self.assertEqual(len(r.json()["items"]), 2)
            left = sim.request("GET", LEASES).json()["items"]
            self.assertEqual([i["metadata"]["name"] for i in left], ["d1"])
        finally:
            self.assertEqual(sim.stop(), 0)

    def test_bad_scenario(self):
        with self.assertRaises(RuntimeError):
            KubeSim(scenario={"objects": [{"apiVersion": "x/v1", "kind": "Nope"}]})
        with self.assertRaises(RuntimeError):
            KubeSim(scenario="/nonexistent/scenario.json")
        for bad in ({"deployment": []},
                    {"deployments": [{"name": "x", "replica": 2}]},
                    {"deployments": [{"name": "x", "containers": [{"name": "c", "cpu": 1}]}]},
                    {"load": [{"deployment": "x", "container": "c", "points": [[0, 1]]}]},
                    {"load": [{"deployment": "x", "container": "c", "points": [[0, 1, 2]],
                               "fixed_per_pod": {"cpu": 1}}]},
                    {"settings": {"nope": 1}},
                    [1, 2]):
            with self.assertRaises(RuntimeError, msg=json.dumps(bad)):
                KubeSim(scenario=bad)

    def test_port_in_use(self):
        sim = KubeSim()
        try:
            with self.assertRaises(RuntimeError) as cm:
                KubeSim(extra=["--port", sim.url.rsplit(":", 1)[1]])
            self.assertIn("cannot listen", str(cm.exception))
        finally:
            self.assertEqual(sim.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
