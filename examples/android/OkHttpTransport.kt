// davkit's HttpTransport on OkHttp (Android or JVM). Compiled and run against Radicale by
// bindings-mobile/kotlin (LiveRadicaleTest); copy it into your app.
package dev.davkit.example

import dev.davkit.DavException
import dev.davkit.HttpHeader
import dev.davkit.HttpRequest
import dev.davkit.HttpResponse
import dev.davkit.HttpTransport
import dev.davkit.Sleeper
import kotlinx.coroutines.delay
import kotlinx.coroutines.suspendCancellableCoroutine
import okhttp3.Call
import okhttp3.Callback
import okhttp3.MediaType
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody
import okhttp3.RequestBody.Companion.toRequestBody
import okhttp3.Response
import okio.BufferedSink
import java.io.IOException
import kotlin.coroutines.resume
import kotlin.coroutines.resumeWithException

class OkHttpTransport(base: OkHttpClient = OkHttpClient()) : HttpTransport, Sleeper {
    // davkit follows redirects itself, so credentials never leave their origin.
    private val client = base.newBuilder().followRedirects(false).followSslRedirects(false).build()

    override suspend fun send(request: HttpRequest): HttpResponse {
        // OkHttp insists on a body for these methods, even an empty one.
        val bytes = request.body() ?: if (request.method() in NEEDS_BODY || !request.isSafe()) ByteArray(0) else null
        // A write's body is one-shot, so OkHttp never sends the write again once it went out: by
        // default it does when a pooled connection fails after the request was sent (the server
        // may have applied it) and when the answer is 408. davkit reads the object back to
        // learn whether a write lost in transit was applied. OkHttp still retries what is safe:
        // a safe method, and a write whose connection never opened (another address). And a
        // write takes a fresh connection (the idle ones are closed first): on a kept-alive one
        // the server had closed (Radicale, SOGo do after some answers), it would fail with
        // nothing to tell whether it arrived. What is safe is davkit's rule (`isSafe()`).
        val write = !request.isSafe()
        if (write) client.connectionPool.evictAll()
        val body = bytes?.let { if (write) OneShotBody(it) else it.toRequestBody() }
        val builder = Request.Builder().url(request.url()).method(request.method(), body)
        request.headers().forEach { builder.addHeader(it.name, it.value) }
        val call = client.newCall(builder.build())
        return suspendCancellableCoroutine { cont ->
            cont.invokeOnCancellation { call.cancel() }
            call.enqueue(object : Callback {
                override fun onFailure(call: Call, e: IOException) =
                    cont.resumeWithException(DavException.Transport("$e", null, request.url(), null, null))

                override fun onResponse(call: Call, response: Response) {
                    val result = runCatching {
                        response.use { r -> HttpResponse(r.code.toUShort(), r.headers.map { (n, v) -> HttpHeader(n, v) }, r.body!!.bytes(), null) }
                    }
                    result.fold(cont::resume) { cont.resumeWithException(DavException.Transport("$it", null, request.url(), null, null)) }
                }
            })
        }
    }

    // Lets davkit wait before retrying a rate-limited request (429, 503).
    override suspend fun sleep(ms: ULong) = delay(ms.toLong())

    private companion object {
        // OkHttp's own rule (HttpMethod.requiresRequestBody), not davkit's.
        val NEEDS_BODY = setOf("POST", "PUT", "PATCH", "PROPPATCH", "REPORT")
    }

    private class OneShotBody(private val bytes: ByteArray) : RequestBody() {
        override fun contentType(): MediaType? = null
        override fun contentLength() = bytes.size.toLong()
        override fun isOneShot() = true
        override fun writeTo(sink: BufferedSink) {
            sink.write(bytes)
        }
    }
}
