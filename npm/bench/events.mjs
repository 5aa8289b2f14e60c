// The 1,000-event data set of the benchmarks (bench.mjs against Radicale, cpu-profile.mjs in
// memory): a mix of zoned (with VTIMEZONE), UTC and all-day events, some recurring, some with attendees.

const VTIMEZONE = ['BEGIN:VTIMEZONE', 'TZID:Europe/Berlin', 'BEGIN:DAYLIGHT', 'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0200',
  'TZNAME:CEST', 'DTSTART:19700329T020000', 'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU', 'END:DAYLIGHT', 'BEGIN:STANDARD',
  'TZOFFSETFROM:+0200', 'TZOFFSETTO:+0100', 'TZNAME:CET', 'DTSTART:19701025T030000', 'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
  'END:STANDARD', 'END:VTIMEZONE'];

/** Event i: a mix of zoned (with VTIMEZONE), UTC and all-day events, some recurring, some with attendees. */
export function event(i, summary = `Event ${i}`) {
  const day = String(1 + (i % 28)).padStart(2, '0');
  const month = String(1 + (Math.floor(i / 28) % 12)).padStart(2, '0');
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//davkit//bench//EN'];
  if (i % 3 === 0) lines.push(...VTIMEZONE);
  lines.push('BEGIN:VEVENT', `UID:bench-${i}@davkit.invalid`, 'DTSTAMP:20260101T000000Z', `SUMMARY:${summary}`,
    `DESCRIPTION:Agenda for meeting ${i}: review the numbers\\, agree on next steps\\, and book the room.`,
    `LOCATION:Room ${i % 40}`);
  if (i % 3 === 0) lines.push(`DTSTART;TZID=Europe/Berlin:2026${month}${day}T100000`, `DTEND;TZID=Europe/Berlin:2026${month}${day}T110000`);
  else if (i % 3 === 1) lines.push(`DTSTART:2026${month}${day}T140000Z`, 'DURATION:PT45M');
  else lines.push(`DTSTART;VALUE=DATE:2026${month}${day}`);
  if (i % 5 === 0) lines.push('RRULE:FREQ=WEEKLY;COUNT=10');
  if (i % 4 === 0) {
    lines.push('ORGANIZER;CN=Alice:mailto:alice@example.invalid');
    for (let a = 0; a < 3; a++) lines.push(`ATTENDEE;CN=Person ${a};PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:mailto:p${a}@example.invalid`);
  }
  lines.push('END:VEVENT', 'END:VCALENDAR', '');
  return lines.join('\r\n');
}
