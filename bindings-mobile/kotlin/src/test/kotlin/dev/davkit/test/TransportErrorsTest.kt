package dev.davkit.test

import dev.davkit.core.CollectionKind
import dev.davkit.Credentials
import dev.davkit.DavClient
import dev.davkit.DavConfig
import dev.davkit.DavException
import dev.davkit.HttpRequest
import dev.davkit.HttpResponse
import dev.davkit.HttpTransport
import dev.davkit.core.Service
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.awaitCancellation
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.io.IOException
import java.net.InetAddress
import java.net.ServerSocket
import java.time.Duration
import kotlin.concurrent.thread

/** No panic crosses the FFI: whatever the app's transport throws, and however it hangs, the
 *  caller gets a typed DavException (or its own cancellation) and the client stays usable. */
class TransportErrorsTest {
    private val config = DavConfig(serverUrl = "https://dav.example.com/", credentials = Credentials.basic("alice", "pw-secret"))

    private fun clientThrowing(e: Exception) = DavClient(config, object : HttpTransport {
        override suspend fun send(request: HttpRequest): HttpResponse = throw e
    })

    @Test
    fun typedTransportErrorKeepsItsKind() {
        val client = clientThrowing(DavException.Transport("offline", null, null, null, " captive portal \n"))
        val e = assertThrows<DavException.Transport> { runBlocking { client.getObject("https://dav.example.com/a.ics") } }
        assertEquals("offline", e.detail)
        assertEquals("https://dav.example.com/a.ics", e.url)
        assertEquals("Transport", e.kind())
        // Through the core's excerpt: trimmed as a response body is.
        assertEquals("captive portal", e.bodyExcerpt)
        // toString is the error as the core says it (kind, detail, URL), not a list of fields.
        assertEquals("Transport: offline (https://dav.example.com/a.ics)", e.toString())
    }

    @Test
    fun serverRefusalCarriesTheExcerptOfItsBody() {
        // A real error: the core reads the 403 and keeps the start of its body.
        val body = "<d:error xmlns:d=\"DAV:\"><d:need-privileges/></d:error>\n" + "x".repeat(400)
        val client = DavClient(config, object : HttpTransport {
            override suspend fun send(request: HttpRequest) =
                HttpResponse(403.toUShort(), emptyList(), body.toByteArray(), null)
        })
        val e = assertThrows<DavException.Forbidden> { runBlocking { client.getObject("https://dav.example.com/a.ics") } }
        assertEquals(403.toUShort(), e.status)
        val excerpt = e.bodyExcerpt!!
        assertTrue(excerpt.startsWith("<d:error xmlns:d=\"DAV:\"><d:need-privileges/>"), excerpt)
        assertTrue(excerpt.endsWith("…") && excerpt.length < body.length, excerpt)
        assertEquals(excerpt, e.errorBodyExcerpt())
        assertFalse(e.toString().contains("pw-secret"))
    }

    @Test
    fun ioExceptionBecomesTransport() {
        val client = clientThrowing(IOException("connection reset"))
        val e = assertThrows<DavException.Transport> { runBlocking { client.discover(Service.BOTH) } }
        assertTrue(e.detail.contains("connection reset"), e.detail)
        assertFalse(e.toString().contains("pw-secret"))
    }

    @Test
    fun runtimeExceptionBecomesTransport() {
        val client = clientThrowing(IllegalStateException("bug in the app's transport"))
        val e = assertThrows<DavException.Transport> { runBlocking { client.listObjects("https://dav.example.com/cal/") } }
        assertTrue(e.detail.contains("bug in the app's transport"), e.detail)
    }

    @Test
    fun otherKindFromTransportIsKept() {
        val client = clientThrowing(DavException.Unauthorized("token refresh failed", null, null, null, null))
        assertThrows<DavException.Unauthorized> { runBlocking { client.listObjects("https://dav.example.com/cal/") } }
    }

    @Test
    fun transportTimeoutIsTransport() {
        // A server that accepts the connection and never answers: java.net.http times out.
        ServerSocket(0, 50, InetAddress.getLoopbackAddress()).use { server ->
            val accepted = mutableListOf<java.net.Socket>()
            val acceptor = thread(isDaemon = true) { runCatching { while (true) accepted += server.accept() } }
            val client = DavClient(
                DavConfig(serverUrl = "http://127.0.0.1:${server.localPort}/", credentials = Credentials.none()),
                JdkTransport(timeout = Duration.ofMillis(300)),
            )
            val started = System.nanoTime()
            val e = assertThrows<DavException.Transport> { runBlocking { client.discover(Service.BOTH) } }
            assertTrue(e.detail.contains("timed out"), e.detail)
            assertTrue(System.nanoTime() - started < 10_000_000_000L)
            acceptor.interrupt()
            accepted.forEach { it.close() }
        }
    }

    @Test
    fun timeoutInsideTransportIsTransport() {
        // The transport's own coroutine timeout (TimeoutCancellationException) is not special.
        val client = DavClient(config, object : HttpTransport {
            override suspend fun send(request: HttpRequest): HttpResponse = withTimeout(50) { awaitCancellation() }
        })
        val e = assertThrows<DavException.Transport> { runBlocking { client.getObject("https://dav.example.com/a.ics") } }
        assertTrue(e.detail.contains("Timed out", ignoreCase = true), e.detail)
    }

    @Test
    fun callerTimeoutCancelsAndClientStaysUsable() {
        var calls = 0
        val client = DavClient(config, object : HttpTransport {
            override suspend fun send(request: HttpRequest): HttpResponse {
                calls++
                awaitCancellation()
            }
        })
        assertThrows<TimeoutCancellationException> {
            runBlocking { withTimeout(100) { client.getObject("https://dav.example.com/a.ics") } }
        }
        assertEquals(1, calls)
        // The same client still answers (here with a typed input error, before any request).
        val e = assertThrows<DavException.InvalidInput> {
            runBlocking { client.sync("https://dav.example.com/cal/", CollectionKind.CALENDAR, "{not json") }
        }
        assertEquals("InvalidInput", e.kind())
    }

    @Test
    fun badConfigurationIsInvalidInput() {
        val transport = object : HttpTransport {
            override suspend fun send(request: HttpRequest): HttpResponse = error("not called")
        }
        assertThrows<DavException.InvalidInput> { DavClient(DavConfig(serverUrl = "not a url", credentials = Credentials.none()), transport) }
        assertThrows<DavException.InvalidInput> {
            DavClient(DavConfig(serverUrl = "https://dav.example.com/", credentials = Credentials.none(), profile = "nope"), transport)
        }
        assertThrows<DavException.InvalidInput> {
            DavClient(DavConfig(serverUrl = "https://apidata.googleusercontent.com/caldav/v2/x/user", credentials = Credentials.basic("a", "b")), transport)
        }
    }
}
