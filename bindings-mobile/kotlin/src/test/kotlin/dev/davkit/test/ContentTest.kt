package dev.davkit.test

import dev.davkit.DavException
import dev.davkit.formats.TimeKind
import dev.davkit.formats.VCardVersion
import dev.davkit.convertContact
import dev.davkit.davkitVersion
import dev.davkit.expandEvents
import dev.davkit.parseContact
import dev.davkit.parseEvents
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.io.File
import java.time.Instant

/** Parsed events and contacts, and recurrence expansion, through the Kotlin bindings. */
class ContentTest {
    private val ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VEVENT\r\n" +
        "UID:standup@example.com\r\nDTSTAMP:20250101T000000Z\r\n" +
        "DTSTART;TZID=Europe/Berlin:20250303T093000\r\nDURATION:PT15M\r\nSUMMARY:Stand-up\r\n" +
        "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=13\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

    @Test
    fun parsesEvents() {
        val e = parseEvents(ics).single()
        assertEquals("Stand-up", e.summary)
        assertEquals(TimeKind.ZONED, e.start?.kind)
        assertEquals("Europe/Berlin", e.start?.tzid)
        assertEquals("2025-03-03T08:30:00Z", e.start?.utc)
    }

    @Test
    fun expandsAcrossDst() {
        val x = expandEvents(ics, Instant.parse("2025-03-01T00:00:00Z"), Instant.parse("2025-04-01T00:00:00Z"))
        assertEquals(13, x.occurrences.size)
        assertEquals(Instant.parse("2025-03-03T08:30:00Z"), x.occurrences.first().startInstant)
        assertEquals(Instant.parse("2025-03-31T07:30:00Z"), x.occurrences.last().startInstant)
        assertEquals("Stand-up", x.occurrences.last().summary)
        assertFalse(x.truncated)
        assertTrue(expandEvents(ics, Instant.parse("2025-03-01T00:00:00Z"), Instant.parse("2025-04-01T00:00:00Z"), 2u).truncated)
        assertThrows<DavException.InvalidInput> { expandEvents(ics, Instant.parse("2025-04-01T00:00:00Z"), Instant.parse("2025-03-01T00:00:00Z")) }
    }

    @Test
    fun parsesAndConvertsContacts() {
        val vcf = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann Example\r\nN:Example;Ann;;;\r\nTEL;TYPE=CELL,PREF:+1 555 0100\r\nBDAY:--04-15\r\nEND:VCARD\r\n"
        val c = parseContact(vcf)
        assertEquals("Ann Example", c.fullName)
        assertEquals("Example", c.name?.family)
        assertEquals("--04-15", c.birthday)
        assertEquals(1.toUByte(), c.tels.single().pref)
        assertTrue(convertContact(vcf, VCardVersion.V4).contains("BDAY:--0415\r\n"))
        assertThrows<DavException.VCard> { parseContact("not a card") }
        assertThrows<DavException.ICalendar> { parseEvents("BEGIN:VCARD\r\nEND:VCARD\r\n") }
        assertEquals("0.1.0", davkitVersion())
    }

    /** The shared vCard 2.1 export with quoted-printable values (tests/vectors/interop/README.md). */
    @Test
    fun readsAVCard21ExportWithQuotedPrintableValues() {
        val interop = File(System.getProperty("davkit.vectors") ?: "../../tests/vectors").canonicalFile.resolve("interop")
        val v21 = File(interop, "quoted-printable-2.1.vcf").readText()
        val c = parseContact(v21)
        assertEquals(VCardVersion.V2_1, c.version)
        assertEquals("Jürgen Müller", c.fullName)
        assertEquals("first line\nsecond line continues = equals", c.note)
        assertEquals(File(interop, "quoted-printable-2.1-as-4.0.vcf").readText(), convertContact(v21, VCardVersion.V4))
    }
}
