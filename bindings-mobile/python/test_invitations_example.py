"""examples/python/invitations.py run as written against live DAViCal (issue 17: an example in
every binding): alice invites bob and carol, bob declines the series and accepts one
occurrence, alice reads every answer and both attendees' busy time. Skipped without DAViCal:

    python3 tests/servers/servers.py --only davical run -- \
        python3 -m unittest discover -s bindings-mobile/python -p 'test_invitations_example.py' -v
"""

import asyncio
import importlib.util
import os
import pathlib
import time
import unittest

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "python" / "invitations.py"


def load_example():
    spec = importlib.util.spec_from_file_location("invitations_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@unittest.skipUnless(os.environ.get("DAVKIT_DAVICAL_URL"),
                     "DAVKIT_DAVICAL_URL not set: run under tests/servers/servers.py --only davical")
class InvitationsExample(unittest.TestCase):
    def test_round_trip_on_davical(self):
        ex = load_example()
        env, url = os.environ, os.environ["DAVKIT_DAVICAL_URL"]
        alice = ex.client(url + env["DAVKIT_DAVICAL_USER"] + "/", env["DAVKIT_DAVICAL_USER"],
                          env["DAVKIT_DAVICAL_PASSWORD"])
        bob = ex.client(url + env["DAVKIT_DAVICAL_USER2"] + "/", env["DAVKIT_DAVICAL_USER2"],
                        env["DAVKIT_DAVICAL_PASSWORD2"])
        emails = [env["DAVKIT_DAVICAL_EMAIL2"], env["DAVKIT_DAVICAL_EMAIL3"]]
        year = 2040 + time.time_ns() // 1_000_000 % 2000
        rows, busy = asyncio.run(ex.round_trip(alice, bob, emails, year))

        series = {address: (partstat, codes) for rid, address, partstat, codes in rows
                  if rid is None}
        bob_row = series[f"mailto:{emails[0]}"]
        carol_row = series[f"mailto:{emails[1]}"]
        # DAViCal turns an answer to one occurrence into a REPLY without RECURRENCE-ID, which
        # lands on the series (docs/providers.md): bob's last answer, ACCEPTED, shows there
        self.assertIn(bob_row[0], (ex.dc.PartStat.ACCEPTED(), ex.dc.PartStat.DECLINED()), rows)
        self.assertEqual(ex.dc.PartStat.NEEDS_ACTION(), carol_row[0], rows)
        for partstat, codes in (bob_row, carol_row):
            self.assertTrue(codes and all(c[0] in "12" for c in codes), rows)
        # both are busy on each of the five days at 09:00 (the meeting is in their calendars)
        self.assertEqual(2, len(busy), busy)
        for recipient, ok, periods in busy:
            self.assertTrue(ok, busy)
            starts = {start for start, _end, _kind in periods}
            for day in range(5, 10):
                self.assertIn(f"{year}01{day:02}T090000Z", starts, (recipient, periods))


if __name__ == "__main__":
    unittest.main(verbosity=2)
