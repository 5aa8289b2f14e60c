"""Replays the write-queue scripts of tests/queue-vectors/ (format in its README) through the
generated Python bindings: a WriteQueue object, its enqueues, policies, begin_flush, crashes
(the queue read back from the JSON stored by the last begin_flush), resolutions and
split_changes_json, and DavClient.flush over a Python HttpTransport answering the recorded
exchanges strictly in order. Each step's result and the queue it leaves are checked as a
subset of the core's JSON, as the Rust runner (core/tests/queue.rs) does.

Run: python3 -m unittest discover -s bindings-mobile/python -p 'test_queue.py' -v
(DAVKIT_PY_BINDINGS as for test_vectors.py).
"""

import asyncio
import json
import unittest

import test_vectors as tv
from test_vectors import REPO, Mismatch, ReplayTransport, dc, dk

QUEUE_VECTORS = REPO / "tests" / "queue-vectors"


class InOrder(ReplayTransport):
    """Answers the recorded exchanges strictly in order (tests/queue-vectors/README.md)."""

    async def send(self, request):
        self.requests += 1
        method, url = request.method(), request.url()
        body = (request.body() or b"").decode("utf-8", "replace")
        nxt = next((e for e in self.exchanges if not e[1]), None)
        want = nxt[0]["request"] if nxt else None
        if want is None or want["method"] != method or want["url"] != url:
            expected = f"{want['method']} {want['url']}" if want else "nothing more"
            problem = f"request {method} {url}, expected {expected}"
            self.problems.append(problem)
            raise Mismatch(problem)
        for part in want.get("body_contains", []):
            if part not in body:
                self.problems.append(f"{method} {url}: body lacks {part!r}")
        nxt[1] = True
        self.check_headers(want, request)
        return self.reply(nxt[0]["response"])


def subset(test, path, expected, actual):
    """`expected` is in `actual`: objects by key, arrays item by item (equal lengths)."""
    if isinstance(expected, dict):
        test.assertIsInstance(actual, dict, path)
        for k, v in expected.items():
            subset(test, f"{path}.{k}", v, actual.get(k))
    elif isinstance(expected, list):
        test.assertIsInstance(actual, list, path)
        test.assertEqual(len(expected), len(actual), f"{path}: item count in {actual}")
        for i, (e, a) in enumerate(zip(expected, actual)):
            subset(test, f"{path}[{i}]", e, a)
    else:
        test.assertEqual(expected, actual, path)


class State:
    def __init__(self, case):
        self.queue = dk.WriteQueue(case.get("policy"))
        self.stored = None


def typed_change(c):
    """The core's `Change` JSON as the `Change` record a sync returns."""
    if c["type"] == "deleted":
        return dk.Change.DELETED(url=c["url"])
    obj = dc.DavObject(url=c["url"], etag=c.get("etag"), data=c.get("data"), json=c.get("json"))
    return dk.Change.ADDED(object=obj) if c["type"] == "added" else dk.Change.CHANGED(object=obj)


def change_json(c):
    """A `Change` record as the core's JSON."""
    if c.is_DELETED():
        return {"type": "deleted", "url": c.url}
    o = c.object
    out = {"type": "added" if c.is_ADDED() else "changed", "url": o.url, "etag": o.etag,
           "data": o.data}
    if o.json is not None:
        out["json"] = o.json
    return out


async def run_step(case, case_dir, st, state):
    """One step; its result as the core's JSON (None for steps without one)."""
    q, op = state.queue, st["op"]
    if op == "enqueue_create":
        return {"id": q.enqueue_create(st["collection_url"], st["name"], st["data"])}
    if op == "enqueue_update":
        return {"id": q.enqueue_update(st["url"], st["data"], st.get("base_etag") or "",
                                       st.get("base_data"))}
    if op == "enqueue_delete":
        return {"id": q.enqueue_delete(st["url"], st.get("base_etag") or "", st.get("base_data"))}
    if op == "set_policy":
        return q.set_policy(st["policy"])
    if op == "set_entry_policy":
        return q.set_entry_policy(st["id"], st.get("policy"))
    if op == "begin_flush":
        state.stored = q.begin_flush()
        return None
    if op == "crash":
        state.queue = dk.WriteQueue.from_json(state.stored)
        return None
    if op == "resolve":
        r = st["resolution"]
        return q.resolve(st["id"], r["type"], r.get("data"))
    if op == "split_changes":
        # Typed, as an app passes `SyncResult.changes`; the JSON form is checked against it.
        twin = dk.WriteQueue.from_json(q.to_json())
        split = q.split_changes([typed_change(c) for c in st["changes"]])
        result = {"apply": [change_json(c) for c in split.apply],
                  "held": [{"entry": h.entry, "change": change_json(h.change)} for h in split.held]}
        assert result == json.loads(twin.split_changes_json(json.dumps(st["changes"]))), result
        return result
    if op == "flush":
        transport = InOrder({"exchanges": st.get("exchanges", [])}, case_dir)
        client = dk.DavClient(tv.config(case), transport)
        try:
            result = json.loads(await client.flush(q))
        finally:
            state.problems = transport.problems
            state.unused = [f"{e['request']['method']} {e['request']['url']}"
                            for e, used in transport.exchanges if not used]
        return result
    raise AssertionError(f"unknown step {op}")


class QueueVectorsTest(unittest.TestCase):
    def test_queue_vectors(self):
        files = sorted(QUEUE_VECTORS.glob("*.json"))
        self.assertGreaterEqual(len(files), 10, f"queue vectors in {QUEUE_VECTORS}")
        for f in files:
            with self.subTest(vector=f.name):
                self.run_case(f)

    def run_case(self, path):
        case = json.loads(path.read_text())
        state = State(case)
        for i, st in enumerate(case["steps"]):
            label = f"{path.name} step {i} ({st['op']})"
            state.problems, state.unused = [], []
            expect = st.get("expect") or {}
            try:
                result, error = asyncio.run(run_step(case, path.parent, st, state)), None
            except dk.DavError as e:
                result, error = None, e
            self.assertEqual([], state.problems, label)
            self.assertEqual([], state.unused, f"{label}: never requested")
            if "error" in expect:
                self.assertIsNotNone(error, f"{label}: expected an error, got {result}")
                self.assertEqual(expect["error"]["kind"], type(error).__name__, label)
            else:
                self.assertIsNone(error, f"{label}: unexpected error {error!r}")
                if "result" in expect:
                    subset(self, label, expect["result"], result)
            if "queue" in expect:
                subset(self, f"{label} queue", expect["queue"], json.loads(state.queue.to_json()))


class QueueApiTest(unittest.TestCase):
    def test_policies_by_name_and_typed_errors(self):
        q = dk.WriteQueue()
        self.assertEqual("keep-both", q.policy())
        q.set_policy("newest-wins")
        self.assertEqual("newest-wins", q.policy())
        with self.assertRaises(dk.DavError.InvalidInput):
            q.set_policy("first-wins")
        with self.assertRaises(dk.DavError.InvalidInput):
            dk.WriteQueue("nobody-wins")
        with self.assertRaises(dk.DavError.InvalidInput):
            dk.WriteQueue.from_json("{\"format\": 99}")
        with self.assertRaises(dk.DavError.InvalidInput):
            q.resolve(1, "keep-local", None)  # no such entry
        with self.assertRaises(dk.DavError.InvalidInput):
            q.resolve(1, "replace", None)  # replace needs data

    def test_json_round_trip_and_coalescing(self):
        q = dk.WriteQueue("merge")
        url = "https://dav.example/cal/a.ics"
        one = q.enqueue_update(url, "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "\"e1\"")
        two = q.enqueue_delete(url.replace("a.ics", "%61.ics"), "\"e2\"")
        self.assertEqual(one, two)  # one object, one entry: update + delete = delete
        self.assertEqual(1, q.len())
        self.assertEqual(one, q.entry_for(url))
        back = dk.WriteQueue.from_json(q.to_json())
        entries = json.loads(back.entries_json())
        self.assertEqual("delete", entries[0]["op"]["type"])
        self.assertEqual("\"e1\"", entries[0]["base_etag"])
        self.assertEqual("merge", back.policy())


if __name__ == "__main__":
    unittest.main()
