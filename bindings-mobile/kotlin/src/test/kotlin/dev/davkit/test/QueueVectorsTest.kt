package dev.davkit.test

import dev.davkit.Credentials
import dev.davkit.DavClient
import dev.davkit.DavConfig
import dev.davkit.DavException
import dev.davkit.HttpRequest
import dev.davkit.HttpResponse
import dev.davkit.HttpTransport
import dev.davkit.WriteQueue
import dev.davkit.example.LocalObject
import dev.davkit.example.OfflineEdits
import dev.davkit.example.TextStore
import kotlinx.coroutines.runBlocking
import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import java.io.File

/** Replays the write-queue scripts of `tests/queue-vectors/` (format in its README; the same
 *  files the Rust, Python and JS runners replay) through [WriteQueue] and [DavClient.flush],
 *  with a transport answering the recorded exchanges strictly in order. Each step's result and
 *  the queue it leaves are checked as subsets of the core's JSON. */
class QueueVectorsTest {
    private val root = File(System.getProperty("davkit.vectors") ?: "../../tests/vectors").canonicalFile
        .resolveSibling("queue-vectors")

    @TestFactory
    fun queueVectors(): List<DynamicTest> {
        val files = root.listFiles { f -> f.isFile && f.extension == "json" }?.sorted() ?: emptyList()
        check(files.size >= 10) { "expected the queue vectors in $root, found ${files.size} files" }
        return files.map { file -> DynamicTest.dynamicTest(file.name) { runCase(file) } }
    }

    /** Answers the recorded exchanges in order; a request out of order is a problem. */
    class InOrder(private val exchanges: List<JSONObject>, private val dir: File) : HttpTransport {
        var next = 0
        val problems = mutableListOf<String>()

        override suspend fun send(request: HttpRequest): HttpResponse {
            val ex = exchanges.getOrNull(next)
            val want = ex?.getJSONObject("request")
            if (want == null || want.getString("method") != request.method() || want.getString("url") != request.url()) {
                val problem = "request ${request.method()} ${request.url()}, expected ${want?.let { "${it.getString("method")} ${it.getString("url")}" } ?: "nothing more"}"
                problems += problem
                throw IllegalStateException(problem)
            }
            next++
            problems += requestProblems(want, request)
            return recordedReply(ex.getJSONObject("response"), dir)
        }
    }

    private class State(case: JSONObject) {
        var queue = WriteQueue(case.optString("policy", "").ifEmpty { null })
        var stored: String? = null
        var transport: InOrder? = null
    }

    private fun str(o: JSONObject, k: String) = if (o.has(k) && !o.isNull(k)) o.getString(k) else null

    private fun step(case: JSONObject, st: JSONObject, s: State): Any? {
        val q = s.queue
        return when (st.getString("op")) {
            "enqueue_create" -> JSONObject().put("id", q.enqueueCreate(st.getString("collection_url"), st.getString("name"), st.getString("data")).toLong())
            "enqueue_update" -> JSONObject().put("id", q.enqueueUpdate(st.getString("url"), st.getString("data"), str(st, "base_etag") ?: "", str(st, "base_data")).toLong())
            "enqueue_delete" -> JSONObject().put("id", q.enqueueDelete(st.getString("url"), str(st, "base_etag") ?: "", str(st, "base_data")).toLong())
            "set_policy" -> q.setPolicy(st.getString("policy")).let { null }
            "set_entry_policy" -> q.setEntryPolicy(st.getLong("id").toULong(), str(st, "policy")).let { null }
            "begin_flush" -> { s.stored = q.beginFlush(); null }
            "crash" -> { s.queue = WriteQueue.fromJson(s.stored!!); null }
            "resolve" -> st.getJSONObject("resolution").let { r -> q.resolve(st.getLong("id").toULong(), r.getString("type"), str(r, "data")) }
            "split_changes" -> JSONObject(q.splitChangesJson(st.getJSONArray("changes").toString()))
            "flush" -> {
                val exchanges = st.optJSONArray("exchanges")?.let { a -> (0 until a.length()).map { a.getJSONObject(it) } } ?: emptyList()
                val transport = InOrder(exchanges, root)
                s.transport = transport
                val c = case.getJSONObject("config")
                val config = DavConfig(
                    serverUrl = c.getString("server_url"), credentials = Credentials.none(),
                    userAgent = "davkit-vectors", profile = c.optString("profile", "").ifEmpty { null },
                )
                val client = DavClient(config, transport)
                JSONObject(runBlocking { client.flush(q) })
            }
            else -> error("unknown step ${st.getString("op")}")
        }
    }

    private fun runCase(file: File) {
        val case = JSONObject(file.readText())
        val s = State(case)
        val steps = case.getJSONArray("steps")
        for (i in 0 until steps.length()) {
            val st = steps.getJSONObject(i)
            val label = "${file.name} step $i (${st.getString("op")})"
            val expect = st.optJSONObject("expect") ?: JSONObject()
            s.transport = null
            var result: Any? = null
            var error: DavException? = null
            try {
                result = step(case, st, s)
            } catch (e: DavException) {
                error = e
            }
            s.transport?.let { t ->
                assertEquals(emptyList<String>(), t.problems, label)
                assertEquals(st.optJSONArray("exchanges")?.length() ?: 0, t.next, "$label: every exchange requested")
            }
            if (expect.has("error")) {
                assertEquals(expect.getJSONObject("error").getString("kind"), error?.let { it::class.simpleName }, label)
            } else {
                if (error != null) throw AssertionError("$label: unexpected error $error", error)
                if (expect.has("result")) subset(label, expect.get("result"), result)
            }
            if (expect.has("queue")) subset("$label queue", expect.get("queue"), JSONObject(s.queue.toJson()))
        }
    }

    private fun subset(path: String, expected: Any?, actual: Any?) {
        when (expected) {
            is JSONObject -> {
                if (actual !is JSONObject) throw AssertionError("$path: expected an object, got $actual")
                for (k in expected.keySet()) subset("$path.$k", expected.get(k), if (actual.has(k)) actual.get(k) else JSONObject.NULL)
            }
            is JSONArray -> {
                if (actual !is JSONArray || actual.length() != expected.length()) throw AssertionError("$path: expected ${expected.length()} items, got $actual")
                for (i in 0 until expected.length()) subset("$path[$i]", expected.get(i), actual.get(i))
            }
            is Number -> assertEquals(expected.toLong(), (actual as? Number)?.toLong(), path)
            else -> assertEquals(expected ?: JSONObject.NULL, actual ?: JSONObject.NULL, path)
        }
    }

    @Test
    fun policiesByNameAndTypedErrors() {
        val q = WriteQueue(null)
        assertEquals("keep-both", q.policy())
        q.setPolicy("merge")
        assertEquals("merge", q.policy())
        assertThrows(DavException.InvalidInput::class.java) { q.setPolicy("first-wins") }
        assertThrows(DavException.InvalidInput::class.java) { WriteQueue.fromJson("{\"format\": 99}") }
        val url = "https://dav.example/cal/a.ics"
        val id = q.enqueueUpdate(url, "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "\"e1\"", null)
        assertEquals(id, q.enqueueDelete(url, "\"e2\"", null), "update + delete of one object: one entry")
        assertEquals(id, q.entryFor("https://dav.example/cal/%61.ics"))
        val entry = JSONArray(WriteQueue.fromJson(q.toJson()).entriesJson()).getJSONObject(0)
        assertEquals("delete", entry.getJSONObject("op").getString("type"))
        assertEquals("\"e1\"", entry.getString("base_etag"))
    }

    @Test
    fun theOfflineEditsExampleQueuesStoresAndFlushes() {
        val texts = mutableMapOf<String, String>()
        val store = object : TextStore {
            override fun get(key: String) = texts[key]
            override fun put(key: String, value: String) { texts[key] = value }
        }
        val url = "https://dav.example/cal/a.ics"
        val edits = OfflineEdits(store)
        edits.edit(LocalObject(url, "\"e1\"", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"), "BEGIN:VCALENDAR\r\nX-A:1\r\nEND:VCALENDAR\r\n")
        // A restart: the queue comes back from the store.
        val again = OfflineEdits(store)
        assertEquals(1UL, again.queue.len())
        val put = JSONObject().put("request", JSONObject().put("method", "PUT").put("url", url).put("headers", JSONObject().put("if-match", "\"e1\"")))
            .put("response", JSONObject().put("status", 204).put("headers", JSONObject().put("etag", "\"e2\"")))
        val transport = InOrder(listOf(put), root)
        val client = DavClient(DavConfig(serverUrl = "https://dav.example/", credentials = Credentials.none()), transport)
        val applied = mutableListOf<Pair<String, String?>>()
        val lines = runBlocking { again.flush(client) { u, etag, _ -> applied += u to etag } }
        assertEquals(emptyList<String>(), transport.problems)
        assertEquals(listOf(url to "\"e2\""), applied)
        assertEquals(listOf("#1 written $url"), lines)
        assertEquals(0UL, WriteQueue.fromJson(texts.getValue("davkit.queue")).len())
    }
}
