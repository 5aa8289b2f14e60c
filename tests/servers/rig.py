"""Process helpers shared by servers.py and davical.py (stdlib only).

A `Server` is one process started in its own session, with PR_SET_PDEATHSIG so that it dies
with the rig, its output in a log file, a readiness probe that is polled (never a blind
sleep) and a stop by its PID: a signal, then SIGKILL after STOP_GRACE seconds.
"""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time

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


def http_answers(port, path="/", method="OPTIONS", headers=None):
    """The status of one request to 127.0.0.1:port, or None if nothing answered."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
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
    `user` runs it as another user (the rig runs as root); `stop_signal` goes to its process
    group (or to the process alone with `group=False`, for servers that stop their own
    children, like PostgreSQL's postmaster).
    """

    def __init__(self, name, argv, port, log_path, cwd, user=None, stop_signal=signal.SIGTERM,
                 group=True, probe=None, env=None):
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
        self.proc = None

    def start(self):
        with open(self.log_path, "wb") as logf:
            kw = {"user": self.user, "group": self.user, "extra_groups": []} if self.user else {}
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
