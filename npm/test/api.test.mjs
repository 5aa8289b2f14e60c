// The JS surface without a server: argument checks, DavError shapes, parse/expand, naming.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DavClient, DavError, coreVersion, expand, isDavError, parseCalendar, parseContact, parseContacts } from '../dist/node.js';

const ICS = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'X-WR-CALNAME:Team', 'BEGIN:VEVENT', 'UID:s@t', 'DTSTAMP:20260101T000000Z',
  'DTSTART;TZID=America/New_York:20260307T093000', 'DTEND;TZID=America/New_York:20260307T100000', 'SUMMARY:Stand-up',
  'RRULE:FREQ=DAILY;COUNT=3', 'ATTENDEE;CN=Bo;PARTSTAT=TENTATIVE:mailto:bo@example.invalid', 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');

const hasSnakeKey = (v) => (Array.isArray(v) ? v.some(hasSnakeKey)
  : v && typeof v === 'object' ? Object.entries(v).some(([k, x]) => k.includes('_') || (k !== 'etags' && hasSnakeKey(x))) : false);

test('parseCalendar: camelCase plain objects with zone information', () => {
  const cal = parseCalendar(ICS);
  assert.equal(cal.name, 'Team');
  const [e] = cal.events;
  assert.deepEqual(e.start, { value: '2026-03-07T09:30:00', kind: 'zoned', tzid: 'America/New_York', utc: '2026-03-07T14:30:00Z' });
  assert.equal(e.allDay, false);
  assert.deepEqual(e.rrule, ['FREQ=DAILY;COUNT=3']);
  assert.equal(e.attendees[0].partstat, 'TENTATIVE');
  assert.ok(!hasSnakeKey(cal));
});

test('expand: DST-correct occurrences across the US switch (8 March 2026)', () => {
  const x = expand(ICS, { start: new Date('2026-03-01T00:00:00Z'), end: '2026-04-01T00:00:00Z' });
  assert.deepEqual(x.occurrences.map((o) => o.startUtc), ['2026-03-07T14:30:00Z', '2026-03-08T13:30:00Z', '2026-03-09T13:30:00Z']);
  assert.equal(x.occurrences[1].start, '2026-03-08T09:30:00');
  assert.equal(x.occurrences[0].summary, 'Stand-up');
  assert.equal(x.truncated, false);
  assert.equal(expand(ICS, { start: '2026-03-01T00:00:00Z', end: '2026-04-01T00:00:00Z', maxInstances: 2 }).truncated, true);
  assert.throws(() => expand(ICS, { start: '2026-04-01T00:00:00Z', end: '2026-03-01T00:00:00Z' }), (e) => isDavError(e, 'InvalidInput'));
  assert.throws(() => expand(ICS, { start: 'soon', end: '2026-03-01T00:00:00Z' }), (e) => isDavError(e, 'InvalidInput'));
});

test('parseContact(s): vCard 3.0 and 4.0', () => {
  const v3 = parseContact('BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Kim Minji\r\nN:Kim;Minji;;;\r\nEMAIL;TYPE=INTERNET,PREF:m@example.invalid\r\nBDAY:--0415\r\nEND:VCARD\r\n');
  assert.equal(v3.fullName, 'Kim Minji');
  assert.equal(v3.name.given, 'Minji');
  assert.equal(v3.emails[0].pref, 1);
  assert.equal(v3.birthday, '--04-15');
  assert.equal(v3.version, 'V3');
  const two = parseContacts('BEGIN:VCARD\r\nVERSION:4.0\r\nFN:A\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:4.0\r\nFN:B\r\nEND:VCARD\r\n');
  assert.deepEqual(two.map((c) => c.fullName), ['A', 'B']);
});

test('unparseable text is a DavError of kind ICalendar / VCard', () => {
  assert.throws(() => parseCalendar('BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n'), (e) => e instanceof DavError && e.kind === 'ICalendar' && e.status === null);
  assert.throws(() => parseContact('hello'), (e) => isDavError(e, 'VCard'));
});

test('bad constructor options throw DavError InvalidInput at once', () => {
  assert.throws(() => new DavClient({}), (e) => isDavError(e, 'InvalidInput'));
  assert.throws(() => new DavClient({ serverUrl: 'not a url' }), (e) => isDavError(e, 'InvalidInput'));
  assert.throws(() => new DavClient({ serverUrl: 'https://x.invalid/', profile: 'exchange' }), (e) => isDavError(e, 'InvalidInput') && /unknown profile/.test(e.message));
  assert.throws(() => new DavClient({ serverUrl: 'https://alice:pw@x.invalid/' }), (e) => isDavError(e, 'InvalidInput') && !e.message.includes('pw@'));
  assert.throws(() => new DavClient({ serverUrl: 'https://x.invalid/', auth: { token: 'x' } }), (e) => isDavError(e, 'InvalidInput'));
});

test('every profile the core names is accepted by name (the core\'s Profile::named, not a table here)', () => {
  for (const profile of ['generic', 'icloud', 'google-caldav', 'google-carddav', 'google-calendar-api', 'sogo']) {
    const client = new DavClient({ serverUrl: 'https://www.googleapis.com/calendar/v3/', profile, auth: { bearer: 'ya29.x' } });
    assert.ok(client instanceof DavClient, profile);
  }
});

test('bad method arguments reject with DavError InvalidInput (methods never throw synchronously)', async () => {
  const c = new DavClient({ serverUrl: 'https://x.invalid/', fetch: async () => { throw new Error('unreachable'); } });
  await assert.rejects(c.sync('https://x.invalid/cal/'), (e) => isDavError(e, 'InvalidInput') && /kind/.test(e.message));
  await assert.rejects(c.updateObject('https://x.invalid/cal/a.ics', 'x'), (e) => isDavError(e, 'InvalidInput') && /ETag/.test(e.message));
  await assert.rejects(c.calendarQuery('https://x.invalid/cal/', { start: 'yesterday' }), (e) => isDavError(e, 'InvalidInput'));
  await assert.rejects(c.getObject(42), (e) => isDavError(e, 'InvalidInput'));
});

test('calendarQuery time ranges: Dates, numbers and ISO text become the UTC text the core writes', async () => {
  const bodies = [];
  const fetch = async (url, init) => {
    bodies.push(new TextDecoder().decode(init.body));
    return new Response('<d:multistatus xmlns:d="DAV:"/>', { status: 207, headers: { 'content-type': 'application/xml' } });
  };
  const c = new DavClient({ serverUrl: 'https://x.invalid/', fetch });
  await c.calendarQuery('https://x.invalid/cal/', { start: new Date('2026-03-01T09:30:00.999Z'), end: '2026-04-01T00:00:00+02:00' });
  await c.calendarQuery('https://x.invalid/cal/', { start: -500, end: '20270101T000000Z' });
  assert.match(bodies[0], /<c:time-range start="20260301T093000Z" end="20260331T220000Z"\/>/);
  assert.match(bodies[1], /<c:time-range start="19691231T235959Z" end="20270101T000000Z"\/>/);
  await assert.rejects(c.calendarQuery('https://x.invalid/cal/', { start: new Date('+010000-01-01T00:00:00Z') }), (e) => isDavError(e, 'InvalidInput') && /0000-9999/.test(e.message));
});

test('a throwing fetch is a Transport error; parse: false keeps only the raw text', async () => {
  const c = new DavClient({ serverUrl: 'https://x.invalid/', fetch: async () => { throw new TypeError('offline'); } });
  await assert.rejects(c.getObject('https://x.invalid/a.ics'), (e) => isDavError(e, 'Transport') && /offline/.test(e.message) && e.url === 'https://x.invalid/a.ics');
  const fetch = async () => new Response(ICS, { status: 200, headers: { etag: '"1"' } });
  const raw = await new DavClient({ serverUrl: 'https://x.invalid/', fetch, parse: false }).getObject('https://x.invalid/a.ics');
  assert.deepEqual(raw, { url: 'https://x.invalid/a.ics', etag: '"1"', data: ICS });
  const parsed = await new DavClient({ serverUrl: 'https://x.invalid/', fetch }).getObject('https://x.invalid/a.ics');
  assert.equal(parsed.events[0].summary, 'Stand-up');
});

test('limits: camelCase fields reach the core, an unknown one is InvalidInput', async () => {
  assert.throws(() => new DavClient({ serverUrl: 'https://x.invalid/', limits: { maxBodyByte: 1 } }), (e) => isDavError(e, 'InvalidInput') && /maxBodyByte/.test(e.message));
  const fetch = async () => new Response(ICS, { status: 200, headers: { etag: '"1"' } });
  const small = new DavClient({ serverUrl: 'https://x.invalid/', fetch, limits: { maxBodyBytes: 100 } });
  await assert.rejects(small.getObject('https://x.invalid/a.ics'), (e) => isDavError(e, 'LimitExceeded') && e.status === 200 && /max_body_bytes/.test(e.message));
  // the parsed view of a fetched object stays within the content-line limit; the object still arrives
  const few = await new DavClient({ serverUrl: 'https://x.invalid/', fetch, limits: { maxContentLines: 5 } }).getObject('https://x.invalid/a.ics');
  assert.equal(few.data, ICS);
  assert.equal(few.events, undefined);
  assert.match(few.parseError, /max_content_lines/);
});

test('coreVersion is the crate version', () => {
  assert.match(coreVersion(), /^\d+\.\d+\.\d+/);
});

test('an internationalised host reaches the server in its ASCII form (the module has no IDNA tables)', async () => {
  const seen = [];
  const fetch = async (url) => { seen.push(url); return new Response('', { status: 404 }); };
  const client = new DavClient({ serverUrl: 'https://bücher.example/dav/', auth: { bearer: 't' }, fetch });
  const error = await client.getObject('https://bücher.example/dav/cal/ä.ics').catch((e) => e);
  assert.ok(isDavError(error, 'NotFound'), String(error));
  assert.deepEqual(seen, ['https://xn--bcher-kva.example/dav/cal/%C3%A4.ics']);
});

test("parse: 'lazy' (the default) gives the same objects as parse: true, parsed only when read", async () => {
  const ics = (uid) => ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'BEGIN:VEVENT', `UID:${uid}`, 'DTSTAMP:20260101T000000Z',
    'DTSTART;TZID=Europe/Berlin:20260302T093000', 'SUMMARY:Lazy', 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
  const data = {
    '/cal/a.ics': ics('a'),
    '/cal/b.ics': 'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:b\r\n', // unterminated: a parseError
    '/cal/c.vcf': 'BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Bo\r\nUID:c\r\nEND:VCARD\r\n',
  };
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/\r/g, '&#13;');
  const row = (href, props) => `<d:response><d:href>${href}</d:href><d:propstat><d:prop>${props}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`;
  const ms = (rows, token = '') => `<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">${rows.join('')}${token}</d:multistatus>`;
  const fetch = async (url, init) => {
    const body = new TextDecoder().decode(init.body);
    const hrefs = body.includes('sync-collection') ? Object.keys(data) : [...body.matchAll(/<d:href>([^<]*)</g)].map((m) => m[1]);
    const rows = hrefs.map((h) => row(h, `<d:getetag>"1"</d:getetag>${body.includes('sync-collection') ? '' : `<c:calendar-data>${esc(data[h])}</c:calendar-data>`}`));
    return new Response(ms(rows, body.includes('sync-collection') ? '<d:sync-token>t1</d:sync-token>' : ''), { status: 207 });
  };
  const collection = { url: 'https://dav.example.com/cal/', kind: 'calendar' };
  const eager = await new DavClient({ serverUrl: 'https://dav.example.com/', fetch, parse: true }).sync(collection, null);
  const byDefault = await new DavClient({ serverUrl: 'https://dav.example.com/', fetch }).sync(collection, null);
  assert.equal(typeof Object.getOwnPropertyDescriptor(byDefault.changes[0], 'events').get, 'function', 'lazy by default');
  assert.equal(Object.getOwnPropertyDescriptor(eager.changes[0], 'events').get, undefined, 'parse: true attaches values');
  assert.deepEqual(JSON.parse(JSON.stringify(byDefault)), JSON.parse(JSON.stringify(eager)));
  const lazy = await new DavClient({ serverUrl: 'https://dav.example.com/', fetch, parse: 'lazy' }).sync(collection, null);
  const a = lazy.changes.find((c) => c.url.endsWith('/a.ics'));
  assert.equal(typeof Object.getOwnPropertyDescriptor(a, 'events').get, 'function', 'not parsed before it is read');
  // One getter per key for every object (each its own view), so objects keep one shape;
  // compared before anything reads them (a read puts the values in the getters' place).
  const b = lazy.changes.find((c) => c.url.endsWith('/b.ics'));
  const getter = Object.getOwnPropertyDescriptor(b, 'events').get;
  assert.equal(typeof getter, 'function');
  assert.equal(Object.getOwnPropertyDescriptor(a, 'events').get, getter);
  assert.deepEqual(JSON.parse(JSON.stringify(lazy)), JSON.parse(JSON.stringify(eager)));
  assert.equal(Object.getOwnPropertyDescriptor(a, 'events').get, undefined, 'read once, the values take the getters\' place');
  assert.deepEqual(Object.keys(a), ['type', 'url', 'etag', 'data', 'events', 'parseError'], 'the keys in the order parse: true gives');
  assert.deepEqual({ ...a }.events, eager.changes.find((c) => c.url.endsWith('/a.ics')).events);
  assert.equal(a.events[0].start.utc, '2026-03-02T08:30:00Z');
  assert.equal(b.events, undefined);
  assert.match(b.parseError, /./);
  assert.equal(lazy.changes.find((c) => c.url.endsWith('/c.vcf')).contact.fullName, 'Bo');
  a.events = [];
  assert.deepEqual(a.events, []);
});

test('a body streamed in chunks of any size (above and below the 64 KiB copy piece, splitting characters) syncs as one chunk does', async () => {
  const N = 150;
  const ics = (i) => ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'BEGIN:VEVENT', `UID:e${i}`, 'DTSTAMP:20260101T000000Z',
    `DTSTART:202603${String(1 + (i % 28)).padStart(2, '0')}T093000Z`, `SUMMARY:Caf\u00e9 \u{1f600} "${i}" a\\, b`,
    `DESCRIPTION:${'\u00fcber \u20ac '.repeat(60)}`, 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
  const data = new Map(Array.from({ length: N }, (_, i) => [`/cal/e${i}.ics`, ics(i)]));
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/\r/g, '&#13;');
  const row = (href, props) => `<d:response><d:href>${href}</d:href><d:propstat><d:prop>${props}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`;
  const ms = (rows, token = '') => `<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">${rows.join('')}${token}</d:multistatus>`;
  const answer = (init) => {
    const body = new TextDecoder().decode(init.body);
    const sync = body.includes('sync-collection');
    const hrefs = sync ? [...data.keys()] : [...body.matchAll(/<d:href>([^<]*)</g)].map((m) => m[1]);
    const rows = hrefs.map((h) => row(h, `<d:getetag>"1"</d:getetag>${sync ? '' : `<c:calendar-data>${esc(data.get(h))}</c:calendar-data>`}`));
    return new TextEncoder().encode(ms(rows, sync ? '<d:sync-token>t1</d:sync-token>' : ''));
  };
  let largest = 0;
  // sizes that grow, shrink and cross COPY_BYTES (transport.rs) in both directions
  const sizes = [1, 70000, 2, 65536, 3, 65537, 5000, 131073, 7, 40000, 65535, 1];
  const chunked = (bytes) => {
    largest = Math.max(largest, bytes.length);
    const pieces = [];
    for (let at = 0, k = 0; at < bytes.length; k++) {
      const n = sizes[k % sizes.length];
      pieces.push(bytes.slice(at, at + n));
      at += n;
    }
    return new ReadableStream({ pull(c) { if (pieces.length) c.enqueue(pieces.shift()); else c.close(); } });
  };
  const collection = { url: 'https://dav.example.com/cal/', kind: 'calendar' };
  const sync = (fetch) => new DavClient({ serverUrl: 'https://dav.example.com/', fetch, parse: true }).sync(collection, null);
  const whole = await sync(async (url, init) => new Response(answer(init), { status: 207 }));
  const streamed = await sync(async (url, init) => new Response(chunked(answer(init)), { status: 207 }));
  assert.ok(largest > 2 * 65536, `the multiget answer is ${largest} bytes`);
  assert.equal(streamed.changes.length, N);
  for (const c of streamed.changes) assert.equal(c.data, data.get(new URL(c.url).pathname), c.url);
  assert.equal(streamed.changes.find((c) => c.url.endsWith('/e5.ics')).events[0].summary, 'Caf\u00e9 \u{1f600} "5" a, b');
  assert.deepEqual(JSON.parse(JSON.stringify(streamed)), JSON.parse(JSON.stringify(whole)));
});
