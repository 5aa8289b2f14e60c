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
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
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
        val bearer = Credentials.bearer(secret)
        val config = DavConfig(serverUrl = "https://dav.example.com/", credentials = creds)
        assertHidden(creds, bearer, config)
        assertTrue(creds.toString().contains("alice"), creds.toString())
        assertTrue(config.toString().contains("dav.example.com"), config.toString())
        assertEquals("Basic", creds.scheme())
        assertEquals("Bearer", bearer.scheme())
        assertEquals(Credentials.basic("alice", secret), creds)
        val channel = GcalChannel("ch-1", "r", null, secret, null)
        val watch = GcalWatchRequest("ch-1", "https://app.example.com/hook", secret)
        assertHidden(channel, watch)
        assertEquals(secret, channel.token) // still the app's to store and compare
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
}
