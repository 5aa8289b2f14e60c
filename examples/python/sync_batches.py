"""A calendar mirrored into a folder with davkit's batched sync, from Python: one file per event,
the sync state stored next to them after each batch, so a run stopped between batches (killed,
out of time, offline) continues from its last checkpoint, and a later run brings only what
changed. Memory is bounded by the batch, not by the calendar.

Run against the DAViCal of tests/servers:

    python3 tests/servers/servers.py --only davical run -- \
        python3 examples/python/sync_batches.py /tmp/mirror

(it mirrors the user's first calendar), with the bindings built by scripts/test-mobile.sh
(bindings-mobile/build/python, or DAVKIT_PY_BINDINGS).
bindings-mobile/python/test_sync_batches_example.py runs it against DAViCal, stopped after the
first batch and resumed, with changes made on the server in between.
"""

import asyncio
import hashlib
import os
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from urllib_transport import client, dk  # noqa: E402,F401  (also puts the bindings on sys.path)
import davkit_core as dc  # noqa: E402

STATE = ".davkit-state.json"


async def sync_batches(client, collection_url, kind, state_json=None, max_members=500):
    """The batched sync as an async generator: yields each batch; apply its changes and store
    its `state_json` (a checkpoint) before asking for the next. Ends after the batch whose
    `more` is false: the core sets it when no member is left, and when the same members failed
    again and nothing else moved (they stay pending, see its `problems`)."""
    while True:
        batch = await client.sync_batch(collection_url, kind, state_json, max_members)
        yield batch
        if not batch.more:
            return
        state_json = batch.state_json


def file_for(folder, url):
    """A member's file: named by a hash of its URL, so no server-chosen name (`..`, `/`, a
    reserved device name) ever becomes a path."""
    return folder / (hashlib.sha256(url.encode()).hexdigest()[:32] + ".ics")


def write_atomically(path, text):
    part = path.with_name(path.name + ".part")
    part.write_text(text, encoding="utf-8", newline="")
    os.replace(part, path)


async def mirror(client, collection_url, folder, max_members=200, stop_after=None):
    """Brings `folder` up to date with the collection; returns the number of changes applied.
    Each batch's changes are written first and its checkpoint after them, so a crash between
    the two fetches that batch again (writes are idempotent) and nothing is lost. `stop_after`
    stops after that many batches, as a run that ran out of time would."""
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state_file = folder / STATE
    state = state_file.read_text() if state_file.exists() else None
    applied = 0
    batches = 0
    async for batch in sync_batches(client, collection_url, dc.CollectionKind.CALENDAR, state,
                                    max_members):
        for change in batch.changes:
            if change.is_DELETED():
                file_for(folder, change.url).unlink(missing_ok=True)
            else:  # ADDED or CHANGED, with the data
                obj = change.object
                write_atomically(file_for(folder, obj.url), obj.data or "")
            applied += 1
        for problem in batch.problems:  # stays pending in the state: the next run tries again
            print(f"not delivered now: {problem.url} ({problem.kind})", file=sys.stderr)
        write_atomically(state_file, batch.state_json)  # the checkpoint, after the changes
        batches += 1
        if stop_after is not None and batches >= stop_after:
            break
    return applied


async def main_async(folder):
    env = os.environ
    url = env.get("DAVKIT_DAVICAL_URL")
    if not url:
        raise SystemExit("set DAVKIT_DAVICAL_URL (run under tests/servers/servers.py --only davical)")
    user = env["DAVKIT_DAVICAL_USER"]
    c = client(url + user + "/", user, env["DAVKIT_DAVICAL_PASSWORD"])
    found = await c.discover(dc.Service.CAL_DAV)
    calendar = next(x for x in found.collections if x.kind == dc.CollectionKind.CALENDAR)
    n = await mirror(c, calendar.url, folder)
    print(f"{calendar.url}: {n} changes applied to {folder}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: sync_batches.py FOLDER")
    asyncio.run(main_async(sys.argv[1]))
