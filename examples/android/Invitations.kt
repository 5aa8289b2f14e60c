// Invitations from Kotlin (RFC 6638 on a server that schedules): alice invites bob and carol to
// a daily meeting, bob declines the series and accepts one occurrence (each answer written with
// If-Schedule-Tag-Match, read again and retried after a 412, so it never overwrites a newer
// version from alice), alice reads every attendee's PARTSTAT and SCHEDULE-STATUS back and asks
// when bob and carol are busy. The same calls as examples/ios/Invitations.swift and
// examples/python/invitations.py. Compiled with the Kotlin tests and run against live DAViCal
// by InvitationsExampleTest.kt.
package dev.davkit.example

import dev.davkit.DavClient
import dev.davkit.attendeeStatuses
import dev.davkit.calAddressFromEmail
import dev.davkit.organizerAddress
import dev.davkit.scheduleInvite
import dev.davkit.core.Answer
import dev.davkit.core.BusyPeriod
import dev.davkit.core.CollectionKind
import dev.davkit.core.FreeBusyRequest
import dev.davkit.core.PartStat
import dev.davkit.core.Responded
import dev.davkit.core.Service
import java.util.UUID

/** One row of alice's view of the meeting: who, which occurrence (null: the series), the
 *  answer, and the delivery status codes the server wrote (`1.2` delivered, `2.0` done). */
data class AnswerRow(val recurrenceId: String?, val address: String, val partstat: PartStat, val deliveryCodes: List<String>)

class Invitations(private val alice: DavClient, private val bob: DavClient) {
    /** alice invites the attendees to the meeting in [ics] (ORGANIZER from her calendar-user
     *  addresses, SEQUENCE and DTSTAMP set by davkit); returns the URL of her copy. */
    suspend fun invite(ics: String, attendees: List<String>, dtstamp: String): String {
        val found = alice.discover(Service.CAL_DAV)
        val me = organizerAddress(found.scheduling) ?: error("the server does not schedule")
        val calendar = found.collections.first { it.kind == CollectionKind.CALENDAR }.url
        val invite = scheduleInvite(ics, me, attendees.map { calAddressFromEmail(it) }, dtstamp)
        return alice.createObject(calendar, "${UUID.randomUUID()}.ics", invite).url
    }

    /** bob declines the series of meeting [uid], then accepts one [occurrence]; processed inbox
     *  items are removed with their ETag. */
    suspend fun answer(uid: String, occurrence: String): Responded {
        val his = bob.discover(Service.CAL_DAV)
        val mine = his.scheduling.userAddresses
        val calendars = his.collections.filter { it.kind == CollectionKind.CALENDAR }.map { it.url }
        val pending = bob.pendingInvitations(his.scheduling.inboxUrl, calendars, mine)
        val invitation = pending.invitations.first { !it.inInbox && it.uid == uid }
        bob.respond(invitation.`object`.url, mine, Answer.Declined, null)
        val done = bob.respond(invitation.`object`.url, mine, Answer.Accepted, occurrence)
        for (item in pending.invitations.filter { it.inInbox && it.uid == uid }) {
            bob.deleteObject(item.`object`.url, item.`object`.etag ?: "")
        }
        return done
    }

    /** alice reads every attendee's answer and delivery status, series and occurrences. */
    suspend fun answers(meetingUrl: String): List<AnswerRow> =
        attendeeStatuses(alice.getScheduled(meetingUrl).data).map { row ->
            AnswerRow(row.recurrenceId, row.address, row.partstat, row.scheduleStatus.map { it.code })
        }

    /** When the attendees are busy between [start] and [end] (UTC `YYYYMMDDTHHMMSSZ`), asked
     *  through alice's scheduling outbox (RFC 6638 §5). */
    suspend fun busy(attendees: List<String>, start: String, end: String): Map<String, List<BusyPeriod>> {
        val found = alice.discover(Service.CAL_DAV)
        val outbox = found.scheduling.outboxUrl ?: return emptyMap()
        val me = organizerAddress(found.scheduling) ?: return emptyMap()
        val request = FreeBusyRequest(me.uri, attendees.map { "mailto:$it" }, start, end, UUID.randomUUID().toString(), start)
        return alice.outboxFreeBusy(outbox, request).filter { it.ok }.associate { it.recipient to it.busy }
    }
}
