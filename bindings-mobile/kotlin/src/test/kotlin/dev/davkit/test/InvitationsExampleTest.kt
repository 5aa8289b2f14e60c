package dev.davkit.test

import dev.davkit.Credentials
import dev.davkit.DavClient
import dev.davkit.DavConfig
import dev.davkit.core.PartStat
import dev.davkit.example.Invitations
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.Test

/** examples/android/Invitations.kt run as written against the DAViCal that
 *  `tests/servers/servers.py --only radicale,davical run -- mvn verify` starts (alice, bob,
 *  carol); skipped when it is absent. */
class InvitationsExampleTest {
    private val url: String? = System.getenv("DAVKIT_DAVICAL_URL")

    private fun client(n: String) = DavClient(
        DavConfig(serverUrl = "$url${System.getenv("DAVKIT_DAVICAL_USER$n")}/",
            credentials = Credentials.basic(System.getenv("DAVKIT_DAVICAL_USER$n"), System.getenv("DAVKIT_DAVICAL_PASSWORD$n"))),
        JdkTransport(),
    )

    @Test
    fun inviteAnswerReadBackAndFreeBusy() = runBlocking {
        assumeTrue(url != null, "DAVKIT_DAVICAL_URL not set: run under tests/servers/servers.py --only davical")
        val emails = listOf(System.getenv("DAVKIT_DAVICAL_EMAIL2"), System.getenv("DAVKIT_DAVICAL_EMAIL3"))
        val year = 2040 + (System.nanoTime() / 1_000_000 % 2000)
        val uid = "kotlin-example-${System.nanoTime()}@example.com"
        val ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davkit//kotlin example//EN\r\nBEGIN:VEVENT\r\n" +
            "UID:$uid\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:${year}0105T090000Z\r\nDURATION:PT1H\r\n" +
            "RRULE:FREQ=DAILY;COUNT=5\r\nSUMMARY:Planning\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        val inv = Invitations(client(""), client("2"))

        val meeting = inv.invite(ics, emails, "20300101T090000Z")
        val done = inv.answer(uid, "${year}0107T090000Z")
        assertTrue(done.attempts >= 1u && done.write != null, "bob's answer was written: $done")

        val series = inv.answers(meeting).filter { it.recurrenceId == null }.associateBy { it.address.lowercase() }
        val bob = series.getValue("mailto:${emails[0]}".lowercase())
        val carol = series.getValue("mailto:${emails[1]}".lowercase())
        // DAViCal lands a one-occurrence REPLY on the series (docs/providers.md): bob's last answer
        assertTrue(bob.partstat == PartStat.Accepted || bob.partstat == PartStat.Declined, "$bob")
        assertEquals(PartStat.NeedsAction, carol.partstat, "$carol")
        assertTrue(bob.deliveryCodes.isNotEmpty() && carol.deliveryCodes.isNotEmpty(), "$series")

        val busy = inv.busy(emails, "${year}0105T000000Z", "${year}0112T000000Z")
        assertEquals(2, busy.size, "$busy")
        for ((who, periods) in busy) {
            val starts = periods.map { it.start }.toSet()
            for (day in 5..9) assertTrue("${year}01${"%02d".format(day)}T090000Z" in starts, "$who: $periods")
        }
    }
}
