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
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody.Companion.toRequestBody
import okhttp3.Response
import java.io.IOException
import java.io.InterruptedIOException
import kotlin.coroutines.resume
import kotlin.coroutines.resumeWithException

class OkHttpTransport(base: OkHttpClient = OkHttpClient()) : HttpTransport, Sleeper {
    // davkit follows redirects itself, so credentials never leave their origin. OkHttp's own
    // recovery is off: by default it sends a request again, a PUT, DELETE or POST included, when
    // a pooled connection fails after the request went out (the server may have applied it) and
    // when the answer is 408. A write is never sent twice: davkit reads the object back to learn
    // whether a write lost in transit was applied. Only a safe method is sent once more, below.
    private val client = base.newBuilder().followRedirects(false).followSslRedirects(false)
        .retryOnConnectionFailure(false).build()

    override suspend fun send(request: HttpRequest): HttpResponse {
        // OkHttp insists on a body for these methods, even an empty one.
        val body = request.body() ?: if (request.method() in NEEDS_BODY) ByteArray(0) else null
        val builder = Request.Builder().url(request.url()).method(request.method(), body?.toRequestBody())
        request.headers().forEach { builder.addHeader(it.name, it.value) }
        val okRequest = builder.build()
        val result = runCatching { execute(okRequest) }.recoverCatching { e ->
            // A pooled connection the server had closed: a safe method goes once more on a new
            // one (not after a timeout, which would double the wait); a write never does.
            if (e is IOException && e !is InterruptedIOException && request.method() in SAFE) execute(okRequest) else throw e
        }
        return result.getOrElse { e ->
            throw if (e is IOException) DavException.Transport("$e", null, request.url(), null) else e
        }
    }

    private suspend fun execute(okRequest: Request): HttpResponse {
        val call = client.newCall(okRequest)
        return suspendCancellableCoroutine { cont ->
            cont.invokeOnCancellation { call.cancel() }
            call.enqueue(object : Callback {
                override fun onFailure(call: Call, e: IOException) = cont.resumeWithException(e)

                override fun onResponse(call: Call, response: Response) {
                    val result = runCatching {
                        response.use { r -> HttpResponse(r.code.toUShort(), r.headers.map { (n, v) -> HttpHeader(n, v) }, r.body!!.bytes(), null) }
                    }
                    result.fold(cont::resume) { cont.resumeWithException(it) }
                }
            })
        }
    }

    // Lets davkit wait before retrying a rate-limited request (429, 503).
    override suspend fun sleep(ms: ULong) = delay(ms.toLong())

    private companion object {
        val NEEDS_BODY = setOf("POST", "PUT", "PATCH", "PROPPATCH", "REPORT")
        val SAFE = setOf("GET", "HEAD", "OPTIONS", "PROPFIND", "REPORT")
    }
}
