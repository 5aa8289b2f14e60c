package dev.davkit.test

import dev.davkit.DavException
import dev.davkit.HttpHeader
import dev.davkit.HttpRequest
import dev.davkit.HttpResponse
import dev.davkit.HttpTransport
import kotlinx.coroutines.future.await
import java.io.IOException
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpTimeoutException
import java.time.Duration
import java.net.http.HttpRequest as JRequest
import java.net.http.HttpResponse as JResponse

/** An [HttpTransport] on `java.net.http.HttpClient`: no redirects (davkit follows them), a
 *  per-request timeout, and failures thrown as typed `DavException.Transport`. */
class JdkTransport(private val timeout: Duration = Duration.ofSeconds(30)) : HttpTransport {
    private val client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1) // no h2c upgrade dance on plain http
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(timeout)
        .build()

    override suspend fun send(request: HttpRequest): HttpResponse {
        val body = request.body()?.let { JRequest.BodyPublishers.ofByteArray(it) }
            ?: JRequest.BodyPublishers.noBody()
        val builder = JRequest.newBuilder(URI.create(request.url()))
            .timeout(timeout)
            .method(request.method(), body)
        for (h in request.headers()) {
            if (h.name.lowercase() !in RESTRICTED) builder.header(h.name, h.value)
        }
        val response = try {
            client.sendAsync(builder.build(), JResponse.BodyHandlers.ofByteArray()).await()
        } catch (e: HttpTimeoutException) {
            throw DavException.Transport("timed out: ${e.message}", null, request.url(), null, null)
        } catch (e: IOException) {
            throw DavException.Transport("network error: $e", null, request.url(), null, null)
        }
        val headers = response.headers().map().flatMap { (name, values) -> values.map { HttpHeader(name, it) } }
        return HttpResponse(response.statusCode().toUShort(), headers, response.body(), null)
    }

    private companion object {
        /** Headers java.net.http sets itself and refuses from callers. */
        val RESTRICTED = setOf("connection", "content-length", "expect", "host", "upgrade")
    }
}
