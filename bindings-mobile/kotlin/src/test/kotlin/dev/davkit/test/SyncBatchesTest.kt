package dev.davkit.test

import dev.davkit.Change
import dev.davkit.core.CollectionKind
import dev.davkit.Credentials
import dev.davkit.DavClient
import dev.davkit.DavConfig
import dev.davkit.HttpHeader
import dev.davkit.HttpRequest
import dev.davkit.HttpResponse
import dev.davkit.HttpTransport
import dev.davkit.SyncResult
import dev.davkit.example.syncBatches
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.io.File

/** [syncBatches] (examples/android/SyncBatches.kt) over the two recorded batch vectors: a and b, then c; and a flow stopped after
 *  the first batch resumes from its stored state to the same end. */
class SyncBatchesTest {
    private val dir = File(System.getProperty("davkit.vectors") ?: "../../tests/vectors").canonicalFile.resolve("sync")
    private val collection = "http://127.0.0.1:5232/alice/work/"
    private val config = DavConfig(serverUrl = "http://127.0.0.1:5232/", credentials = Credentials.basic("alice", "s3cret-app-pw"))

    private fun exchanges(vararg names: String): JSONObject {
        val all = JSONArray()
        for (name in names) {
            val recorded = JSONObject(File(dir, name).readText()).getJSONArray("exchanges")
            for (i in 0 until recorded.length()) all.put(recorded.get(i))
        }
        return JSONObject().put("exchanges", all)
    }

    private fun urls(result: SyncResult) = result.changes.map {
        when (it) {
            is Change.Added -> it.`object`.url
            is Change.Changed -> it.`object`.url
            is Change.Deleted -> it.url
        }
    }

    private fun <T> replaying(case: JSONObject, run: suspend (DavClient) -> T): T {
        val replay = VectorsTest.Replay(case, dir)
        val out = runBlocking { DavClient(config, replay).use { run(it) } }
        assertEquals(emptyList<String>(), replay.problems)
        assertTrue(replay.used.all { it }, "every recorded exchange is requested")
        return out
    }

    @Test
    fun batchesAreCheckpointsAndAStoppedFlowResumes() {
        val first = "batch-first-batch-leaves-the-rest-pending.json"
        val second = "batch-resume-from-checkpoint.json"
        val stored = mutableListOf<String>()          // what the app writes after each batch
        val batches = replaying(exchanges(first, second)) { client ->
            client.syncBatches(collection, CollectionKind.CALENDAR, null, 2u).toList().onEach { stored += it.stateJson }
        }
        assertEquals(listOf(listOf("a.ics", "b.ics"), listOf("c.ics")), batches.map { b -> urls(b).map { it.removePrefix(collection) } })
        assertEquals(listOf(true, false), batches.map { it.more })
        assertEquals(listOf("${collection}c.ics"), CoreJson.plain(JSONObject(stored[0]).getJSONArray("pending")))
        assertFalse(JSONObject(stored[1]).has("pending"))

        val checkpoint = replaying(exchanges(first)) { client ->
            client.syncBatches(collection, CollectionKind.CALENDAR, null, 2u).first().stateJson   // stopped here
        }
        val rest = replaying(exchanges(second)) { client ->
            client.syncBatches(collection, CollectionKind.CALENDAR, checkpoint, 2u).toList()
        }
        assertEquals(listOf(listOf("${collection}c.ics")), rest.map { urls(it) })
        assertEquals(CoreJson.plain(JSONObject(stored.last())), CoreJson.plain(JSONObject(rest.last().stateJson)))
    }

    /** Answers every multiget with a 500 row per member asked for and every GET with 500. */
    private class FailingMembers : HttpTransport {
        val asked = mutableListOf<String>()

        override suspend fun send(request: HttpRequest): HttpResponse {
            if (request.method() == "REPORT") {
                val body = request.body()?.toString(Charsets.UTF_8) ?: ""
                val hrefs = Regex("<(?:\\w+:)?href>([^<]+)</").findAll(body).map { it.groupValues[1] }.toList()
                asked += hrefs
                val rows = hrefs.joinToString("") {
                    "<D:response><D:href>$it</D:href><D:status>HTTP/1.1 500 Internal Server Error</D:status></D:response>"
                }
                return HttpResponse(207u, listOf(HttpHeader("Content-Type", "application/xml")),
                    "<?xml version=\"1.0\"?><D:multistatus xmlns:D=\"DAV:\">$rows</D:multistatus>".toByteArray(), null)
            }
            asked += request.url()
            return HttpResponse(500u, emptyList(), ByteArray(0), null)
        }
    }

    /** A server that fails every member it is asked for: each batch reports them as problems and
     *  hands back the same state with `more` true; the flow completes after the second such
     *  batch instead of asking forever. */
    @Test
    fun aBatchThatLeavesTheStateUnchangedEndsTheFlow() {
        val members = listOf("a.ics", "b.ics", "c.ics").map { collection + it }
        val state = JSONObject().put("collection_url", collection).put("sync_token", "tok-1")
            .put("ctag", JSONObject.NULL).put("etags", JSONObject()).put("pending", JSONArray(members)).put("more", true)
            .toString()
        val transport = FailingMembers()
        val seen = runBlocking {
            DavClient(DavConfig(serverUrl = "http://127.0.0.1:5232/", credentials = Credentials.none()), transport).use {
                it.syncBatches(collection, CollectionKind.CALENDAR, state, 1u).toList()
            }
        }
        assertEquals(2, seen.size, seen.map { it.stateJson }.toString())
        assertEquals(listOf(true, true), seen.map { it.more })
        assertTrue(seen.all { it.changes.isEmpty() && it.problems.isNotEmpty() })
        assertEquals(seen[0].stateJson, seen[1].stateJson)
        assertEquals(members.sorted(), CoreJson.plain(JSONObject(seen[1].stateJson).getJSONArray("pending")).let { p -> (p as List<*>).map { it as String }.sorted() })
        assertTrue(transport.asked.isNotEmpty(), "the members were asked for")
    }
}
