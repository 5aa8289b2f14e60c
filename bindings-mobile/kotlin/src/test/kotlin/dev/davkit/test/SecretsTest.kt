package dev.davkit.test

import dev.davkit.Credentials
import dev.davkit.DavClient
import dev.davkit.DavConfig
import dev.davkit.DavException
import dev.davkit.GcalChannel
import dev.davkit.GcalWatchRequest
import dev.davkit.HttpHeader
import dev.davkit.HttpRequest
import dev.davkit.HttpResponse
import dev.davkit.HttpTransport
import dev.davkit.OAuthClient
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.security.MessageDigest
import java.util.Base64

/** Nothing that carries a secret prints it: toString() of the credentials, the configuration,
 *  a request with an Authorization header (and its headers), a response with a cookie, and
 *  errors; the transport still reads the header it must send. */
class SecretsTest {
    private val secret = "pw-secret-4711"
    private val basic = Base64.getEncoder().encodeToString("alice:$secret".toByteArray())

    private fun assertHidden(vararg values: Any) {
        for (v in values) {
            val shown = v.toString()
            assertFalse(shown.contains(secret), shown)
            assertFalse(shown.contains(basic), shown)
        }
    }

    /** Keeps each request and answers 401 with a cookie and the secret in the body. */
    private class Capture(val secret: String) : HttpTransport {
        val requests = mutableListOf<HttpRequest>()
        val responses = mutableListOf<HttpResponse>()
        override suspend fun send(request: HttpRequest): HttpResponse {
            requests += request
            return HttpResponse(
                401u,
                listOf(HttpHeader("Set-Cookie", "session=$secret"), HttpHeader("WWW-Authenticate", "Basic realm=\"dav\"")),
                secret.toByteArray(),
                null,
            ).also { responses += it }
        }
    }

    @Test
    fun credentialsAndConfig() {
        val creds = Credentials.basic("alice", secret)
        val digest = Credentials.digest("alice", secret)
        val bearer = Credentials.bearer(secret)
        val config = DavConfig(serverUrl = "https://dav.example.com/", credentials = creds)
        val digestConfig = DavConfig(serverUrl = "https://dav.example.com/", credentials = digest)
        assertHidden(creds, digest, bearer, config, digestConfig)
        assertTrue(creds.toString().contains("alice"), creds.toString())
        assertTrue(digest.toString().contains("alice"), digest.toString())
        assertTrue(config.toString().contains("dav.example.com"), config.toString())
        assertEquals("Basic", creds.scheme())
        assertEquals("Digest", digest.scheme())
        assertEquals("Bearer", bearer.scheme())
        assertEquals(Credentials.basic("alice", secret), creds)
        val channel = GcalChannel("ch-1", "r", null, secret, null)
        val watch = GcalWatchRequest("ch-1", "https://app.example.com/hook", secret)
        assertHidden(channel, watch)
        assertEquals(secret, channel.token) // still the app's to store and compare
        // A confidential OAuth client: its client secret is not printed either.
        val oauth = OAuthClient("app-id", "https://app.example.com/cb", "https://auth.example.com/authorize",
            "https://auth.example.com/token", secret)
        assertHidden(oauth, oauth.exchangeCodeRequest("code-1", dev.davkit.Pkce.fromVerifier("v".repeat(43))))
        assertTrue(oauth.toString().contains("app-id"), oauth.toString())
    }

    @Test
    fun requestResponseAndError() {
        val creds = Credentials.basic("alice", secret)
        val transport = Capture(secret)
        val client = DavClient(DavConfig(serverUrl = "https://dav.example.com/", credentials = creds), transport)
        val e = assertThrows<DavException.Unauthorized> { runBlocking { client.getObject("https://dav.example.com/cal/a.ics") } }
        val request = transport.requests.first()
        assertEquals("Basic $basic", request.header("authorization"))
        assertTrue(request.headers().any { it.name == "Authorization" && it.value == "Basic $basic" })
        assertHidden(request, request.headers(), transport.responses.first(), e, e.message ?: "", e.stackTraceToString())
        // The server echoed the password in its body: the excerpt shows it redacted.
        assertEquals("<redacted>", e.bodyExcerpt)
        assertTrue(request.toString().contains("https://dav.example.com/cal/a.ics"), request.toString())
        assertTrue(transport.responses.first().toString().contains("401"))
    }

    @Test
    fun credentialsInTheUrlAreRefusedWithoutShowingThem() {
        val config = DavConfig(serverUrl = "https://alice:$secret@dav.example.com/", credentials = Credentials.none())
        val e = assertThrows<DavException.InvalidInput> { DavClient(config, Capture(secret)) }
        assertHidden(config, e, e.detail, e.stackTraceToString())
    }

    @Test
    fun aRequestBuiltByHand() {
        val r = HttpRequest("PUT", "https://dav.example.com/a.ics", listOf(HttpHeader("authorization", "Bearer $secret")), "x".toByteArray())
        assertEquals("PUT", r.method())
        assertEquals("x", r.body()!!.toString(Charsets.UTF_8))
        assertHidden(r)
        assertThrows<DavException.InvalidInput> { HttpRequest("BREW", "https://dav.example.com/", emptyList(), null) }
    }

    /** A server that speaks only HTTP Digest (RFC 7616, SHA-256, qop=auth), as Baikal does: 401
     *  with a challenge unless the request carries the right answer for `password`. */
    private class DigestServer(val password: String) : HttpTransport {
        val requests = mutableListOf<HttpRequest>()
        val responses = mutableListOf<HttpResponse>()
        val checked = mutableListOf<Boolean>()

        override suspend fun send(request: HttpRequest): HttpResponse {
            requests += request
            val auth = request.header("authorization") ?: ""
            val ok = auth.startsWith("Digest ") && answerOk(request, params(auth.removePrefix("Digest ")))
            val response = if (ok) {
                HttpResponse(200u, listOf(HttpHeader("ETag", "\"e1\""), HttpHeader("Content-Type", "text/calendar")), ICS.toByteArray(), null)
            } else {
                HttpResponse(401u, listOf(HttpHeader("WWW-Authenticate",
                    "Digest realm=\"$REALM\", qop=\"auth\", algorithm=SHA-256, nonce=\"$NONCE\", opaque=\"$OPAQUE\"")), ByteArray(0), null)
            }
            responses += response
            return response
        }

        private fun params(v: String): Map<String, String> =
            Regex("(\\w+)=(?:\"([^\"]*)\"|([^\\s,]+))").findAll(v)
                .associate { m -> m.groupValues[1] to m.groupValues[2].ifEmpty { m.groupValues[3] } }

        private fun h(text: String) = MessageDigest.getInstance("SHA-256").digest(text.toByteArray())
            .joinToString("") { "%02x".format(it) }

        private fun answerOk(request: HttpRequest, p: Map<String, String>): Boolean {
            val path = "/" + request.url().substringAfter("://").substringAfter("/")
            val ha1 = h("alice:$REALM:$password")
            val ha2 = h("${request.method()}:$path")
            val want = h("$ha1:$NONCE:${p["nc"]}:${p["cnonce"]}:auth:$ha2")
            val ok = listOf(p["username"], p["realm"], p["nonce"], p["uri"], p["qop"], p["algorithm"], p["opaque"], p["response"]) ==
                listOf("alice", REALM, NONCE, path, "auth", "SHA-256", OPAQUE, want)
            checked += ok
            return ok
        }

        companion object {
            const val REALM = "SabreDAV"
            const val NONCE = "5f1ac0ffee01"
            const val OPAQUE = "op4"
            const val ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:d1\r\n" +
                "DTSTAMP:20260101T000000Z\r\nDTSTART:20260102T100000Z\r\nSUMMARY:Digest\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        }
    }

    /** Credentials.digest: the core answers the server's challenge (the fake server computes the
     *  RFC 7616 answer itself), a wrong password is Unauthorized, and nothing shows a password. */
    @Test
    fun digestAnswersTheChallengeAndPrintsNoPassword() {
        val url = "https://dav.example.com/cal/a.ics"
        val server = DigestServer(secret)
        val config = DavConfig(serverUrl = "https://dav.example.com/", credentials = Credentials.digest("alice", secret))
        val got = runBlocking { DavClient(config, server).getObject(url) }
        assertEquals("\"e1\"" to DigestServer.ICS, got.etag to got.data)
        assertEquals(true, server.checked.last())
        assertEquals(401.toUShort(), server.responses.first().status)
        assertTrue(server.requests.last().header("authorization")!!.startsWith("Digest username=\"alice\""))
        assertHidden(config, *server.requests.toTypedArray(), *server.responses.toTypedArray())
        server.requests.forEach { assertFalse((it.header("authorization") ?: "").contains(secret)) }

        val wrong = "wrong-pw-0815"
        val refused = DigestServer(secret)
        val wrongConfig = DavConfig(serverUrl = "https://dav.example.com/", credentials = Credentials.digest("alice", wrong))
        val e = assertThrows<DavException.Unauthorized> { runBlocking { DavClient(wrongConfig, refused).getObject(url) } }
        assertTrue(false in refused.checked && true !in refused.checked, refused.checked.toString())
        for (v in listOf<Any>(e, e.stackTraceToString(), wrongConfig) + refused.requests) {
            assertFalse(v.toString().contains(wrong), v.toString())
        }
    }
}
