package dev.davkit.test

import dev.davkit.Change
import dev.davkit.core.CollectionKind
import dev.davkit.core.CollectionProps
import dev.davkit.Credentials
import dev.davkit.DavClient
import dev.davkit.DavConfig
import dev.davkit.DavException
import dev.davkit.core.Service
import dev.davkit.core.SyncMethod
import dev.davkit.example.OkHttpTransport
import dev.davkit.example.rename
import dev.davkit.example.syncBatches
import dev.davkit.example.syncInBatches
import dev.davkit.example.syncCalendars
import dev.davkit.parseEvents
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.MethodOrderer
import org.junit.jupiter.api.Order
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.TestMethodOrder
import org.junit.jupiter.api.assertThrows

/** Against the Radicale that `tests/servers/servers.py --only radicale run -- mvn verify` starts
 *  (DAVKIT_RADICALE_URL/USER/PASSWORD); skipped when those are absent. Real HTTP through
 *  [JdkTransport]: discovery, CRUD with a 412 conflict, initial and incremental sync. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation::class)
class LiveRadicaleTest {
    private val url: String? = System.getenv("DAVKIT_RADICALE_URL")
    private lateinit var client: DavClient
    private lateinit var home: String
    private lateinit var calendar: String
    private var stateJson: String? = null
    private val slug = "kotlin-live-${System.nanoTime()}"

    private fun event(uid: String, summary: String) =
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davkit//kotlin-test//EN\r\nBEGIN:VEVENT\r\nUID:$uid\r\n" +
            "DTSTAMP:20260101T000000Z\r\nDTSTART:20260301T090000Z\r\nDTEND:20260301T100000Z\r\n" +
            "SUMMARY:$summary\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

    @BeforeAll
    fun connect() {
        assumeTrue(url != null, "DAVKIT_RADICALE_URL not set: run under tests/servers/servers.py")
        val config = DavConfig(
            serverUrl = url!!,
            credentials = Credentials.basic(System.getenv("DAVKIT_RADICALE_USER"), System.getenv("DAVKIT_RADICALE_PASSWORD")),
        )
        client = DavClient(config, JdkTransport())
    }

    @AfterAll
    fun cleanUp() {
        if (this::calendar.isInitialized) runBlocking { client.deleteCollection(calendar) }
        if (this::client.isInitialized) client.close()
    }

    @Test @Order(1)
    fun discoverAndCreateCalendar(): Unit = runBlocking {
        val found = client.discover(Service.BOTH)
        assertEquals("${url}alice/", found.principal)
        home = found.calendarHomeSets.single()
        val created = client.createCalendar(home, slug, CollectionProps(displayName = "Kotlin live", components = listOf("VEVENT")))
        calendar = created.url
        assertEquals(CollectionKind.CALENDAR, created.kind)
        val again = client.discover(Service.CAL_DAV)
        val mine = again.collections.single { it.url == calendar }
        assertEquals("Kotlin live", mine.displayName)
        assertEquals(true, mine.supportsSyncCollection)
    }

    @Test @Order(2)
    fun crudWith412Conflict(): Unit = runBlocking {
        val created = client.createObject(calendar, "a.ics", event("a@davkit", "First"))
        assertNotNull(created.etag)
        val etag1 = created.etag!!
        // The name is taken: If-None-Match: * fails.
        val taken = assertThrows<DavException.PreconditionFailed> { runBlocking { client.createObject(calendar, "a.ics", event("a@davkit", "Again")) } }
        assertEquals(412.toUShort(), taken.status)
        val updated = client.updateObject(created.url, event("a@davkit", "Second"), etag1)
        assertNotEquals(etag1, updated.etag)
        // A writer holding the old ETag gets 412 and overwrites nothing.
        val conflict = assertThrows<DavException.PreconditionFailed> { runBlocking { client.updateObject(created.url, event("a@davkit", "Stale"), etag1) } }
        assertEquals("PreconditionFailed", conflict.kind())
        assertEquals(412.toUShort(), conflict.httpStatus())
        val fetched = client.getObject(created.url)
        assertEquals(updated.etag, fetched.etag)
        assertEquals("Second", parseEvents(fetched.data!!).single().summary)
        assertThrows<DavException.PreconditionFailed> { runBlocking { client.deleteObject(created.url, etag1) } }
        client.deleteObject(created.url, fetched.etag!!)
        assertThrows<DavException.NotFound> { runBlocking { client.getObject(created.url) } }
    }

    @Test @Order(3)
    fun initialAndIncrementalSync(): Unit = runBlocking {
        val b = client.createObject(calendar, "b.ics", event("b@davkit", "B"))
        val c = client.createObject(calendar, "c.ics", event("c@davkit", "C"))
        val first = client.sync(calendar, CollectionKind.CALENDAR)
        assertEquals(SyncMethod.SYNC_COLLECTION, first.method)
        val added = first.changes.filterIsInstance<Change.Added>().map { it.`object`.url }.sorted()
        assertEquals(listOf(b.url, c.url), added)
        assertEquals(2, first.changes.size)
        assertTrue(first.changes.filterIsInstance<Change.Added>().all { it.`object`.data!!.contains("BEGIN:VEVENT") })
        stateJson = first.stateJson

        val unchanged = client.sync(calendar, CollectionKind.CALENDAR, stateJson)
        assertEquals(0, unchanged.changes.size)

        client.updateObject(b.url, event("b@davkit", "B2"), b.etag!!)
        client.deleteObject(c.url, c.etag!!)
        val d = client.createObject(calendar, "d.ics", event("d@davkit", "D"))
        val next = client.sync(calendar, CollectionKind.CALENDAR, unchanged.stateJson)
        val byType = next.changes.groupBy { it::class.simpleName }
        assertEquals(listOf(b.url), byType["Changed"]?.map { (it as Change.Changed).`object`.url })
        assertEquals(listOf(c.url), byType["Deleted"]?.map { (it as Change.Deleted).url })
        assertEquals(listOf(d.url), byType["Added"]?.map { (it as Change.Added).`object`.url })
        assertEquals("B2", parseEvents((byType["Changed"]!!.single() as Change.Changed).`object`.data!!).single().summary)
        assertNotEquals(first.syncToken, next.syncToken)

        // The stored state belongs to this calendar only.
        assertThrows<DavException.InvalidInput> { runBlocking { client.sync(home, CollectionKind.CALENDAR, next.stateJson) } }
    }

    @Test @Order(4)
    fun okHttpExampleTransport(): Unit = runBlocking {
        // examples/android/OkHttpTransport.kt, as an app would use it (also as the Sleeper).
        val transport = OkHttpTransport()
        val config = DavConfig(
            serverUrl = url!!,
            credentials = Credentials.basic(System.getenv("DAVKIT_RADICALE_USER"), System.getenv("DAVKIT_RADICALE_PASSWORD")),
        )
        DavClient(config, transport, sleeper = transport).use { ok ->
            val found = ok.discover(Service.CAL_DAV)
            assertTrue(found.collections.any { it.url == calendar })
            val created = ok.createObject(calendar, "okhttp.ics", event("okhttp@davkit", "Over OkHttp"))
            val synced = ok.sync(calendar, CollectionKind.CALENDAR, stateJson)
            assertTrue(synced.changes.any { it is Change.Added && it.`object`.url == created.url })
            assertEquals("Over OkHttp", parseEvents(ok.getObject(created.url).data!!).single().summary)
            val stale = assertThrows<DavException.PreconditionFailed> { runBlocking { ok.deleteObject(created.url, "\"stale\"") } }
            assertEquals(412.toUShort(), stale.status)
            ok.deleteObject(created.url, created.etag!!)
        }
    }

    @Test @Order(5)
    fun completeExample(): Unit = runBlocking {
        // examples/android/CalendarSync.kt, the README's complete Kotlin example.
        val states = mutableMapOf<String, String>()
        val user = System.getenv("DAVKIT_RADICALE_USER")
        val password = System.getenv("DAVKIT_RADICALE_PASSWORD")
        val first = syncCalendars(url!!, user, password, states)
        assertTrue(first.any { it.startsWith("Kotlin live: B2 at 2026-03-01T09:00:00Z") }, first.toString())
        assertTrue(first.any { it.contains("occurs 2026-03-01T09:00:00Z D") }, first.toString())
        assertTrue(states.containsKey(calendar))
        val again = syncCalendars(url, user, password, states)
        assertTrue(again.none { it.startsWith("Kotlin live:") }, again.toString())
        val d = client.listObjects(calendar).single { it.url.endsWith("/d.ics") }
        assertTrue(rename(client, d.url, "D renamed"))
        assertEquals("D renamed", parseEvents(client.getObject(d.url).data!!).single().summary)
    }

    @Test @Order(6)
    fun wrongPasswordIsUnauthorized(): Unit = runBlocking {
        val bad = DavClient(DavConfig(serverUrl = url!!, credentials = Credentials.basic("alice", "wrong")), JdkTransport())
        val e = assertThrows<DavException.Unauthorized> { runBlocking { bad.discover(Service.BOTH) } }
        assertEquals(401.toUShort(), e.status)
        assertTrue(!e.toString().contains("wrong"))
        bad.close()
    }

    @Test @Order(7)
    fun sixEventsInBatchesOfFourResumeFromTheFirstCheckpoint(): Unit = runBlocking {
        val created = client.createCalendar(home, "$slug-batches", CollectionProps(displayName = "Kotlin batches", components = listOf("VEVENT")))
        try {
            for (i in 1..6) client.createObject(created.url, "b$i.ics", event("batch-$i-$slug", "Batch $i"))
            val oneShot = client.sync(created.url, CollectionKind.CALENDAR, null)
            assertEquals(6, oneShot.changes.size)
            val stored = mutableListOf<String>()              // each checkpoint, as an app stores it
            val batches = client.syncBatches(created.url, CollectionKind.CALENDAR, null, 4u).toList().onEach { stored += it.stateJson }
            assertEquals(listOf(4 to true, 2 to false), batches.map { it.changes.size to it.more })
            fun etags(json: String) = CoreJson.plain(org.json.JSONObject(json).getJSONObject("etags"))
            assertEquals(etags(oneShot.stateJson), etags(stored.last()))
            val resumed = client.syncBatch(created.url, CollectionKind.CALENDAR, stored.first(), 4u)
            assertEquals(2, resumed.changes.size)
            assertEquals(false, resumed.more)
            assertEquals(etags(oneShot.stateJson), etags(resumed.stateJson))
            // The example's worker loop: every change applied once, the last checkpoint stored.
            val states = mutableMapOf<String, String>()
            val seen = mutableListOf<String>()
            val applied = syncInBatches(client, created, states, maxMembers = 4u) { change ->
                seen += if (change is Change.Added) change.`object`.url else error("only additions expected: $change")
            }
            assertEquals(6, applied)
            assertEquals(6, seen.toSet().size)
            assertEquals(etags(oneShot.stateJson), etags(states.getValue(created.url)))
        } finally {
            client.deleteCollection(created.url)
        }
    }
}
