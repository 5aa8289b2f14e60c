#!/usr/bin/env python3
"""Seeds a calendar of N events into a live CalDAV server for the network benchmark (stdlib).

    seed_events.py COLLECTION_URL [--user U --password P] [--count 1000] [--threads 8] [--whole]

Creates the calendar with MKCALENDAR (an existing one is kept), then PUTs bench-event-00000.ics
alone and the rest, bench-event-00001.ics ..., with `If-None-Match: *` from several threads,
each over one kept-alive connection. The first PUT stores the VTIMEZONE they all carry before
the parallel ones start: on a fresh DAViCal, parallel first inserts of it race on a unique key
(`timezones_tzid_key`: HTTP 500, then reset connections). A 5xx or a dropped connection is
still tried again, 4 times at most, on a new connection. Re-runnable: existing events (412) are
counted, not rewritten (an event whose PUT landed but whose answer was lost counts as existing
too). Prints one line: created / existing / seconds.

--whole (Radicale only) instead PUTs one VCALENDAR with every event to the collection URL,
which Radicale stores as a new collection whose members are named UID.ics, the same names.
It replaces the collection. Measured here (2 cores, idle): 1,000 events take Radicale 25 s
either way (single PUTs from 4 threads, or one whole upload; it writes and fsyncs each item
and its cache entry under one lock), Xandikos 33 s (it commits each PUT to git; threads do not
help). The whole upload is one request and needs no retry logic, so the script uses it.
DAViCal (per-event PUTs, 8 threads): about 25 s on a fresh server, 15 s for a re-run (all 412).

The events are what `event(i, 0)` below makes: about 820 bytes each, a timed event in
Europe/Berlin (with its VTIMEZONE, as clients write them), a description, a location, an
organizer and an attendee, so the XML answers the benchmark
reads have the size of a real calendar's. benches/network/changes.rs makes the same text (with a
revision number) when it changes events between syncs; keep the two in step.
"""

import argparse
import base64
import http.client
import queue
import sys
import threading
import time
from urllib.parse import urlsplit


VTIMEZONE = (
    "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n"
    "BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\n"
    "DTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n"
    "BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\n"
    "DTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n"
    "END:VTIMEZONE\r\n"
)


def event(i, revision):
    day = i % 28 + 1
    hour = 8 + i % 10
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davkit//network bench//EN\r\n"
        + VTIMEZONE +
        "BEGIN:VEVENT\r\nUID:bench-event-%05d\r\nDTSTAMP:20260101T000000Z\r\n"
        "DTSTART;TZID=Europe/Berlin:202603%02dT%02d0000\r\nDURATION:PT1H\r\n"
        "SUMMARY:Design review #%d (revision %d)\r\n"
        "DESCRIPTION:Agenda: roadmap\\, budget\\, hiring. Bring numbers and the draft\r\n"
        "  slides from last week.\r\n"
        "LOCATION:Room 4.%d\r\n"
        "ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED:mailto:bob@example.com\r\n"
        "ORGANIZER;CN=Alice:mailto:alice@example.com\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n" % (i, day, hour, i, revision, i % 9)
    )


def whole_calendar(count):
    """One VCALENDAR holding the VEVENTs of events 0..count (for Radicale's collection PUT)."""
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davkit//network bench//EN\r\n"
    parts = [head, "X-WR-CALNAME:Bench\r\n", VTIMEZONE]
    for i in range(count):
        text = event(i, 0)
        start = text.index("BEGIN:VEVENT")
        end = text.index("END:VCALENDAR")
        parts.append(text[start:end])
    parts.append("END:VCALENDAR\r\n")
    return "".join(parts)


def connect(url, timeout=60):
    return http.client.HTTPConnection(url.hostname, url.port or 80, timeout=timeout)


class Client:
    """One kept-alive connection that PUTs an event, reconnecting and trying again on failure."""

    RETRIES = 4
    """Tries after the first, with a pause of 0.25 s doubling each time (3.75 s in all)."""

    def __init__(self, url):
        self.url = url
        self.conn = connect(url)

    def reconnect(self):
        self.conn.close()
        self.conn = connect(self.url)

    def close(self):
        self.conn.close()

    def put(self, path, data, headers):
        """The status of `PUT path`. A 5xx or a dropped connection is tried again on a new
        connection: DAViCal 1.1.12 answers 500 to parallel PUTs that race to store a VTIMEZONE
        it does not have yet (a unique key on its tzid) and may then reset the connection.
        If-None-Match makes a repeat safe (a PUT that did land answers 412). Returns the last
        try's status, or raises its exception."""
        for attempt in range(self.RETRIES + 1):
            if attempt:
                time.sleep(0.25 * 2 ** (attempt - 1))
                self.reconnect()
            try:
                self.conn.request("PUT", path, body=data, headers=headers)
                r = self.conn.getresponse()
                r.read()
            except (OSError, http.client.HTTPException):
                if attempt == self.RETRIES:
                    raise
                continue
            if r.status < 500 or attempt == self.RETRIES:
                if r.getheader("connection", "").lower() == "close":
                    self.reconnect()
                return r.status


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("collection", help="calendar URL ending in /")
    p.add_argument("--user", default="")
    p.add_argument("--password", default="")
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--whole", action="store_true",
                   help="one PUT of the whole calendar to the collection URL (Radicale)")
    args = p.parse_args(argv)

    url = urlsplit(args.collection)
    path = url.path if url.path.endswith("/") else url.path + "/"
    headers = {}
    if args.user:
        token = base64.b64encode(("%s:%s" % (args.user, args.password)).encode()).decode()
        headers["Authorization"] = "Basic " + token
    t0 = time.monotonic()

    if args.whole:
        # One request that does all the work: Radicale answers it after 25 s when idle, after
        # more than 60 s while the other servers are seeded beside it (bench-network.sh).
        conn = connect(url, timeout=600)
        conn.request("PUT", path, body=whole_calendar(args.count).encode(),
                     headers={**headers, "Content-Type": "text/calendar; charset=utf-8"})
        resp = conn.getresponse()
        resp.read()
        conn.close()
        if resp.status not in (200, 201, 204):
            print("seed_events: PUT %s answered %d" % (path, resp.status), file=sys.stderr)
            return 1
        print("seed_events: %s: %d uploaded as one calendar in %.1f s"
              % (args.collection, args.count, time.monotonic() - t0))
        return 0

    conn = connect(url)
    body = ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>'
            '<D:displayname>Bench</D:displayname><C:supported-calendar-component-set>'
            '<C:comp name="VEVENT"/></C:supported-calendar-component-set>'
            '</D:prop></D:set></C:mkcalendar>')
    conn.request("MKCALENDAR", path, body=body.encode(),
                 headers={**headers, "Content-Type": "application/xml; charset=utf-8"})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    # 201 made; 405/409 (or Xandikos' 403 resource-must-be-null) when it exists.
    if resp.status not in (201, 403, 405, 409):
        print("seed_events: MKCALENDAR %s answered %d" % (path, resp.status), file=sys.stderr)
        return 1

    h = {**headers, "Content-Type": "text/calendar; charset=utf-8", "If-None-Match": "*"}
    counts = {"created": 0, "existing": 0}
    errors = []
    lock = threading.Lock()

    def put(client, i):
        status = client.put("%sbench-event-%05d.ics" % (path, i), event(i, 0).encode(), h)
        with lock:
            if status in (200, 201, 204):
                counts["created"] += 1
            elif status == 412:
                counts["existing"] += 1
            else:
                errors.append("PUT bench-event-%05d.ics: %d" % (i, status))

    # The first event alone: it makes the server store the shared VTIMEZONE once, so that the
    # parallel PUTs after it do not race to insert it (DAViCal: timezones_tzid_key).
    first = Client(url)
    try:
        if args.count > 0:
            put(first, 0)
    except (OSError, http.client.HTTPException) as e:
        errors.append("PUT bench-event-00000.ics: %s" % e)
    finally:
        first.close()
    if errors:
        print("seed_events: %s" % errors[0], file=sys.stderr)
        return 1

    work = queue.Queue()
    for i in range(1, args.count):
        work.put(i)

    def worker():
        c = Client(url)
        try:
            while True:
                try:
                    i = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    put(c, i)
                except (OSError, http.client.HTTPException) as e:
                    with lock:
                        errors.append("PUT bench-event-%05d.ics: %s" % (i, e))
                    return
        finally:
            c.close()

    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print("seed_events: %d errors, first: %s" % (len(errors), errors[0]), file=sys.stderr)
        return 1
    print("seed_events: %s: %d created, %d existing in %.1f s"
          % (args.collection, counts["created"], counts["existing"], time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
