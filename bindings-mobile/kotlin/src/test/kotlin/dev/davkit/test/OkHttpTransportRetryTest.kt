package dev.davkit.test

import dev.davkit.DavException
import dev.davkit.HttpHeader
import dev.davkit.HttpRequest
import dev.davkit.example.OkHttpTransport
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Test
import java.io.BufferedInputStream
import java.io.IOException
import java.io.InputStream
import java.net.InetAddress
import java.net.ServerSocket
import java.net.Socket
import java.util.concurrent.atomic.AtomicInteger
import kotlin.concurrent.thread

/** examples/android/OkHttpTransport.kt sends a write once, whatever happens to its connection
 *  (davkit reads the object back to learn whether a write lost in transit was applied), and a
 *  safe method once more when its pooled connection turns out closed. A raw server: the first
 *  request on a connection is answered (keep-alive), the measured one is not. */
class OkHttpTransportRetryTest {
    private enum class Answer { CLOSE, CLOSE_WRITES, TIMEOUT_408 }

    private class Server(private val measured: (String) -> Boolean, private val answer: Answer) : AutoCloseable {
        val socket = ServerSocket(0, 50, InetAddress.getLoopbackAddress())
        val received = AtomicInteger()
        val url = "http://127.0.0.1:${socket.localPort}/cal/e.ics"

        init {
            thread(isDaemon = true) {
                try {
                    while (true) {
                        val s = socket.accept()
                        thread(isDaemon = true) { serve(s) }
                    }
                } catch (e: IOException) {
                }
            }
        }

        private fun serve(s: Socket) {
            try {
                val input = BufferedInputStream(s.getInputStream())
                val out = s.getOutputStream()
                var onConnection = 0
                while (true) {
                    var first: String? = null
                    var length = 0
                    while (true) {
                        val line = readLine(input) ?: break
                        if (line.isEmpty()) break
                        if (first == null) first = line
                        if (line.lowercase().startsWith("content-length:")) length = line.substring(15).trim().toInt()
                    }
                    if (first == null) return s.close()
                    input.readNBytes(length)
                    onConnection++
                    // A request after the first on its connection is the one measured: read,
                    // then the connection closed unanswered (or a 408).
                    if (onConnection > 1 || !first.startsWith("GET")) {
                        if (measured(first)) received.incrementAndGet()
                        if (answer == Answer.CLOSE_WRITES && !first.startsWith("GET")) return s.close()
                        if (answer == Answer.CLOSE && onConnection > 1) return s.close()
                        if (answer == Answer.TIMEOUT_408 && !first.startsWith("GET")) {
                            out.write("HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n".toByteArray())
                            out.flush()
                            continue
                        }
                    }
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".toByteArray())
                    out.flush()
                }
            } catch (e: IOException) {
            }
        }

        private fun readLine(input: InputStream): String? {
            val sb = StringBuilder()
            while (true) {
                val c = input.read()
                if (c == -1) return if (sb.isEmpty()) null else sb.toString()
                if (c == '\n'.code) return sb.toString().trimEnd('\r')
                sb.append(c.toChar())
            }
        }

        override fun close() = socket.close()
    }

    private fun request(method: String, url: String) =
        HttpRequest(method, url, listOf(HttpHeader("If-Match", "\"1\"")), if (method == "PUT") "BEGIN:VCALENDAR\r\n".toByteArray() else null)

    @Test
    fun aWriteTakesAFreshConnectionNotAPooledOneTheServerClosed() = runBlocking {
        for (method in listOf("PUT", "DELETE")) {
            Server({ it.startsWith(method) }, Answer.CLOSE).use { server ->
                val transport = OkHttpTransport()
                transport.send(request("GET", server.url)) // a pooled connection, closed by the server at the next request
                assertEquals(200, transport.send(request(method, server.url)).status.toInt())
                assertEquals(1, server.received.get(), "$method sent once, on a connection of its own")
            }
        }
    }

    @Test
    fun aWriteWhoseConnectionClosesUnansweredIsSentOnce() = runBlocking {
        for (method in listOf("PUT", "DELETE")) {
            Server({ it.startsWith(method) }, Answer.CLOSE_WRITES).use { server ->
                val transport = OkHttpTransport()
                transport.send(request("GET", server.url))
                assertThrows(DavException.Transport::class.java) { runBlocking { transport.send(request(method, server.url)) } }
                Thread.sleep(100)
                assertEquals(1, server.received.get(), "$method sent once")
            }
        }
    }

    @Test
    fun aWriteAnswered408IsSentOnce() = runBlocking {
        Server({ it.startsWith("PUT") }, Answer.TIMEOUT_408).use { server ->
            val transport = OkHttpTransport()
            transport.send(request("GET", server.url))
            assertEquals(408, transport.send(request("PUT", server.url)).status.toInt())
            assertEquals(1, server.received.get())
        }
    }

    @Test
    fun aSafeMethodOnAClosedPooledConnectionIsSentOnceMore() = runBlocking {
        var gets = 0
        Server({ it.startsWith("GET") && ++gets > 0 }, Answer.CLOSE).use { server ->
            val transport = OkHttpTransport()
            transport.send(request("GET", server.url))
            server.received.set(0)
            assertEquals(200, transport.send(request("GET", server.url)).status.toInt())
            assertEquals(1, server.received.get(), "the closed attempt counted; the new connection's first request is answered")
        }
    }
}
