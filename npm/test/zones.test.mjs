// Time zones from the host's Intl (the module ships without the IANA database): for zones with
// DST in either hemisphere, half-hour and 45-minute offsets, a 30-minute DST (Lord Howe),
// rules written as "Fri>=23" or "Sun>=2 at 24:00" (Jerusalem, Santiago), a zone that dropped
// DST (São Paulo) and one with Ramadan changes no POSIX footer can say (Casablanca, to 2037), the UTC time davkit
// gives a local noon equals Intl's, from 1970 to 2100 (after 2037 from the derived footer rule).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCalendar, expand } from '../dist/node.js';
import { zoneRules } from '../dist/zones.js';

const ZONES = ['Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'Australia/Lord_Howe', 'Asia/Kolkata',
  'Pacific/Chatham', 'America/St_Johns', 'Asia/Jerusalem', 'America/Santiago', 'Africa/Cairo', 'Europe/Dublin',
  'America/Sao_Paulo', 'Asia/Tehran', 'Pacific/Apia', 'UTC'];

const ics = (tzid, local) => ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'BEGIN:VEVENT', 'UID:z@t',
  'DTSTAMP:20260101T000000Z', `DTSTART;TZID=${tzid}:${local}`, 'SUMMARY:z', 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');

/** The UTC instant (ISO, seconds) of local wall time `y-m-d hour:00` in `zone`, by Intl. */
function intlUtc(zone, y, m, d, hour = 12) {
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const offsetAt = (ms) => {
    const p = /(\d+)\/(\d+)\/(\d+),? (\d+):(\d+):(\d+)/.exec(fmt.format(ms));
    return Date.UTC(+p[3], +p[1] - 1, +p[2], +p[4], +p[5], +p[6]) - ms;
  };
  const wall = Date.UTC(y, m - 1, d, hour);
  const t = wall - offsetAt(wall - offsetAt(wall));
  return new Date(t).toISOString().replace('.000Z', 'Z');
}

test('local noon in 15 zones, 1970-2100: the UTC time is what Intl says', () => {
  const wrong = [];
  let n = 0;
  for (const zone of ZONES) {
    for (let y = 1970; y <= 2100; y += y < 2045 ? 1 : 5) {
      for (let m = 1; m <= 12; m++) {
        const local = `${y}${String(m).padStart(2, '0')}15T120000`;
        const got = parseCalendar(ics(zone, local)).events[0].start.utc;
        const want = intlUtc(zone, y, m, 15);
        n += 1;
        if (got !== want) wrong.push(`${zone} ${local}: ${got} (Intl: ${want})`);
      }
    }
  }
  // Casablanca's Ramadan changes have no POSIX rule: right up to 2037, the last offset after
  for (let y = 1970; y <= 2037; y++) {
    for (let m = 1; m <= 12; m++) {
      const got = parseCalendar(ics('Africa/Casablanca', `${y}${String(m).padStart(2, '0')}15T120000`)).events[0].start.utc;
      n += 1;
      if (got !== intlUtc('Africa/Casablanca', y, m, 15)) wrong.push(`Africa/Casablanca ${y}-${m}-15: ${got}`);
    }
  }
  assert.ok(n > 10000);
  assert.deepEqual(wrong, []);
});

test('a weekly series across both 2070 switches of New York follows the footer rule', () => {
  const text = ics('America/New_York', '20700301T090000').replace('SUMMARY:z', 'SUMMARY:z\r\nRRULE:FREQ=WEEKLY;COUNT=40');
  const x = expand(text, { start: '2070-01-01T00:00:00Z', end: '2071-01-01T00:00:00Z' });
  const utcHours = new Set(x.occurrences.map((o) => o.startUtc.slice(11, 13)));
  assert.deepEqual([...utcHours].sort(), ['13', '14'], 'EDT (13:00Z) and EST (14:00Z) both occur');
  for (const o of x.occurrences) {
    const [y, m, d] = o.startUtc.slice(0, 10).split('-').map(Number);
    assert.equal(o.startUtc, intlUtc('America/New_York', y, m, d, 9));
  }
});

test('the rules text: unknown and odd names are null, a fixed zone has no transitions', () => {
  assert.equal(zoneRules('Nowhere/Zone'), null);
  assert.equal(zoneRules('Europe/Berlin;x'), null);
  assert.equal(zoneRules('A/'.repeat(40)), null);
  assert.match(zoneRules('Asia/Kolkata'), /^19800;\|<\+0530>-5:30$/);
  assert.match(zoneRules('Europe/Berlin'), /\|<\+0100>-1<\+0200>-2,M3\.5\.0\/2,M10\.5\.0\/3$/);
  // an unknown TZID without VTIMEZONE stays floating, as without the database
  const e = parseCalendar(ics('Nowhere/Zone', '20260315T120000')).events[0];
  assert.equal(e.start.utc ?? null, null);
});

test('expand: floatingTimeZone names a zone from Intl; an unknown name is refused', () => {
  const floating = ics('X', '20260315T120000').replace('DTSTART;TZID=X:', 'DTSTART:');
  const window = { start: '2026-03-01T00:00:00Z', end: '2026-04-01T00:00:00Z' };
  for (const zone of ['Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'UTC']) {
    const x = expand(floating, { ...window, floatingTimeZone: zone });
    assert.equal(x.occurrences.length, 1, zone);
    assert.equal(x.occurrences[0].startUtc, intlUtc(zone, 2026, 3, 15), zone);
  }
  assert.throws(() => expand(floating, { ...window, floatingTimeZone: 'Nowhere/Zone' }),
    (e) => e.kind === 'InvalidInput' && /Nowhere\/Zone/.test(e.message));
});
