"""An invitation round trip from Python through davkit's generated bindings (the README's Rust,
JS and Kotlin round trip, the same calls): alice invites bob and carol to a daily meeting, bob
accepts one occurrence and declines the series (each answer written with
If-Schedule-Tag-Match, read again and retried after a 412, so it never overwrites a newer
version from alice), alice reads every attendee's PARTSTAT and SCHEDULE-STATUS back, and asks
the server when bob and carol are busy.

Run against the DAViCal of tests/servers (it schedules):

    python3 tests/servers/servers.py --only davical run -- python3 examples/python/invitations.py

with the bindings built by scripts/test-mobile.sh (bindings-mobile/build/python, or
DAVKIT_PY_BINDINGS). bindings-mobile/python/test_invitations_example.py runs it the same way.
"""

import asyncio
import os
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from urllib_transport import client, dk  # noqa: E402  (also puts the bindings on sys.path)
import davkit_core as dc  # noqa: E402


def meeting(uid, year):
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davkit//python example//EN\r\n"
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20300101T000000Z\r\n"
            f"DTSTART:{year}0105T090000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY;COUNT=5\r\n"
            "SUMMARY:Planning\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


async def round_trip(alice, bob, emails, year):
    """Returns alice's rows (recurrence id, address, PARTSTAT, SCHEDULE-STATUS codes) and
    the busy periods the server reported for bob and carol."""
    uid = f"python-{time.time_ns()}@example.com"
    wednesday = f"{year}0107T090000Z"

    # alice invites bob and carol (ORGANIZER from her calendar-user addresses, SEQUENCE and
    # DTSTAMP set by davkit)
    found = await alice.discover(dc.Service.CAL_DAV)
    me = dk.organizer_address(found.scheduling)
    if me is None:
        raise SystemExit("the server does not schedule")
    calendar = next(c.url for c in found.collections if c.kind == dc.CollectionKind.CALENDAR)
    invite = dk.schedule_invite(meeting(uid, year), me,
                                [dk.cal_address_from_email(e) for e in emails],
                                "20300101T090000Z")
    created = await alice.create_object(calendar, f"{time.time_ns()}.ics", invite)

    # bob declines the series, then accepts Wednesday's occurrence: If-Schedule-Tag-Match
    # (If-Match where the server sends no Schedule-Tag), re-read and retried after a 412
    his = await bob.discover(dc.Service.CAL_DAV)
    mine = his.scheduling.user_addresses
    bobs = next(c.url for c in his.collections if c.kind == dc.CollectionKind.CALENDAR)
    pending = await bob.pending_invitations(his.scheduling.inbox_url, [bobs], mine)
    invitation = next(i for i in pending.invitations if not i.in_inbox and i.uid == uid)
    await bob.respond(invitation.object.url, mine, dc.Answer.DECLINED(), None)
    done = await bob.respond(invitation.object.url, mine, dc.Answer.ACCEPTED(), wednesday)
    print(f"bob answered in {done.attempts} read(s)")
    # processed inbox items are removed with their ETag
    for item in (i for i in pending.invitations if i.in_inbox and i.uid == uid):
        await bob.delete_object(item.object.url, item.object.etag or "")

    # alice reads PARTSTAT and SCHEDULE-STATUS of every attendee, series and occurrences
    copy = await alice.get_scheduled(created.url)
    rows = [(r.recurrence_id, r.address, r.partstat, [s.code for s in r.schedule_status])
            for r in dk.attendee_statuses(copy.data)]
    for row in rows:
        print(*row)

    # when are bob and carol busy that week (RFC 6638 free-busy through alice's outbox)
    busy = []
    if found.scheduling.outbox_url:
        request = dc.FreeBusyRequest(organizer=me.uri,
                                     attendees=[f"mailto:{e}" for e in emails],
                                     start=f"{year}0105T000000Z", end=f"{year}0112T000000Z",
                                     uid=f"fb-{uid}", dtstamp="20300101T000000Z")
        for r in await alice.outbox_free_busy(found.scheduling.outbox_url, request):
            busy.append((r.recipient, r.ok, [(p.start, p.end, p.fb_type) for p in r.busy]))
            print(r.recipient, r.request_status, [(p.start, p.end) for p in r.busy])
    return rows, busy


def main():
    url = os.environ.get("DAVKIT_DAVICAL_URL")
    if not url:
        raise SystemExit("set DAVKIT_DAVICAL_URL (run under tests/servers/servers.py --only davical)")
    env = os.environ
    alice = client(url + env["DAVKIT_DAVICAL_USER"] + "/", env["DAVKIT_DAVICAL_USER"],
                   env["DAVKIT_DAVICAL_PASSWORD"])
    bob = client(url + env["DAVKIT_DAVICAL_USER2"] + "/", env["DAVKIT_DAVICAL_USER2"],
                 env["DAVKIT_DAVICAL_PASSWORD2"])
    emails = [env["DAVKIT_DAVICAL_EMAIL2"], env["DAVKIT_DAVICAL_EMAIL3"]]
    asyncio.run(round_trip(alice, bob, emails, 2040 + time.time_ns() // 1000 % 2000))


if __name__ == "__main__":
    main()
