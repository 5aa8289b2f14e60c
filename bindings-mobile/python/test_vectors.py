"""Replays every case of tests/vectors/ (the shared corpus, read in place) through the generated
Python bindings: a Python HttpTransport answers the recorded replies, the public async API runs,
and results and DavError kinds are checked as tests/vectors/README.md says.

Run: python3 -m unittest discover -s bindings-mobile/python -v   (after scripts/test-mobile.sh
has generated bindings-mobile/build/python/davkit_mobile.py and copied the library next to it;
DAVKIT_PY_BINDINGS overrides that directory).
"""

import asyncio
import base64
import json
import os
import sys
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
VECTORS = REPO / "tests" / "vectors"
sys.path.insert(0, os.environ.get("DAVKIT_PY_BINDINGS", str(HERE.parent / "build" / "python")))

import davkit_mobile as dk  # noqa: E402  (generated)
import davkit_core as dc  # noqa: E402  (generated: the core's records and enums)


class Mismatch(Exception):
    """A request the case did not expect (the test fails with this, not the client's error)."""


class ReplayTransport(dk.HttpTransport):
    """Answers requests from a case's recorded exchanges (rules of tests/vectors/README.md)."""

    def __init__(self, case, case_dir):
        self.exchanges = [[ex, False] for ex in case.get("exchanges", [])]
        self.case_dir = case_dir
        self.requests = 0
        self.problems = []

    async def send(self, request):
        self.requests += 1
        body = (request.body() or b"").decode("utf-8", "replace")
        method, url = request.method(), request.url()
        for entry in self.exchanges:
            ex, used = entry
            want = ex["request"]
            if used or want["method"] != method or want["url"] != url:
                continue
            if not all(part in body for part in want.get("body_contains", [])):
                continue
            entry[1] = True
            self.check_headers(want, request)
            return self.reply(ex["response"])
        problem = f"unexpected request {request.method()} {request.url()} (no unused exchange matches)"
        self.problems.append(problem)
        raise Mismatch(problem)

    def check_headers(self, want, request):
        got = {}
        for h in request.headers():
            got.setdefault(h.name.lower(), h.value)
        for name, value in (want.get("headers") or {}).items():
            actual = got.get(name.lower())
            if value is None and actual is not None:
                self.problems.append(f"{request.method()} {request.url()} must not carry `{name}`")
            elif value is not None and actual != value:
                self.problems.append(
                    f"header `{name}` of {request.method()} {request.url()}: {actual!r} != {value!r}")

    def reply(self, r):
        if "transport_error" in r:  # the host could not send it at all (network, TLS, CORS)
            raise dk.DavError.Transport(detail=r["transport_error"], status=None, url=None,
                                        retry_after_seconds=None, body_excerpt=None)
        if "body_file" in r:
            body = (self.case_dir / r["body_file"]).read_bytes()
        elif "body_base64" in r:
            body = base64.b64decode(r["body_base64"])
        else:
            body = (r.get("body") or "").encode("utf-8")
        headers = [dk.HttpHeader(name=k, value=v or "") for k, v in (r.get("headers") or {}).items()]
        return dk.HttpResponse(status=r["status"], headers=headers, body=body,
                               final_url=r.get("final_url"))


class RecordingSleeper(dk.Sleeper):
    """Records the delays the client asks for instead of waiting."""

    def __init__(self):
        self.sleeps = []

    async def sleep(self, ms):
        self.sleeps.append(ms)


class ListedTokens(dk.TokenProvider):
    """Hands out the listed tokens: the same one until a refresh is forced, then the next."""

    def __init__(self, tokens):
        self.tokens = tokens
        self.at = 0

    async def token(self, force_refresh):
        if force_refresh:
            self.at += 1
        if self.at >= len(self.tokens):
            raise dk.DavError.Unauthorized(detail="no more tokens", status=None, url=None,
                                           retry_after_seconds=None, body_excerpt=None)
        return self.tokens[self.at]


def config(case):
    c = case["config"]
    creds = c.get("credentials")
    if isinstance(creds, dict) and "basic" in creds:
        credentials = dk.Credentials.basic(username=creds["basic"]["username"],
                                           password=creds["basic"]["password"])
    elif isinstance(creds, dict) and "bearer" in creds:
        credentials = dk.Credentials.bearer(token=creds["bearer"])
    else:
        credentials = dk.Credentials.none()
    r = c.get("retry")
    retry = dc.RetryPolicy(max_retries=r["max_retries"], initial_delay_ms=r["initial_delay_ms"],
                           max_delay_ms=r["max_delay_ms"]) if r else None
    # the vector's limits are the core's snake_case names, as the Python record spells them
    limits = dk.Limits(**c["limits"]) if "limits" in c else None
    return dk.DavConfig(server_url=c["server_url"], credentials=credentials,
                        user_agent="davkit-vectors", profile=c.get("profile"),
                        multiget_batch_size=c.get("multiget_batch_size"),
                        sync_page_limit=c.get("sync_page_limit"), retry=retry, limits=limits)


KINDS = {"calendar": dc.CollectionKind.CALENDAR, "addressbook": dc.CollectionKind.ADDRESS_BOOK,
         "other": dc.CollectionKind.OTHER}
SERVICES = {"caldav": dc.Service.CAL_DAV, "carddav": dc.Service.CARD_DAV, "both": dc.Service.BOTH}


def read_collection(op):
    """The optional `read` of update_collection / delete_collection: the collection as last read."""
    c = op.get("read")
    if c is None:
        return None
    return dc.Collection(url=c["url"], kind=KINDS[c["kind"]], display_name=c.get("display_name"),
                         description=c.get("description"), color=c.get("color"), ctag=c.get("ctag"),
                         sync_token=c.get("sync_token"), components=c.get("components") or [],
                         privileges=c.get("privileges") or [],
                         resource_types=c.get("resource_types") or [],
                         add_member_url=c.get("add_member_url"),
                         supports_sync_collection=c.get("supports_sync_collection"))


def props(p):
    return dc.CollectionProps(display_name=p.get("display_name"), description=p.get("description"),
                              color=p.get("color"), components=p.get("components") or [])


SUPPORTED_OPS = {
    "discover", "sync", "sync_batch", "list_objects", "list_collections", "get_collection",
    "get_object", "create_object", "update_object", "delete_object", "post_object", "multiget",
    "calendar_query", "create_calendar", "create_address_book", "update_collection",
    "delete_collection", "gcal_calendars", "gcal_sync", "gcal_insert", "gcal_patch", "gcal_delete",
    "gcal_watch", "gcal_stop", "gcal_notification",
}


# Replayed, exchanges strictly in order, by test_schedule.py (tests/vectors/README.md).
SCHEDULING_OPS = {
    "respond", "pending_invitations", "update_scheduled", "itip_apply", "gcal_respond",
    "gcal_set_attendees", "gcal_free_busy", "free_busy_query", "outbox_free_busy",
}


def gcal_query(op):
    return dc.GcalEventsQuery(**op["query"]) if op.get("query") else None


def gcal_channel(op):
    c = op["channel"]
    return dk.GcalChannel(id=c["id"], resource_id=c["resource_id"], resource_uri=c.get("resource_uri"),
                          token=c.get("token"), expiration_ms=c.get("expiration_ms"))


async def execute(client, op):
    name = op["op"]
    if name == "discover":
        return await client.discover(SERVICES[op["service"]])
    if name == "sync":
        state = op["state"]
        return await client.sync(state["collection_url"], KINDS[op["kind"]], json.dumps(state))
    if name == "sync_batch":
        state = op["state"]
        return await client.sync_batch(state["collection_url"], KINDS[op["kind"]], json.dumps(state),
                                       op["max_members"])
    if name == "list_objects":
        return await client.list_objects(op["collection_url"])
    if name == "list_collections":
        return await client.list_collections(op["home_url"])
    if name == "get_collection":
        return await client.get_collection(op["url"])
    if name == "get_object":
        return await client.get_object(op["url"])
    if name == "create_object":
        return await client.create_object(op["collection_url"], op["name"], op["data"])
    if name == "update_object":
        return await client.update_object(op["url"], op["data"], op["etag"])
    if name == "delete_object":
        return await client.delete_object(op["url"], op["etag"])
    if name == "post_object":
        return await client.post_object(op["add_member_url"], op["data"])
    if name == "multiget":
        return await client.multiget(op["collection_url"], KINDS[op["kind"]], op["hrefs"])
    if name == "calendar_query":
        f = op["filter"]
        tr = f.get("time_range")
        time_range = dc.TimeRange(start=tr.get("start"), end=tr.get("end")) if tr else None
        return await client.calendar_query(
            op["collection_url"], dc.CalendarFilter(component=f["component"], time_range=time_range))
    if name == "create_calendar":
        return await client.create_calendar(op["home_url"], op["slug"], props(op["props"]))
    if name == "create_address_book":
        return await client.create_address_book(op["home_url"], op["slug"], props(op["props"]))
    if name == "update_collection":
        return await client.update_collection(op["url"], KINDS[op["kind"]], props(op["props"]),
                                              read_collection(op))
    if name == "delete_collection":
        return await client.delete_collection(op["url"], read_collection(op))
    if name == "gcal_calendars":
        return await client.gcal_calendars()
    if name == "gcal_sync":
        return await client.gcal_sync(op["calendar_id"], gcal_query(op), json.dumps(op["state"]))
    if name == "gcal_insert":
        return await client.gcal_insert(op["calendar_id"], json.dumps(op["event"]))
    if name == "gcal_patch":
        return await client.gcal_patch(op["calendar_id"], op["event_id"], json.dumps(op["patch"]),
                                       op["etag"])
    if name == "gcal_delete":
        return await client.gcal_delete(op["calendar_id"], op["event_id"], op["etag"])
    if name == "gcal_watch":
        return await client.gcal_watch(op["calendar_id"], dk.GcalWatchRequest(**op["watch"]),
                                       gcal_query(op))
    if name == "gcal_stop":
        return await client.gcal_stop(gcal_channel(op))
    if name == "gcal_notification":
        headers = [dk.HttpHeader(name=k, value=v) for k, v in op["headers"].items()]
        return dk.gcal_parse_notification(headers, gcal_channel(op))
    raise AssertionError(f"unknown op {name}")


# --- binding values -> the core's JSON shape (snake_case, lower-case kinds) -------------------

def to_core(v):
    if v is None or isinstance(v, (str, int, bool)):
        return v
    if isinstance(v, list):
        return [to_core(x) for x in v]
    if isinstance(v, dc.CollectionKind):
        return {"CALENDAR": "calendar", "ADDRESS_BOOK": "addressbook", "OTHER": "other"}[v.name]
    if isinstance(v, dc.GcalResourceState):
        return v.name.lower()
    if isinstance(v, dc.SyncMethod):
        return v.name.lower().replace("_", "-")
    if isinstance(v, dk.Change.ADDED):
        return {"type": "added", **to_core(v.object)}
    if isinstance(v, dk.Change.CHANGED):
        return {"type": "changed", **to_core(v.object)}
    if isinstance(v, dk.Change.DELETED):
        return {"type": "deleted", "url": v.url}
    if isinstance(v, dk.SyncResult):
        return {"changes": to_core(v.changes), "state": json.loads(v.state_json),
                "method": to_core(v.method), "token_was_reset": v.token_was_reset,
                "problems": to_core(v.problems), "more": v.more}
    if hasattr(v, "__dict__"):
        return {k: to_core(x) for k, x in vars(v).items()}
    raise AssertionError(f"cannot convert {v!r}")


def assert_subset(test, path, expected, actual):
    if isinstance(expected, dict):
        test.assertIsInstance(actual, dict, f"{path}: {actual!r}")
        for k, ev in expected.items():
            assert_subset(test, f"{path}.{k}", ev, actual.get(k))
    elif isinstance(expected, list):
        test.assertIsInstance(actual, list, f"{path}: {actual!r}")
        test.assertEqual(len(expected), len(actual), f"{path}: {actual!r}")
        for i, (ev, av) in enumerate(zip(expected, actual)):
            assert_subset(test, f"{path}[{i}]", ev, av)
    else:
        test.assertEqual(expected, actual, path)


def secrets(case):
    creds = case["config"].get("credentials") or {}
    out = []
    if "basic" in creds:
        out.append(creds["basic"]["password"])
    if "bearer" in creds:
        out.append(creds["bearer"])
    return out


def run_case(test, path):
    case = json.loads(path.read_text(encoding="utf-8"))
    if case["operation"]["op"] in SCHEDULING_OPS:
        test.skipTest("a scheduling operation: replayed by test_schedule.py")
    if case["operation"]["op"] not in SUPPORTED_OPS:
        test.skipTest(f'operation {case["operation"]["op"]} is not exposed by the mobile bindings')
    transport = ReplayTransport(case, path.parent)
    sleeper = RecordingSleeper()
    listed = case["config"].get("token_provider")
    tokens = ListedTokens(listed) if listed is not None else None
    outcome, error = None, None

    async def go():
        client = dk.DavClient(config(case), transport, sleeper=sleeper, token_provider=tokens)
        return await execute(client, case["operation"])

    try:
        outcome = asyncio.run(go())
    except dk.DavError as e:  # every variant subclasses DavError
        error = e
    test.assertEqual([], transport.problems)
    unused = [f'{ex["request"]["method"]} {ex["request"]["url"]}'
              for ex, used in transport.exchanges if not used]
    test.assertEqual([], unused, "exchanges never requested")
    expect = case["expect"]
    if "sleeps_ms" in expect:
        test.assertEqual(expect["sleeps_ms"], sleeper.sleeps, "the delays before retries")
    if "error" in expect:
        test.assertIsNotNone(error, f"expected an error, got {to_core(outcome)!r}")
        actual = {"kind": type(error).__name__, "status": error.status, "url": error.url}
        assert_subset(test, "error", expect["error"], actual)
        shown = f"{error} {error!r} {error.detail}"
        for secret in secrets(case):
            test.assertNotIn(secret, shown, "the error shows a secret")
    else:
        test.assertIsNone(error, f"unexpected error {error!r}")
        if "result" in expect:
            assert_subset(test, "result", expect["result"], to_core(outcome))


class Vectors(unittest.TestCase):
    """One test method per vector file (added below)."""


class PendingState(unittest.TestCase):
    """The sync state as an app keeps it: a member a sync could not deliver stays owed in
    `state_json` and the next sync fetches it; `sync_state_mark_pending` hands one back."""

    COLLECTION = "http://127.0.0.1:5232/alice/work/"

    def replay_sync(self, case, state_json):
        transport = ReplayTransport(case, VECTORS / "sync")

        async def go():
            client = dk.DavClient(config(case), transport)
            return await client.sync(self.COLLECTION, dc.CollectionKind.CALENDAR, state_json)

        result = asyncio.run(go())
        self.assertEqual([], transport.problems)
        self.assertTrue(all(used for _, used in transport.exchanges), "every exchange is requested")
        return result

    def test_pending_survives_state_json_and_the_next_sync(self):
        a, b = self.COLLECTION + "a.ics", self.COLLECTION + "b.ics"
        first = json.loads((VECTORS / "sync/multiget-error-row-is-not-a-deletion.json").read_text())
        r1 = self.replay_sync(first, json.dumps(first["operation"]["state"]))
        self.assertEqual([(a, "Http", 500)], [(p.url, p.kind, p.status) for p in r1.problems])
        self.assertNotIn(a, [c["url"] for c in to_core(r1.changes)])
        self.assertEqual([a], json.loads(r1.state_json)["pending"])

        second = json.loads((VECTORS / "sync/pending-member-fetched-next-time.json").read_text())
        r2 = self.replay_sync(second, r1.state_json)
        self.assertEqual([("changed", a, '"2"')],
                         [(c["type"], c["url"], c["etag"]) for c in to_core(r2.changes)])
        self.assertEqual([], r2.problems)
        state = json.loads(r2.state_json)
        self.assertNotIn("pending", state)
        self.assertEqual({a: '"2"', b: '"2"', self.COLLECTION + "c.ics": '"1"'}, state["etags"])

    def test_mark_pending_then_the_next_sync_fetches_it(self):
        a, b = self.COLLECTION + "a.ics", self.COLLECTION + "b.ics"
        stored = json.dumps({"collection_url": self.COLLECTION, "sync_token": "http://radicale.org/ns/sync/6",
                             "etags": {a: '"2"', b: '"1"'}})
        marked = dk.sync_state_mark_pending(stored, b)
        state = json.loads(marked)
        self.assertEqual([b], state["pending"])
        self.assertEqual({a: '"2"'}, state["etags"])
        self.assertEqual("http://radicale.org/ns/sync/6", state["sync_token"])
        with self.assertRaises(dk.DavError.InvalidInput):
            dk.sync_state_mark_pending("{not json", b)

        # The recorded exchanges of the pending vector, with b.ics in place of a.ics.
        recorded = json.loads((VECTORS / "sync/pending-member-fetched-next-time.json").read_text())
        case = {"config": recorded["config"],
                "exchanges": json.loads(json.dumps(recorded["exchanges"]).replace("a.ics", "b.ics"))}
        r = self.replay_sync(case, marked)
        self.assertEqual([b], [c["url"] for c in to_core(r.changes)])
        self.assertEqual([], r.problems)
        self.assertEqual({a: '"2"', b: '"2"'}, json.loads(r.state_json)["etags"])

    def test_recorded_writes_keep_their_url_in_later_syncs(self):
        # The app's own write, recorded under the URL it returned (`@`), while the server lists
        # the member as `%40`: the sync reports the other device's edit under the app's URL.
        recorded = json.loads((VECTORS / "sync/a-member-keeps-the-spelling-its-state-has.json").read_text())
        coll = recorded["operation"]["state"]["collection_url"]
        mine, gone = coll + "alice@example.com-1.ics", coll + "keep.ics"
        stored = json.dumps({"collection_url": coll, "sync_token": "https://dav.example.com/sync/9",
                             "etags": {coll + "tilde~%281%29.ics": '"t1"', gone: '"k1"'}})
        state = dk.sync_state_record_write(stored, mine, '"a1"')
        self.assertEqual('"a1"', json.loads(state)["etags"][mine])
        state = dk.sync_state_record_delete(state, gone)
        self.assertNotIn(gone, json.loads(state)["etags"])
        with self.assertRaises(dk.DavError.InvalidInput):
            dk.sync_state_record_write("{not json", mine, None)
        # A version read (a flush's already-applied write, a server-wins version): known at its
        # ETag and pending with it as the next sync's check.
        read = json.loads(dk.sync_state_record_read(stored, gone, '"k3"'))
        self.assertEqual(('"k3"', [gone], '"k3"'), (read["etags"][gone], read["pending"], read["listed"][gone]))
        self.assertEqual([gone], json.loads(dk.sync_state_record_read(stored, gone, None))["pending"])
        with self.assertRaises(dk.DavError.InvalidInput):
            dk.sync_state_record_read("{not json", gone, None)

        transport = ReplayTransport(recorded, VECTORS / "sync")

        async def go():
            client = dk.DavClient(config(recorded), transport)
            return await client.sync(coll, dc.CollectionKind.CALENDAR, state)

        r = asyncio.run(go())
        self.assertEqual([], transport.problems)
        self.assertEqual([("changed", mine), ("added", coll + "new%40x.ics"), ("deleted", coll + "tilde~%281%29.ics")],
                         [(c["type"], c["url"]) for c in to_core(r.changes)])
        self.assertEqual('"a2"', json.loads(r.state_json)["etags"][mine])


class InteropState(unittest.TestCase):
    """tests/vectors/interop: the state text Rust wrote is resumed as it is, and the sync writes
    exactly the bytes Rust wrote for it (one format in every language); the same text given for
    another collection is refused, not synced."""

    COLLECTION = PendingState.COLLECTION
    replay_sync = PendingState.replay_sync

    def test_the_core_bytes_in_and_out(self):
        before = (VECTORS / "interop" / "sync-state-before.txt").read_text(encoding="utf-8")
        after = (VECTORS / "interop" / "sync-state-after.txt").read_text(encoding="utf-8")
        case = json.loads((VECTORS / "sync/pending-member-fetched-next-time.json").read_text())
        result = self.replay_sync(case, before)
        self.assertEqual(after, result.state_json)

        transport = ReplayTransport({"exchanges": []}, VECTORS)
        client = dk.DavClient(config(case), transport)
        with self.assertRaises(dk.DavError.InvalidInput):
            asyncio.run(client.sync("http://127.0.0.1:5232/alice/home/", dc.CollectionKind.CALENDAR,
                                    before))
        self.assertEqual([], transport.problems)


# The batch loop of bindings-mobile/README.md, for apps to copy: the one in the batched-sync
# example, replayed here on the vectors (the example's own test runs it on live DAViCal).
sys.path.insert(0, str(REPO / "examples" / "python"))
from sync_batches import sync_batches  # noqa: E402


class Batches(unittest.TestCase):
    """The batched sync as an app runs it: every batch a checkpoint to store, and a loop
    stopped after the first batch resumes from the stored state to the same end (the two
    recorded batch vectors)."""

    COLLECTION = "http://127.0.0.1:5232/alice/work/"

    def vector(self, name):
        return json.loads((VECTORS / "sync" / name).read_text())

    def run_batches(self, exchanges, state_json, stop_after=None, max_members=2):
        case = {"config": self.vector("batch-first-batch-leaves-the-rest-pending.json")["config"],
                "exchanges": exchanges}
        transport = ReplayTransport(case, VECTORS / "sync")

        async def go():
            client = dk.DavClient(config(case), transport)
            seen = []
            async for batch in sync_batches(client, self.COLLECTION, dc.CollectionKind.CALENDAR,
                                            state_json, max_members=max_members):
                seen.append(batch)  # the app applies batch.changes and stores batch.state_json here
                if len(seen) == stop_after:
                    break
            return seen

        seen = asyncio.run(go())
        self.assertEqual([], transport.problems)
        self.assertTrue(all(used for _, used in transport.exchanges), "every exchange is requested")
        return seen

    def test_batches_and_resume_from_a_checkpoint(self):
        a, b, c = (self.COLLECTION + n for n in ("a.ics", "b.ics", "c.ics"))
        first = self.vector("batch-first-batch-leaves-the-rest-pending.json")["exchanges"]
        second = self.vector("batch-resume-from-checkpoint.json")["exchanges"]
        whole = self.run_batches(first + second, None)
        self.assertEqual([([a, b], True, [c]), ([c], False, [])],
                         [([x["url"] for x in to_core(r.changes)], r.more,
                           json.loads(r.state_json).get("pending", [])) for r in whole])

        stopped = self.run_batches(first, None, stop_after=1)
        resumed = self.run_batches(second, stopped[-1].state_json)
        self.assertEqual([[c]], [[x["url"] for x in to_core(r.changes)] for r in resumed])
        self.assertEqual(json.loads(whole[-1].state_json), json.loads(resumed[-1].state_json))

    def test_the_same_members_failing_again_ends_the_loop(self):
        """The shared vector where the members a batch takes fail again and nothing else moves:
        the core answers `more` false, so the loop (which checks only `more`) ends after that
        one batch, every member still owed for the next sync."""
        case = self.vector("batch-same-members-fail-again-ends-batches.json")
        op = case["operation"]
        seen = self.run_batches(case["exchanges"], json.dumps(op["state"]),
                                max_members=op["max_members"])
        self.assertEqual([False], [b.more for b in seen])
        self.assertEqual([], seen[0].changes)
        self.assertEqual([(self.COLLECTION + "a.ics", 500), (self.COLLECTION + "b.ics", 500)],
                         [(p["url"], p["status"]) for p in to_core(seen[0].problems)])
        state = json.loads(seen[0].state_json)
        self.assertEqual(op["state"]["pending"], state["pending"])
        self.assertNotIn("more", state, "the next sync asks the server again")

    def test_a_one_shot_sync_has_no_more(self):
        case = self.vector("multiget-error-row-is-not-a-deletion.json")
        transport = ReplayTransport(case, VECTORS / "sync")

        async def go():
            client = dk.DavClient(config(case), transport)
            return await client.sync(self.COLLECTION, dc.CollectionKind.CALENDAR,
                                     json.dumps(case["operation"]["state"]))

        self.assertFalse(asyncio.run(go()).more)


def _add_tests():
    files = sorted(VECTORS.rglob("*.json"))
    assert len(files) >= 10, f"expected the vector corpus in {VECTORS}"
    for path in files:
        name = "test_" + str(path.relative_to(VECTORS).with_suffix("")).replace("/", "__").replace("-", "_")
        setattr(Vectors, name, lambda self, p=path: run_case(self, p))


_add_tests()

if __name__ == "__main__":
    unittest.main(verbosity=2)
