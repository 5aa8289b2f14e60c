// Live tests against the Radicale that scripts/test-wasm.sh starts (tests/servers/servers.py
// --only radicale --seed). Skipped when DAVKIT_RADICALE_URL is not set. The seeded data is
// described in tests/servers/README.md; writes go to a calendar this file creates and deletes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DavClient, DavError, expand, isDavError } from '../dist/node.js';
import { createCorsProxy, proxyFetch } from '../../examples/node/cors-proxy.mjs';

const base = process.env.DAVKIT_RADICALE_URL;
const skip = base ? false : 'DAVKIT_RADICALE_URL is not set (run under tests/servers/servers.py)';
const auth = { basic: { username: process.env.DAVKIT_RADICALE_USER ?? 'alice', password: process.env.DAVKIT_RADICALE_PASSWORD ?? 'alice-pass' } };
const client = base && new DavClient({ serverUrl: base, auth });
const home = base && new URL('alice/', base).href;
const scratch = base && new URL(`alice/js-live-${process.pid}/`, base).href;

function ics(uid, summary, start = '20260310T090000Z') {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//davkit//live test//EN', 'BEGIN:VEVENT', `UID:${uid}`,
    'DTSTAMP:20260101T000000Z', `DTSTART:${start}`, 'DURATION:PT1H', `SUMMARY:${summary}`, 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
}

test('discovery finds the seeded calendars and address book', { skip }, async () => {
  const found = await client.discover();
  assert.equal(found.principal, home);
  assert.deepEqual(found.calendarHomeSets, [home]);
  const names = found.collections.map((c) => `${c.kind}:${c.displayName}`).sort();
  assert.ok(names.includes('calendar:Work') && names.includes('calendar:Personal') && names.includes('addressbook:Contacts'), names.join());
  const calendars = await client.listCalendars();
  assert.ok(calendars.every((c) => c.kind === 'calendar'));
  const books = await client.listAddressBooks();
  assert.deepEqual(books.map((b) => b.displayName), ['Contacts']);
  const work = calendars.find((c) => c.displayName === 'Work');
  assert.equal(work.color, '#1E88E5FF');
  assert.deepEqual(work.components, ['VEVENT']);
});

test('initial sync of Work: 6 events with parsed views; then nothing changed', { skip }, async () => {
  const [work] = (await client.listCalendars()).filter((c) => c.displayName === 'Work');
  const first = await client.sync(work);
  assert.equal(first.changes.length, 6);
  assert.ok(first.changes.every((c) => c.type === 'added' && typeof c.etag === 'string' && c.data.startsWith('BEGIN:VCALENDAR')));
  const byName = Object.fromEntries(first.changes.map((c) => [c.url.split('/').pop(), c]));
  const seoul = byName['seoul-sync.ics'].events[0];
  assert.equal(seoul.start.kind, 'zoned');
  assert.equal(seoul.start.tzid, 'Asia/Seoul');
  assert.match(seoul.start.utc, /Z$/);
  assert.equal(byName['company-holiday.ics'].events[0].allDay, true);
  assert.match(byName['cafe-offsite.ics'].events[0].summary, /회의 ☕/);
  assert.equal(byName['design-review.ics'].events[0].attendees.length, 3);
  // The state is plain JSON: store it, read it back, pass it in.
  const stored = JSON.parse(JSON.stringify(first.state));
  assert.equal(stored.collectionUrl, work.url);
  assert.equal(Object.keys(stored.etags).length, 6);
  const again = await client.sync(work, stored);
  assert.equal(again.changes.length, 0);
  // Recurrence: the weekly stand-up, 10 times minus one EXDATE, one moved occurrence.
  const standup = expand(byName['weekly-standup.ics'].data, { start: '2026-01-01T00:00:00Z', end: '2026-12-31T00:00:00Z' });
  assert.equal(standup.occurrences.length, 9);
  assert.equal(standup.occurrences.filter((o) => o.isOverride).length, 1);
});

test('Work in batches of 4: two checkpoints, the same 6 events as one sync, resumable from the first', { skip }, async () => {
  const [work] = (await client.listCalendars()).filter((c) => c.displayName === 'Work');
  const oneShot = await client.sync(work);
  const batches = [];
  for await (const batch of client.syncBatches(work, null, { maxMembers: 4 })) {
    batches.push(JSON.parse(JSON.stringify(batch))); // as an app stores each checkpoint
  }
  assert.deepEqual(batches.map((b) => [b.changes.length, b.more, (b.state.pending ?? []).length]), [[4, true, 2], [2, false, 0]]);
  const urls = batches.flatMap((b) => b.changes.map((c) => c.url)).sort();
  assert.deepEqual(urls, oneShot.changes.map((c) => c.url).sort(), 'every member once, none twice');
  assert.deepEqual(batches[1].state.etags, oneShot.state.etags);
  // Stopped after the first batch: the stored checkpoint resumes with exactly the other two.
  const resumed = await client.syncBatch(work, batches[0].state, { maxMembers: 4 });
  assert.deepEqual(resumed.changes.map((c) => c.url).sort(), batches[1].changes.map((c) => c.url).sort());
  assert.equal(resumed.more, false);
  assert.deepEqual(resumed.state.etags, oneShot.state.etags);
});

test('contacts are parsed (3.0 and 4.0, a group)', { skip }, async () => {
  const [book] = await client.listAddressBooks();
  const result = await client.sync(book);
  assert.equal(result.changes.length, 5);
  const byName = Object.fromEntries(result.changes.map((c) => [c.url.split('/').pop(), c.contact]));
  assert.equal(byName['bob-v4.vcf'].birthday, '--04-15');
  assert.equal(byName['team-group.vcf'].kind, 'group');
  assert.equal(byName['team-group.vcf'].members.length, 2);
  assert.equal(byName['minji-v3.vcf'].version, 'V3');
});

test('collections and objects: create, query, ETag conflicts, incremental sync, delete', { skip }, async () => {
  const created = await client.createCalendar(home, `js-live-${process.pid}`, { displayName: 'JS live', color: '#FF8800', components: ['VEVENT'] });
  assert.equal(created.url, scratch);
  assert.equal(created.displayName, 'JS live');
  try {
    await client.updateCollection(created, { displayName: 'JS live (renamed)' });
    assert.equal((await client.getCollection(scratch)).displayName, 'JS live (renamed)');

    const start = await client.sync(created);
    assert.equal(start.changes.length, 0);

    const a = await client.createObject(created, 'a.ics', ics('a@davkit', 'A'));
    const b = await client.createObject(created, 'b.ics', ics('b@davkit', 'B', '20260601T090000Z'));
    assert.equal(a.url, `${scratch}a.ics`);
    await assert.rejects(client.createObject(created, 'a.ics', ics('a@davkit', 'A again')), (e) => isDavError(e, 'PreconditionFailed') && e.status === 412);

    const inMarch = await client.calendarQuery(created, { start: new Date('2026-03-01T00:00:00Z'), end: '2026-04-01T00:00:00Z' });
    assert.deepEqual(inMarch.map((o) => o.events[0].summary), ['A']);

    const fetched = await client.getObject(a.url);
    assert.equal(fetched.events[0].uid, 'a@davkit');
    const updated = await client.updateObject(fetched, ics('a@davkit', 'A2'));
    await assert.rejects(client.updateObject(a.url, ics('a@davkit', 'stale'), fetched.etag), (e) => isDavError(e, 'PreconditionFailed'));
    assert.equal((await client.getObject(a.url)).events[0].summary, 'A2');

    const got = await client.multiget(created, [a.url, b.url, `${scratch}missing.ics`]);
    assert.equal(got.objects.length, 2);
    assert.deepEqual(got.missing, [`${scratch}missing.ics`]);

    const mid = await client.sync(created, start.state);
    assert.equal(mid.changes.filter((c) => c.type === 'added').length, 2);
    await client.deleteObject(b.url, b.etag);
    const after = await client.sync(created, JSON.parse(JSON.stringify(mid.state)));
    assert.deepEqual(after.changes.map((c) => c.type), ['deleted']);
    assert.equal(after.changes[0].url, b.url);
    assert.equal((await client.listObjects(created)).length, 1);
    assert.ok(updated.url);
  } finally {
    await client.deleteCollection(created);
  }
  await assert.rejects(client.getCollection(scratch), (e) => isDavError(e, 'NotFound'));
});

test('wrong password: DavError Unauthorized with status and URL, no secret', { skip }, async () => {
  const bad = new DavClient({ serverUrl: base, auth: { basic: { username: 'alice', password: 'wrong-secret' } } });
  const error = await bad.discover().then(() => null, (e) => e);
  assert.ok(error instanceof DavError && error instanceof Error);
  assert.equal(error.kind, 'Unauthorized');
  assert.equal(error.status, 401);
  assert.ok(error.url.startsWith(base));
  assert.ok(!`${error.message} ${error.stack}`.includes('wrong-secret'));
});

test('a token provider is asked again after a 401 and the call is retried once', { skip }, async () => {
  const calls = [];
  const provider = async ({ refresh }) => {
    calls.push(refresh);
    return refresh ? auth : { basic: { username: 'alice', password: 'expired' } };
  };
  const c = new DavClient({ serverUrl: base, auth: provider });
  const found = await c.discover({ service: 'caldav' });
  assert.ok(found.collections.length >= 2);
  assert.deepEqual(calls, [false, true]);
  const never = new DavClient({ serverUrl: base, auth: async () => ({ basic: { username: 'alice', password: 'nope' } }) });
  await assert.rejects(never.discover(), (e) => isDavError(e, 'Unauthorized'));
});

test('an unreachable server is a Transport error', { skip }, async () => {
  const dead = new DavClient({ serverUrl: 'http://127.0.0.1:9/', auth });
  await assert.rejects(dead.discover(), (e) => isDavError(e, 'Transport') && e.status === null && /127\.0\.0\.1:9/.test(e.url));
});

test('through the example CORS proxy: discovery from the server root and from a redirecting well-known URL (redirect restored), sync', { skip }, async () => {
  const target = new URL(base);
  const proxy = createCorsProxy({ allow: [target.host] });
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const proxyBase = `http://127.0.0.1:${proxy.address().port}`;
  const seen = [];
  const spy = (url, init) => { seen.push(`${init.method} ${url}`); return fetch(url, init); };
  const via = (url) => `${proxyBase}/?url=${encodeURIComponent(url)}`;
  try {
    const c = new DavClient({ serverUrl: base, auth, fetch: proxyFetch(proxyBase, spy), redirect: 'follow' });
    const found = await c.discover({ service: 'caldav' });
    assert.equal(found.principal, home);
    const work = found.collections.find((x) => x.displayName === 'Work');
    assert.equal((await c.sync(work)).changes.length, 6);
    // Every request went to the proxy.
    assert.ok(seen.every((r) => r.includes(`${proxyBase}/?url=`)));
    // Radicale's well-known URI redirects to the root: the redirect comes back as
    // x-davkit-location and the core follows it (a second request through the proxy), not fetch.
    seen.length = 0;
    const wellKnown = new URL('.well-known/caldav', base).href;
    const w = new DavClient({ serverUrl: wellKnown, auth, fetch: proxyFetch(proxyBase, spy), redirect: 'follow' });
    assert.equal((await w.discover({ service: 'caldav' })).principal, home);
    assert.deepEqual(seen.slice(0, 2), [`PROPFIND ${via(wellKnown)}`, `PROPFIND ${via(base)}`]);
    const other = await fetch(`${proxyBase}/?url=${encodeURIComponent('http://example.com/')}`);
    assert.equal(other.status, 403, 'not an open proxy');
    const preflight = await fetch(`${proxyBase}/?url=x`, { method: 'OPTIONS' });
    assert.match(preflight.headers.get('access-control-allow-methods'), /PROPFIND/);
  } finally {
    await new Promise((resolve) => proxy.close(resolve));
  }
});
