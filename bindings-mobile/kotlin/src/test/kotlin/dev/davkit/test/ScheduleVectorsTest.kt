package dev.davkit.test

import dev.davkit.DavClient
import dev.davkit.DavException
import dev.davkit.HttpRequest
import dev.davkit.HttpResponse
import dev.davkit.HttpTransport
import dev.davkit.attendeeStatuses
import dev.davkit.itipApply
import dev.davkit.itipParse
import dev.davkit.itipReply
import dev.davkit.parseEvents
import dev.davkit.scheduleAnswer
import dev.davkit.scheduleInvite
import dev.davkit.scheduleNeedsAction
import dev.davkit.scheduleUpdate
import dev.davkit.core.Answer
import dev.davkit.core.AttendeeStatus
import dev.davkit.core.BusyPeriod
import dev.davkit.formats.CalAddress
import dev.davkit.core.Discovery
import dev.davkit.core.FbType
import dev.davkit.core.FreeBusy
import dev.davkit.core.FreeBusyRequest
import dev.davkit.core.GcalAttendee
import dev.davkit.core.GcalResponded
import dev.davkit.core.Invitation
import dev.davkit.core.ItipApplied
import dev.davkit.core.ItipMethod
import dev.davkit.core.PartStat
import dev.davkit.core.Pending
import dev.davkit.core.RecipientFreeBusy
import dev.davkit.core.Responded
import dev.davkit.core.ScheduleAgent
import dev.davkit.core.ScheduleStatus
import dev.davkit.core.ScheduledObject
import dev.davkit.core.ScheduledWrite
import dev.davkit.core.Scheduling
import dev.davkit.core.SendUpdates
import dev.davkit.core.Service
import kotlinx.coroutines.runBlocking
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import org.junit.jupiter.api.assertThrows
import java.io.File

/** Scheduling (issue 17) through the Kotlin bindings: every case of the scheduling vectors
 *  (`tests/vectors/{schedule,gcal-scheduling,freebusy,scheduling}`, the files the Rust and
 *  Python runners replay) with the recorded exchanges answered strictly in order, results and
 *  error kinds checked as subsets of the core's JSON; and the invitation round trip as pure
 *  calls (invite, answer one occurrence, REPLY applied, every answer read back). */
class ScheduleVectorsTest {
    private val root = File(System.getProperty("davkit.vectors") ?: "../../tests/vectors").canonicalFile

    @TestFactory
    fun scheduleVectors(): List<DynamicTest> {
        val files = listOf("schedule", "gcal-scheduling", "freebusy", "scheduling").flatMap { folder ->
            File(root, folder).listFiles { f -> f.isFile && f.extension == "json" }?.sorted() ?: emptyList()
        }
        check(files.size >= 20) { "expected the scheduling vectors in $root, found ${files.size} files" }
        return files.map { file -> DynamicTest.dynamicTest("${file.parentFile.name}/${file.name}") { runCase(file) } }
    }

    private fun strings(o: JSONObject, k: String) = o.getJSONArray(k).let { a -> (0 until a.length()).map { a.getString(it) } }
    private fun str(o: JSONObject, k: String) = if (o.has(k) && !o.isNull(k)) o.getString(k) else null

    private fun answer(a: JSONObject): Answer = when (a.getString("answer")) {
        "accepted" -> Answer.Accepted
        "declined" -> Answer.Declined
        "tentative" -> Answer.Tentative
        else -> Answer.Delegated(a.getString("to"))
    }

    private fun send(v: String) = when (v) {
        "all" -> SendUpdates.ALL
        "external-only" -> SendUpdates.EXTERNAL_ONLY
        else -> SendUpdates.NONE
    }

    /** The pure `itip_apply` case, in the Rust runner's shape. */
    private fun itip(op: JSONObject): Map<String, Any?> {
        var stored = op.getString("stored")
        val applied = mutableListOf<Any?>()
        for (m in strings(op, "messages")) {
            val r = itipApply(stored, m, strings(op, "my_addresses"))
            applied += json(r.applied)
            stored = r.ics
        }
        val master = parseEvents(stored).first { it.recurrenceId == null }
        return mapOf("applied" to applied, "statuses" to json(attendeeStatuses(stored)),
            "status" to master.status, "sequence" to master.sequence)
    }

    private suspend fun execute(client: DavClient, op: JSONObject): Any? = when (op.getString("op")) {
        "respond" -> client.respond(op.getString("url"), strings(op, "my_addresses"), answer(op.getJSONObject("answer")), str(op, "occurrence"))
        "pending_invitations" -> client.pendingInvitations(str(op, "inbox_url"), strings(op, "calendar_urls"), strings(op, "my_addresses"))
        "update_scheduled" -> client.updateScheduled(op.getString("url"), op.getString("data"), op.getString("schedule_tag"))
        "itip_apply" -> itip(op)
        "gcal_respond" -> client.gcalRespond(op.getString("calendar_id"), op.getString("event_id"), op.getString("my_email"),
            answer(op.getJSONObject("answer")), send(op.getString("send")))
        "gcal_set_attendees" -> op.getJSONArray("attendees").let { a ->
            val people = (0 until a.length()).map { a.getJSONObject(it) }.map {
                GcalAttendee(it.getString("email"), str(it, "display_name"), it.optBoolean("optional", false), str(it, "response_status"))
            }
            client.gcalSetAttendees(op.getString("calendar_id"), op.getString("event_id"), people, op.getString("etag"), send(op.getString("send")))
        }
        "gcal_free_busy" -> client.gcalFreeBusy(op.getString("start"), op.getString("end"), strings(op, "calendars"))
        "free_busy_query" -> client.freeBusyQuery(op.getString("calendar_url"), op.getString("start"), op.getString("end"))
        "outbox_free_busy" -> op.getJSONObject("request").let { r ->
            client.outboxFreeBusy(op.getString("outbox_url"), FreeBusyRequest(r.getString("organizer"), strings(r, "attendees"),
                r.getString("start"), r.getString("end"), r.getString("uid"), r.getString("dtstamp")))
        }
        "discover" -> client.discover(when (op.getString("service")) { "caldav" -> Service.CAL_DAV; "carddav" -> Service.CARD_DAV; else -> Service.BOTH })
        else -> error("unknown op ${op.getString("op")}")
    }

    /** Answers the recorded exchanges strictly in order (`together`: requests the operation
     *  sends at once, such as pending invitations' REPORTs, in any order, each matched by its
     *  method, URL and body); a request out of
     *  order, a missing `body_contains` part or a header that differs (JSON null: must be
     *  absent) is a problem. */
    class InOrder(private val exchanges: List<JSONObject>, private val together: Boolean) : HttpTransport {
        private val used = BooleanArray(exchanges.size)
        val next get() = used.count { it }
        val problems = mutableListOf<String>()

        override suspend fun send(request: HttpRequest): HttpResponse = synchronized(this) { answer(request) }

        private fun answer(request: HttpRequest): HttpResponse {
            // Requests sent together may come in any order: each takes the first unused exchange
            // that is it, its body included (two REPORTs to one calendar differ by their body).
            val at = if (together) exchanges.indices.firstOrNull { !used[it] && matchesRecorded(exchanges[it].getJSONObject("request"), request) }
            else used.indexOfFirst { !it }.takeIf { it >= 0 }
            val ex = at?.let { exchanges[it] }
            val want = ex?.getJSONObject("request")
            if (want == null || want.getString("method") != request.method() || want.getString("url") != request.url()) {
                val problem = "request ${request.method()} ${request.url()}, expected ${want?.let { "${it.getString("method")} ${it.getString("url")}" } ?: "nothing more"}"
                problems += problem
                throw IllegalStateException(problem)
            }
            used[at] = true
            problems += requestProblems(want, request)
            return recordedReply(ex.getJSONObject("response"), null)
        }
    }

    private fun kebab(s: String) = s.replace(Regex("([a-z])([A-Z])"), "$1-$2").lowercase()

    /** Binding values in the core's JSON shape (serde: kebab-case enums, `{ other: .. }`). */
    private fun json(v: Any?): Any? = when (v) {
        is Map<*, *> -> v
        is List<*> -> v.map { json(it) }
        is PartStat.Other -> mapOf("other" to v.v1)
        is PartStat -> kebab(v::class.simpleName!!)
        is ScheduleAgent.Other -> mapOf("other" to v.v1)
        is ScheduleAgent -> kebab(v::class.simpleName!!)
        is FbType.Other -> mapOf("other" to v.v1)
        is FbType -> kebab(v::class.simpleName!!)
        is ItipMethod.Other -> mapOf("other" to v.v1)
        is ItipMethod -> kebab(v::class.simpleName!!)
        is ItipApplied -> mapOf("outcome" to v.name.lowercase().replace('_', '-'))
        is ScheduleStatus -> mapOf("code" to v.code)
        is AttendeeStatus -> mapOf("recurrence_id" to v.recurrenceId, "address" to v.address, "name" to v.name,
            "partstat" to json(v.partstat), "rsvp" to v.rsvp, "schedule_agent" to json(v.scheduleAgent),
            "schedule_status" to json(v.scheduleStatus), "delegated_to" to v.delegatedTo, "delegated_from" to v.delegatedFrom)
        is ScheduledObject -> mapOf("url" to v.url, "etag" to v.etag, "schedule_tag" to v.scheduleTag, "data" to v.data)
        is ScheduledWrite -> mapOf("url" to v.url, "etag" to v.etag, "schedule_tag" to v.scheduleTag)
        is Responded -> mapOf("write" to json(v.write), "attempts" to v.attempts.toLong(), "data" to v.data)
        is GcalResponded -> mapOf("write" to CoreJson.of(v.write), "attempts" to v.attempts.toLong())
        is Invitation -> mapOf("object" to json(v.`object`), "in_inbox" to v.inInbox, "method" to json(v.method), "uid" to v.uid,
            "summary" to v.summary, "organizer" to v.organizer, "needs_action" to v.needsAction)
        is Pending -> mapOf("invitations" to json(v.invitations), "unreadable" to v.unreadable)
        is BusyPeriod -> mapOf("start" to v.start, "end" to v.end, "fb_type" to json(v.fbType))
        is FreeBusy -> mapOf("start" to v.start, "end" to v.end, "busy" to json(v.busy))
        is RecipientFreeBusy -> mapOf("recipient" to v.recipient, "request_status" to v.requestStatus, "ok" to v.ok, "busy" to json(v.busy))
        is Scheduling -> mapOf("user_addresses" to v.userAddresses, "preferred_address" to v.preferredAddress, "inbox_url" to v.inboxUrl,
            "outbox_url" to v.outboxUrl, "default_calendar_url" to v.defaultCalendarUrl, "auto_schedule" to v.autoSchedule)
        is Discovery -> (CoreJson.of(v) as Map<*, *>) + mapOf("scheduling" to json(v.scheduling))
        else -> CoreJson.of(v)
    }

    private fun runCase(file: File) {
        val case = JSONObject(file.readText())
        val exchanges = case.optJSONArray("exchanges")?.let { a -> (0 until a.length()).map { a.getJSONObject(it) } } ?: emptyList()
        val transport = InOrder(exchanges, together = case.getJSONObject("operation").getString("op") == "pending_invitations")
        var result: Any? = null
        var error: DavException? = null
        runBlocking {
            try {
                DavClient(vectorConfig(case), transport).use { client -> result = execute(client, case.getJSONObject("operation")) }
            } catch (e: DavException) {
                error = e
            }
        }
        assertEquals(emptyList<String>(), transport.problems)
        assertEquals(exchanges.size, transport.next, "every exchange requested")
        val expect = case.getJSONObject("expect")
        if (expect.has("error")) {
            val e = error
            assertNotNull(e, "expected an error, got ${json(result)}")
            val actual = mapOf("kind" to e!!::class.simpleName, "status" to e.httpStatus()?.toLong(), "url" to e.errorUrl())
            assertEquals(emptyList<String>(), CoreJson.subsetProblems("error", CoreJson.plain(expect.getJSONObject("error")), actual))
        } else {
            assertNull(error, "unexpected error $error")
            if (expect.has("result")) {
                val problems = CoreJson.subsetProblems("result", CoreJson.plain(expect.get("result")), plainNumbers(json(result)))
                assertEquals(emptyList<String>(), problems)
            }
        }
    }

    /** Numbers as Long, like [CoreJson.plain] makes the expected side. */
    private fun plainNumbers(v: Any?): Any? = when (v) {
        is Map<*, *> -> v.mapValues { plainNumbers(it.value) }
        is List<*> -> v.map { plainNumbers(it) }
        is Int -> v.toLong()
        is UInt -> v.toLong()
        is UByte -> v.toLong()
        else -> v
    }

    private fun address(email: String) = CalAddress(uri = "mailto:$email", email = email, cn = null, role = null, partstat = null, rsvp = null,
        cutype = null, delegatedTo = emptyList(), delegatedFrom = emptyList(), sentBy = null, member = emptyList(), dir = null)

    private val event = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//example//EN\r\n" +
        "BEGIN:VEVENT\r\nUID:plan@example.com\r\nDTSTAMP:20250101T000000Z\r\n" +
        "DTSTART:20250303T090000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\n" +
        "SUMMARY:Planning\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

    @Test
    fun inviteAnswerOneOccurrenceAndReadEveryAnswer() {
        val ics = scheduleInvite(event, address("alice@example.com"), listOf(address("bob@example.com")), "20250102T080000Z")
        val me = listOf("mailto:bob@example.com")
        assertEquals(listOf<String?>(null), scheduleNeedsAction(ics, me))
        val bobs = scheduleAnswer(ics, me, Answer.Declined, "20250310T090000Z")
        val reply = itipReply(bobs, me, "20250102T090000Z", "20250310T090000Z")
        val msg = itipParse(reply)
        assertEquals(ItipMethod.Reply, msg.method)
        assertEquals("mailto:bob@example.com", msg.replyingAttendee?.uri)
        val r = itipApply(ics, reply, listOf("mailto:alice@example.com"))
        assertEquals(ItipApplied.UPDATED, r.applied)
        val rows = attendeeStatuses(r.ics).associate { (it.recurrenceId to it.address) to it.partstat }
        assertEquals(PartStat.Declined, rows[("20250310T090000Z" to "mailto:bob@example.com")])
        assertEquals(PartStat.NeedsAction, rows[(null to "mailto:bob@example.com")])
        val moved = scheduleUpdate(ics, ics.replace("DTSTART:20250303T090000Z", "DTSTART:20250303T100000Z"), "20250102T100000Z", false)
        assertEquals(listOf(Triple(null, true, 1L)), moved.changes.map { Triple(it.recurrenceId, it.significant, it.sequence) })
        assertThrows<DavException.InvalidInput> { scheduleAnswer(ics, me, Answer.Accepted, "soon") }
    }
}
