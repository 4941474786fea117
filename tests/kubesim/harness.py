"""Start/stop a kubesim for one test and talk to it (standard library only).

Shared by test_kubesim.py and test_kubectl.py; other Python tests may use it too.
"""

import json
import os
import select
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
# KUBESIM_PY lets a test run against another build of the server (mutation checks).
KUBESIM = os.environ.get("KUBESIM_PY") or os.path.join(HERE, "kubesim.py")


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))


class KubeSim:
    def __init__(self, scenario=None, tls=True, tokens=(), extra=(), clock_rate=None):
        self.dir = tempfile.mkdtemp(prefix="kubesim-")
        cmd = [sys.executable, KUBESIM, "--state-dir", self.dir, "--port", "0"]
        cmd.append("--tls" if tls else "--no-tls")
        for t in tokens:
            cmd += ["--token", t]
        if scenario is not None:
            if not isinstance(scenario, str):  # a document, not a path
                path = os.path.join(self.dir, "scenario.json")
                with open(path, "w") as f:
                    json.dump(scenario, f)
                scenario = path
            cmd += ["--scenario", scenario]
        if clock_rate is not None:
            cmd += ["--clock-rate", str(clock_rate)]
        cmd += list(extra)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self._readline(30)
        if not line.startswith("kubesim ready "):
            self.proc.kill()
            self.proc.wait()
            err = self.proc.stderr.read().decode(errors="replace")
            self.proc.stdout.close()
            self.proc.stderr.close()
            shutil.rmtree(self.dir, ignore_errors=True)
            raise RuntimeError("kubesim did not start: %r %s" % (line, err))
        self.url = line.split()[2]
        self.token = self.file("token").strip()
        self.admin_token = self.file("admin-token").strip()
        self.ctx = None
        if tls:
            self.ctx = ssl.create_default_context(cafile=os.path.join(self.dir, "ca.crt"))

    def _readline(self, timeout):
        end = time.monotonic() + timeout
        buf = b""
        fd = self.proc.stdout.fileno()
        while time.monotonic() < end:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                ch = os.read(fd, 1)
                if not ch:
                    break
                if ch == b"\n":
                    return buf.decode()
                buf += ch
            elif self.proc.poll() is not None:
                break
        return buf.decode()

    def file(self, name):
        with open(os.path.join(self.dir, name)) as f:
            return f.read()

    def stop(self):
        """SIGTERM; returns the exit code (0 expected)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return self.proc.returncode

    def request(self, method, path, body=None, ctype=None, token=True, headers=None,
                timeout=20, context=None):
        """Returns a Reply for every HTTP status; raises on transport errors."""
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", ctype or "application/json")
        if token is True:
            token = self.token
        if token:
            req.add_header("Authorization", "Bearer " + token)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=timeout,
                                        context=context or self.ctx) as r:
                return Reply(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            body = e.read()
            return Reply(e.code, e.headers, body)

    def admin(self, method, path, body=None):
        r = self.request(method, "/kubesim/" + path, body, token=self.admin_token)
        if r.status != 200:
            raise RuntimeError("admin %s %s -> %d %s" % (method, path, r.status, r.body))
        return r.json()
