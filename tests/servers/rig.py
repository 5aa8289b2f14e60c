"""Process helpers shared by servers.py, davical.py, cyrus.py and sogo.py (stdlib only).

A `Server` is one process started in its own session, with PR_SET_PDEATHSIG so that it dies
with the rig, its output in a log file, a readiness probe that is polled (never a blind
sleep) and a stop by its PID: a signal, then SIGKILL after STOP_GRACE seconds. The private
PostgreSQL clusters of DAViCal and SOGo are started by `postgres`.
"""

import base64
import fcntl
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

START_TIMEOUT = 20.0  # seconds per server
STOP_GRACE = 5.0  # seconds between the stop signal and SIGKILL

# Lines of a server log that mark an error worth showing after a failed run: Python
# tracebacks and ERROR records (Radicale, Xandikos), PHP fatal errors and DAViCal's ERROR
# lines (Apache's error log), PostgreSQL's ERROR/FATAL/PANIC records. Not PHP warnings:
# DAViCal 1.1.12 on PHP 8.2 logs some for ordinary requests.
ERROR_MARKERS = ("ERROR", "Traceback", "Error:", "PHP Fatal", "FATAL", "PANIC")


class RigError(Exception):
    pass


def log(msg):
    print("servers: " + msg, file=sys.stderr, flush=True)


# Loaded here, in the rig: a child that already runs as another user (PostgreSQL as
# postgres) may not be able to read Python's own files to import ctypes after the fork.
try:
    import ctypes
    _LIBC = ctypes.CDLL("libc.so.6", use_errno=True)
except Exception:  # not Linux/glibc: no PDEATHSIG
    _LIBC = None


def set_pdeathsig(signum=signal.SIGTERM):
    """In the child: get `signum` if the rig dies without cleaning up (Linux only)."""
    if _LIBC is not None:
        _LIBC.prctl(1, signum)  # PR_SET_PDEATHSIG


def free_ports(n):
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def http_answers(port, path="/", method="OPTIONS", headers=None, timeout=2):
    """The status of one request to 127.0.0.1:port, or None if nothing answered (within
    `timeout` seconds)."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            conn.request(method, path, headers=headers or {})
            resp = conn.getresponse()
            resp.read()
            return resp.status
        finally:
            conn.close()
    except (OSError, http.client.HTTPException):
        return None


def tail(path, n=30):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(lines[-n:]) or "(empty log)"


class Server:
    """One server process.

    `probe()` says whether it is ready (default: anything answers an HTTP OPTIONS on `port`);
    `user` runs it as another user (the rig runs as root), in its group of that name or in
    `run_group`; `stop_signal` goes to its process
    group (or to the process alone with `group=False`, for servers that stop their own
    children, like PostgreSQL's postmaster).
    """

    def __init__(self, name, argv, port, log_path, cwd, user=None, stop_signal=signal.SIGTERM,
                 group=True, probe=None, env=None, run_group=None):
        self.name = name
        self.argv = argv
        self.port = port
        self.url = "http://127.0.0.1:%d/" % port
        self.log_path = log_path
        self.cwd = cwd
        self.user = user
        self.stop_signal = stop_signal
        self.group = group
        self.probe = probe or (lambda: http_answers(self.port) is not None)
        self.env = env
        self.run_group = run_group or user
        self.proc = None

    def start(self):
        with open(self.log_path, "wb") as logf:
            kw = ({"user": self.user, "group": self.run_group, "extra_groups": []}
                  if self.user else {})
            self.proc = subprocess.Popen(
                self.argv, cwd=self.cwd, stdin=subprocess.DEVNULL, stdout=logf,
                stderr=subprocess.STDOUT, start_new_session=True, env=self.env,
                preexec_fn=lambda: set_pdeathsig(self.stop_signal), **kw)

    def log_tail(self, n=30):
        return tail(self.log_path, n)

    def error_logs(self):
        """The log files that report_server_errors searches after a failed run."""
        return [(self.name, self.log_path)]

    def exit_code(self):
        """None while running."""
        return self.proc.poll() if self.proc else None

    def wait_ready(self, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            rc = self.proc.poll()
            if rc is not None:
                raise RigError("%s exited with code %s before it was ready. Log tail:\n%s"
                               % (self.name, rc, self.log_tail()))
            if self.probe():
                return
            if time.monotonic() > deadline:
                raise RigError("%s was not ready on port %d within %.0f s. Log tail:\n%s"
                               % (self.name, self.port, timeout, self.log_tail()))
            time.sleep(0.05)

    def stop(self):
        p = self.proc
        if p is None or p.poll() is not None:
            return
        kill = os.killpg if self.group else os.kill
        try:
            kill(p.pid, self.stop_signal)
        except ProcessLookupError:
            pass
        try:
            p.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            log("%s ignored signal %d for %.0f s, killing it"
                % (self.name, self.stop_signal, STOP_GRACE))
            try:
                kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()


def basic_auth(user, password):
    """An `Authorization` header value for HTTP Basic."""
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def deb_version(name):
    """The installed version of Debian package `name`, or None."""
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}|${Version}", name],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    status, _, version = r.stdout.partition("|")
    return version if r.returncode == 0 and status == "install ok installed" else None


# One apt-get at a time among concurrent rigs (apt's own lock makes the others wait anyway;
# this one also keeps them from installing what the first one just installed).
APT_LOCK = Path("/var/tmp/davkit-apt.lock")


def users_env(var, url, users):
    """The rig's variables for a server with users: `DAVKIT_<VAR>_URL`, then `_USER`,
    `_PASSWORD` for the first user and `_USER2`, `_PASSWORD2`, ... for the others (`users`:
    (name, password) pairs)."""
    env = {"DAVKIT_%s_URL" % var: url}
    for i, (user, password) in enumerate(users):
        n = "" if i == 0 else str(i + 1)
        env["DAVKIT_%s_USER%s" % (var, n)] = user
        env["DAVKIT_%s_PASSWORD%s" % (var, n)] = password
    return env


PG_USER = "postgres"


def pg_bin():
    """The newest installed PostgreSQL's bin folder, or None."""
    found = []
    for p in Path("/usr/lib/postgresql").glob("*/bin/postgres"):
        try:
            found.append((int(p.parent.parent.name), p.parent))
        except ValueError:
            pass
    return max(found)[1] if found else None


def run_as(user, argv, cwd, env=None, check=True):
    """Runs `argv` as `user` (in its group of that name) and returns its output; a failure is
    a RigError with the output's end unless `check` is false."""
    r = subprocess.run(argv, user=user, group=user, extra_groups=[], cwd=cwd, env=env,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if check and r.returncode != 0:
        raise RigError("%s failed (code %d):\n%s" % (" ".join(map(str, argv)), r.returncode,
                                                     r.stdout[-3000:]))
    return r.stdout


def sql_quote(s):
    """`s` as an SQL string literal."""
    return "'" + s.replace("'", "''") + "'"


def postgres(name, bin_dir, data, sock, port, log_path, cwd, fast=False, host=None):
    """A PostgreSQL postmaster in the foreground (a child of the rig) as PG_USER, on a Unix
    socket in `sock`, and on TCP at `host` when given (else on no TCP address); SIGINT is its
    fast shutdown. `fast`: a throw-away database, nothing needs to survive a crash."""
    argv = [str(bin_dir / "postgres"), "-D", str(data), "-k", str(sock), "-p", str(port),
            "-c", "listen_addresses=%s" % (host or ""), "-c", "logging_collector=off"]
    if fast:
        argv += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]

    def ready():
        r = subprocess.run([str(bin_dir / "pg_isready"), "-q", "-h", host or str(sock), "-p",
                            str(port), "-U", PG_USER, "-d", "postgres"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return r.returncode == 0

    return Server(name, argv, port, log_path, cwd, user=PG_USER, stop_signal=signal.SIGINT,
                  group=False, probe=ready)


def apt_install(packages, installed, label):
    """Installs Debian's `packages` with apt-get (no recommended packages) unless `installed()`
    says they are there, never letting them start a system service (a policy-rc.d that denies
    it, for the install only). Returns the seconds spent (0 when everything was there); raises
    RigError when it cannot."""
    if installed():
        return 0.0
    t0 = time.monotonic()
    with open(APT_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed():
            return 0.0
        log("installing %s with apt-get" % " ".join(packages))
        policy = Path("/usr/sbin/policy-rc.d")
        added_policy = not policy.exists()
        if added_policy:
            policy.write_text("#!/bin/sh\nexit 101\n")
            policy.chmod(0o755)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-q", "--no-install-recommends",
                   "-o", "DPkg::Lock::Timeout=300", *packages]
        try:
            r = subprocess.run(install, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            if r.returncode != 0:
                # Package lists missing or stale: update them once and retry.
                u = subprocess.run(["apt-get", "update", "-q", "-o", "DPkg::Lock::Timeout=300"],
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True)
                r = subprocess.run(install, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
                if r.returncode != 0:
                    raise RigError("apt-get install %s failed (code %d):\n%s\n%s" % (
                        " ".join(packages), r.returncode, u.stdout[-1500:], r.stdout[-3000:]))
        finally:
            if added_policy:
                policy.unlink()
    if not installed():
        raise RigError("apt-get installed %s for %s but some files are still missing"
                       % (" ".join(packages), label))
    return time.monotonic() - t0
