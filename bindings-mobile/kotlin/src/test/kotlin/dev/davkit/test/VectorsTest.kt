package dev.davkit.test

import dev.davkit.core.CalendarFilter
import dev.davkit.core.Collection
import dev.davkit.core.CollectionKind
import dev.davkit.core.CollectionProps
import dev.davkit.Credentials
import dev.davkit.DavClient
import dev.davkit.DavConfig
import dev.davkit.Limits
import dev.davkit.DavException
import dev.davkit.GcalChannel
import dev.davkit.core.GcalEventsQuery
import dev.davkit.GcalWatchRequest
import dev.davkit.gcalParseNotification
import dev.davkit.HttpHeader
import dev.davkit.HttpRequest
import dev.davkit.HttpResponse
import dev.davkit.HttpTransport
import dev.davkit.core.RetryPolicy
import dev.davkit.core.Service
import dev.davkit.Sleeper
import dev.davkit.core.TimeRange
import dev.davkit.TokenProvider
import kotlinx.coroutines.runBlocking
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.TestFactory
import java.io.File
import java.util.Base64

/** Replays every case of the shared `tests/vectors/` (read in place, never copied) through a
 *  Kotlin [HttpTransport], calling the public suspend API; rules in tests/vectors/README.md. */
class VectorsTest {
    private companion object {
        /** Replayed, exchanges strictly in order, by [ScheduleVectorsTest]. */
        val SCHEDULING_OPS = setOf(
            "respond", "pending_invitations", "update_scheduled", "itip_apply", "gcal_respond",
            "gcal_set_attendees", "gcal_free_busy", "free_busy_query", "outbox_free_busy",
        )
        val SUPPORTED_OPS = setOf(
            "discover", "sync", "sync_batch", "list_objects", "list_collections", "get_collection", "get_object",
            "create_object", "update_object", "delete_object", "post_object", "multiget",
            "calendar_query", "create_calendar", "create_address_book", "update_collection", "delete_collection",
            "gcal_calendars", "gcal_sync", "gcal_insert", "gcal_patch", "gcal_delete", "gcal_watch", "gcal_stop",
            "gcal_notification",
        )
    }

    private val root = File(System.getProperty("davkit.vectors") ?: "../../tests/vectors").canonicalFile

    @TestFactory
    fun vectors(): List<DynamicTest> {
        val files = root.walkTopDown().filter { it.isFile && it.extension == "json" }.sorted().toList()
        check(files.size >= 10) { "expected the vector corpus in $root, found ${files.size} files" }
        return files.map { file ->
            val name = file.relativeTo(root).path
            DynamicTest.dynamicTest(name) {
                try {
                    runCase(file)
                } catch (e: AssertionError) {
                    throw AssertionError("$name: ${e.message}", e)
                }
            }
        }
    }

    /** Answers from the recorded exchanges; records problems instead of guessing. */
    class Replay(case: JSONObject, private val dir: File) : HttpTransport {
        val exchanges = case.optJSONArray("exchanges")?.let { a -> (0 until a.length()).map { a.getJSONObject(it) } } ?: emptyList()
        val used = BooleanArray(exchanges.size)
        val problems = mutableListOf<String>()

        override suspend fun send(request: HttpRequest): HttpResponse {
            val index = exchanges.indices.firstOrNull { i -> !used[i] && matchesRecorded(exchanges[i].getJSONObject("request"), request) }
            if (index == null) {
                val problem = "unexpected request ${request.method()} ${request.url()} (no unused exchange matches)"
                problems += problem
                throw IllegalStateException(problem)
            }
            used[index] = true
            problems += requestProblems(exchanges[index].getJSONObject("request"), request)
            return recordedReply(exchanges[index].getJSONObject("response"), dir)
        }
    }

    /** Records the delays asked for instead of waiting. */
    class RecordingSleeper : Sleeper {
        val sleeps = mutableListOf<Long>()
        override suspend fun sleep(ms: ULong) { sleeps += ms.toLong() }
    }

    /** Hands out the listed tokens: the same one until a refresh is forced, then the next. */
    class ListedTokens(private val tokens: List<String>) : TokenProvider {
        private var at = 0
        override suspend fun token(forceRefresh: Boolean): String {
            if (forceRefresh) at++
            return tokens.getOrNull(at) ?: throw DavException.Unauthorized("no more tokens", null, null, null, null)
        }
    }

    private fun kind(op: JSONObject) = when (op.getString("kind")) {
        "calendar" -> CollectionKind.CALENDAR
        "addressbook" -> CollectionKind.ADDRESS_BOOK
        else -> CollectionKind.OTHER
    }

    private fun props(p: JSONObject) = CollectionProps(
        displayName = p.optString("display_name", "").ifEmpty { null },
        description = p.optString("description", "").ifEmpty { null },
        color = p.optString("color", "").ifEmpty { null },
        components = p.optJSONArray("components")?.let { a -> (0 until a.length()).map { a.getString(it) } } ?: emptyList(),
    )

    /** The optional `read` of update_collection / delete_collection: the collection as last read. */
    private fun readCollection(op: JSONObject): Collection? = op.optJSONObject("read")?.let { c ->
        fun str(k: String) = if (c.has(k) && !c.isNull(k)) c.getString(k) else null
        fun list(k: String) = c.optJSONArray(k)?.let { a -> (0 until a.length()).map { a.getString(it) } } ?: emptyList()
        Collection(
            url = c.getString("url"), kind = kind(c), displayName = str("display_name"), description = str("description"),
            color = str("color"), ctag = str("ctag"), syncToken = str("sync_token"), components = list("components"),
            privileges = list("privileges"), resourceTypes = list("resource_types"), addMemberUrl = str("add_member_url"),
            supportsSyncCollection = if (c.has("supports_sync_collection") && !c.isNull("supports_sync_collection")) c.getBoolean("supports_sync_collection") else null,
        )
    }

    private fun gcalQuery(op: JSONObject): GcalEventsQuery? = op.optJSONObject("query")?.let { q ->
        fun str(k: String) = if (q.has(k) && !q.isNull(k)) q.getString(k) else null
        fun bool(k: String) = if (q.has(k) && !q.isNull(k)) q.getBoolean(k) else null
        GcalEventsQuery(
            timeMin = str("time_min"), timeMax = str("time_max"), updatedMin = str("updated_min"), q = str("q"),
            orderBy = str("order_by"), icalUid = str("ical_uid"), singleEvents = bool("single_events"),
            showDeleted = bool("show_deleted"), maxResults = if (q.has("max_results")) q.getInt("max_results").toUInt() else null,
        )
    }

    private fun gcalChannel(op: JSONObject): GcalChannel = op.getJSONObject("channel").let { c ->
        GcalChannel(
            c.getString("id"), c.getString("resource_id"), c.optString("resource_uri", "").ifEmpty { null },
            c.optString("token", "").ifEmpty { null }, if (c.has("expiration_ms")) c.getLong("expiration_ms") else null,
        )
    }

    private suspend fun execute(client: DavClient, op: JSONObject): Any? {
        val s = { key: String -> op.getString(key) }
        return when (op.getString("op")) {
            "discover" -> client.discover(
                when (s("service")) { "caldav" -> Service.CAL_DAV; "carddav" -> Service.CARD_DAV; else -> Service.BOTH },
            )
            "sync" -> op.getJSONObject("state").let { state ->
                client.sync(state.getString("collection_url"), kind(op), state.toString())
            }
            "sync_batch" -> op.getJSONObject("state").let { state ->
                client.syncBatch(state.getString("collection_url"), kind(op), state.toString(), op.getInt("max_members").toUInt())
            }
            "list_objects" -> client.listObjects(s("collection_url"))
            "list_collections" -> client.listCollections(s("home_url"))
            "get_collection" -> client.getCollection(s("url"))
            "get_object" -> client.getObject(s("url"))
            "create_object" -> client.createObject(s("collection_url"), s("name"), s("data"))
            "update_object" -> client.updateObject(s("url"), s("data"), s("etag"))
            "delete_object" -> client.deleteObject(s("url"), s("etag"))
            "post_object" -> client.postObject(s("add_member_url"), s("data"))
            "multiget" -> op.getJSONArray("hrefs").let { a ->
                client.multiget(s("collection_url"), kind(op), (0 until a.length()).map { a.getString(it) })
            }
            "calendar_query" -> op.getJSONObject("filter").let { f ->
                val tr = f.optJSONObject("time_range")?.let {
                    TimeRange(it.optString("start", "").ifEmpty { null }, it.optString("end", "").ifEmpty { null })
                }
                client.calendarQuery(s("collection_url"), CalendarFilter(f.getString("component"), tr))
            }
            "create_calendar" -> client.createCalendar(s("home_url"), s("slug"), props(op.getJSONObject("props")))
            "create_address_book" -> client.createAddressBook(s("home_url"), s("slug"), props(op.getJSONObject("props")))
            "update_collection" -> client.updateCollection(s("url"), kind(op), props(op.getJSONObject("props")), readCollection(op))
            "delete_collection" -> client.deleteCollection(s("url"), readCollection(op))
            "gcal_calendars" -> client.gcalCalendars()
            "gcal_sync" -> client.gcalSync(s("calendar_id"), gcalQuery(op), op.getJSONObject("state").toString())
            "gcal_insert" -> client.gcalInsert(s("calendar_id"), op.getJSONObject("event").toString())
            "gcal_patch" -> client.gcalPatch(s("calendar_id"), s("event_id"), op.getJSONObject("patch").toString(), s("etag"))
            "gcal_delete" -> client.gcalDelete(s("calendar_id"), s("event_id"), s("etag"))
            "gcal_watch" -> op.getJSONObject("watch").let { w ->
                val watch = GcalWatchRequest(
                    w.getString("channel_id"), w.getString("address"), w.optString("token", "").ifEmpty { null },
                    if (w.has("ttl_seconds")) w.getLong("ttl_seconds").toULong() else null,
                )
                client.gcalWatch(s("calendar_id"), watch, gcalQuery(op))
            }
            "gcal_stop" -> client.gcalStop(gcalChannel(op))
            "gcal_notification" -> op.getJSONObject("headers").let { h ->
                gcalParseNotification(h.keySet().map { HttpHeader(it, h.getString(it)) }, gcalChannel(op))
            }
            else -> error("unknown op ${op.getString("op")}")
        }
    }

    private fun runCase(file: File) {
        val case = JSONObject(file.readText())
        val op = case.getJSONObject("operation").getString("op")
        assumeTrue(op !in SCHEDULING_OPS, "a scheduling operation: replayed by ScheduleVectorsTest")
        assumeTrue(op in SUPPORTED_OPS, "operation $op is not exposed by the mobile bindings")
        val replay = Replay(case, file.parentFile)
        val sleeper = RecordingSleeper()
        val tokens = case.getJSONObject("config").optJSONArray("token_provider")?.let { a -> ListedTokens((0 until a.length()).map { a.getString(it) }) }
        var result: Any? = null
        var error: DavException? = null
        runBlocking {
            try {
                DavClient(vectorConfig(case), replay, sleeper, tokens).use { client -> result = execute(client, case.getJSONObject("operation")) }
            } catch (e: DavException) {
                error = e
            }
        }
        assertEquals(emptyList<String>(), replay.problems)
        val unused = replay.exchanges.indices.filter { !replay.used[it] }.map {
            replay.exchanges[it].getJSONObject("request").let { r -> "${r.getString("method")} ${r.getString("url")}" }
        }
        assertEquals(emptyList<String>(), unused, "exchanges never requested")
        val expect = case.getJSONObject("expect")
        if (expect.has("sleeps_ms")) {
            assertEquals(CoreJson.plain(expect.getJSONArray("sleeps_ms")), sleeper.sleeps, "the delays before retries")
        }
        if (expect.has("error")) {
            val e = error
            assertNotNull(e, "expected an error, got ${CoreJson.of(result)}")
            e!!
            assertEquals(e::class.simpleName, e.kind(), "kind() names the variant")
            val actual = mapOf("kind" to e::class.simpleName, "status" to e.httpStatus()?.toLong(), "url" to e.errorUrl())
            assertEquals(emptyList<String>(), CoreJson.subsetProblems("error", CoreJson.plain(expect.getJSONObject("error")), actual))
            val shown = "$e ${e.message}"
            case.getJSONObject("config").optJSONObject("credentials")?.let { creds ->
                creds.optJSONObject("basic")?.let { assertFalse(shown.contains(it.getString("password")), "the error shows a secret") }
                if (creds.has("bearer")) assertFalse(shown.contains(creds.getString("bearer")), "the error shows a secret")
            }
        } else {
            assertNull(error, "unexpected error $error")
            if (expect.has("result")) {
                val problems = CoreJson.subsetProblems("result", CoreJson.plain(expect.get("result")), CoreJson.of(result))
                assertEquals(emptyList<String>(), problems)
            }
        }
    }
}

/** The client configuration of a vector case (`config`), for every runner of `tests/vectors/`. */
internal fun vectorConfig(case: JSONObject): DavConfig {
    val c = case.getJSONObject("config")
    val creds = c.optJSONObject("credentials")
    val credentials = when {
        creds == null -> Credentials.none()
        creds.has("basic") -> creds.getJSONObject("basic").let { Credentials.basic(it.getString("username"), it.getString("password")) }
        creds.has("bearer") -> Credentials.bearer(creds.getString("bearer"))
        else -> Credentials.none()
    }
    return DavConfig(
        serverUrl = c.getString("server_url"),
        credentials = credentials,
        userAgent = "davkit-vectors",
        profile = c.optString("profile", "").ifEmpty { null },
        multigetBatchSize = if (c.has("multiget_batch_size")) c.getInt("multiget_batch_size").toUInt() else null,
        syncPageLimit = if (c.has("sync_page_limit")) c.getInt("sync_page_limit").toUInt() else null,
        retry = c.optJSONObject("retry")?.let {
            RetryPolicy(it.getInt("max_retries").toUInt(), it.getLong("initial_delay_ms").toULong(), it.getLong("max_delay_ms").toULong())
        },
        limits = c.optJSONObject("limits")?.let(::vectorLimits),
    )
}

/** The vector's `limits` (the core's snake_case names); a name the record lacks fails the case. */
private fun vectorLimits(l: JSONObject): Limits {
    val known = setOf(
        "max_body_bytes", "max_xml_depth", "max_xml_elements", "max_xml_text_bytes", "max_xml_attributes",
        "max_xml_namespace_declarations", "max_hrefs_per_response", "max_content_lines", "max_instances",
        "max_iterations", "max_total_iterations", "max_home_sets", "max_collections", "max_sync_pages",
        "max_redirects", "max_json_values",
    )
    val unknown = l.keySet() - known
    require(unknown.isEmpty()) { "unknown limits $unknown" }
    fun n(key: String) = if (l.has(key)) l.getLong(key).toULong() else null
    return Limits(
        maxBodyBytes = n("max_body_bytes"),
        maxXmlDepth = n("max_xml_depth"),
        maxXmlElements = n("max_xml_elements"),
        maxXmlTextBytes = n("max_xml_text_bytes"),
        maxXmlAttributes = n("max_xml_attributes"),
        maxXmlNamespaceDeclarations = n("max_xml_namespace_declarations"),
        maxHrefsPerResponse = n("max_hrefs_per_response"),
        maxContentLines = n("max_content_lines"),
        maxInstances = n("max_instances"),
        maxIterations = n("max_iterations"),
        maxTotalIterations = n("max_total_iterations"),
        maxHomeSets = n("max_home_sets"),
        maxCollections = n("max_collections"),
        maxSyncPages = n("max_sync_pages"),
        maxRedirects = n("max_redirects"),
        maxJsonValues = n("max_json_values"),
    )
}

/** Whether a recorded exchange's `request` is this request: its method, its URL and every
 *  `body_contains` part. */
internal fun matchesRecorded(want: JSONObject, request: HttpRequest): Boolean {
    val body = request.body()?.toString(Charsets.UTF_8) ?: ""
    return want.getString("method") == request.method() && want.getString("url") == request.url() &&
        (want.optJSONArray("body_contains")?.let { parts -> (0 until parts.length()).all { body.contains(parts.getString(it)) } } ?: true)
}

/** What a request lacks against a recorded exchange's `request`: a `body_contains` part, or a
 *  header that differs (JSON null: must be absent). */
internal fun requestProblems(want: JSONObject, request: HttpRequest): List<String> {
    val problems = mutableListOf<String>()
    val body = request.body()?.toString(Charsets.UTF_8) ?: ""
    want.optJSONArray("body_contains")?.let { parts ->
        for (i in 0 until parts.length()) if (!body.contains(parts.getString(i))) problems += "${request.url()}: body lacks ${parts.getString(i)}"
    }
    want.optJSONObject("headers")?.let { headers ->
        for (name in headers.keySet()) {
            val actual = request.headers().firstOrNull { it.name.equals(name, ignoreCase = true) }?.value
            val expected = if (headers.isNull(name)) null else headers.getString(name)
            if (actual != expected) problems += "header `$name` of ${request.method()} ${request.url()}: $actual, expected $expected"
        }
    }
    return problems
}

/** The reply a recorded exchange's `response` gives (`body_file` read from `dir`); a
 *  `transport_error` is thrown as the app's transport would (the host could not send it at all:
 *  network, TLS, CORS). */
internal fun recordedReply(r: JSONObject, dir: File?): HttpResponse {
    if (r.has("transport_error")) throw DavException.Transport(r.getString("transport_error"), null, null, null, null)
    val body = when {
        r.has("body_file") -> File(checkNotNull(dir) { "a body_file needs the case's folder" }, r.getString("body_file")).readBytes()
        r.has("body_base64") -> Base64.getDecoder().decode(r.getString("body_base64"))
        else -> r.optString("body", "").toByteArray(Charsets.UTF_8)
    }
    val headers = r.optJSONObject("headers")?.let { h -> h.keySet().map { HttpHeader(it, h.optString(it, "")) } } ?: emptyList()
    return HttpResponse(r.getInt("status").toUShort(), headers, body, r.optString("final_url", "").ifEmpty { null })
}
