#!/usr/bin/env python3
"""A seeded, fault-injecting HTTP proxy in front of a live CalDAV/CardDAV server (stdlib only).

    faultproxy.py --target http://127.0.0.1:PORT/ --seed N --log FILE [--port P] [--rate KIND=P ...]

Listens on 127.0.0.1 (a free port unless --port), prints one line
`faultproxy: listening on http://127.0.0.1:PORT/` on stdout, and forwards every request to
--target, injecting at most one fault per request with seeded probabilities. It stops on
SIGTERM/SIGINT, and with --exit-on-stdin-eof when its standard input reaches end of file (so a
test that holds the pipe cannot leave it behind).

Fault kinds (the names used in the log and by --rate):

  before forwarding (the server never sees the request):
    http_5xx          500, 502 or 503 (503 with Retry-After: 0)
    http_429          429 with Retry-After: 0
    unauthorized_401  401 with a Basic challenge, once (the next try of that request passes)
    close_before      the socket is closed without an answer
    redirect_307      307 to the same path on the proxy (never twice in a row for one request)
  after forwarding:
    close_after_write PUT/DELETE/POST/PROPPATCH/MKCOL/MKCALENDAR forwarded and applied, then
                      the socket closed without an answer: the client cannot know
    row_status        one <response> of a 207 REPORT answer becomes status 500, 503 or 403
    row_drop          one <response> of a 207 multiget answer is left out
    row_duplicate     one <response> of a 207 REPORT answer appears twice
    row_ghost         a 207 multiget answer gets a row for an href that was not asked for
    truncated         a 207 REPORT body is cut in half (with a Content-Length that matches)
    keepalive_close   a complete answer, then the kept-alive connection is closed without a
                      `Connection: close` header

Rows are only dropped or invented in multiget answers: a client can tell that a multiget left
out an href it asked for, but nothing can tell that a sync-collection answer left one out.

Every injected fault is appended to the --log file as one JSON line
{"kind": ..., "method": ..., "path": ..., "detail": ...}.

Control (never forwarded, never faulted): GET /__faultproxy__/pass turns faults off,
/__faultproxy__/faults turns them on again, /__faultproxy__/stats returns the counts per kind
as JSON.

Determinism: the random draw for a request depends only on the seed, the method, the path, a
hash of the body and how many times that same request was seen before, so concurrent requests
do not change each other's faults.
"""

import argparse
import hashlib
import http.client
import json
import os
import random
import re
import signal
import socket
import socketserver
import sys
import threading
from urllib.parse import urlsplit

CONTROL = "/__faultproxy__/"

# Probability per request of each fault, where it applies. At most one fault is injected per
# request: the "before" kinds are drawn first, then the kinds that apply to the answer.
DEFAULT_RATES = {
    "http_5xx": 0.03,
    "http_429": 0.03,
    "unauthorized_401": 0.02,
    "close_before": 0.03,
    "redirect_307": 0.03,
    "close_after_write": 0.25,
    "row_status": 0.08,
    "row_drop": 0.08,
    "row_duplicate": 0.06,
    "row_ghost": 0.06,
    "truncated": 0.04,
    "keepalive_close": 0.06,
}
BEFORE = ["http_5xx", "http_429", "unauthorized_401", "close_before", "redirect_307"]
ROW_KINDS = ["row_status", "row_drop", "row_duplicate", "row_ghost", "truncated"]
WRITES = {"PUT", "DELETE", "POST", "PROPPATCH", "MKCOL", "MKCALENDAR"}
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer",
              "transfer-encoding", "upgrade", "content-length"}
REASONS = {200: "OK", 207: "Multi-Status", 307: "Temporary Redirect", 401: "Unauthorized",
           403: "Forbidden", 429: "Too Many Requests", 500: "Internal Server Error",
           502: "Bad Gateway", 503: "Service Unavailable"}


class Closed(Exception):
    """The client connection is to be dropped without (further) answer."""


class FaultProxy:
    def __init__(self, target, seed, log_path, rates):
        t = urlsplit(target)
        self.target_host = t.hostname or "127.0.0.1"
        self.target_port = t.port or 80
        self.target_origin = "%s://%s" % (t.scheme, t.netloc)
        self.seed = seed
        self.rates = rates
        self.faults_on = True
        self.lock = threading.Lock()
        self.seen = {}
        self.last_fault = {}  # request key -> kind of the fault its previous try got
        self.counts = {}
        self.log_file = open(log_path, "a", encoding="utf-8") if log_path else None

    # -- bookkeeping ----------------------------------------------------------------------

    def draw(self, method, path, body):
        """A random generator for this request, and its key (without the occurrence)."""
        key = "%s %s %s" % (method, path, hashlib.sha256(body).hexdigest()[:16])
        with self.lock:
            n = self.seen.get(key, 0)
            self.seen[key] = n + 1
        return random.Random("%d|%s|%d" % (self.seed, key, n)), key

    def record(self, kind, method, path, key, detail=""):
        line = json.dumps({"kind": kind, "method": method, "path": path, "detail": detail})
        with self.lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            self.last_fault[key] = kind
            if self.log_file:
                self.log_file.write(line + "\n")
                self.log_file.flush()

    def clean(self, key):
        with self.lock:
            self.last_fault.pop(key, None)

    def previous(self, key):
        with self.lock:
            return self.last_fault.get(key)

    # -- decisions ------------------------------------------------------------------------

    def before_fault(self, rng, key):
        if not self.faults_on:
            return None
        prev = self.previous(key)
        x = rng.random()
        for kind in BEFORE:
            p = self.rates.get(kind, 0.0)
            if x < p:
                # "once": a request that just got a 401 or a redirect is not given it again.
                if kind in ("unauthorized_401", "redirect_307") and prev == kind:
                    return None
                return kind
            x -= p
        return None

    def after_fault(self, rng, method, status, body, req_body):
        """The kind of fault for the answer (or None)."""
        if not self.faults_on:
            return None
        x = rng.random()
        if method in WRITES:
            p = self.rates.get("close_after_write", 0.0)
            if x < p:
                return "close_after_write"
            x -= p
        if method == "REPORT" and status == 207 and body:
            multiget = is_multiget(req_body)
            for kind in ROW_KINDS:
                if kind in ("row_drop", "row_ghost") and not multiget:
                    continue
                p = self.rates.get(kind, 0.0)
                if x < p:
                    return kind
                x -= p
        p = self.rates.get("keepalive_close", 0.0)
        if x < p:
            return "keepalive_close"
        return None

    # -- forwarding -----------------------------------------------------------------------

    def forward(self, method, path, headers, body):
        conn = http.client.HTTPConnection(self.target_host, self.target_port, timeout=60)
        try:
            out = {}
            for name, value in headers:
                if name.lower() in HOP_BY_HOP or name.lower() == "accept-encoding":
                    continue
                out[name] = value
            conn.request(method, path, body=body if body or method in WRITES else None,
                         headers=out)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, resp.reason, resp.getheaders(), data
        finally:
            conn.close()


def is_multiget(req_body):
    head = req_body[:400].decode("utf-8", "replace")
    return "calendar-multiget" in head or "addressbook-multiget" in head


ROW = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)response\b[^>]*>.*?</\1response\s*>", re.S)
HREF = re.compile(rb"(<(?:[A-Za-z_][\w.-]*:)?href\b[^>]*>)(.*?)(</(?:[A-Za-z_][\w.-]*:)?href\s*>)",
                  re.S)


def rewrite_rows(kind, body, rng, counter):
    """Applies a row fault to a 207 body. Returns (new body, detail) or None if it has no row."""
    rows = list(ROW.finditer(body))
    if kind == "truncated":
        cut = len(body) // 2
        return body[:cut], "cut at %d of %d bytes" % (cut, len(body))
    if not rows:
        return None
    m = rng.choice(rows)
    row = m.group(0)
    prefix = m.group(1)
    href_m = HREF.search(row)
    href = href_m.group(2) if href_m else b""
    if kind == "row_status":
        status = rng.choice([(500, "Internal Server Error"), (503, "Service Unavailable"),
                             (403, "Forbidden")])
        new = (b"<%sresponse><%shref>%s</%shref><%sstatus>HTTP/1.1 %d %s</%sstatus></%sresponse>"
               % (prefix, prefix, href, prefix, prefix, status[0], status[1].encode(), prefix,
                  prefix))
        detail = "%d for %s" % (status[0], href.decode("utf-8", "replace"))
        return body[:m.start()] + new + body[m.end():], detail
    if kind == "row_drop":
        return body[:m.start()] + body[m.end():], "dropped " + href.decode("utf-8", "replace")
    if kind == "row_duplicate":
        return (body[:m.end()] + row + body[m.end():],
                "duplicated " + href.decode("utf-8", "replace"))
    if kind == "row_ghost":
        if not href_m:
            return None
        h = href.decode("utf-8", "replace")
        base = h.rsplit("/", 1)[0] if "/" in h else ""
        ext = ".vcf" if h.endswith(".vcf") else ".ics"
        ghost = "%s/faultproxy-ghost-%d%s" % (base, counter, ext)
        new = row[:href_m.start(2)] + ghost.encode() + row[href_m.end(2):]
        return body[:m.end()] + new + body[m.end():], "ghost " + ghost
    return None


class Handler(socketserver.StreamRequestHandler):
    """One client connection: HTTP/1.1 requests in a loop (keep-alive)."""

    timeout = 120
    disable_nagle_algorithm = True

    def handle(self):
        proxy = self.server.proxy
        try:
            while True:
                req = self.read_request()
                if req is None:
                    return
                if not self.serve(proxy, *req):
                    return
        except (Closed, ConnectionError, socket.timeout, OSError):
            return

    def read_request(self):
        line = self.rfile.readline(65537)
        while line in (b"\r\n", b"\n"):
            line = self.rfile.readline(65537)
        if not line:
            return None
        parts = line.decode("latin-1").split()
        if len(parts) != 3:
            raise Closed()
        method, target, version = parts
        headers = []
        while True:
            h = self.rfile.readline(65537)
            if h in (b"\r\n", b"\n", b""):
                break
            name, _, value = h.decode("latin-1").partition(":")
            headers.append((name.strip(), value.strip()))
        lower = {k.lower(): v for k, v in headers}
        if lower.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                body += self.rfile.read(size)
                self.rfile.readline()
        else:
            body = self.rfile.read(int(lower.get("content-length", "0") or "0"))
        keep = (version == "HTTP/1.1" and lower.get("connection", "").lower() != "close")
        if target.startswith("http://") or target.startswith("https://"):
            target = "/" + target.split("/", 3)[3] if target.count("/") >= 3 else "/"
        return method, target, headers, body, keep, lower.get("host", "")

    def send(self, status, reason, headers, body, keep, head=False, length=None):
        out = ["HTTP/1.1 %d %s" % (status, reason)]
        for name, value in headers:
            if name.lower() in HOP_BY_HOP:
                continue
            out.append("%s: %s" % (name, value))
        out.append("Content-Length: %d" % (len(body) if length is None else length))
        if not keep:
            out.append("Connection: close")
        data = ("\r\n".join(out) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(data + (b"" if head else body))
        self.wfile.flush()

    def drop(self):
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        raise Closed()

    def serve(self, proxy, method, path, headers, body, keep, host):
        """Answers one request; returns whether to read another on this connection."""
        if path.startswith(CONTROL):
            return self.control(proxy, path[len(CONTROL):], keep)
        rng, key = proxy.draw(method, path, body)
        kind = proxy.before_fault(rng, key)
        if kind == "http_5xx":
            status = rng.choice([500, 502, 503])
            extra = [("Retry-After", "0")] if status == 503 else []
            proxy.record(kind, method, path, key, str(status))
            self.send(status, REASONS[status], extra + [("Content-Type", "text/plain")],
                      b"injected by faultproxy\n", keep)
            return keep
        if kind == "http_429":
            proxy.record(kind, method, path, key)
            self.send(429, REASONS[429], [("Retry-After", "0"), ("Content-Type", "text/plain")],
                      b"injected by faultproxy\n", keep)
            return keep
        if kind == "unauthorized_401":
            proxy.record(kind, method, path, key)
            self.send(401, REASONS[401], [("WWW-Authenticate", 'Basic realm="faultproxy"'),
                                          ("Content-Type", "text/plain")],
                      b"injected by faultproxy\n", keep)
            return keep
        if kind == "close_before":
            proxy.record(kind, method, path, key)
            self.drop()
        if kind == "redirect_307":
            proxy.record(kind, method, path, key)
            location = "http://%s%s" % (host, path) if host else path
            self.send(307, REASONS[307], [("Location", location)], b"", keep)
            return keep

        try:
            status, reason, rheaders, rbody = proxy.forward(method, path, headers, body)
        except (OSError, http.client.HTTPException) as e:
            self.send(502, REASONS[502], [("Content-Type", "text/plain")],
                      ("faultproxy: upstream failed: %s\n" % e).encode(), keep)
            return keep
        rheaders = [(n, rewrite_location(v, proxy.target_origin, host)
                     if n.lower() == "location" else v) for n, v in rheaders]
        length = None
        if method == "HEAD":
            cl = [v for n, v in rheaders if n.lower() == "content-length"]
            length = int(cl[0]) if cl else 0

        kind = proxy.after_fault(rng, method, status, rbody, body)
        if kind == "close_after_write":
            proxy.record(kind, method, path, key, "server answered %d" % status)
            self.drop()
        if kind in ROW_KINDS:
            with proxy.lock:
                counter = sum(proxy.counts.values())
            changed = rewrite_rows(kind, rbody, rng, counter)
            if changed is not None:
                rbody, detail = changed
                proxy.record(kind, method, path, key, detail)
                self.send(status, reason, rheaders, rbody, keep)
                return keep
            kind = None
        if kind == "keepalive_close":
            proxy.record(kind, method, path, key)
            # Announce nothing: the answer is complete and says keep-alive, then the socket goes.
            self.send(status, reason, rheaders, rbody, True, head=method == "HEAD", length=length)
            self.drop()
        proxy.clean(key)
        self.send(status, reason, rheaders, rbody, keep, head=method == "HEAD", length=length)
        return keep

    def control(self, proxy, command, keep):
        if command == "pass":
            proxy.faults_on = False
        elif command == "faults":
            proxy.faults_on = True
        elif command != "stats":
            self.send(404, "Not Found", [], b"", keep)
            return keep
        with proxy.lock:
            body = json.dumps({"faults_on": proxy.faults_on, "counts": proxy.counts}).encode()
        self.send(200, "OK", [("Content-Type", "application/json")], body, keep)
        return keep


def rewrite_location(value, target_origin, host):
    if host and value.startswith(target_origin):
        return "http://%s%s" % (host, value[len(target_origin):])
    return value


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def parse_rates(items):
    rates = dict(DEFAULT_RATES)
    for item in items or []:
        kind, _, p = item.partition("=")
        if kind == "all":
            rates = {k: v * float(p) for k, v in rates.items()}
            continue
        if kind not in rates:
            raise SystemExit("faultproxy: unknown fault kind %r (known: %s)"
                             % (kind, ", ".join(sorted(rates))))
        rates[kind] = float(p)
    return rates


def main(argv=None):
    p = argparse.ArgumentParser(description="Seeded fault-injecting proxy for davkit live tests.")
    p.add_argument("--target", required=True, help="the server, e.g. http://127.0.0.1:5232/")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--log", help="append one JSON line per injected fault to this file")
    p.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    p.add_argument("--rate", action="append", metavar="KIND=P",
                   help="probability of a fault kind (repeatable; all=F scales every rate)")
    p.add_argument("--pass-through", action="store_true", help="start with faults off")
    p.add_argument("--exit-on-stdin-eof", action="store_true",
                   help="stop when standard input is closed (for tests holding the pipe)")
    args = p.parse_args(argv)

    proxy = FaultProxy(args.target, args.seed, args.log, parse_rates(args.rate))
    proxy.faults_on = not args.pass_through
    server = Server(("127.0.0.1", args.port), Handler)
    server.proxy = proxy
    port = server.server_address[1]

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def watch_stdin():
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        stop()

    if args.exit_on_stdin_eof:
        threading.Thread(target=watch_stdin, daemon=True).start()
    print("faultproxy: listening on http://127.0.0.1:%d/" % port, flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
        if proxy.log_file:
            proxy.log_file.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
