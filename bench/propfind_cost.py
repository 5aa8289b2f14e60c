#!/usr/bin/env python3
"""What each property of discovery's home-set PROPFIND costs a server (stdlib only).

    propfind_cost.py HOME_URL [--user U --password P] [--reps 30] [--warmup 3] [--sets a,b,...]

Sends the `Depth: 1` PROPFIND that discovery's step 3 sends on a home set (the properties of
`COLLECTION_PROPS` in core/src/ops/discover.rs) with different property sets, over one
kept-alive connection, round-robin (one request of each set, then the next round) so that
load on a shared machine falls on every set alike. Prints a markdown table: set, median,
25th/75th percentile (ms, from sending the request to the last byte of the answer), answer
size. On loopback this is the server's time.

Run it against servers seeded as the network benchmark seeds them (scripts/bench-network.sh,
bench/seed_events.py: a calendar of 1,000 events in the home set):

    python3 tests/servers/servers.py run -- bash -c '
      python3 bench/seed_events.py ${DAVKIT_XANDIKOS_URL}user/calendars/bench/ &&
      python3 bench/propfind_cost.py ${DAVKIT_XANDIKOS_URL}user/calendars/'

This is a benchmark, not a test.
"""

import argparse
import base64
import http.client
import statistics
import sys
import time
from urllib.parse import urlsplit

NS = {
    "D": "DAV:",
    "C": "urn:ietf:params:xml:ns:caldav",
    "A": "urn:ietf:params:xml:ns:carddav",
    "CS": "http://calendarserver.org/ns/",
    "I": "http://apple.com/ns/ical/",
}

# discovery's COLLECTION_PROPS, in its order
ALL = [
    "D:resourcetype",
    "D:displayname",
    "C:calendar-description",
    "A:addressbook-description",
    "I:calendar-color",
    "CS:getctag",
    "D:sync-token",
    "C:supported-calendar-component-set",
    "D:current-user-privilege-set",
    "D:supported-report-set",
    "D:add-member",
]
STATE = {"CS:getctag", "D:sync-token"}


def without(*names):
    return [p for p in ALL if p not in names]


SETS = {
    "all 11 (discovery before)": ALL,
    "all but sync-token": without("D:sync-token"),
    "all but getctag": without("CS:getctag"),
    "neither (discovery now)": without("CS:getctag", "D:sync-token"),
    "resourcetype only": ["D:resourcetype"],
    "libdav: resourcetype + getetag + supported-report-set": [
        "D:resourcetype",
        "D:getetag",
        "D:supported-report-set",
    ],
}
# each of the other properties on its own next to resourcetype
for p in ALL[1:] + ["D:getetag"]:
    SETS["resourcetype + " + p.split(":", 1)[1]] = ["D:resourcetype", p]


def body(props):
    decls = " ".join('xmlns:%s="%s"' % (k, v) for k, v in NS.items())
    inner = "".join("<%s/>" % p for p in props)
    return ('<?xml version="1.0" encoding="utf-8"?><D:propfind %s><D:prop>%s</D:prop></D:propfind>'
            % (decls, inner)).encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--sets", help="comma-separated names of sets (default: all)")
    args = ap.parse_args()

    url = urlsplit(args.url)
    headers = {"Depth": "1", "Content-Type": "application/xml; charset=utf-8"}
    if args.user:
        token = base64.b64encode(("%s:%s" % (args.user, args.password)).encode()).decode()
        headers["Authorization"] = "Basic " + token
    names = list(SETS) if not args.sets else args.sets.split(",")
    bodies = {n: body(SETS[n]) for n in names}
    conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=120)

    def once(name):
        t = time.perf_counter()
        conn.request("PROPFIND", url.path, body=bodies[name], headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        ms = (time.perf_counter() - t) * 1000
        if resp.status != 207:
            sys.exit("%s: %s answered %d: %s" % (name, args.url, resp.status, data[:300]))
        return ms, len(data)

    for _ in range(args.warmup):
        for n in names:
            once(n)
    times = {n: [] for n in names}
    size = {}
    for _ in range(args.reps):
        for n in names:
            ms, size[n] = once(n)
            times[n].append(ms)

    print("| properties asked (Depth 1, %s) | median ms | p25-p75 ms | answer bytes |" % url.path)
    print("|---|---:|---:|---:|")
    for n in names:
        q = statistics.quantiles(times[n], n=4)
        print("| %s | %.1f | %.1f-%.1f | %d |" % (n, statistics.median(times[n]), q[0], q[2], size[n]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
