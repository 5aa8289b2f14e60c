// davkit/formats, the entry without the DAV client: it gives the same answers as the full entry
// (parseCalendar, parseContact(s), expand with a zone from Intl, the parsed view a fetch
// attaches, the editors and convertContact on the shared editing scenarios), its errors are
// DavErrors, and it has no client, sync or queue exports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as full from '../dist/node.js';
import * as formats from '../dist/formats/node.js';
import { repoDir } from './helpers.mjs';

const DOC = JSON.parse(readFileSync(join(repoDir, 'tests', 'editing', 'scenarios.json'), 'utf8'));

const ICS = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'BEGIN:VEVENT', 'UID:w@t', 'DTSTAMP:20260101T000000Z',
  'DTSTART;TZID=Europe/Berlin:20260302T093000', 'DURATION:PT15M', 'SUMMARY:Weekly', 'RRULE:FREQ=WEEKLY;COUNT=3',
  'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
const VCF = 'BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ann Example\r\nN:Example;Ann;;;\r\nEMAIL;TYPE=work:ann@example.com\r\nEND:VCARD\r\n';

test('davkit/formats exports the formats and no client', () => {
  for (const name of ['init', 'DavError', 'isDavError', 'parseCalendar', 'parseContact', 'parseContacts', 'expand', 'parseView',
    'coreVersion', 'EventEditor', 'ContactEditor', 'convertContact']) {
    assert.equal(typeof formats[name], 'function', name);
  }
  for (const name of ['DavClient', 'WriteQueue', 'markPending', 'recordWrite', 'Pkce', 'OAuthClient', 'parseNotification', 'scheduleInvite']) {
    assert.equal(formats[name], undefined, name);
  }
  assert.equal(formats.coreVersion(), full.coreVersion());
});

test('a vCard 2.1 export with quoted-printable values reads and converts as in every binding (tests/vectors/interop)', async () => {
  await formats.init();
  const dir = join(repoDir, 'tests', 'vectors', 'interop');
  const v21 = readFileSync(join(dir, 'quoted-printable-2.1.vcf'), 'utf8');
  const c = formats.parseContact(v21);
  assert.equal(c.version, 'V2_1');
  assert.equal(c.fullName, 'Jürgen Müller');
  assert.equal(c.note, 'first line\nsecond line continues = equals');
  assert.equal(formats.convertContact(v21, '4.0'), readFileSync(join(dir, 'quoted-printable-2.1-as-4.0.vcf'), 'utf8'));
  assert.deepEqual(full.parseContact(v21), c);
});

test('parseCalendar, parseContact(s) and expand give what the full entry gives', async () => {
  await formats.init();
  const parsed = formats.parseCalendar(ICS);
  assert.equal(parsed.events[0].summary, 'Weekly');
  assert.equal(parsed.events[0].start.tzid, 'Europe/Berlin');
  assert.deepEqual(parsed, full.parseCalendar(ICS));
  const window = { start: '2026-03-01T00:00:00Z', end: '2026-04-01T00:00:00Z' };
  const x = formats.expand(ICS, window);
  // the zone's rules came from Intl: 09:30 in Berlin is 08:30 UTC in March before the change
  assert.deepEqual(x.occurrences.map((o) => o.startUtc), ['2026-03-02T08:30:00Z', '2026-03-09T08:30:00Z', '2026-03-16T08:30:00Z']);
  assert.deepEqual(x, full.expand(ICS, window));
  assert.equal(formats.parseContact(VCF).fullName, 'Ann Example');
  assert.deepEqual(formats.parseContact(VCF), full.parseContact(VCF));
  assert.deepEqual(formats.parseContacts(VCF + VCF), full.parseContacts(VCF + VCF));
});

test('parseView gives the view a fetch with parse on attaches, under the limits given', async () => {
  const objects = { 'https://dav.example.com/cal/a.ics': ICS, 'https://dav.example.com/card/a.vcf': VCF };
  const fetch = async (url) => new Response(objects[url] ?? 'hello', { status: 200, headers: { etag: '"1"' } });
  const client = new full.DavClient({ serverUrl: 'https://dav.example.com/', fetch, parse: true });
  for (const [url, text] of Object.entries(objects)) {
    const { events, contact, parseError } = await client.getObject(url);
    const attached = Object.fromEntries(Object.entries({ events, contact, parseError }).filter(([, v]) => v !== undefined));
    assert.deepEqual(formats.parseView(text), attached, url);
  }
  // A 200 that is no iCalendar or vCard object (a login proxy's page) is not fetched as one.
  await assert.rejects(client.getObject('https://dav.example.com/x.txt'), (e) => full.isDavError(e, 'Protocol'));
  assert.equal(formats.parseView(ICS).events[0].summary, 'Weekly');
  assert.deepEqual(formats.parseView('hello'), {});
  const limited = formats.parseView(VCF, { maxContentLines: 2 });
  assert.equal(limited.contact, undefined);
  assert.match(limited.parseError, /max_content_lines/);
  assert.match(formats.parseView('BEGIN:VCARD\r\nFN:Ann\r\n').parseError, /./);
  assert.throws(() => formats.parseView(VCF, { noSuchLimit: 1 }), (e) => formats.isDavError(e, 'InvalidInput'));
});

test('the editors and convertContact give what the full entry gives (tests/editing scenarios)', () => {
  for (const s of DOC.events) {
    const a = new formats.EventEditor(s.ics);
    const b = new full.EventEditor(s.ics);
    assert.deepEqual(a.events(), b.events(), s.name);
    assert.equal(a.toIcs(), b.toIcs(), s.name);
  }
  for (const s of DOC.contacts) {
    const a = new formats.ContactEditor(s.vcf);
    const b = new full.ContactEditor(s.vcf);
    assert.deepEqual(a.summary(), b.summary(), s.name);
    assert.equal(a.toVcf(), b.toVcf(), s.name);
    for (const v of ['3.0', '4.0']) assert.equal(formats.convertContact(s.vcf, v), full.convertContact(s.vcf, v), `${s.name} ${v}`);
  }
});

test('errors of davkit/formats are its DavErrors', () => {
  assert.throws(() => formats.parseCalendar('not a calendar'), (e) => e instanceof formats.DavError && e.kind === 'ICalendar');
  assert.throws(() => formats.parseContact('BEGIN:VCARD\r\n'), (e) => formats.isDavError(e, 'VCard'));
  assert.throws(() => formats.expand(ICS, { start: 'soon', end: '2026-04-01T00:00:00Z' }), (e) => formats.isDavError(e, 'InvalidInput'));
  assert.throws(() => new formats.EventEditor('nope'), (e) => formats.isDavError(e, 'ICalendar'));
});
