package dev.davkit.test

import dev.davkit.Change
import dev.davkit.core.CollectionKind
import dev.davkit.Credentials
import dev.davkit.DavClient
import dev.davkit.DavConfig
import dev.davkit.DavException
import dev.davkit.SyncResult
import dev.davkit.syncStateMarkPending
import dev.davkit.syncStateRecordDelete
import dev.davkit.syncStateRecordRead
import dev.davkit.syncStateRecordWrite
import kotlinx.coroutines.runBlocking
import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.io.File

/** The sync state as an app keeps it: a member a sync could not deliver stays owed in
 *  `stateJson` and the next sync fetches it; `syncStateMarkPending` hands one back. Replies come
 *  from the shared recorded vectors. */
class SyncStateTest {
    private val dir = File(System.getProperty("davkit.vectors") ?: "../../tests/vectors").canonicalFile.resolve("sync")
    private val collection = "http://127.0.0.1:5232/alice/work/"
    private val a = "${collection}a.ics"
    private val b = "${collection}b.ics"

    private fun replaySync(case: JSONObject, stateJson: String?): SyncResult {
        val replay = VectorsTest.Replay(case, dir)
        val config = DavConfig(serverUrl = "http://127.0.0.1:5232/", credentials = Credentials.basic("alice", "s3cret-app-pw"))
        val result = runBlocking { DavClient(config, replay).use { it.sync(collection, CollectionKind.CALENDAR, stateJson) } }
        assertEquals(emptyList<String>(), replay.problems)
        assertTrue(replay.used.all { it }, "every recorded exchange is requested")
        return result
    }

    private fun urls(result: SyncResult) = result.changes.map {
        when (it) {
            is Change.Added -> it.`object`.url
            is Change.Changed -> it.`object`.url
            is Change.Deleted -> it.url
        }
    }

    @Test
    fun pendingSurvivesStateJsonAndTheNextSync() {
        val first = JSONObject(File(dir, "multiget-error-row-is-not-a-deletion.json").readText())
        val r1 = replaySync(first, first.getJSONObject("operation").getJSONObject("state").toString())
        assertEquals(listOf(Triple(a, "Http", 500)), r1.problems.map { Triple(it.url, it.kind, it.status?.toInt()) })
        assertFalse(a in urls(r1), "an undelivered member is not a change")
        assertEquals(listOf(a), CoreJson.plain(JSONObject(r1.stateJson).getJSONArray("pending")))

        val second = JSONObject(File(dir, "pending-member-fetched-next-time.json").readText())
        val r2 = replaySync(second, r1.stateJson)
        val changed = r2.changes.single() as Change.Changed
        assertEquals(a, changed.`object`.url)
        assertEquals("\"2\"", changed.`object`.etag)
        assertEquals(emptyList<Any>(), r2.problems)
        val state = JSONObject(r2.stateJson)
        assertFalse(state.has("pending"), "nothing is owed any more")
        assertEquals(mapOf(a to "\"2\"", b to "\"2\"", "${collection}c.ics" to "\"1\""), CoreJson.plain(state.getJSONObject("etags")))
    }

    @Test
    fun markPendingThenTheNextSyncFetchesIt() {
        val stored = JSONObject(mapOf("collection_url" to collection, "sync_token" to "http://radicale.org/ns/sync/6",
            "etags" to mapOf(a to "\"2\"", b to "\"1\""))).toString()
        val marked = syncStateMarkPending(stored, b)
        val state = JSONObject(marked)
        assertEquals(listOf(b), CoreJson.plain(state.getJSONArray("pending")))
        assertEquals(mapOf(a to "\"2\""), CoreJson.plain(state.getJSONObject("etags")))
        assertThrows<DavException.InvalidInput> { syncStateMarkPending("{not json", b) }

        // The recorded exchanges of the pending vector, with b.ics in place of a.ics.
        val exchanges = JSONObject(File(dir, "pending-member-fetched-next-time.json").readText()).getJSONArray("exchanges")
        val case = JSONObject().put("exchanges", JSONArray(exchanges.toString().replace("a.ics", "b.ics")))
        val r = replaySync(case, marked)
        assertEquals(listOf(b), urls(r))
        assertEquals(emptyList<Any>(), r.problems)
        assertEquals(mapOf(a to "\"2\"", b to "\"2\""), CoreJson.plain(JSONObject(r.stateJson).getJSONObject("etags")))
    }

    /** The app's own write recorded under the URL it returned (`@`) while the server lists the
     *  member as `%40`: the sync reports the other device's edit under the app's URL (the shared
     *  spelling vector). */
    @Test
    fun recordedWritesKeepTheirUrlInLaterSyncs() {
        val recorded = JSONObject(File(dir, "a-member-keeps-the-spelling-its-state-has.json").readText())
        val coll = recorded.getJSONObject("operation").getJSONObject("state").getString("collection_url")
        val mine = "${coll}alice@example.com-1.ics"
        val gone = "${coll}keep.ics"
        val stored = JSONObject(mapOf("collection_url" to coll, "sync_token" to "https://dav.example.com/sync/9",
            "etags" to mapOf("${coll}tilde~%281%29.ics" to "\"t1\"", gone to "\"k1\""))).toString()
        var state = syncStateRecordWrite(stored, mine, "\"a1\"")
        assertEquals("\"a1\"", JSONObject(state).getJSONObject("etags").getString(mine))
        state = syncStateRecordDelete(state, gone)
        assertFalse(JSONObject(state).getJSONObject("etags").has(gone))
        assertThrows<DavException.InvalidInput> { syncStateRecordWrite("{not json", mine, null) }
        // A version read (a flush's already-applied write, a server-wins version): known at its
        // ETag and pending with it as the next sync's check.
        val read = JSONObject(syncStateRecordRead(stored, gone, "\"k3\""))
        assertEquals("\"k3\"", read.getJSONObject("etags").getString(gone))
        assertEquals(gone, read.getJSONArray("pending").getString(0))
        assertEquals("\"k3\"", read.getJSONObject("listed").getString(gone))
        assertThrows<DavException.InvalidInput> { syncStateRecordRead("{not json", gone, null) }

        val replay = VectorsTest.Replay(recorded, dir)
        val config = DavConfig(serverUrl = "https://dav.example.com/", credentials = Credentials.none())
        val r = runBlocking { DavClient(config, replay).use { it.sync(coll, CollectionKind.CALENDAR, state) } }
        assertEquals(emptyList<String>(), replay.problems)
        assertEquals(listOf(mine, "${coll}new%40x.ics", "${coll}tilde~%281%29.ics"), urls(r))
        assertEquals("\"a2\"", JSONObject(r.stateJson).getJSONObject("etags").getString(mine))
    }

    /** tests/vectors/interop: the state text Rust wrote is resumed as it is, and the sync writes
     *  exactly the bytes Rust wrote for it (one format in every language); the same text given
     *  for another collection is refused, not synced. */
    @Test
    fun interopStateReadsAndWritesTheCoreBytes() {
        val interop = dir.resolveSibling("interop")
        val before = File(interop, "sync-state-before.txt").readText()
        val after = File(interop, "sync-state-after.txt").readText()
        val case = JSONObject(File(dir, "pending-member-fetched-next-time.json").readText())
        assertEquals(after, replaySync(case, before).stateJson)
        val config = DavConfig(serverUrl = "http://127.0.0.1:5232/", credentials = Credentials.none())
        val replay = VectorsTest.Replay(JSONObject(), dir)
        assertThrows<DavException.InvalidInput> {
            runBlocking { DavClient(config, replay).use { it.sync("http://127.0.0.1:5232/alice/home/", CollectionKind.CALENDAR, before) } }
        }
        assertEquals(emptyList<String>(), replay.problems)
    }
}
