"""examples/python/sync_batches.py run as written against live DAViCal (issue 12: the batched
sync documented with an example per language): a fresh calendar of 7 events mirrored into a
folder in batches of 3, the run stopped after its first batch, events added, changed and
deleted on the server, the mirror resumed from its stored checkpoint, then brought up to date:
the folder holds exactly what the server holds. Skipped without DAViCal:

    python3 tests/servers/servers.py --only davical run -- \
        python3 -m unittest discover -s bindings-mobile/python -p 'test_sync_batches_example.py' -v
"""

import asyncio
import importlib.util
import os
import pathlib
import tempfile
import time
import unittest

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "python" / "sync_batches.py"


def load_example():
    spec = importlib.util.spec_from_file_location("sync_batches_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def event(uid, summary):
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davkit//python example test//EN\r\n"
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20300101T000000Z\r\n"
            f"DTSTART:20300105T090000Z\r\nDURATION:PT1H\r\nSUMMARY:{summary}\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n")


@unittest.skipUnless(os.environ.get("DAVKIT_DAVICAL_URL"),
                     "DAVKIT_DAVICAL_URL not set: run under tests/servers/servers.py --only davical")
class SyncBatchesExample(unittest.TestCase):
    def test_stopped_resumed_and_brought_up_to_date(self):
        asyncio.run(self.scenario())

    async def server_files(self, ex, client, calendar_url, folder):
        """What the folder should hold: each member's file name and the server's text."""
        expected = {}
        for listed in await client.list_objects(calendar_url):
            got = await client.get_object(listed.url)
            expected[ex.file_for(folder, got.url).name] = got.data
        return expected

    def folder_files(self, folder):
        return {p.name: p.read_bytes().decode("utf-8")  # as written: CRLF kept
                for p in folder.iterdir() if p.suffix == ".ics"}

    async def scenario(self):
        ex = load_example()
        env = os.environ
        user = env["DAVKIT_DAVICAL_USER"]
        client = ex.client(env["DAVKIT_DAVICAL_URL"] + user + "/", user,
                           env["DAVKIT_DAVICAL_PASSWORD"])
        found = await client.discover(ex.dc.Service.CAL_DAV)
        home = found.calendar_home_sets[0]
        stamp = time.time_ns()
        calendar = await client.create_calendar(
            home, f"batches-{stamp}", ex.dc.CollectionProps(display_name="batches",
                                                            components=["VEVENT"]))
        try:
            written = []
            for i in range(7):
                written.append(await client.create_object(
                    calendar.url, f"e{i}.ics", event(f"batch-{stamp}-{i}@example.com", f"event {i}")))

            with tempfile.TemporaryDirectory() as tmp:
                folder = pathlib.Path(tmp)
                # the first run stops after one batch of 3: a checkpoint is stored with them
                first = await ex.mirror(client, calendar.url, folder, max_members=3, stop_after=1)
                self.assertEqual(3, first)
                self.assertEqual(3, len(self.folder_files(folder)))
                self.assertTrue((folder / ex.STATE).exists())

                # the server moves on meanwhile: one added, one changed, one deleted
                await client.create_object(calendar.url, "late.ics",
                                           event(f"batch-{stamp}-late@example.com", "late"))
                await client.update_object(written[1].url,
                                           event(f"batch-{stamp}-1@example.com", "event 1 moved"),
                                           written[1].etag or "")
                await client.delete_object(written[5].url, written[5].etag or "")

                # resumed from the stored checkpoint: the rest of the listing, nothing twice
                rest = await ex.mirror(client, calendar.url, folder, max_members=3)
                self.assertGreaterEqual(rest, 4 - 1)
                # the next run brings what changed since the listing; then the folder is the server
                await ex.mirror(client, calendar.url, folder, max_members=3)
                expected = await self.server_files(ex, client, calendar.url, folder)
                self.assertEqual(7, len(expected))  # 7 - 1 deleted + 1 added
                self.assertEqual(expected, self.folder_files(folder))
                self.assertIn("event 1 moved", "".join(self.folder_files(folder).values()))

                # and a run with nothing new applies nothing
                self.assertEqual(0, await ex.mirror(client, calendar.url, folder, max_members=3))
        finally:
            await client.delete_collection(calendar.url, None)


if __name__ == "__main__":
    unittest.main(verbosity=2)
