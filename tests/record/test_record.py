#!/usr/bin/env python3
"""`podscaler record` against tests/kubesim.

Usage: test_record.py PODSCALER

Each test starts its own kubesim (tests/kubesim/harness.py), runs the real
binary against it and inspects the history database with Python's sqlite3:
the record -> replay round trip, a metrics API that fails for some polls, bad
objects that are reported and skipped while the rest is stored, SIGTERM/SIGINT
mid-run, SIGKILL mid-run, an exec credential plugin, a mistyped KUBECONFIG,
and the command line's usage errors.
"""

import base64
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "kubesim"))
import harness  # noqa: E402

PODSCALER = None

SCENARIO = {
    "namespaces": ["shop", "ops"],
    "deployments": [
        {"namespace": "shop", "name": "web", "replicas": 3, "labels": {"app": "web"},
         "containers": [{"name": "app", "requests": {"cpu": "250m", "memory": "256Mi"},
                         "limits": {"cpu": "1", "memory": "512Mi"}},
                        {"name": "envoy", "requests": {"cpu": "50m", "memory": "64Mi"}}]},
        {"namespace": "shop", "name": "api", "replicas": 2,
         "labels": {"app": "api", "tier": "backend"},
         "containers": [{"name": "api", "requests": {"cpu": "500m", "memory": "512Mi"},
                         "limits": {"cpu": "500m", "memory": "512Mi"}}]},
        {"namespace": "ops", "name": "batch", "replicas": 1,
         "containers": [{"name": "worker", "requests": {"cpu": "1", "memory": "1Gi"}}]},
    ],
    "load": [
        {"namespace": "shop", "deployment": "web", "container": "app",
         "points": [[0, 600, 805306368], [60, 1200, 1073741824]],
         "fixed_per_pod": {"cpu_millicores": 5, "memory_bytes": 20971520}},
        {"namespace": "shop", "deployment": "web", "container": "envoy",
         "points": [[0, 30, 100663296]]},
        {"namespace": "shop", "deployment": "api", "container": "api",
         "points": [[0, 400, 536870912], [60, 800, 536870912]]},
        {"namespace": "ops", "deployment": "batch", "container": "worker",
         "points": [[0, 900, 734003200]]},
    ],
}


def run(args, timeout=60, env=None):
    p = subprocess.run([PODSCALER] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, env=env)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def query(db, sql, args=()):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def samples_by_container(db):
    return dict(query(db, """
        SELECT w.name || ' ' || p.name || ' ' || c.name, count(*)
        FROM samples s JOIN containers c ON c.id = s.container_id
        JOIN pods p ON p.id = c.pod_id JOIN workloads w ON w.id = p.workload_id
        GROUP BY s.container_id"""))


def replay_available():
    code, out, err = run(["replay", "--help"])
    return code == 0 and "not built" not in out


class RecordTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="record-test-")
        self.db = os.path.join(self.tmp, "history.db")
        self.sim = None

    def tearDown(self):
        if self.sim:
            self.assertEqual(self.sim.stop(), 0)
        for f in os.listdir(self.tmp):
            os.unlink(os.path.join(self.tmp, f))
        os.rmdir(self.tmp)

    def start(self, scenario=SCENARIO, clock_rate=None):
        self.sim = harness.KubeSim(scenario=scenario, clock_rate=clock_rate)
        self.kubeconfig = os.path.join(self.sim.dir, "kubeconfig")
        return self.sim

    def record(self, *extra, timeout=60, env=None):
        return run(["record", "--db", self.db, "--kubeconfig", self.kubeconfig] + list(extra),
                   timeout=timeout, env=env)

    def check_round_trip(self, namespaces):
        """The DB holds what the scenario says, and replays."""
        counts = samples_by_container(self.db)
        workloads = sorted(r[0] for r in query(self.db, "SELECT name FROM workloads"))
        want = sorted({"shop": ["shop/api", "shop/web"], "ops": ["ops/batch"]}[ns][i]
                      for ns in namespaces for i in range(2 if ns == "shop" else 1))
        self.assertEqual(workloads, want)
        # 3 web pods x 2 containers, 2 api pods (and 1 batch pod)
        per_wl = {}
        for key, n in counts.items():
            wl, pod, ctr = key.split(" ")
            per_wl.setdefault(wl, set()).add((pod, ctr))
            self.assertGreaterEqual(n, 2, "%s has %d samples: polls were not repeated" % (key, n))
        if "shop" in namespaces:
            self.assertEqual(len(per_wl["shop/web"]), 6)
            self.assertEqual(len(per_wl["shop/api"]), 2)
            for pod, ctr in per_wl["shop/web"]:
                self.assertTrue(pod.startswith("web-"), pod)
        if "ops" in namespaces:
            self.assertEqual(len(per_wl["ops/batch"]), 1)
        # usage: web app per pod = 5m + total/3 at least 600m/3
        rows = query(self.db, """
            SELECT s.cpu_milli, s.mem_bytes FROM samples s
            JOIN containers c ON c.id = s.container_id JOIN pods p ON p.id = c.pod_id
            JOIN workloads w ON w.id = p.workload_id
            WHERE w.name = 'shop/web' AND c.name = 'app'""") if "shop" in namespaces else []
        for cpu, mem in rows:
            self.assertGreaterEqual(cpu, 205)
            self.assertLessEqual(cpu, 405)
            self.assertGreaterEqual(mem, 805306368 // 3)
        # replica counts per workload, at several times
        reps = query(self.db, """SELECT w.name, r.replicas, count(*) FROM replicas r
                                 JOIN workloads w ON w.id = r.workload_id GROUP BY w.name""")
        for name, n, k in reps:
            self.assertEqual(n, {"shop/web": 3, "shop/api": 2, "ops/batch": 1}[name])
            self.assertGreaterEqual(k, 2)
        self.assertEqual(sorted(r[0] for r in reps), want)
        # requests/limits: one row per container (they never changed), exact values
        res = query(self.db, """
            SELECT w.name, c.name, r.cpu_request_milli, r.mem_request_bytes,
                   r.cpu_limit_milli, r.mem_limit_bytes, count(*)
            FROM resources r JOIN containers c ON c.id = r.container_id
            JOIN pods p ON p.id = c.pod_id JOIN workloads w ON w.id = p.workload_id
            GROUP BY r.container_id""")
        expect = {("shop/web", "app"): (250, 256 << 20, 1000, 512 << 20),
                  ("shop/web", "envoy"): (50, 64 << 20, None, None),
                  ("shop/api", "api"): (500, 512 << 20, 500, 512 << 20),
                  ("ops/batch", "worker"): (1000, 1 << 30, None, None)}
        self.assertEqual(len(res), len(counts))
        for wl, ctr, cr, mr, cl, ml, k in res:
            self.assertEqual((cr, mr, cl, ml), expect[(wl, ctr)], (wl, ctr))
            self.assertEqual(k, 1, "resources rewritten although unchanged")
        # every sample has its requests: a container's first row is not after its first sample
        late = query(self.db, """
            SELECT c.id FROM containers c
            WHERE (SELECT min(t) FROM resources r WHERE r.container_id = c.id) >
                  (SELECT min(t) FROM samples s WHERE s.container_id = c.id)""")
        self.assertEqual(late, [])
        self.assertEqual(query(self.db, "PRAGMA integrity_check"), [("ok",)])
        if replay_available():
            code, out, err = run(["replay", self.db, "--format", "json"], timeout=120)
            self.assertEqual(code, 0, err)
            doc = json.loads(out)
            self.assertEqual(doc["input"]["workloads"], len(want))
            self.assertEqual(doc["input"]["samples"], sum(counts.values()))
            self.assertTrue(doc["input"]["has_requests"])

    def test_round_trip_namespace(self):
        self.start()
        code, out, err = self.record("--namespace", "shop", "--interval", "500ms",
                                     "--duration", "3s")
        self.assertEqual(code, 0, err)
        self.assertIn("polls", err)
        self.check_round_trip(["shop"])
        # the requests used the token of the kubeconfig
        log = self.sim.admin("GET", "requests")
        paths = {e["path"] for e in log}
        self.assertIn("/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods", paths)
        self.assertIn("/api/v1/namespaces/shop/pods", paths)
        self.assertIn("/apis/apps/v1/namespaces/shop/deployments", paths)
        self.assertTrue(all(e["auth"] == "bearer" and e["status"] == 200 for e in log), log[:3])

    def test_all_namespaces_and_resume(self):
        self.start(clock_rate=5)
        code, out, err = self.record("--all-namespaces", "--interval", "400ms",
                                     "--duration", "2s")
        self.assertEqual(code, 0, err)
        before = sum(samples_by_container(self.db).values())
        # a second run appends to the same history
        code, out, err = self.record("-A", "--interval", "400ms", "--duration", "2s")
        self.assertEqual(code, 0, err)
        self.check_round_trip(["shop", "ops"])
        self.assertGreater(sum(samples_by_container(self.db).values()), before)

    def test_retention(self):
        """Samples older than --retention are pruned; the default (8 days) keeps 2-day-old ones."""
        self.start()
        code, out, err = self.record("-n", "shop", "--interval", "500ms", "--duration", "2s")
        self.assertEqual(code, 0, err)
        old = sum(samples_by_container(self.db).values())
        self.assertGreater(old, 0)
        con = sqlite3.connect(self.db)
        con.execute("UPDATE samples SET t = t - 2 * 86400")
        con.commit()
        con.close()
        code, out, err = self.record("-n", "shop", "--interval", "500ms", "--duration", "2s")
        self.assertEqual(code, 0, err)
        now = int(time.time())
        aged = query(self.db, "SELECT count(*) FROM samples WHERE t < ?", (now - 86400,))[0][0]
        self.assertEqual(aged, old, "the default retention pruned 2-day-old samples")
        code, out, err = self.record("-n", "shop", "--interval", "500ms", "--duration", "2s",
                                     "--retention", "1h", "--log-level", "info")
        self.assertEqual(code, 0, err)
        self.assertIn("pruned %d samples" % old, err)
        aged = query(self.db, "SELECT count(*) FROM samples WHERE t < ?", (now - 3600,))[0][0]
        self.assertEqual(aged, 0)
        self.assertGreater(sum(samples_by_container(self.db).values()), 0)
        self.assertEqual(query(self.db, "PRAGMA integrity_check"), [("ok",)])

    def test_pagination(self):
        # more pods than one page (500): every pod's resources are recorded
        sc = {"namespaces": ["big"], "deployments": [
            {"namespace": "big", "name": "many", "replicas": 520,
             "containers": [{"name": "c", "requests": {"cpu": "10m", "memory": "8Mi"}}]}],
              "load": [{"namespace": "big", "deployment": "many", "container": "c",
                        "points": [[0, 5200, 5452595200]]}]}
        self.start(scenario=sc)
        code, out, err = self.record("-n", "big", "--interval", "1s", "--duration", "2500ms",
                                     timeout=120)
        self.assertEqual(code, 0, err)
        self.assertEqual(query(self.db, "SELECT count(*) FROM resources"), [(520,)])
        self.assertEqual(query(self.db, "SELECT count(DISTINCT container_id) FROM samples"),
                         [(520,)])
        log = self.sim.admin("GET", "requests")
        self.assertTrue(any("continue" in e["params"] for e in log
                            if e["path"] == "/api/v1/namespaces/big/pods"))

    def test_metrics_unavailable(self):
        self.start()
        self.sim.admin("POST", "faults", {"path": "^/apis/metrics.k8s.io/", "kind": "status",
                                          "status": 503, "count": 3})
        code, out, err = self.record("-n", "shop", "--interval", "400ms", "--duration", "3s")
        self.assertEqual(code, 0, err)
        self.assertIn("metrics API unavailable", err)
        self.assertIn("503", err)
        counts = samples_by_container(self.db)
        self.assertEqual(len(counts), 8, err)
        # replica counts were written in the polls without metrics too
        reps = query(self.db, "SELECT count(*) FROM replicas")[0][0]
        self.assertGreaterEqual(reps, 2 * 2)  # rows are per (workload, second)
        faulted = [e for e in self.sim.admin("GET", "requests") if e.get("fault")]
        self.assertEqual(len(faulted), 3)

    def test_metrics_down_whole_run(self):
        # metrics-server never answers: no crash, replicas and requests still recorded
        self.start()
        self.sim.admin("POST", "faults", {"path": "^/apis/metrics.k8s.io/", "kind": "reset"})
        code, out, err = self.record("-n", "shop", "--interval", "400ms", "--duration", "2s")
        self.assertEqual(code, 0, err)
        self.assertEqual(query(self.db, "SELECT count(*) FROM samples"), [(0,)])
        self.assertGreater(query(self.db, "SELECT count(*) FROM replicas")[0][0], 0)
        self.assertEqual(query(self.db, "SELECT count(*) FROM resources"), [(8,)])

    def test_api_down(self):
        # nothing answers: exit 1 after --duration, the database is still valid
        self.start()
        self.sim.admin("POST", "faults", {"path": "^/api", "kind": "status", "status": 500})
        code, out, err = self.record("-n", "shop", "--interval", "300ms", "--duration", "2s")
        self.assertEqual(code, 1, err)
        self.assertIn("no poll succeeded", err)
        self.assertEqual(query(self.db, "SELECT count(*) FROM samples"), [(0,)])

    def test_bad_objects(self):
        self.start()
        raw = [
            ("/api/v1/namespaces/shop/pods", {"metadata": {"name": "broken", "namespace": "shop"},
                                              "spec": 42}),
            ("/api/v1/namespaces/shop/pods",
             {"metadata": {"name": "web-xyz-bad", "namespace": "shop",
                           "labels": {"app": "web"}},
              "spec": {"containers": [{"name": "app", "resources":
                                       {"requests": {"cpu": "-250m"}}}]}}),
            ("/apis/apps/v1/namespaces/shop/deployments",
             {"metadata": {"name": "weird", "namespace": "shop"},
              "spec": {"replicas": "three"}}),
            ("/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods",
             {"metadata": {"name": "web-abc-absurd", "namespace": "shop",
                           "labels": {"app": "web"}},
              "timestamp": "2026-07-01T10:00:03Z", "window": "15s",
              "containers": [{"name": "app", "usage": {"cpu": "1e400", "memory": "1Ki"}}]}),
            ("/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods",
             {"metadata": {"name": "nometa-time", "namespace": "shop"},
              "containers": []}),
            # decodes, but a namespaced object without its namespace is not recorded
            ("/apis/apps/v1/namespaces/shop/deployments",
             {"metadata": {"name": "nons"}, "spec": {"replicas": 1}}),
            # the ReplicaSet of "web-api" must not be taken for one of "web"
            ("/api/v1/namespaces/shop/pods",
             {"metadata": {"name": "web-api-5f7c-zz", "namespace": "shop",
                           "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                                "name": "web-api-5f7c", "uid": "u",
                                                "controller": True}]},
              "spec": {"containers": [{"name": "x"}]}}),
        ]
        for path, obj in raw:
            self.sim.admin("POST", "raw", {"path": path, "object": obj})
        code, out, err = self.record("-n", "shop", "--interval", "500ms", "--duration", "2s")
        self.assertEqual(code, 0, err)
        self.assertIn("skipped Pod shop/broken: .spec: expected an object, got an integer", err)
        self.assertIn("skipped Pod shop/web-xyz-bad: "
                      ".spec.containers[0].resources.requests.cpu: negative quantity", err)
        self.assertIn("skipped Deployment shop/weird: .spec.replicas: expected an integer", err)
        self.assertIn("skipped PodMetrics shop/web-abc-absurd: .containers[0].usage.cpu", err)
        self.assertIn("skipped PodMetrics shop/nometa-time: .timestamp: missing", err)
        # the good objects of the same polls were stored
        counts = samples_by_container(self.db)
        self.assertEqual(len(counts), 8, counts)
        self.assertFalse(any("absurd" in k or "bad" in k for k in counts))
        self.assertEqual(query(self.db, "SELECT count(*) FROM resources"), [(8,)])
        self.assertIn("skipped Deployment nons: .metadata.namespace: missing", err)
        self.assertEqual(sorted(r[0] for r in query(self.db, "SELECT name FROM workloads")),
                         ["shop/api", "shop/web"])

    def test_sidecars_and_finished_pods(self):
        sim = self.start()
        pods = sim.request("GET", "/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb").json()
        rs = pods["items"][0]["metadata"]["ownerReferences"][0]["name"]
        h = pods["items"][0]["metadata"]["labels"]["pod-template-hash"]

        def pod(name, phase, init):
            return {"metadata": {"name": name, "namespace": "shop",
                                 "labels": {"app": "web", "pod-template-hash": h},
                                 "ownerReferences": [{"apiVersion": "apps/v1",
                                                      "kind": "ReplicaSet", "name": rs,
                                                      "uid": "x", "controller": True}]},
                    "spec": {"containers": [{"name": "app", "resources": {
                        "requests": {"cpu": "100m", "memory": "100Mi"}}}],
                        "initContainers": init},
                    "status": {"phase": phase}}
        sim.admin("POST", "raw", {"path": "/api/v1/namespaces/shop/pods", "object": pod(
            rs + "-side1", "Running",
            [{"name": "proxy", "restartPolicy": "Always",
              "resources": {"requests": {"cpu": "20m"}}},
             {"name": "migrate", "resources": {"requests": {"cpu": "1"}}}])})
        sim.admin("POST", "raw", {"path": "/api/v1/namespaces/shop/pods",
                                  "object": pod(rs + "-done1", "Succeeded", [])})
        code, out, err = self.record("-n", "shop", "--interval", "500ms", "--duration", "1500ms")
        self.assertEqual(code, 0, err)
        rows = query(self.db, """
            SELECT p.name, c.name, r.cpu_request_milli FROM resources r
            JOIN containers c ON c.id = r.container_id JOIN pods p ON p.id = c.pod_id
            WHERE p.name LIKE '%-side1' OR p.name LIKE '%-done1' ORDER BY c.name""")
        self.assertEqual(rows, [(rs + "-side1", "app", 100), (rs + "-side1", "proxy", 20)])

    def _wait_for_samples(self, proc, n=1, timeout=20):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.assertIsNone(proc.poll(), "record exited early")
            if os.path.exists(self.db):
                try:
                    if query(self.db, "SELECT count(*) FROM samples")[0][0] >= n:
                        return
                except sqlite3.Error:
                    pass
            time.sleep(0.1)
        self.fail("no samples within %ds" % timeout)

    def _stop_with(self, sig):
        self.start()
        proc = subprocess.Popen([PODSCALER, "record", "--db", self.db, "--kubeconfig",
                                 self.kubeconfig, "-n", "shop", "--interval", "300ms"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._wait_for_samples(proc, 16)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=20)
        return proc.returncode, err.decode(errors="replace")

    def test_sigterm(self):
        code, err = self._stop_with(signal.SIGTERM)
        self.assertEqual(code, 0, err)
        self.assertIn("SIGTERM received", err)
        self.assertEqual(query(self.db, "PRAGMA integrity_check"), [("ok",)])
        self.assertEqual(len(samples_by_container(self.db)), 8)

    def test_sigint(self):
        code, err = self._stop_with(signal.SIGINT)
        self.assertEqual(code, 0, err)
        self.assertIn("SIGINT received", err)

    def test_sigkill(self):
        code, err = self._stop_with(signal.SIGKILL)
        self.assertEqual(code, -signal.SIGKILL)
        # every committed poll is there; the database is whole and replays
        self.assertEqual(query(self.db, "PRAGMA integrity_check"), [("ok",)])
        self.assertEqual(len(samples_by_container(self.db)), 8)
        if replay_available():
            code, out, err = run(["replay", self.db, "--format", "json"], timeout=120)
            self.assertEqual(code, 0, err)

    def test_slow_server_skips_ticks(self):
        self.start()
        self.sim.admin("POST", "faults", {"path": "^/api/v1/namespaces/shop/pods$",
                                          "kind": "slow", "delay_ms": 1200, "count": 1})
        code, out, err = self.record("-n", "shop", "--interval", "300ms", "--duration", "2500ms")
        self.assertEqual(code, 0, err)
        self.assertIn("skipping a tick", err)
        self.assertEqual(len(samples_by_container(self.db)), 8)

    def _exec_kubeconfig(self, sim, before="", expires=""):
        """A kubeconfig whose user is an exec plugin that logs each run to the file
        it returns with the kubeconfig, runs the shell lines `before`, and prints a
        credential of sim's token, expiring at the shell value `expires` if any."""
        runs = os.path.join(self.tmp, "plugin-runs")
        plugin = os.path.join(self.tmp, "plugin.sh")
        expiry = ', "expirationTimestamp": "%s"' % expires if expires else ""
        with open(plugin, "w") as f:
            f.write("#!/bin/sh\n"
                    "echo run >> %s\n"
                    "%s"
                    "cat <<EOF\n"
                    '{"apiVersion": "client.authentication.k8s.io/v1", '
                    '"kind": "ExecCredential", "status": {"token": "%s"%s}}\n'
                    "EOF\n" % (runs, before, sim.token, expiry))
        os.chmod(plugin, 0o755)
        with open(os.path.join(sim.dir, "ca.crt"), "rb") as f:
            ca = base64.b64encode(f.read()).decode()
        kc = os.path.join(self.tmp, "kubeconfig-exec")
        with open(kc, "w") as f:
            json.dump({"apiVersion": "v1", "kind": "Config", "current-context": "sim",
                       "clusters": [{"name": "sim", "cluster": {
                           "server": sim.url, "certificate-authority-data": ca}}],
                       "users": [{"name": "plugin", "user": {"exec": {
                           "apiVersion": "client.authentication.k8s.io/v1",
                           "command": plugin, "interactiveMode": "Never"}}}],
                       "contexts": [{"name": "sim", "context": {
                           "cluster": "sim", "user": "plugin", "namespace": "shop"}}]}, f)
        return kc, runs

    def test_exec_plugin(self):
        sim = self.start()
        self.kubeconfig, runs = self._exec_kubeconfig(sim)
        code, out, err = self.record("--interval", "500ms", "--duration", "2s")
        self.assertEqual(code, 0, err)
        self.check_round_trip(["shop"])
        self.assertTrue(os.path.exists(runs), "the plugin never ran")
        log = sim.admin("GET", "requests")
        self.assertTrue(log and all(e["auth"] == "bearer" and e["status"] == 200 for e in log))

    def test_sigterm_during_exec_plugin(self):
        """An exec plugin runs on the loop's thread: a SIGTERM while it hangs stops
        the recorder at once, not when the plugin or its 60 s timeout ends."""
        sim = self.start()
        # The first run's token expires in a second; the next run hangs.
        runs = os.path.join(self.tmp, "plugin-runs")
        kc, runs = self._exec_kubeconfig(
            sim, before="if [ $(wc -l < %s) -gt 1 ]; then exec sleep 30; fi\n"
                        "exp=$(date -u -d '+1 second' +%%Y-%%m-%%dT%%H:%%M:%%SZ)\n" % runs,
            expires="$exp")
        proc = subprocess.Popen([PODSCALER, "record", "--db", self.db, "--kubeconfig", kc,
                                 "--interval", "300ms"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        end = time.monotonic() + 20
        while time.monotonic() < end:
            if os.path.exists(runs) and len(open(runs).readlines()) >= 2:
                break
            self.assertIsNone(proc.poll(), "record exited early")
            time.sleep(0.05)
        else:
            proc.kill()
            self.fail("the plugin never ran a second time")
        time.sleep(0.3)  # the plugin is in its sleep
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            out, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            self.fail("record did not stop within 10 s of SIGTERM")
        took = time.monotonic() - t0
        err = err.decode(errors="replace")
        self.assertLess(took, 3, err)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn("SIGTERM received", err)
        self.assertIn("abandoned, the process is stopping", err)
        self.assertEqual(query(self.db, "PRAGMA integrity_check"), [("ok",)])

    def test_mistyped_kubeconfig_env(self):
        """KUBECONFIG naming only missing files is an error naming them, never a
        fall back to ~/.kube/config (there: a working cluster, which must see no request)."""
        sim = self.start()
        home = tempfile.mkdtemp(prefix="record-home-")
        try:
            os.mkdir(os.path.join(home, ".kube"))
            shutil.copy(self.kubeconfig, os.path.join(home, ".kube", "config"))
            env = {k: v for k, v in os.environ.items() if not k.startswith("KUBERNETES_")}
            env["HOME"] = home
            env["KUBECONFIG"] = os.path.join(self.tmp, "kubeconfg")
            code, out, err = run(["record", "--db", self.db, "-n", "shop", "--duration", "1s"],
                                 env=env)
            self.assertEqual(code, 1, err)
            self.assertIn("KUBECONFIG=%s: none of its files exists" % env["KUBECONFIG"], err)
            self.assertEqual(sim.admin("GET", "requests"), [])
            # the same home without KUBECONFIG is used
            del env["KUBECONFIG"]
            code, out, err = run(["record", "--db", self.db, "-n", "shop", "--duration", "1s"],
                                 env=env)
            self.assertEqual(code, 0, err)
        finally:
            shutil.rmtree(home)

    def test_resume_refuses_bad_history(self):
        """A history whose rows another tool damaged is refused before any poll:
        the error names the file once, with the table and row, and the file is
        left as it was."""
        self.start()
        code, out, err = self.record("-n", "shop", "--interval", "500ms", "--duration", "1s")
        self.assertEqual(code, 0, err)
        con = sqlite3.connect(self.db)
        con.execute("PRAGMA ignore_check_constraints = ON")
        con.execute("UPDATE resources SET cpu_request_milli = 'lots' WHERE container_id = "
                    "(SELECT min(container_id) FROM resources)")
        con.commit()
        con.close()
        with open(self.db, "rb") as f:
            before = f.read()
        self.sim.admin("DELETE", "requests")
        code, out, err = self.record("-n", "shop", "--interval", "500ms", "--duration", "1s")
        self.assertEqual(code, 1, err)
        self.assertIn("table resources", err)
        self.assertIn("cpu_request_milli holds text", err)
        self.assertEqual(err.count(self.db), 1, err)
        with open(self.db, "rb") as f:
            self.assertEqual(f.read(), before)
        self.assertEqual(self.sim.admin("GET", "requests"), [],
                         "polled the cluster with a history it cannot extend")

    def test_usage_errors(self):
        self.start()
        for args in (["record"], ["record", "--db"], ["record", "--db", self.db, "--interval", "0"],
                     ["record", "--db", self.db, "--interval", "15"],
                     ["record", "--db", self.db, "--interval", "10ms"],
                     ["record", "--db", self.db, "--duration", "-1s"],
                     ["record", "--db", self.db, "-n", "shop", "--all-namespaces"],
                     ["record", "--db", self.db, "-n", "Shop/../x"],
                     ["record", "--db", self.db, "--log-level", "loud"],
                     ["record", "--db", self.db, "--db", self.db + "2"],
                     ["record", "--db=" + self.db, "-n", "a", "--namespace", "b"],
                     ["record", "--db", self.db, "extra"]):
            code, out, err = run(args)
            self.assertEqual(code, 2, (args, err))
            self.assertEqual(len(err.strip().splitlines()), 1, (args, err))
            self.assertIn("podscaler record", err)
        self.assertFalse(os.path.exists(self.db))
        # run-time failures are exit 1
        code, out, err = run(["record", "--db", self.db, "--kubeconfig",
                              os.path.join(self.tmp, "missing")])
        self.assertEqual(code, 1, err)
        # ... and say why at every log level
        code, out, err = run(["record", "--db=" + self.db, "--log-level=off", "--kubeconfig",
                              os.path.join(self.tmp, "missing")])
        self.assertEqual(code, 1, err)
        self.assertIn("missing", err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        with open(os.path.join(self.tmp, "not-a-db"), "w") as f:
            f.write("hello, I am not SQLite\n" * 100)
        code, out, err = run(["record", "--db", os.path.join(self.tmp, "not-a-db"),
                              "--kubeconfig", self.kubeconfig, "--duration", "1s"])
        self.assertEqual(code, 1, err)
        with open(os.path.join(self.tmp, "not-a-db")) as f:
            self.assertTrue(f.read().startswith("hello"))


if __name__ == "__main__":
    PODSCALER = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
