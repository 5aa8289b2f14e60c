// The sync state as an app keeps it: members a sync could not deliver stay owed (`pending`)
// through JSON.stringify/parse and the next sync, `markPending` hands a member back to the core,
// and a state of another collection is refused. Replies come from the shared recorded vectors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DavClient, isDavError, markPending, recordWrite, recordDelete, recordRead } from '../dist/node.js';
import { replayFetch, toCamel, vectorsDir } from './helpers.mjs';
import { untouchedText } from '../dist/api.js';

const COLLECTION = 'http://127.0.0.1:5232/alice/work/';
const A = `${COLLECTION}a.ics`;
const B = `${COLLECTION}b.ics`;
const vector = (name) => JSON.parse(readFileSync(join(vectorsDir, 'sync', name), 'utf8'));
const auth = { basic: { username: 'alice', password: 's3cret-app-pw' } };

/** A client over a replay of `exchanges`; `done()` checks every exchange was used as recorded. */
function replaying(exchanges) {
  const replay = replayFetch('state', join(vectorsDir, 'sync'), exchanges);
  const client = new DavClient({ serverUrl: 'http://127.0.0.1:5232/', auth, fetch: replay.fetch });
  const done = () => {
    assert.deepEqual(replay.problems, []);
    assert.deepEqual(replay.used.filter((u) => !u), [], 'every recorded exchange is requested');
  };
  return { client, done };
}

const calendar = { url: COLLECTION, kind: 'calendar' };

test('a member a sync could not deliver stays pending through JSON and is fetched by the next sync', async () => {
  // 1. The multiget answers a.ics with a 500 row (twice): a problem, never a deletion.
  const first = vector('multiget-error-row-is-not-a-deletion.json');
  const one = replaying(first.exchanges);
  const r1 = await one.client.sync(calendar, toCamel(first.operation.state));
  one.done();
  assert.equal(r1.more, false, 'a one-shot sync leaves nothing for a next batch');
  assert.equal(r1.problems.length, 1);
  const [problem] = r1.problems;
  assert.deepEqual({ url: problem.url, kind: problem.kind, status: problem.status }, { url: A, kind: 'Http', status: 500 });
  assert.equal(typeof problem.message, 'string');
  assert.ok(!r1.changes.some((c) => c.url === A), 'the undelivered member is not a change');
  assert.deepEqual(r1.state.pending, [A]);
  assert.equal(r1.state.collectionUrl, COLLECTION);

  // 2. The app stores the state as JSON and loads it again: `pending` must survive.
  const stored = JSON.parse(JSON.stringify(r1.state));
  assert.deepEqual(stored.pending, [A]);

  // 3. The server reports no change since the token; davkit still fetches a.ics.
  const second = vector('pending-member-fetched-next-time.json');
  const two = replaying(second.exchanges);
  const r2 = await two.client.sync(calendar, stored);
  two.done();
  assert.deepEqual(r2.changes.map((c) => [c.type, c.url, c.etag]), [['changed', A, '"2"']]);
  assert.equal(r2.changes[0].events[0].summary, 'a');
  assert.deepEqual(r2.problems, []);
  assert.equal(r2.state.pending, undefined, 'nothing is owed any more');
  assert.equal(r2.state.etags[A], '"2"');
  assert.equal(r2.state.etags[B], '"2"', 'the other members delivered by the first sync are kept');
});

test('markPending: a copy of the state that owes the member, fetched again by the next sync', async () => {
  const state = { collectionUrl: COLLECTION, syncToken: 'http://radicale.org/ns/sync/6', etags: { [A]: '"2"', [B]: '"1"' } };
  const marked = markPending(state, B);
  // `listed`: the version the app held, which the next answer is checked against.
  assert.deepEqual(marked, { collectionUrl: COLLECTION, syncToken: 'http://radicale.org/ns/sync/6', ctag: null, etags: { [A]: '"2"' }, pending: [B], listed: { [B]: '"1"' } });
  assert.deepEqual(state.etags, { [A]: '"2"', [B]: '"1"' }, 'the state given is not changed');
  assert.deepEqual(markPending({ collection_url: COLLECTION, etags: {} }, A).pending, [A], 'the core snake_case form is read too');
  assert.throws(() => markPending(null, A), (e) => isDavError(e, 'InvalidInput'));

  // The recorded exchanges of the pending vector, with b.ics in place of a.ics.
  const exchanges = JSON.parse(JSON.stringify(vector('pending-member-fetched-next-time.json').exchanges).replaceAll('a.ics', 'b.ics'));
  const { client, done } = replaying(exchanges);
  const r = await client.sync(calendar, JSON.parse(JSON.stringify(marked)));
  done();
  assert.deepEqual(r.changes.map((c) => c.url), [B]);
  assert.equal(r.changes[0].etag, '"2"');
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.state.etags, { [A]: '"2"', [B]: '"2"' });
  // Answered under another ETag than the one it was handed back at ("2", a change made since,
  // or a replica behind: nothing tells), it stays owed with "2" to match; the next answer at
  // "2" settles it, and is no change.
  assert.deepEqual(r.state.pending, [B]);
  assert.deepEqual(r.state.listed, { [B]: '"2"' });
});

test('recordWrite and recordDelete: the app\'s own writes, which keep their URL in later syncs (the spelling vector)', async () => {
  const recorded = vector('a-member-keeps-the-spelling-its-state-has.json');
  const coll = recorded.operation.state.collection_url;
  const mine = `${coll}alice@example.com-1.ics`;
  const gone = `${coll}keep.ics`;
  const stored = { collectionUrl: coll, syncToken: 'https://dav.example.com/sync/9', etags: { [`${coll}tilde~%281%29.ics`]: '"t1"', [gone]: '"k1"' } };
  let state = recordWrite(stored, { url: mine, etag: '"a1"', data: null, replaced: false });
  assert.equal(state.etags[mine], '"a1"');
  assert.equal(stored.etags[mine], undefined, 'the state given is not changed');
  state = recordDelete(JSON.stringify(state), gone);
  assert.equal(state.etags[gone], undefined);
  assert.deepEqual(recordWrite(state, { url: `${coll}x.ics` }).pending, [`${coll}x.ics`], 'without an ETag: fetched by the next sync');
  assert.throws(() => recordWrite(null, { url: mine, etag: '"a1"' }), (e) => isDavError(e, 'InvalidInput'));

  const replay = replayFetch('state', join(vectorsDir, 'sync'), recorded.exchanges);
  const client = new DavClient({ serverUrl: recorded.config.server_url, fetch: replay.fetch });
  const r = await client.sync({ url: coll, kind: 'calendar' }, state);
  assert.deepEqual(replay.problems, []);
  assert.deepEqual(r.changes.map((c) => [c.type, c.url]), [['changed', mine], ['added', `${coll}new%40x.ics`], ['deleted', `${coll}tilde~%281%29.ics`]]);
  assert.equal(r.state.etags[mine], '"a2"');
});

test('recordRead: a version read is known at its ETag and pending with it as the next sync\'s check', () => {
  const coll = 'https://dav.example.com/cal/';
  const a = `${coll}a.ics`;
  const stored = { collectionUrl: coll, syncToken: 'https://dav.example.com/sync/9', etags: { [a]: '"1"' } };
  const state = recordRead(stored, { url: a, etag: '"3"', data: 'BEGIN:VCALENDAR' });
  assert.equal(state.etags[a], '"3"');
  assert.deepEqual(state.pending, [a]);
  assert.deepEqual(state.listed, { [a]: '"3"' });
  assert.equal(stored.etags[a], '"1"', 'the state given is not changed');
  assert.deepEqual(recordRead(JSON.stringify(stored), { url: a }).pending, [a], 'without an ETag: pending');
  assert.throws(() => recordRead(null, { url: a, etag: '"3"' }), (e) => isDavError(e, 'InvalidInput'));
});

test('a sync state of another collection is refused before any request', async () => {
  let requests = 0;
  const client = new DavClient({ serverUrl: 'https://dav.example.com/', fetch: async () => { requests += 1; return new Response('', { status: 500 }); } });
  const other = { collectionUrl: 'https://dav.example.com/alice/other/', syncToken: 't', etags: {} };
  await assert.rejects(client.sync({ url: 'https://dav.example.com/alice/work/', kind: 'calendar' }, other),
    (e) => isDavError(e, 'InvalidInput') && /belongs to/.test(e.message));
  assert.equal(requests, 0);
});

test('syncBatches: each batch a checkpoint, the loop resumes from the stored state (the two batch vectors)', async () => {
  const first = vector('batch-first-batch-leaves-the-rest-pending.json');
  const second = vector('batch-resume-from-checkpoint.json');
  const C = `${COLLECTION}c.ics`;

  // 1. One iterator over both recorded batches: a and b first (more), then c (done).
  const { client, done } = replaying([...first.exchanges, ...second.exchanges]);
  const seen = [];
  let stored = null;
  for await (const batch of client.syncBatches(calendar, null, { maxMembers: 2 })) {
    seen.push({ urls: batch.changes.map((c) => c.url), more: batch.more, pending: batch.state.pending ?? [] });
    stored = JSON.parse(JSON.stringify(batch.state)); // what an app writes after applying the batch
  }
  done();
  assert.deepEqual(seen, [{ urls: [A, B], more: true, pending: [C] }, { urls: [C], more: false, pending: [] }]);
  assert.deepEqual(Object.keys(stored.etags).sort(), [A, B, C]);

  // 2. Interrupted after the first batch: its stored state resumes with exactly the rest.
  const one = replaying(first.exchanges);
  let batch1;
  for await (const b of one.client.syncBatches(calendar, null, { maxMembers: 2 })) {
    batch1 = b;
    break; // the app is stopped here, after storing the first batch
  }
  one.done();
  const checkpoint = JSON.parse(JSON.stringify(batch1.state));
  assert.deepEqual(checkpoint.pending, [C]);
  const two = replaying(second.exchanges);
  const r = await two.client.syncBatch(calendar, checkpoint, { maxMembers: 2 });
  two.done();
  assert.deepEqual(r.changes.map((c) => [c.type, c.url]), [['added', C]]);
  assert.equal(r.more, false);
  assert.deepEqual(r.state, stored, 'the same final state as the uninterrupted loop');
});

test('stateJson: the state as the core\'s JSON text, stored and resumed from as it is; a state changed in place is honoured', async () => {
  const first = vector('batch-first-batch-leaves-the-rest-pending.json');
  const second = vector('batch-resume-from-checkpoint.json');
  const C = `${COLLECTION}c.ics`;

  // 1. The loop stores the text only (its `state` never read): the same batches and final state.
  const { client, done } = replaying([...first.exchanges, ...second.exchanges]);
  const texts = [];
  let last;
  for await (const batch of client.syncBatches(calendar, null, { maxMembers: 2 })) {
    assert.equal(typeof batch.stateJson, 'string');
    assert.ok(!Object.keys(batch).includes('stateJson'), 'not enumerable: JSON.stringify(result) is unchanged');
    texts.push(batch.stateJson);
    last = batch;
  }
  done();
  assert.equal(texts.length, 2);
  const core = JSON.parse(texts[0]);
  assert.equal(core.collection_url, COLLECTION, 'the core\'s snake_case form, as the other bindings store it');
  assert.deepEqual(core.pending, [C]);
  assert.equal(core.more, true);
  const final = last.state; // read once the loop is over: the object of the same text
  assert.deepEqual(Object.keys(final.etags).sort(), [A, B, C]);
  assert.equal(final.collectionUrl, COLLECTION);
  assert.deepEqual(toCamel(JSON.parse(texts[1])), final);

  // 2. Interrupted after the first batch: the stored text resumes with exactly the rest.
  const two = replaying(second.exchanges);
  const r = await two.client.syncBatch(calendar, texts[0], { maxMembers: 2 });
  two.done();
  assert.deepEqual(r.changes.map((c) => [c.type, c.url]), [['added', C]]);
  assert.deepEqual(r.state, final);
  assert.deepEqual(markPending(texts[0], A).pending, [A, C].sort(), 'markPending reads the text too');
  await assert.rejects(client.sync({ url: 'https://dav.example.com/alice/other/', kind: 'calendar' }, texts[0]),
    (e) => isDavError(e, 'InvalidInput') && /belongs to/.test(e.message), 'a text state of another collection is refused');

  // 3. A body that changes the state object in place: the next batch starts from it (here: no more).
  const three = replaying(first.exchanges);
  const seen = [];
  for await (const batch of three.client.syncBatches(calendar, null, { maxMembers: 2 })) {
    seen.push(batch.more);
    batch.state.more = false;
  }
  three.done(); // no second batch asked for
  assert.deepEqual(seen, [true]);
});

test('syncBatches ends when the same members fail again: the core says so with more: false (the shared vector)', async () => {
  const v = vector('batch-same-members-fail-again-ends-batches.json');
  const owed = v.operation.state.pending;
  const { client, done } = replaying(v.exchanges);
  const seen = [];
  for await (const batch of client.syncBatches(calendar, toCamel(v.operation.state), { maxMembers: v.operation.max_members })) {
    seen.push(batch);
  }
  done();
  assert.equal(seen.length, 1, 'one batch: the loop checks only more');
  assert.equal(seen[0].more, false);
  assert.deepEqual(seen[0].changes, []);
  assert.deepEqual(seen[0].problems.map((p) => [p.url, p.status]), [[A, 500], [B, 500]]);
  assert.deepEqual(seen[0].state.pending, owed, 'every member stays owed for the next sync');
  assert.equal(seen[0].state.more, undefined, 'the next sync asks the server again');
});

test('syncBatches ends after a body that handed a change back: markPending clears more', async () => {
  const first = vector('batch-first-batch-leaves-the-rest-pending.json');
  const { client, done } = replaying(first.exchanges);
  const seen = [];
  for await (const batch of client.syncBatches(calendar, null, { maxMembers: 2 })) {
    seen.push(batch.more);
    batch.state = markPending(batch.state, A); // the app could not store a.ics
  }
  done(); // no second batch was asked for: a.ics is not fetched again and again
  assert.deepEqual(seen, [true]);
});

test('syncBatch refuses a maxMembers that is not a whole number from 1, before any request', async () => {
  let requests = 0;
  const client = new DavClient({ serverUrl: 'https://dav.example.com/', fetch: async () => { requests += 1; return new Response('', { status: 500 }); } });
  for (const maxMembers of [0, -1, 1.5, '10', Number.NaN]) {
    await assert.rejects(client.syncBatch(calendar, null, { maxMembers }), (e) => isDavError(e, 'InvalidInput'), String(maxMembers));
  }
  await assert.rejects(client.syncBatches(calendar, null, { maxMembers: 0 }).next(), (e) => isDavError(e, 'InvalidInput'));
  assert.equal(requests, 0);
});

test('batches of two collections interleaved on one client, and a checkpoint synced again, give what separate clients give', async () => {
  // An in-memory server of two calendars of five events each: a sync-collection report lists
  // every member, a multiget answers each href asked for.
  const base = 'https://dav.example.invalid/';
  const members = (name) => Array.from({ length: 5 }, (_, i) => `/alice/${name}/e${i}.ics`);
  const ical = (href) => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:${href}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T100000Z\r\nSUMMARY:${href}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
  const row = (href, props) => `<d:response><d:href>${href}</d:href><d:propstat><d:prop>${props}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`;
  const ms = (rows, token) => `<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">${rows.join('')}${token ? `<d:sync-token>${token}</d:sync-token>` : ''}</d:multistatus>`;
  const fetch = async (url, init) => {
    const body = new TextDecoder().decode(init.body);
    const name = new URL(url).pathname.split('/')[2];
    if (body.includes('sync-collection')) {
      return new Response(ms(members(name).map((h) => row(h, `<d:getetag>"${h}"</d:getetag>`)), `${base}sync/${name}/1`), { status: 207 });
    }
    const hrefs = [...body.matchAll(/<d:href>([^<]*)<\/d:href>/g)].map((m) => m[1]);
    return new Response(ms(hrefs.map((h) => row(h, `<d:getetag>"${h}"</d:getetag><c:calendar-data>${ical(h)}</c:calendar-data>`))), { status: 207 });
  };
  const client = () => new DavClient({ serverUrl: base, fetch });
  const x = { url: `${base}alice/x/`, kind: 'calendar' };
  const y = { url: `${base}alice/y/`, kind: 'calendar' };
  const run = async (loops) => {
    const seen = loops.map(() => []);
    const iterators = loops.map(([c, coll]) => c.syncBatches(coll, null, { maxMembers: 2 }));
    const finals = [];
    for (let live = iterators.length; live > 0;) {
      live = 0;
      for (const [i, it] of iterators.entries()) {
        if (finals[i] !== undefined) continue;
        const step = await it.next();
        if (step.done) {
          finals[i] = null;
          continue;
        }
        live += 1;
        assert.ok(!('stateId' in step.value), 'the module\'s number for its kept state is not the app\'s');
        seen[i].push([step.value.changes.map((c) => c.url), step.value.more, step.value.stateJson]);
      }
    }
    return seen;
  };
  const [alone] = await run([[client(), x]]);
  const [aloneY] = await run([[client(), y]]);
  const one = client();
  const [withX, withY] = await run([[one, x], [one, y]]);
  assert.deepEqual(withX, alone, 'x interleaved with y on one client');
  assert.deepEqual(withY, aloneY, 'y interleaved with x on one client');
  assert.equal(alone.length, 3);
  assert.deepEqual(alone.map(([urls, more]) => [urls.length, more]), [[2, true], [2, true], [1, false]]);

  // The first checkpoint synced again after the loop went past it: its own members, not the
  // ones of the state the client kept last.
  const again = client();
  const first = await again.syncBatch(x, null, { maxMembers: 2 });
  const second = await again.syncBatch(x, first.stateJson, { maxMembers: 2 });
  const replayed = await again.syncBatch(x, first.stateJson, { maxMembers: 2 });
  assert.deepEqual(replayed.changes.map((c) => c.url), second.changes.map((c) => c.url));
  assert.equal(replayed.stateJson, second.stateJson);
  const third = await again.syncBatch(x, second.stateJson, { maxMembers: 2 });
  assert.deepEqual(third.changes.map((c) => c.url), alone[2][0]);
  assert.equal(third.more, false);
});

test('a sync from the last result\'s state, text or object, gives what a fresh client gives; a state changed in place is honoured', async () => {
  // The client keeps each result's state parsed and starts from it when given that state
  // unchanged (the core's KeptSyncState); what the sync does must never depend on it. An
  // in-memory calendar whose sync-collection report lists every member with its ETag.
  const base = 'https://dav.example.invalid/';
  const hrefs = Array.from({ length: 4 }, (_, i) => `/alice/k/e${i}.ics`);
  const ical = (href) => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:${href}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T100000Z\r\nSUMMARY:${href}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
  const row = (href, props) => `<d:response><d:href>${href}</d:href><d:propstat><d:prop>${props}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`;
  const ms = (rows, token) => `<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">${rows.join('')}${token ? `<d:sync-token>${token}</d:sync-token>` : ''}</d:multistatus>`;
  const fetch = async (url, init) => {
    const body = new TextDecoder().decode(init.body);
    if (body.includes('sync-collection')) return new Response(ms(hrefs.map((h) => row(h, `<d:getetag>"${h}"</d:getetag>`)), `${base}sync/1`), { status: 207 });
    const asked = [...body.matchAll(/<d:href>([^<]*)<\/d:href>/g)].map((m) => m[1]);
    return new Response(ms(asked.map((h) => row(h, `<d:getetag>"${h}"</d:getetag><c:calendar-data>${ical(h)}</c:calendar-data>`))), { status: 207 });
  };
  const cal = { url: `${base}alice/k/`, kind: 'calendar' };
  const other = { url: `${base}alice/other/`, kind: 'calendar' };
  const client = new DavClient({ serverUrl: base, fetch });
  const seen = (r) => [r.changes.map((c) => [c.type, c.url]), r.stateJson];
  // What a client that has kept nothing gives from the same state.
  const fresh = async (state) => seen(await new DavClient({ serverUrl: base, fetch }).sync(cal, JSON.parse(JSON.stringify(state))));

  const first = await client.sync(cal);
  assert.equal(first.changes.length, 4);
  await client.sync(other, null); // another collection's state is kept beside it
  const E0 = `${base}alice/k/e0.ics`;
  const E1 = `${base}alice/k/e1.ics`;

  // Untouched, as the object and as the text: nothing changed.
  const state = first.state;
  const expected = await fresh(state);
  assert.deepEqual(expected[0], []);
  const again = await client.sync(cal, state);
  assert.deepEqual(seen(again), expected);
  assert.deepEqual(seen(await client.sync(cal, again.stateJson)), expected);

  // The object changed in place after it was made: e0 forgotten, e1 with an older ETag.
  const next = await client.sync(cal, first.stateJson);
  const changed = next.state;
  delete changed.etags[E0];
  changed.etags[E1] = '"older"';
  const want = await fresh(changed);
  assert.deepEqual(want[0], [['added', E0], ['changed', E1]]);
  assert.deepEqual(seen(await client.sync(cal, changed)), want);

  // Changed and changed back: the same state, from the kept copy or read, gives the same.
  const last = await client.sync(cal, null);
  const back = last.state;
  const etag = back.etags[E0];
  back.etags[E0] = '"x"';
  back.etags[E0] = etag;
  assert.deepEqual(seen(await client.sync(cal, back)), await fresh(back));
});

test('a result\'s state object is recognised as its text until it says something else', async () => {
  // The client starts a sync from the state it kept when the object a result's `state` made is
  // passed back saying what its text says (`untouchedText`): `JSON.stringify` of it, keys named as
  // the core names them, must be the core's text byte for byte, whatever the ETags, token and
  // pending members hold. ETags and a token with quotes, backslashes, a tab, a carriage return,
  // non-ASCII, U+2028 and an emoji; a batch leaves members pending and `more` set.
  const base = 'https://dav.example.invalid/';
  const odd = ['"a\\"b"', 'W/"tab\there"', '"cr&#13;lf"', '"caf\u00e9 \u2028 \ud83d\ude00"', '"&lt;/x&gt;&amp;"'];
  const hrefs = odd.map((_, i) => `/alice/k/e${i}.ics`);
  const row = (href, props) => `<d:response><d:href>${href}</d:href><d:propstat><d:prop>${props}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`;
  const ms = (rows, token) => `<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">${rows.join('')}${token ? `<d:sync-token>${token}</d:sync-token>` : ''}</d:multistatus>`;
  const ical = (href) => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:${href}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
  const etag = (href) => odd[hrefs.indexOf(href)];
  const fetch = async (url, init) => {
    const body = new TextDecoder().decode(init.body);
    if (body.includes('sync-collection')) return new Response(ms(hrefs.map((h) => row(h, `<d:getetag>${etag(h)}</d:getetag>`)), 'data:,"1"\\&#9;\u00e9'), { status: 207 });
    const asked = [...body.matchAll(/<d:href>([^<]*)<\/d:href>/g)].map((m) => m[1]);
    return new Response(ms(asked.map((h) => row(h, `<d:getetag>${etag(h)}</d:getetag><c:calendar-data>${ical(h)}</c:calendar-data>`))), { status: 207 });
  };
  const cal = { url: `${base}alice/k/`, kind: 'calendar' };
  const client = new DavClient({ serverUrl: base, fetch });
  const whole = await client.sync(cal);
  const batch = await client.syncBatch(cal, null, { maxMembers: 2 });
  assert.equal(batch.more, true);
  for (const escape of ['\\t', '\\r', '\\\\', '\\"', '\u2028']) assert.ok(whole.stateJson.includes(escape), `${escape} in the text`);
  for (const result of [whole, batch]) {
    const text = result.stateJson;
    const state = result.state;
    assert.equal(untouchedText(state), text, 'untouched: its text');
    assert.equal(untouchedText(text), text);
    assert.equal(untouchedText(JSON.parse(JSON.stringify(state))), undefined, 'a copy is read, not recognised');
    const key = Object.keys(state.etags)[0];
    const was = state.etags[key];
    state.etags[key] = '"other"';
    assert.equal(untouchedText(state), undefined, 'changed: read again');
    state.etags[key] = was;
    assert.equal(untouchedText(state), text, 'changed back: its text again');
    state.extra = 1;
    assert.equal(untouchedText(state), undefined, 'a key added: read again');
    delete state.extra;
    assert.equal(untouchedText(state), text);
  }
  assert.ok(batch.state.pending.length > 0 && batch.state.more === true);
});
