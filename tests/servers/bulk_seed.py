#!/usr/bin/env python3
"""Write a large calendar or address book straight into Radicale's storage folder (stdlib).

    bulk_seed.py STORAGE USER NAME (--events N | --contacts N [--photo-bytes B])

STORAGE is Radicale's `filesystem_folder` (servers.py exports it as DAVKIT_RADICALE_STORAGE).
Radicale 3.9's multifilesystem storage is plain files: a collection is the folder
`collection-root/USER/NAME/` holding `.Radicale.props` (JSON: `tag` VCALENDAR or VADDRESSBOOK,
plus DAV properties such as `D:displayname`) and one file per member, named by its href. The
server reads the folder on each request and builds its item cache and sync-token history
itself, so files written while it runs are served like uploaded ones (the first report on the
collection parses every item once). Writing 10,000 events this way takes about a second; PUT
takes Radicale about 25 s per 1,000 (it writes and fsyncs each item under one lock).

--events N writes bench-event-00000.ics ... with the text of bench/seed_events.py (about 820
bytes each: a zoned event with its VTIMEZONE, an organizer and an attendee).
--contacts N writes contact-00000.vcf ... as vCard 3.0 with a PHOTO of B random bytes (20,000
by default, about 27 KB of base64 folded at 75 octets), the same bytes for every run.

An existing collection folder is replaced. Prints one line: members, bytes, seconds.
"""

import argparse
import base64
import importlib.util
import json
import random
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent


def bench_events():
    """bench/seed_events.py as a module (its `event(i, revision)` is the network bench's)."""
    spec = importlib.util.spec_from_file_location("seed_events", REPO / "bench" / "seed_events.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fold(line):
    """Folds a content line at 75 octets (RFC 6350 §3.2), CRLF-terminated (ASCII input)."""
    parts = [line[:75]]
    rest = line[75:]
    while rest:
        parts.append(" " + rest[:74])
        rest = rest[74:]
    return "\r\n".join(parts) + "\r\n"


def contact(i, photo_bytes):
    photo = base64.b64encode(random.Random(i).randbytes(photo_bytes)).decode()
    return (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//davkit//memory bench//EN\r\n"
        "UID:bench-contact-%05d\r\nFN:Contact %d\r\nN:%d;Contact;;;\r\n"
        "EMAIL;TYPE=INTERNET:contact%d@example.com\r\nTEL;TYPE=CELL:+49 30 %07d\r\n"
        "ORG:Example GmbH\r\n" % (i, i, i, i, i)
        + fold("PHOTO;ENCODING=b;TYPE=JPEG:" + photo)
        + "END:VCARD\r\n"
    )


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("storage", help="Radicale's filesystem_folder")
    p.add_argument("user")
    p.add_argument("name", help="the collection's last path segment")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--events", type=int)
    what.add_argument("--contacts", type=int)
    p.add_argument("--photo-bytes", type=int, default=20000)
    args = p.parse_args(argv)

    t0 = time.monotonic()
    folder = Path(args.storage) / "collection-root" / args.user / args.name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    total = 0
    if args.events is not None:
        props = {"tag": "VCALENDAR", "D:displayname": "Memory bench",
                 "C:supported-calendar-component-set": "VEVENT"}
        events = bench_events()
        count = args.events
        for i in range(count):
            data = events.event(i, 0).encode()
            (folder / ("bench-event-%05d.ics" % i)).write_bytes(data)
            total += len(data)
    else:
        props = {"tag": "VADDRESSBOOK", "D:displayname": "Memory bench contacts"}
        count = args.contacts
        for i in range(count):
            data = contact(i, args.photo_bytes).encode()
            (folder / ("contact-%05d.vcf" % i)).write_bytes(data)
            total += len(data)
    (folder / ".Radicale.props").write_text(json.dumps(props, sort_keys=True), encoding="utf-8")
    print("bulk_seed: %s: %d members, %d bytes, %.1f s"
          % (folder, count, total, time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
