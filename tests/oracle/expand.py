#!/usr/bin/env python3
"""Recurrence oracle for davkit's differential tests.

Expands the VEVENTs of one .ics file in a window with the PyPI packages `icalendar` and
`recurring-ical-events` (independent of davkit) and prints a JSON list of instances:

    [{"uid": ..., "start": ..., "end": ..., "recurrence_id": ...}, ...]

Times are written the way davkit's test compares them:
  "D:2025-03-01"            all-day (DATE)
  "F:2025-03-01T09:00:00"   floating (no zone)
  "U:2025-03-01T08:00:00Z"  UTC or zoned, as the instant in UTC

Usage: expand.py FILE.ics WINDOW_START WINDOW_END   (ISO 8601 UTC, e.g. 2025-01-01T00:00:00Z)
"""

import datetime as dt
import json
import sys

import icalendar
import recurring_ical_events


def parse_utc(text):
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def fmt(value):
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            return "F:" + value.strftime("%Y-%m-%dT%H:%M:%S")
        return "U:" + value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return "D:" + value.strftime("%Y-%m-%d")
    return "?:" + str(value)


def main():
    path, start, end = sys.argv[1], parse_utc(sys.argv[2]), parse_utc(sys.argv[3])
    with open(path, "rb") as f:
        cal = icalendar.Calendar.from_ical(f.read())
    out = []
    for ev in recurring_ical_events.of(cal, components=["VEVENT"]).between(start, end):
        s = ev.get("DTSTART")
        e = ev.get("DTEND")
        rid = ev.get("RECURRENCE-ID")
        out.append(
            {
                "uid": str(ev.get("UID", "")),
                "start": fmt(s.dt) if s is not None else None,
                "end": fmt(e.dt) if e is not None else None,
                "recurrence_id": fmt(rid.dt) if rid is not None else None,
            }
        )
    out.sort(key=lambda x: (x["start"] or "", x["uid"]))
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
