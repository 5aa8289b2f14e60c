// The VTIMEZONE an edited event is written with (the core's `Calendar::add_missing_timezones`:
// RFC 5545 §3.2.19 asks for one per TZID) read by another library: ical.js, as a web app that
// receives the event would read it. In the npm package the zone's rules come from the host's
// `Intl` (npm/src/zones.js), so this checks that path end to end: for each zone, an event is
// moved into it with EventEditor, written, and ical.js's offsets from the written VTIMEZONE are
// compared with Intl's at noon every three days from a year before the event to 2090, and at the
// event itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ICAL from 'ical.js';
import { EventEditor } from '../dist/node.js';

const EVENT = [
  'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//davkit//vtimezone test//EN',
  'BEGIN:VEVENT', 'UID:tz@example.com', 'DTSTAMP:20260101T000000Z',
  'DTSTART:20261210T090000Z', 'SUMMARY:Meeting', 'END:VEVENT', 'END:VCALENDAR', '',
].join('\r\n');

// Yearly rules north and south, on-or-after-day rules (Santiago, Jerusalem's Friday on or
// after the 23rd), daylight time given up (São Paulo, Tehran), no daylight time (Kolkata), a
// 45-minute offset with daylight time, changes that are dates (Cairo's last Thursday 24:00).
const ZONES = ['Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'America/Santiago', 'Asia/Jerusalem', 'America/Sao_Paulo', 'Asia/Tehran', 'Asia/Kolkata', 'Pacific/Chatham', 'Africa/Cairo'];

/** The zone's offset in minutes at `date`, as Intl says. */
function intlOffset(zone, date) {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
    .formatToParts(date).find((p) => p.type === 'timeZoneName').value;
  const m = /GMT(?:([+-])(\d\d):(\d\d))?/.exec(name);
  return m[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

for (const zone of ZONES) {
  test(`${zone}: an edited event carries a VTIMEZONE that ical.js reads as Intl does`, () => {
    const editor = new EventEditor(EVENT);
    editor.setStart({ uid: 'tz@example.com' }, { value: '2026-12-10T10:00:00', tzid: zone });
    const text = editor.toIcs();
    const cal = new ICAL.Component(ICAL.parse(text));
    const vtimezones = cal.getAllSubcomponents('vtimezone');
    assert.deepEqual(vtimezones.map((v) => v.getFirstPropertyValue('tzid')), [zone], text);
    const tz = new ICAL.Timezone(vtimezones[0]);
    ICAL.TimezoneService.register(tz);
    const event = new ICAL.Event(cal.getFirstSubcomponent('vevent'));
    // the event: 10:00 local, at the offset Intl gives for that instant
    const start = event.startDate;
    assert.equal(start.zone.tzid, zone);
    const utc = new Date(start.toUnixTime() * 1000);
    assert.equal(utc.getTime(), Date.UTC(2026, 11, 10, 10, 0) - intlOffset(zone, utc) * 60_000, text);
    // noon every three days (a rule a week off shows) from a year before it to 2090
    let checked = 0;
    for (let t = Date.UTC(2025, 11, 10, 12); t < Date.UTC(2090, 0, 1); t += 3 * 86_400_000) {
      const day = new Date(t);
      const local = new ICAL.Time({ year: day.getUTCFullYear(), month: day.getUTCMonth() + 1, day: day.getUTCDate(), hour: 12, minute: 0, second: 0, isDate: false }, tz);
      const at = new Date(local.toUnixTime() * 1000);
      assert.equal(tz.utcOffset(local) / 60, intlOffset(zone, at), `${zone} ${day.toISOString().slice(0, 10)} 12:00\n${text}`);
      checked += 1;
    }
    assert.ok(checked > 7000);
    ICAL.TimezoneService.remove(zone);
  });
}

test('a TZID nobody knows, or one with its own VTIMEZONE, is left as it is', () => {
  const own = [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//t//EN',
    'BEGIN:VTIMEZONE', 'TZID:Europe/Berlin', 'BEGIN:STANDARD', 'DTSTART:19700101T000000',
    'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0100', 'END:STANDARD', 'END:VTIMEZONE',
    'BEGIN:VEVENT', 'UID:a', 'DTSTAMP:20260101T000000Z', 'DTSTART;TZID=Europe/Berlin:20261210T100000',
    'DUE;TZID=Mars/Olympus_Mons:20261210T100000', 'END:VEVENT', 'END:VCALENDAR', '',
  ].join('\r\n');
  const editor = new EventEditor(own);
  editor.setSummary({ uid: 'a' }, 'renamed');
  const text = editor.toIcs();
  assert.equal(text.split('BEGIN:VTIMEZONE').length, 2, text);
  assert.equal(text.replace('SUMMARY:renamed\r\n', ''), own);
});
