"""Scheduling (issue 17) through the generated Python bindings: every case of the scheduling
vectors (tests/vectors/{schedule,gcal-scheduling,freebusy,scheduling}, read in place)
replayed with the recorded exchanges answered strictly in order (in any order for
the REPORTs pending invitations sends together), results and DavError kinds
checked as a subset of the core's JSON (as core/tests/vectors.rs does); and the README's
invitation round trip (invite, answer one occurrence, every answer read back) with the same
calls the Kotlin and Rust versions make.

Run: python3 -m unittest discover -s bindings-mobile/python -p 'test_schedule.py' -v
(DAVKIT_PY_BINDINGS as for test_vectors.py).
"""

import asyncio
import enum
import json
import unittest

import test_vectors as tv
from test_queue import InOrder
from test_vectors import REPO, dc, dk

import davkit_formats as df  # generated: the formats' records and enums

CORE_VECTORS = REPO / "tests" / "vectors"
FOLDERS = ["schedule", "gcal-scheduling", "freebusy", "scheduling"]

SEND = {"all": dc.SendUpdates.ALL, "external-only": dc.SendUpdates.EXTERNAL_ONLY,
        "none": dc.SendUpdates.NONE}


def answer(a):
    """The vectors' `{ "answer": "accepted" | ..., "to"? }` as the core's Answer."""
    kind = a["answer"]
    if kind == "delegated":
        return dc.Answer.DELEGATED(to=a["to"])
    return {"accepted": dc.Answer.ACCEPTED, "declined": dc.Answer.DECLINED,
            "tentative": dc.Answer.TENTATIVE}[kind]()


def kebab(name):
    return name.lower().replace("_", "-")


def to_core(v):
    """Binding values as the core's JSON (serde: kebab-case enums, `{other: ..}` for data)."""
    if v is None or isinstance(v, (str, int, bool)):
        return v
    if isinstance(v, list):
        return [to_core(x) for x in v]
    if isinstance(v, dc.ItipApplied):
        return {"outcome": kebab(v.name)}
    if isinstance(v, enum.Enum):
        return tv.to_core(v)
    if "." in type(v).__qualname__:
        # a variant of a data enum (PartStat, ScheduleAgent, FbType, ItipMethod)
        name = kebab(type(v).__qualname__.split(".")[-1])
        return {name: to_core(v._values[0])} if hasattr(v, "_values") else name
    if hasattr(v, "__dict__"):
        return {k: to_core(x) for k, x in vars(v).items()}
    return tv.to_core(v)


async def itip_apply(op):
    """The pure `itip_apply` case: each message applied in order; the outcomes, the attendees,
    and the series' STATUS and SEQUENCE afterwards (the Rust runner's shape)."""
    stored, applied = op["stored"], []
    for m in op["messages"]:
        r = dk.itip_apply(stored, m, op["my_addresses"])
        applied.append(r.applied)
        stored = r.ics
    master = next(e for e in dk.parse_events(stored) if e.recurrence_id is None)
    return {"applied": [to_core(a) for a in applied],
            "statuses": to_core(dk.attendee_statuses(stored)),
            "status": master.status, "sequence": master.sequence}


async def execute(client, op):
    name = op["op"]
    if name == "respond":
        return await client.respond(op["url"], op["my_addresses"], answer(op["answer"]),
                                    op.get("occurrence"))
    if name == "pending_invitations":
        return await client.pending_invitations(op.get("inbox_url"), op["calendar_urls"],
                                                op["my_addresses"])
    if name == "update_scheduled":
        return await client.update_scheduled(op["url"], op["data"], op["schedule_tag"])
    if name == "itip_apply":
        return await itip_apply(op)
    if name == "gcal_respond":
        return await client.gcal_respond(op["calendar_id"], op["event_id"], op["my_email"],
                                         answer(op["answer"]), SEND[op["send"]])
    if name == "gcal_set_attendees":
        people = [dc.GcalAttendee(email=a["email"], display_name=a.get("display_name"),
                                  optional=a.get("optional", False),
                                  response_status=a.get("response_status"))
                  for a in op["attendees"]]
        return await client.gcal_set_attendees(op["calendar_id"], op["event_id"], people,
                                               op["etag"], SEND[op["send"]])
    if name == "gcal_free_busy":
        return await client.gcal_free_busy(op["start"], op["end"], op["calendars"])
    if name == "free_busy_query":
        return await client.free_busy_query(op["calendar_url"], op["start"], op["end"])
    if name == "outbox_free_busy":
        return await client.outbox_free_busy(op["outbox_url"], dc.FreeBusyRequest(**op["request"]))
    return await tv.execute(client, op)


def run_case(test, path):
    case = json.loads(path.read_text(encoding="utf-8"))
    # strictly in order, but for the REPORTs pending_invitations sends together (any order)
    together = case["operation"]["op"] == "pending_invitations"
    transport = (tv.ReplayTransport if together else InOrder)(case, path.parent)
    outcome, error = None, None

    async def go():
        client = dk.DavClient(tv.config(case), transport)
        return await execute(client, case["operation"])

    try:
        outcome = asyncio.run(go())
    except dk.DavError as e:
        error = e
    test.assertEqual([], transport.problems)
    unused = [f'{ex["request"]["method"]} {ex["request"]["url"]}'
              for ex, used in transport.exchanges if not used]
    test.assertEqual([], unused, "exchanges never requested")
    expect = case["expect"]
    if "error" in expect:
        test.assertIsNotNone(error, f"expected an error, got {to_core(outcome)!r}")
        actual = {"kind": type(error).__name__, "status": error.status, "url": error.url}
        tv.assert_subset(test, "error", expect["error"], actual)
        shown = f"{error} {error!r} {error.detail}"
        for secret in tv.secrets(case):
            test.assertNotIn(secret, shown, "the error shows a secret")
    else:
        test.assertIsNone(error, f"unexpected error {error!r}")
        if "result" in expect:
            result = outcome if isinstance(outcome, dict) else to_core(outcome)
            tv.assert_subset(test, "result", expect["result"], result)


class ScheduleVectors(unittest.TestCase):
    """One test per scheduling vector (added below)."""


def _add_tests():
    files = [p for f in FOLDERS for p in sorted((CORE_VECTORS / f).glob("*.json"))]
    assert len(files) >= 20, f"expected the scheduling vectors in {CORE_VECTORS}"
    for path in files:
        rel = str(path.relative_to(CORE_VECTORS).with_suffix(""))
        name = "test_" + rel.replace("/", "__").replace("-", "_")
        setattr(ScheduleVectors, name, lambda self, p=path: run_case(self, p))


_add_tests()


EVENT = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//example//EN\r\n"
         "BEGIN:VEVENT\r\nUID:plan@example.com\r\nDTSTAMP:20250101T000000Z\r\n"
         "DTSTART:20250303T090000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\n"
         "SUMMARY:Planning\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def address(email):
    return df.CalAddress(uri=f"mailto:{email}", email=email, cn=None, role=None, partstat=None,
                         rsvp=None, cutype=None, delegated_to=[], delegated_from=[],
                         sent_by=None, member=[], dir=None)


class ScheduleApi(unittest.TestCase):
    def test_invite_answer_one_occurrence_and_read_every_answer(self):
        alice, bob = address("alice@example.com"), address("bob@example.com")
        ics = dk.schedule_invite(EVENT, alice, [bob], "20250102T080000Z")
        me = ["mailto:bob@example.com"]
        self.assertEqual([None], dk.schedule_needs_action(ics, me))
        bobs = dk.schedule_answer(ics, me, dc.Answer.DECLINED(), "20250310T090000Z")
        rows = {(r.recurrence_id, r.address): r.partstat for r in dk.attendee_statuses(bobs)}
        self.assertEqual(dc.PartStat.NEEDS_ACTION(), rows[(None, "mailto:bob@example.com")])
        self.assertEqual(dc.PartStat.DECLINED(),
                         rows[("20250310T090000Z", "mailto:bob@example.com")])
        # Bob's REPLY for that occurrence, applied to Alice's copy
        reply = dk.itip_reply(bobs, me, "20250102T090000Z", "20250310T090000Z")
        msg = dk.itip_parse(reply)
        self.assertEqual(dc.ItipMethod.REPLY(), msg.method)
        self.assertEqual("mailto:bob@example.com", msg.replying_attendee.uri)
        r = dk.itip_apply(ics, reply, ["mailto:alice@example.com"])
        self.assertEqual(dc.ItipApplied.UPDATED, r.applied)
        rows = {(s.recurrence_id, s.address): s.partstat for s in dk.attendee_statuses(r.ics)}
        self.assertEqual(dc.PartStat.DECLINED(),
                         rows[("20250310T090000Z", "mailto:bob@example.com")])

    def test_update_bumps_sequence_and_bad_input_is_typed(self):
        ics = dk.schedule_invite(EVENT, address("alice@example.com"),
                                 [address("bob@example.com")], "20250102T080000Z")
        moved = ics.replace("DTSTART:20250303T090000Z", "DTSTART:20250303T100000Z")
        up = dk.schedule_update(ics, moved, "20250102T090000Z", False)
        self.assertEqual([(None, True, 1)],
                         [(c.recurrence_id, c.significant, c.sequence) for c in up.changes])
        with self.assertRaises(dk.DavError.InvalidInput):
            dk.schedule_invite(EVENT, address("alice@example.com"), [], "not a time")
        with self.assertRaises(dk.DavError.InvalidInput):
            dk.schedule_answer(ics, ["mailto:bob@example.com"], dc.Answer.ACCEPTED(), "soon")
        cancelled = dk.itip_parse(dk.itip_cancel(dk.schedule_cancel(ics, "20250102T100000Z")))
        self.assertEqual(dc.ItipMethod.CANCEL(), cancelled.method)
        self.assertEqual(1, cancelled.sequence)


if __name__ == "__main__":
    unittest.main(verbosity=2)
