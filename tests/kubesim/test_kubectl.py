#!/usr/bin/env python3
"""Real kubectl against kubesim: discovery, get, scale, patch, --raw metrics, auth.

Exits 77 (ctest SKIP_RETURN_CODE) when no kubectl is on PATH.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import KubeSim  # noqa: E402

SCENARIO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scenarios", "basic.json")
KUBECTL = shutil.which("kubectl")


class TestKubectl(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = KubeSim(scenario=SCENARIO)
        cls.home = tempfile.mkdtemp(prefix="kubesim-kubectl-")

    @classmethod
    def tearDownClass(cls):
        rc = cls.sim.stop()
        shutil.rmtree(cls.home, ignore_errors=True)
        assert rc == 0, "kubesim exited with %r" % rc

    def kubectl(self, *args, kubeconfig="kubeconfig", ok=True):
        env = {"PATH": os.environ.get("PATH", ""), "HOME": self.home}
        cmd = [KUBECTL, "--kubeconfig", os.path.join(self.sim.dir, kubeconfig),
               "--cache-dir", os.path.join(self.home, "cache"), "--request-timeout=20s"] + \
            list(args)
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        out, err = p.stdout.decode(), p.stderr.decode()
        if ok:
            self.assertEqual(p.returncode, 0, "%s\nstdout: %s\nstderr: %s" % (cmd, out, err))
        return p.returncode, out, err

    def web_pods(self):
        r = self.sim.request("GET", "/api/v1/namespaces/default/pods?labelSelector=app%3Dweb")
        self.assertEqual(r.status, 200)
        return r.json()["items"]

    def test_1_get_deployments(self):
        _, out, _ = self.kubectl("get", "deployments", "-o", "json")
        doc = json.loads(out)
        self.assertEqual([i["metadata"]["name"] for i in doc["items"]], ["web"])
        self.assertEqual(doc["items"][0]["spec"]["replicas"], 3)
        # Human-readable output comes from the server-side Table.
        _, out, _ = self.kubectl("get", "deployments")
        lines = out.splitlines()
        self.assertEqual(lines[0].split(), ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"])
        self.assertEqual(lines[1].split()[:4], ["web", "3/3", "3", "3"])
        _, out, _ = self.kubectl("get", "deploy", "-A", "-o", "name")
        self.assertEqual(sorted(out.split()), ["deployment.apps/api", "deployment.apps/web"])
        _, out, _ = self.kubectl("get", "hpa,vpa,podscalers", "-A", "-o", "name")
        self.assertEqual(sorted(out.split()), [
            "horizontalpodautoscaler.autoscaling/web",
            "podscaler.podscaler.io/web",
            "verticalpodautoscaler.autoscaling.k8s.io/api"])

    def test_2_scale(self):
        _, out, _ = self.kubectl("scale", "deployment", "web", "--replicas=5")
        self.assertIn("deployment.apps/web scaled", out)
        self.assertEqual(len(self.web_pods()), 5)
        _, out, _ = self.kubectl("get", "deployment", "web", "-o", "jsonpath={.spec.replicas}")
        self.assertEqual(out.strip(), "5")
        _, out, _ = self.kubectl("get", "pods", "-l", "app=web", "-o", "name",
                                 "--chunk-size=2")
        self.assertEqual(len(out.split()), 5)
        # A failed precondition leaves the count alone.
        rc, _, _ = self.kubectl("scale", "deployment", "web", "--current-replicas=4",
                                  "--replicas=1", ok=False)
        self.assertNotEqual(rc, 0)
        self.assertEqual(len(self.web_pods()), 5)
        self.kubectl("scale", "deployment", "web", "--current-replicas=5", "--replicas=4")
        self.assertEqual(len(self.web_pods()), 4)

    def test_3_metrics_raw(self):
        _, out, _ = self.kubectl("get", "--raw",
                                 "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods")
        doc = json.loads(out)
        self.assertEqual(doc["kind"], "PodMetricsList")
        self.assertEqual(len(doc["items"]), len(self.web_pods()))
        for item in doc["items"]:
            self.assertEqual([c["name"] for c in item["containers"]], ["app", "envoy"])
            self.assertTrue(item["containers"][0]["usage"]["cpu"])
        _, out, _ = self.kubectl("get", "--raw", "/apis/metrics.k8s.io/v1beta1/nodes")
        self.assertEqual(len(json.loads(out)["items"]), 2)
        _, out, _ = self.kubectl("top", "pods", "-n", "shop", "--no-headers")
        self.assertEqual(len(out.strip().splitlines()), 2)

    def test_3b_statefulset(self):
        _, out, _ = self.kubectl("-n", "data", "get", "statefulsets")
        self.assertEqual(out.splitlines()[1].split()[:2], ["db", "1/1"])
        _, out, _ = self.kubectl("-n", "data", "scale", "sts", "db", "--replicas=3")
        self.assertIn("statefulset.apps/db scaled", out)
        _, out, _ = self.kubectl("-n", "data", "get", "pods", "-o", "name")
        self.assertEqual(out.split(), ["pod/db-0", "pod/db-1", "pod/db-2"])
        _, out, _ = self.kubectl("top", "pods", "-n", "data", "--no-headers")
        self.assertEqual(sorted(line.split()[1] for line in out.strip().splitlines()),
                         ["234m"] * 3)

    def test_4_patch_delete(self):
        self.kubectl("patch", "deployment", "web", "--type=merge",
                     "-p", '{"metadata":{"labels":{"team":"a"}}}')
        self.kubectl("patch", "deployment", "web", "--type=json",
                     "-p", '[{"op":"replace","path":"/spec/replicas","value":3}]')
        self.kubectl("patch", "deployment", "web", "-p",
                     '{"spec":{"template":{"spec":{"containers":[{"name":"app",'
                     '"resources":{"requests":{"cpu":"300m"}}}]}}}}')
        pods = self.web_pods()
        self.assertEqual(len(pods), 3)
        for p in pods:
            self.assertEqual([c["name"] for c in p["spec"]["containers"]], ["app", "envoy"])
            self.assertEqual(p["spec"]["containers"][0]["resources"]["requests"]["cpu"], "300m")
        victim = pods[0]["metadata"]["name"]
        self.kubectl("delete", "pod", victim)
        names = [p["metadata"]["name"] for p in self.web_pods()]
        self.assertEqual(len(names), 3)
        self.assertNotIn(victim, names)
        rc, _, err = self.kubectl("get", "deployment", "nope", ok=False)
        self.assertNotEqual(rc, 0)
        self.assertIn('deployments.apps "nope" not found', err)

    def test_5_auth(self):
        _, out, _ = self.kubectl("get", "namespaces", "-o", "name",
                                 kubeconfig="kubeconfig-cert")
        self.assertIn("namespace/shop", out.split())
        self.sim.admin("POST", "tokens", {"revoke": self.sim.token})
        try:
            rc, _, err = self.kubectl("get", "pods", ok=False)
            self.assertNotEqual(rc, 0)
            self.assertIn("Unauthorized", err)
        finally:
            self.sim.admin("POST", "tokens", {"add": self.sim.token})
        self.kubectl("get", "pods")


if __name__ == "__main__":
    if KUBECTL is None:
        print("kubectl not on PATH: skipping")
        sys.exit(77)
    unittest.main(verbosity=2)
