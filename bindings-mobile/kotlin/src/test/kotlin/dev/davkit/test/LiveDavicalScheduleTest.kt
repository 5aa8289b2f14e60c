package dev.davkit.test

import dev.davkit.Credentials
import dev.davkit.DavClient
import dev.davkit.DavConfig
import dev.davkit.attendeeStatuses
import dev.davkit.calAddressFromEmail
import dev.davkit.organizerAddress
import dev.davkit.scheduleInvite
import dev.davkit.core.Answer
import dev.davkit.core.CollectionKind
import dev.davkit.core.PartStat
import dev.davkit.core.Service
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.Test

/** The README's Kotlin invitation round trip, the same calls, against the DAViCal that
 *  `tests/servers/servers.py --only radicale,davical run -- mvn verify` starts
 *  (DAVKIT_DAVICAL_URL, alice and bob); skipped when it is absent. */
class LiveDavicalScheduleTest {
    private val url: String? = System.getenv("DAVKIT_DAVICAL_URL")

    private fun client(n: String) = DavClient(
        DavConfig(serverUrl = "$url${System.getenv("DAVKIT_DAVICAL_USER$n")}/",
            credentials = Credentials.basic(System.getenv("DAVKIT_DAVICAL_USER$n"), System.getenv("DAVKIT_DAVICAL_PASSWORD$n"))),
        JdkTransport(),
    )

    @Test
    fun readmeInvitationRoundTrip() = runBlocking {
        assumeTrue(url != null, "DAVKIT_DAVICAL_URL not set: run under tests/servers/servers.py --only davical")
        val alice = client("")
        val bob = client("2")
        val year = 2040 + (System.currentTimeMillis() % 2000)
        val uid = "kotlin-${System.nanoTime()}@example.com"
        val ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davkit//kotlin readme//EN\r\nBEGIN:VEVENT\r\n" +
            "UID:$uid\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:${year}0105T090000Z\r\nDURATION:PT1H\r\n" +
            "RRULE:FREQ=DAILY;COUNT=5\r\nSUMMARY:Planning\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        val wednesday = "${year}0107T090000Z"

        // --- README (Kotlin) ---
        // alice invites bob (ORGANIZER from her calendar-user addresses, SEQUENCE and DTSTAMP set)
        val found = alice.discover(Service.CAL_DAV)
        val me = organizerAddress(found.scheduling) ?: error("the server does not schedule")
        val calendar = found.collections.first { it.kind == CollectionKind.CALENDAR }.url
        val invite = scheduleInvite(ics, me, listOf(calAddressFromEmail(System.getenv("DAVKIT_DAVICAL_EMAIL2"))), "20300101T090000Z")
        val meeting = alice.createObject(calendar, "${System.nanoTime()}.ics", invite)

        // bob accepts one occurrence: If-Schedule-Tag-Match (If-Match here), re-read and retried after a 412
        val his = bob.discover(Service.CAL_DAV)
        val mine = his.scheduling.userAddresses
        val bobs = his.collections.first { it.kind == CollectionKind.CALENDAR }.url
        val pending = bob.pendingInvitations(his.scheduling.inboxUrl, listOf(bobs), mine)
        val invitation = pending.invitations.first { !it.inInbox && it.uid == uid }
        bob.respond(invitation.`object`.url, mine, Answer.Accepted, wednesday)

        // alice reads PARTSTAT and SCHEDULE-STATUS of every attendee, series and occurrences
        val copy = alice.getScheduled(meeting.url)
        for (row in attendeeStatuses(copy.data)) println("${row.address} ${row.recurrenceId} ${row.partstat} ${row.scheduleStatus}")
        // --- end ---

        val rows = attendeeStatuses(copy.data).filter { it.address.equals("mailto:${System.getenv("DAVKIT_DAVICAL_EMAIL2")}", ignoreCase = true) }
        assertTrue(rows.any { it.recurrenceId == null && it.scheduleStatus.isNotEmpty() }, "DAViCal reports delivery: $rows")
        // DAViCal lands a one-occurrence REPLY on the series (docs/providers.md): accepted there or on Wednesday
        assertTrue(rows.any { it.partstat == PartStat.Accepted }, "bob's answer: $rows")
        alice.deleteObject(meeting.url, alice.getObject(meeting.url).etag ?: "")
    }
}
