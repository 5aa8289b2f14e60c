"""Runs tests/editing/scenarios.json (the shared content-API scenarios, read in place) through
the generated Python bindings: EventEditor (fields, attendees, one occurrence overridden or
cancelled, a series split), ContactEditor (fields, vCard 3.0 <-> 4.0), Pkce and OAuthClient.
The rules are in tests/editing/README.md; Kotlin runs the same file (EditingTest.kt)."""

import asyncio
import enum
import json
import os
import sys
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE.parent.parent / "tests" / "editing" / "scenarios.json"
sys.path.insert(0, os.environ.get("DAVKIT_PY_BINDINGS", str(HERE.parent / "build" / "python")))

import davkit_mobile as dk  # noqa: E402  (generated)
import davkit_core as dc  # noqa: E402  (generated: the core's records and enums)
import davkit_formats as df  # noqa: E402  (generated: the formats' records and enums)
from test_vectors import ReplayTransport, config  # noqa: E402  (the vector runner's replay)

DOC = json.loads(SCENARIOS.read_text(encoding="utf-8"))


def check_interop(test, scenario, written, reparse):
    """The scenario's `interop` file (written by Rust): the same bytes, and read back and
    written again unchanged."""
    if "interop" not in scenario:
        return
    stored = (SCENARIOS.parent / scenario["interop"]).read_bytes().decode("utf-8")
    test.assertEqual(stored, written, scenario["interop"])
    test.assertEqual(stored, reparse(stored), scenario["interop"] + " read and written again")


def plain(v):
    """A binding value in the core's JSON shape (snake_case keys, lower-case enum names)."""
    if v is None or isinstance(v, (str, int, bool)):
        return v
    if isinstance(v, enum.Enum):
        return v.name.lower()
    if isinstance(v, list):
        return [plain(x) for x in v]
    return {k: plain(x) for k, x in vars(v).items()}


from test_vectors import assert_subset  # noqa: E402  (the vector runner's subset comparison)


def target(t):
    return dk.EventTarget(uid=t["uid"], recurrence_id=t.get("recurrence_id"), tzid=t.get("tzid"))


def event_time(t):
    return dk.EventTime(value=t["value"], tzid=t.get("tzid"))


def event_step(editor, step):
    op, t = step["op"], target(step["target"])
    if op in ("set_summary", "set_location", "set_description", "set_status"):
        return getattr(editor, op)(t, step["value"])
    if op == "set_start":
        return editor.set_start(t, event_time(step["time"]))
    if op == "set_end":
        return editor.set_end(t, event_time(step["time"]) if step.get("time") else None)
    if op == "add_attendee":
        return editor.add_attendee(t, step["email"], step.get("common_name"), step.get("partstat"))
    if op == "remove_attendee":
        return editor.remove_attendee(t, step["address"])
    if op == "set_partstat":
        return editor.set_partstat(t, step["email"], step["partstat"])
    if op == "cancel_occurrence":
        return editor.cancel_occurrence(t)
    if op == "alarms":
        return plain(editor.alarms(t))
    if op == "add_alarm":
        return editor.add_alarm(t, df.AlarmAction[step["action"].upper()], step["trigger"],
                                step.get("related_to_end", False), step.get("description"))
    if op == "remove_alarms":
        return editor.remove_alarms(t)
    if op == "split_series":
        return editor.split_series(t, step["new_uid"])
    raise AssertionError(f"unknown event op {op}")


def typed(v):
    return df.TypedValue(value=v["value"], types=v.get("types", []), pref=v.get("pref"))


def contact_step(editor, step):
    op = step["op"]
    if op in ("set_full_name", "set_note", "set_title", "set_org", "set_categories", "set_birthday"):
        return getattr(editor, op)(step["value"])
    if op == "set_name":
        return editor.set_name(df.StructuredName(**step["value"]))
    if op in ("add_email", "add_tel", "add_url"):
        return getattr(editor, op)(typed(step["value"]))
    if op == "remove_all":
        return editor.remove_all(step["name"])
    raise AssertionError(f"unknown contact op {op}")


class Events(unittest.TestCase):
    """One test per `events[]` scenario (added below)."""

    def check(self, path, editor, expect):
        text = editor.to_ics()
        if "events" in expect:
            assert_subset(self, f"{path}.events", expect["events"], plain(editor.events()))
        for s in expect.get("contains", []):
            self.assertIn(s, text, path)
        for s in expect.get("not_contains", []):
            self.assertNotIn(s, text, path)

    def run_scenario(self, scenario):
        editor = dk.EventEditor.parse(scenario["ics"])
        split = None
        for i, step in enumerate(scenario["steps"]):
            on = split if step.get("on") == "split" else editor
            if "error" in step:
                before = on.to_ics()
                with self.assertRaises(dk.DavError) as cm:
                    event_step(on, step)
                self.assertEqual(step["error"], cm.exception.kind(), f"step {i}")
                self.assertEqual(before, on.to_ics(), f"step {i}: a refused edit changes nothing")
                continue
            out = event_step(on, step)
            if step["op"] == "split_series":
                split = out
            elif "expect" in step:
                self.assertEqual(step["expect"], out, f"step {i}")
        self.check(scenario["name"], editor, scenario["expect"])
        check_interop(self, scenario, editor.to_ics(), lambda t: dk.EventEditor.parse(t).to_ics())
        if "split" in scenario["expect"]:
            self.assertIsNotNone(split, "the scenario splits the series")
            self.check(scenario["name"] + ".split", split, scenario["expect"]["split"])


class Contacts(unittest.TestCase):
    """One test per `contacts[]` scenario (added below)."""

    def run_scenario(self, scenario):
        editor = dk.ContactEditor.parse(scenario["vcf"])
        for i, step in enumerate(scenario["steps"]):
            out = contact_step(editor, step)
            if "expect" in step:
                self.assertEqual(step["expect"], out, f"step {i}")
        check_interop(self, scenario, editor.to_vcf(), lambda t: dk.ContactEditor.parse(t).to_vcf())
        expect = scenario["expect"]
        if "summary" in expect:
            assert_subset(self, "summary", expect["summary"], plain(editor.summary()))
        for s in expect.get("contains", []):
            self.assertIn(s, editor.to_vcf())
        for version, key in ((df.VCardVersion.V3, "v3"), (df.VCardVersion.V4, "v4")):
            if key not in expect:
                continue
            text = editor.to_version(version)
            self.assertEqual(text, dk.convert_contact(editor.to_vcf(), version))
            for s in expect[key].get("contains", []):
                self.assertIn(s, text, key)
            if "summary" in expect[key]:
                assert_subset(self, f"{key}.summary", expect[key]["summary"],
                              plain(dk.parse_contact(text)))


class WriteBack(unittest.TestCase):
    """Each `write_back[]` scenario (added below): edit an object read from the server, save it
    with the ETag it was read with."""

    def run_scenario(self, scenario):
        o = scenario["object"]
        obj = dc.DavObject(url=o["url"], etag=o.get("etag"), data=o["data"])
        event = scenario["kind"] == "event"
        editor = dk.EventEditor.from_object(obj) if event else dk.ContactEditor.from_object(obj)
        for step in scenario["steps"]:
            (event_step if event else contact_step)(editor, step)
        for i, save in enumerate(scenario["saves"]):
            case = {"config": scenario["config"], "exchanges": [save["exchange"]] if "exchange" in save else []}
            transport = ReplayTransport(case, SCENARIOS.parent)
            client = dk.DavClient(config(case), transport)
            call = client.save_event(editor) if event else client.save_contact(editor)
            expect = save["expect"]
            if "error" in expect:
                with self.assertRaises(dk.DavError) as cm:
                    asyncio.run(call)
                self.assertEqual(expect["error"], cm.exception.kind(), f"save {i}")
            else:
                assert_subset(self, f"save {i}", expect["result"], plain(asyncio.run(call)))
            self.assertEqual([], transport.problems, f"save {i}")
            self.assertTrue(all(used for _, used in transport.exchanges), f"save {i}: exchange unused")


class Replay(dk.HttpTransport):
    """Checks the one token request it expects and answers it."""

    def __init__(self, want, url):
        self.want, self.url, self.seen = want, url, 0

    async def send(self, request):
        self.seen += 1
        body = (request.body() or b"").decode()
        if request.method() != self.want.get("method", "POST") or request.url() != self.url:
            raise AssertionError(f"unexpected {request.method()} {request.url()}")
        for part in self.want["body_contains"]:
            if part not in body:
                raise AssertionError(f"{part!r} not in the request body")
        r = self.want["response"]
        return dk.HttpResponse(status=r["status"],
                               headers=[dk.HttpHeader(name="Content-Type", value="application/json")],
                               body=r["body"].encode(), final_url=None)


class OAuth(unittest.TestCase):
    def test_pkce(self):
        for case in DOC["pkce"]:
            with self.subTest(case["source"]):
                if "error" in case:
                    with self.assertRaises(dk.DavError) as cm:
                        dk.Pkce.from_verifier(case["verifier"])
                    self.assertEqual(case["error"], cm.exception.kind())
                    continue
                if "random_bytes_hex" in case:
                    pkce = dk.Pkce.from_random_bytes(bytes.fromhex(case["random_bytes_hex"]))
                else:
                    pkce = dk.Pkce.from_verifier(case["verifier"])
                self.assertEqual(case["verifier"], pkce.verifier())
                if "challenge" in case:
                    self.assertEqual(case["challenge"], pkce.challenge())
                self.assertNotIn(case["verifier"], f"{pkce} {pkce!r}")

    def test_code_flow(self):
        for case in DOC["oauth"]:
            with self.subTest(case["source"]):
                self.run_flow(case)

    def run_flow(self, case):
        c = case["client"]
        client = (dk.OAuthClient.google(c["client_id"], c["redirect_uri"]) if c.get("google") else
                  dk.OAuthClient(c["client_id"], c["redirect_uri"], c["auth_url"], c["token_url"],
                                 c.get("client_secret")))
        pkce = dk.Pkce.from_verifier(case["verifier"])
        url = client.authorization_url(case["scopes"], pkce, case["state"])
        self.assertTrue(url.startswith(case["authorization_url_starts_with"]), url)
        for part in case["authorization_url_contains"]:
            self.assertIn(part, url)

        ex = case["exchange"]
        shown = [client, pkce]
        request = client.exchange_code_request(case["code"], pkce)
        self.assertEqual(ex["url"], request.url())
        shown.append(request)
        transport = Replay(ex, ex["url"])
        tokens = asyncio.run(client.exchange_code(transport, case["code"], pkce))
        self.assertEqual(1, transport.seen)
        self.assertEqual(ex["expect"]["access_token"], tokens.access_token())
        self.assertEqual(ex["expect"]["refresh_token"], tokens.refresh_token())
        self.assertEqual(ex["expect"]["expires_in"], tokens.expires_in())
        shown.append(tokens)

        rf = case["refresh"]
        transport = Replay(rf, ex["url"])
        with self.assertRaises(dk.DavError) as cm:
            asyncio.run(client.refresh(transport, rf["refresh_token"]))
        self.assertEqual(rf["error"], cm.exception.kind())
        shown += [cm.exception, client.refresh_request(rf["refresh_token"])]

        # The refreshing TokenProvider asks the token endpoint through the same transport.
        provider = client.token_provider(Replay(rf, ex["url"]), rf["refresh_token"])
        with self.assertRaises(dk.DavError) as cm:
            asyncio.run(provider.token(False))
        self.assertEqual(rf["error"], cm.exception.kind())
        fresh = client.token_provider(Replay(rf, ex["url"]), rf["refresh_token"], "ya29.at-hand")
        self.assertEqual("ya29.at-hand", asyncio.run(fresh.token(False)))
        shown += [provider, fresh]  # the token providers print no token either

        for value in shown:
            for text in (str(value), repr(value)):
                for secret in case["secrets"] + ["ya29.at-hand"]:
                    self.assertNotIn(secret, text)


def _add_tests():
    for cls, key in ((Events, "events"), (Contacts, "contacts"), (WriteBack, "write_back")):
        assert DOC[key], f"no {key} scenarios in {SCENARIOS}"
        for scenario in DOC[key]:
            name = "test_" + scenario["name"].replace("-", "_")
            setattr(cls, name, lambda self, s=scenario: self.run_scenario(s))


_add_tests()

if __name__ == "__main__":
    unittest.main(verbosity=2)
