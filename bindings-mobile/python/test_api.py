"""The Python bindings beyond the vectors: errors thrown by the app's transport (typed, never a
panic), a transport that times out, a cancelled call, the sync-state check, and the parsed
iCalendar/vCard helpers."""

import asyncio
import datetime
import os
import sys
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, os.environ.get("DAVKIT_PY_BINDINGS", str(HERE.parent / "build" / "python")))

import davkit_mobile as dk  # noqa: E402

CONFIG = dk.DavConfig(server_url="https://dav.example.com/",
                      credentials=dk.Credentials.BASIC(username="alice", password="pw-secret"))


class Throwing(dk.HttpTransport):
    def __init__(self, exc):
        self.exc = exc

    async def send(self, request):
        raise self.exc


class Slow(dk.HttpTransport):
    """Gives up after `timeout` seconds, as a real stack with a request timeout does."""

    def __init__(self, timeout):
        self.timeout = timeout
        self.started = 0

    async def send(self, request):
        self.started += 1
        try:
            await asyncio.wait_for(asyncio.sleep(30), self.timeout)
        except asyncio.TimeoutError:
            raise dk.DavError.Transport(detail=f"timed out after {self.timeout}s", status=None,
                                        url=None, retry_after_seconds=None)
        raise AssertionError("not reached")


class Hanging(dk.HttpTransport):
    async def send(self, request):
        await asyncio.sleep(30)


def run(coro):
    return asyncio.run(coro)


class TransportErrors(unittest.TestCase):
    def test_typed_transport_error_passes_through(self):
        t = Throwing(dk.DavError.Transport(detail="offline", status=None, url=None,
                                           retry_after_seconds=None))
        with self.assertRaises(dk.DavError.Transport) as cm:
            run(dk.DavClient(CONFIG, t).get_object("https://dav.example.com/a.ics"))
        self.assertIn("offline", cm.exception.detail)
        self.assertEqual("https://dav.example.com/a.ics", cm.exception.url)

    def test_unexpected_exception_is_transport(self):
        t = Throwing(ConnectionResetError("peer reset"))
        with self.assertRaises(dk.DavError.Transport) as cm:
            run(dk.DavClient(CONFIG, t).discover(dk.Service.BOTH))
        self.assertIn("peer reset", cm.exception.detail)
        self.assertNotIn("pw-secret", str(cm.exception))

    def test_other_kind_from_transport_is_kept(self):
        t = Throwing(dk.DavError.Unauthorized(detail="token refresh failed", status=None, url=None,
                                              retry_after_seconds=None))
        with self.assertRaises(dk.DavError.Unauthorized):
            run(dk.DavClient(CONFIG, t).list_objects("https://dav.example.com/cal/"))

    def test_transport_timeout_is_transport(self):
        t = Slow(0.05)
        with self.assertRaises(dk.DavError.Transport) as cm:
            run(dk.DavClient(CONFIG, t).get_object("https://dav.example.com/a.ics"))
        self.assertIn("timed out", cm.exception.detail)

    def test_cancelled_call_then_client_still_works(self):
        client = dk.DavClient(CONFIG, Hanging())

        async def go():
            with self.assertRaises(asyncio.TimeoutError):
                await asyncio.wait_for(client.get_object("https://dav.example.com/a.ics"), 0.05)

        run(go())
        with self.assertRaises(dk.DavError.InvalidInput):
            run(client.sync("https://dav.example.com/cal/", dk.CollectionKind.CALENDAR, "{not json"))


class Inputs(unittest.TestCase):
    def test_bad_config(self):
        with self.assertRaises(dk.DavError.InvalidInput):
            dk.DavClient(dk.DavConfig(server_url="not a url", credentials=dk.Credentials.NONE()),
                         Hanging())
        with self.assertRaises(dk.DavError.InvalidInput):
            dk.DavClient(dk.DavConfig(server_url="https://x/", credentials=dk.Credentials.NONE(),
                                      profile="nope"), Hanging())

    def test_state_of_another_collection(self):
        state = '{"collection_url":"https://dav.example.com/other/"}'
        with self.assertRaises(dk.DavError.InvalidInput):
            run(dk.DavClient(CONFIG, Hanging()).sync("https://dav.example.com/cal/",
                                                     dk.CollectionKind.CALENDAR, state))


ICS = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VEVENT\r\n"
       "UID:standup@example.com\r\nDTSTAMP:20250101T000000Z\r\n"
       "DTSTART;TZID=Europe/Berlin:20250303T093000\r\nDURATION:PT15M\r\nSUMMARY:Stand-up\r\n"
       "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=13\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
VCF = ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann Example\r\nN:Example;Ann;;;\r\n"
       "TEL;TYPE=CELL,PREF:+1 555 0100\r\nBDAY:--04-15\r\nEND:VCARD\r\n")


class Content(unittest.TestCase):
    def test_parse_events(self):
        [e] = dk.parse_events(ICS)
        self.assertEqual("Stand-up", e.summary)
        self.assertEqual("Europe/Berlin", e.start.tzid)
        self.assertEqual(dk.TimeKind.ZONED, e.start.kind)
        self.assertEqual(["FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=13"], e.rrule)

    def test_expand_across_dst(self):
        utc = datetime.timezone.utc
        x = dk.expand_events(ICS, datetime.datetime(2025, 3, 1, tzinfo=utc),
                             datetime.datetime(2025, 4, 1, tzinfo=utc))
        self.assertEqual(13, len(x.occurrences))
        self.assertEqual("2025-03-31T07:30:00Z", x.occurrences[12].start_utc)
        self.assertEqual("Stand-up", x.occurrences[0].summary)
        self.assertEqual(datetime.datetime(2025, 3, 3, 8, 30, tzinfo=utc),
                         x.occurrences[0].start_instant.replace(tzinfo=utc))
        self.assertFalse(x.truncated)

    def test_expand_limits_and_errors(self):
        utc = datetime.timezone.utc
        a, b = datetime.datetime(2025, 3, 1, tzinfo=utc), datetime.datetime(2025, 4, 1, tzinfo=utc)
        self.assertTrue(dk.expand_events(ICS, a, b, max_instances=2).truncated)
        with self.assertRaises(dk.DavError.InvalidInput):
            dk.expand_events(ICS, b, a)
        with self.assertRaises(dk.DavError.ICalendar):
            dk.parse_events("BEGIN:VCARD\r\nEND:VCARD\r\n")

    def test_contacts(self):
        c = dk.parse_contact(VCF)
        self.assertEqual("Ann Example", c.full_name)
        self.assertEqual("3.0", c.version)
        self.assertEqual("--04-15", c.birthday)
        self.assertEqual(1, c.tels[0].pref)
        v4 = dk.convert_contact(VCF, dk.VCardVersion.V4)
        self.assertIn("BDAY:--0415\r\n", v4)
        self.assertEqual(2, len(dk.parse_contacts(VCF + VCF)))
        with self.assertRaises(dk.DavError.VCard):
            dk.parse_contact("hello")


if __name__ == "__main__":
    unittest.main(verbosity=2)
