package dev.davkit.test

import dev.davkit.Change
import dev.davkit.core.CollectionKind
import dev.davkit.Credentials
import dev.davkit.DavClient
import dev.davkit.DavConfig
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

/** [syncBatches] (examples/android/SyncBatches.kt) over the recorded batch vectors: a and b, then c; a flow stopped after
 *  the first batch resumes from its stored state to the same end; and the same members failing again end the flow. */
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

    /** The shared vector where the members a batch takes fail again and nothing else moves: the
     *  core answers `more` false, so the flow (which checks only `more`) completes after that one
     *  batch, every member still owed for the next sync. */
    @Test
    fun theSameMembersFailingAgainEndTheFlow() {
        val name = "batch-same-members-fail-again-ends-batches.json"
        val op = JSONObject(File(dir, name).readText()).getJSONObject("operation")
        val seen = replaying(exchanges(name)) { client ->
            client.syncBatches(collection, CollectionKind.CALENDAR, op.getJSONObject("state").toString(),
                op.getInt("max_members").toUInt()).toList()
        }
        assertEquals(listOf(false), seen.map { it.more })
        assertTrue(seen[0].changes.isEmpty())
        assertEquals(listOf("a.ics" to 500, "b.ics" to 500).map { (n, s) -> collection + n to s },
            seen[0].problems.map { it.url to it.status?.toInt() })
        val state = JSONObject(seen[0].stateJson)
        assertEquals(CoreJson.plain(op.getJSONObject("state").getJSONArray("pending")), CoreJson.plain(state.getJSONArray("pending")))
        assertFalse(state.has("more"), "the next sync asks the server again")
    }
}
