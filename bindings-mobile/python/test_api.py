"""The Python bindings beyond the vectors: errors thrown by the app's transport (typed, never a
panic), a transport that times out, a cancelled call, the sync-state check, and the parsed
iCalendar/vCard helpers."""

import asyncio
import base64
import datetime
import hashlib
import os
import re
import sys
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, os.environ.get("DAVKIT_PY_BINDINGS", str(HERE.parent / "build" / "python")))

import davkit_mobile as dk  # noqa: E402
import davkit_core as dc  # noqa: E402  (generated: the core's records and enums)
import davkit_formats as df  # noqa: E402  (generated: the formats' records and enums)

CONFIG = dk.DavConfig(server_url="https://dav.example.com/",
                      credentials=dk.Credentials.basic(username="alice", password="pw-secret"))


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
                                        url=None, retry_after_seconds=None, body_excerpt=None)
        raise AssertionError("not reached")


class Answering(dk.HttpTransport):
    def __init__(self, response):
        self.response = response

    async def send(self, request):
        return self.response


class Hanging(dk.HttpTransport):
    async def send(self, request):
        await asyncio.sleep(30)


def run(coro):
    return asyncio.run(coro)


class TransportErrors(unittest.TestCase):
    def test_typed_transport_error_passes_through(self):
        t = Throwing(dk.DavError.Transport(detail="offline", status=None, url=None,
                                           retry_after_seconds=None,
                                           body_excerpt=" captive portal \n"))
        with self.assertRaises(dk.DavError.Transport) as cm:
            run(dk.DavClient(CONFIG, t).get_object("https://dav.example.com/a.ics"))
        self.assertIn("offline", cm.exception.detail)
        self.assertEqual("https://dav.example.com/a.ics", cm.exception.url)
        # Through the core's excerpt: trimmed as a response body is.
        self.assertEqual("captive portal", cm.exception.body_excerpt)

    def test_server_refusal_carries_the_excerpt_of_its_body(self):
        body = '<d:error xmlns:d="DAV:"><d:need-privileges/></d:error>\n' + "x" * 400
        t = Answering(dk.HttpResponse(status=403, headers=[], body=body.encode(), final_url=None))
        with self.assertRaises(dk.DavError.Forbidden) as cm:
            run(dk.DavClient(CONFIG, t).get_object("https://dav.example.com/a.ics"))
        e = cm.exception
        self.assertEqual(403, e.status)
        self.assertTrue(e.body_excerpt.startswith('<d:error xmlns:d="DAV:"><d:need-privileges/>'),
                        e.body_excerpt)
        self.assertTrue(e.body_excerpt.endswith("…") and len(e.body_excerpt) < len(body),
                        e.body_excerpt)
        self.assertEqual(e.body_excerpt, e.error_body_excerpt())
        self.assertNotIn("pw-secret", repr(e))

    def test_unexpected_exception_is_transport(self):
        t = Throwing(ConnectionResetError("peer reset"))
        with self.assertRaises(dk.DavError.Transport) as cm:
            run(dk.DavClient(CONFIG, t).discover(dc.Service.BOTH))
        self.assertIn("peer reset", cm.exception.detail)
        self.assertNotIn("pw-secret", str(cm.exception))

    def test_other_kind_from_transport_is_kept(self):
        t = Throwing(dk.DavError.Unauthorized(detail="token refresh failed", status=None, url=None,
                                              retry_after_seconds=None, body_excerpt=None))
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
            run(client.sync("https://dav.example.com/cal/", dc.CollectionKind.CALENDAR, "{not json"))


class Inputs(unittest.TestCase):
    def test_bad_config(self):
        with self.assertRaises(dk.DavError.InvalidInput):
            dk.DavClient(dk.DavConfig(server_url="not a url", credentials=dk.Credentials.none()),
                         Hanging())
        with self.assertRaises(dk.DavError.InvalidInput):
            dk.DavClient(dk.DavConfig(server_url="https://x/", credentials=dk.Credentials.none(),
                                      profile="nope"), Hanging())

    def test_state_of_another_collection(self):
        state = '{"collection_url":"https://dav.example.com/other/"}'
        with self.assertRaises(dk.DavError.InvalidInput):
            run(dk.DavClient(CONFIG, Hanging()).sync("https://dav.example.com/cal/",
                                                     dc.CollectionKind.CALENDAR, state))


SECRET = "pw-secret-4711"


class Printing(unittest.TestCase):
    """Records and changes print their fields (uniffi's Python classes alone printed `DavObject()`)."""

    def test_records_and_changes_show_their_fields(self):
        obj = dc.DavObject(url="https://h/cal/a.ics", etag='"7"', data="BEGIN:VCALENDAR", json=None)
        for shown in (repr(obj), repr(dk.Change.ADDED(object=obj)), repr([obj])):
            self.assertIn("https://h/cal/a.ics", shown)
            self.assertIn("7", shown)
        self.assertIn("gone.ics", repr(dk.Change.DELETED(url="https://h/cal/gone.ics")))
        written = dc.WriteResult(url="https://h/cal/b.ics", etag=None, data=None, replaced=True)
        self.assertIn("replaced: true", repr(written))


class Capture(dk.HttpTransport):
    """Keeps each request and answers 401 with a cookie and the secret in the body."""

    def __init__(self):
        self.requests = []
        self.responses = []

    async def send(self, request):
        self.requests.append(request)
        response = dk.HttpResponse(status=401, headers=[
            dk.HttpHeader(name="Set-Cookie", value=f"session={SECRET}"),
            dk.HttpHeader(name="WWW-Authenticate", value='Basic realm="dav"')],
            body=SECRET.encode(), final_url=None)
        self.responses.append(response)
        return response


class Secrets(unittest.TestCase):
    """Nothing that carries a secret prints it (str and repr): the credentials, the
    configuration, a request with an Authorization header, its headers, a response with a
    cookie, and errors; the transport still reads the header it must send."""

    def assert_hidden(self, *values):
        basic = base64.b64encode(f"alice:{SECRET}".encode()).decode()
        for v in values:
            for shown in (str(v), repr(v)):
                self.assertNotIn(SECRET, shown)
                self.assertNotIn(basic, shown)

    def test_credentials_and_config(self):
        creds = dk.Credentials.basic(username="alice", password=SECRET)
        digest = dk.Credentials.digest(username="alice", password=SECRET)
        bearer = dk.Credentials.bearer(token=SECRET)
        config = dk.DavConfig(server_url="https://dav.example.com/", credentials=creds)
        digest_config = dk.DavConfig(server_url="https://dav.example.com/", credentials=digest)
        self.assert_hidden(creds, digest, bearer, config, digest_config)
        self.assertIn("alice", str(creds))
        self.assertIn("alice", str(digest))
        self.assertIn("dav.example.com", str(config))
        self.assertEqual("Basic", creds.scheme())
        self.assertEqual("Digest", digest.scheme())
        self.assertEqual("Bearer", bearer.scheme())
        self.assertNotEqual(dk.Credentials.basic(username="alice", password=SECRET), digest)
        self.assertEqual(dk.Credentials.basic(username="alice", password=SECRET), creds)
        channel = dk.GcalChannel(id="ch-1", resource_id="r", resource_uri=None, token=SECRET,
                                 expiration_ms=None)
        watch = dk.GcalWatchRequest(channel_id="ch-1", address="https://app.example.com/hook",
                                    token=SECRET)
        self.assert_hidden(channel, watch)
        self.assertEqual(SECRET, channel.token)  # still the app's to store and compare
        # A confidential OAuth client: its client secret is not printed either.
        oauth = dk.OAuthClient("app-id", "https://app.example.com/cb",
                               "https://auth.example.com/authorize",
                               "https://auth.example.com/token", SECRET)
        self.assert_hidden(oauth, oauth.exchange_code_request("code-1",
                                                              dk.Pkce.from_verifier("v" * 43)))
        self.assertIn("app-id", str(oauth))

    def test_request_response_and_error(self):
        config = dk.DavConfig(server_url="https://dav.example.com/",
                              credentials=dk.Credentials.basic(username="alice", password=SECRET))
        t = Capture()
        with self.assertRaises(dk.DavError.Unauthorized) as cm:
            run(dk.DavClient(config, t).get_object("https://dav.example.com/cal/a.ics"))
        request = t.requests[0]
        basic = base64.b64encode(f"alice:{SECRET}".encode()).decode()
        self.assertEqual(f"Basic {basic}", request.header("authorization"))
        self.assertIn(("Authorization", f"Basic {basic}"),
                      [(h.name, h.value) for h in request.headers()])
        self.assert_hidden(request, request.headers(), request.headers()[0], t.responses[0],
                           cm.exception)
        # The server echoed the password in its body: the excerpt shows it redacted.
        self.assertEqual("<redacted>", cm.exception.body_excerpt)
        # The core's rule for what a transport may send again.
        self.assertEqual(("GET", True), (request.method(), request.is_safe()))
        put = dk.HttpRequest("PUT", "https://dav.example.com/cal/a.ics", [], b"x")
        self.assertFalse(put.is_safe())
        self.assertIn("https://dav.example.com/cal/a.ics", str(request))
        self.assertIn("401", str(t.responses[0]))

    def test_credentials_in_the_url_are_refused_without_showing_them(self):
        config = dk.DavConfig(server_url=f"https://alice:{SECRET}@dav.example.com/",
                              credentials=dk.Credentials.none())
        with self.assertRaises(dk.DavError.InvalidInput) as cm:
            dk.DavClient(config, Hanging())
        self.assert_hidden(config, cm.exception, cm.exception.detail)

    def test_a_token_endpoint_that_is_not_https_gets_nothing(self):
        # The core's rule (oauth::send_token_request): a refresh token or a code, and the
        # client secret, go only to https (or http on a loopback host).
        oauth = dk.OAuthClient("app-id", "https://app.example.com/cb",
                               "https://auth.example.com/authorize",
                               "http://auth.example.com/token", SECRET)
        t = Capture()
        with self.assertRaises(dk.DavError.InvalidInput) as cm:
            run(oauth.refresh(t, SECRET))
        self.assertEqual([], t.requests)
        self.assert_hidden(cm.exception, cm.exception.detail)

    def test_a_request_built_by_hand(self):
        r = dk.HttpRequest("PUT", "https://dav.example.com/a.ics",
                           [dk.HttpHeader(name="authorization", value=f"Bearer {SECRET}")], b"x")
        self.assertEqual(("PUT", b"x"), (r.method(), r.body()))
        self.assert_hidden(r)
        with self.assertRaises(dk.DavError.InvalidInput):
            dk.HttpRequest("BREW", "https://dav.example.com/", [], None)


ICS = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VEVENT\r\n"
       "UID:standup@example.com\r\nDTSTAMP:20250101T000000Z\r\n"
       "DTSTART;TZID=Europe/Berlin:20250303T093000\r\nDURATION:PT15M\r\nSUMMARY:Stand-up\r\n"
       "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=13\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
VCF = ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann Example\r\nN:Example;Ann;;;\r\n"
       "TEL;TYPE=CELL,PREF:+1 555 0100\r\nBDAY:--04-15\r\nEND:VCARD\r\n")


DIGEST_ICS = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:d1\r\n"
       "DTSTAMP:20260101T000000Z\r\nDTSTART:20260102T100000Z\r\nSUMMARY:Digest\r\n"
       "END:VEVENT\r\nEND:VCALENDAR\r\n")


def digest_params(value):
    """The parameters of a Digest header, quoted or not."""
    return {k: q or t for k, q, t in re.findall(r'(\w+)=(?:"([^"]*)"|([^\s,]+))', value)}


class DigestServer(dk.HttpTransport):
    """A server that speaks only HTTP Digest (RFC 7616, SHA-256, qop=auth), as Baikal does:
    401 with a challenge unless the request carries the right answer for `password`."""

    REALM, NONCE, OPAQUE = "SabreDAV", "5f1ac0ffee01", "op4"

    def __init__(self, password):
        self.password = password
        self.requests, self.responses, self.checked = [], [], []

    async def send(self, request):
        self.requests.append(request)
        auth = request.header("authorization") or ""
        if auth.startswith("Digest ") and self.answer_ok(request, digest_params(auth[7:])):
            response = dk.HttpResponse(status=200, headers=[
                dk.HttpHeader(name="ETag", value='"e1"'),
                dk.HttpHeader(name="Content-Type", value="text/calendar")],
                body=DIGEST_ICS.encode(), final_url=None)
        else:
            response = dk.HttpResponse(status=401, headers=[dk.HttpHeader(
                name="WWW-Authenticate",
                value=f'Digest realm="{self.REALM}", qop="auth", algorithm=SHA-256, '
                      f'nonce="{self.NONCE}", opaque="{self.OPAQUE}"')],
                body=b"", final_url=None)
        self.responses.append(response)
        return response

    def answer_ok(self, request, p):
        def h(text):
            return hashlib.sha256(text.encode()).hexdigest()
        path = "/" + request.url().split("://", 1)[1].split("/", 1)[1]
        ha1 = h(f"alice:{self.REALM}:{self.password}")
        ha2 = h(f"{request.method()}:{path}")
        want = h(f"{ha1}:{self.NONCE}:{p.get('nc')}:{p.get('cnonce')}:auth:{ha2}")
        ok = (p.get("username"), p.get("realm"), p.get("nonce"), p.get("uri"), p.get("qop"),
              p.get("algorithm"), p.get("opaque"), p.get("response")) == (
            "alice", self.REALM, self.NONCE, path, "auth", "SHA-256", self.OPAQUE, want)
        self.checked.append(ok)
        return ok


class Digest(unittest.TestCase):
    """Credentials.digest: the core answers the server's challenge (checked by a fake server
    that computes the RFC 7616 answer itself), and nothing shows the password."""

    URL = "https://dav.example.com/cal/a.ics"

    def client(self, password):
        creds = dk.Credentials.digest(username="alice", password=password)
        return dk.DavConfig(server_url="https://dav.example.com/", credentials=creds)

    def test_the_challenge_is_answered(self):
        server = DigestServer(SECRET)
        config = self.client(SECRET)
        got = run(dk.DavClient(config, server).get_object(self.URL))
        self.assertEqual(('"e1"', DIGEST_ICS), (got.etag, got.data))
        self.assertEqual(True, server.checked[-1])
        self.assertEqual(401, server.responses[0].status)
        answered = server.requests[-1]
        self.assertTrue(answered.header("authorization").startswith('Digest username="alice"'))
        Secrets.assert_hidden(self, config, *server.requests, *server.responses,
                              *(r.headers() for r in server.requests))
        for r in server.requests:
            self.assertNotIn(SECRET, r.header("authorization") or "")

    def test_a_wrong_password_is_unauthorized(self):
        server = DigestServer(SECRET)
        wrong = "wrong-pw-0815"
        config = self.client(wrong)
        with self.assertRaises(dk.DavError.Unauthorized) as cm:
            run(dk.DavClient(config, server).get_object(self.URL))
        self.assertIn(False, server.checked)
        self.assertNotIn(True, server.checked)
        for v in (cm.exception, config, *server.requests):
            for shown in (str(v), repr(v)):
                self.assertNotIn(wrong, shown)


class Content(unittest.TestCase):
    def test_parse_events(self):
        [e] = dk.parse_events(ICS)
        self.assertEqual("Stand-up", e.summary)
        self.assertEqual("Europe/Berlin", e.start.tzid)
        self.assertEqual(df.TimeKind.ZONED, e.start.kind)
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
        self.assertEqual(df.VCardVersion.V3, c.version)
        self.assertEqual("--04-15", c.birthday)
        self.assertEqual(1, c.tels[0].pref)
        v4 = dk.convert_contact(VCF, df.VCardVersion.V4)
        self.assertIn("BDAY:--0415\r\n", v4)
        self.assertEqual(2, len(dk.parse_contacts(VCF + VCF)))
        with self.assertRaises(dk.DavError.VCard):
            dk.parse_contact("hello")

    def test_a_vcard_2_1_export_with_quoted_printable_values(self):
        # the shared file every binding reads (tests/vectors/interop/README.md)
        interop = HERE.parent.parent / "tests" / "vectors" / "interop"
        v21 = (interop / "quoted-printable-2.1.vcf").read_text(encoding="utf-8")
        c = dk.parse_contact(v21)
        self.assertEqual(df.VCardVersion.V2_1, c.version)
        self.assertEqual("Jürgen Müller", c.full_name)
        self.assertEqual("first line\nsecond line continues = equals", c.note)
        expected = (interop / "quoted-printable-2.1-as-4.0.vcf").read_bytes().decode("utf-8")
        self.assertEqual(expected, dk.convert_contact(v21, df.VCardVersion.V4))


if __name__ == "__main__":
    unittest.main(verbosity=2)
