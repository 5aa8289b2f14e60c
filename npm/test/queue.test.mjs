// Replays the write-queue scripts of tests/queue-vectors/ (format in its README; the same files
// the Rust, Python and Kotlin runners replay) through the public `WriteQueue` and
// `DavClient.flush`, with a fetch answering the recorded exchanges strictly in order. Each
// step's result (camelCase, converted back with toSnake) and the queue it leaves (the core's
// JSON from `toJson()`) are checked as subsets, in `davkit`; `davkit/protocol` has no write
// queue, and its `flush` refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as full from '../dist/node.js';
import * as protocol from '../dist/protocol/node.js';
import { assertSubset, replayFetch, repoDir, toSnake } from './helpers.mjs';

const queueVectorsDir = join(repoDir, 'tests', 'queue-vectors');
const files = readdirSync(queueVectorsDir).filter((f) => f.endsWith('.json')).sort();

/** replayFetch, but the next request must be the first exchange not used yet. */
function inOrderFetch(name, exchanges) {
  const replay = replayFetch(name, queueVectorsDir, exchanges);
  const fetch = async (url, init = {}) => {
    const method = init.method ?? 'GET';
    const next = exchanges[replay.used.indexOf(false)];
    if (!next || next.request.method !== method || next.request.url !== url) {
      const expected = next ? `${next.request.method} ${next.request.url}` : 'nothing more';
      replay.problems.push(`request ${method} ${url}, expected ${expected}`);
      throw new TypeError(`replay: out of order: ${method} ${url}`);
    }
    return replay.fetch(url, init);
  };
  return { ...replay, fetch };
}

function plainError(e) {
  return e ? { kind: e.kind, status: e.status, url: e.url, message: e.message } : null;
}

async function step(mod, c, st, state) {
  const q = state.queue;
  switch (st.op) {
    case 'enqueue_create': return { id: q.enqueueCreate(st.collection_url, st.name, st.data) };
    case 'enqueue_update': return { id: q.enqueueUpdate(st.url, st.data, st.base_etag ?? '', st.base_data) };
    case 'enqueue_delete': return { id: q.enqueueDelete(st.url, st.base_etag ?? '', st.base_data) };
    case 'set_policy': q.policy = st.policy; return null;
    case 'set_entry_policy': q.setEntryPolicy(st.id, st.policy); return null;
    case 'begin_flush': state.stored = q.beginFlush(); return null;
    case 'crash': state.queue = mod.WriteQueue.fromJson(state.stored); return null;
    case 'resolve': return q.resolve(st.id, st.resolution) ?? null;
    case 'split_changes': return q.splitChanges(st.changes);
    case 'flush': {
      const replay = inOrderFetch(c.description, st.exchanges ?? []);
      state.replay = replay;
      const client = new mod.DavClient({
        serverUrl: c.config.server_url, profile: c.config.profile, userAgent: 'davkit-vectors', fetch: replay.fetch,
      });
      const out = await client.flush(q);
      return { outcomes: toSnake(out.outcomes), stopped: plainError(out.stopped), read_once: toSnake(out.readOnce), queue: JSON.parse(q.toJson()) };
    }
    default: throw new Error(`unknown step ${st.op}`);
  }
}

test('the queue vectors are there', () => {
  assert.ok(files.length >= 10, `found ${files.length} queue vectors`);
});

for (const [entry, mod] of [['davkit', full]]) {
  for (const file of files) {
    test(`${entry} queue vector ${file}`, async () => {
      const c = JSON.parse(readFileSync(join(queueVectorsDir, file), 'utf8'));
      assert.equal(typeof c.source, 'string', 'every vector names its source');
      const state = { queue: new mod.WriteQueue({ policy: c.policy }), stored: null, replay: null };
      for (const [i, st] of c.steps.entries()) {
        const label = `${file} step ${i} (${st.op})`;
        const expect = st.expect ?? {};
        state.replay = null;
        let result;
        let error;
        try {
          result = await step(mod, c, st, state);
        } catch (e) {
          error = e;
        }
        if (state.replay) {
          assert.deepEqual(state.replay.problems, [], label);
          const unused = st.exchanges.filter((_, k) => !state.replay.used[k]).map((e) => `${e.request.method} ${e.request.url}`);
          assert.deepEqual(unused, [], `${label}: never requested`);
        }
        if (expect.error) {
          assert.ok(mod.isDavError(error, expect.error.kind), `${label}: expected ${expect.error.kind}, got ${error ?? JSON.stringify(result)}`);
        } else {
          if (error) throw new Error(`${label}: unexpected error ${error}`, { cause: error });
          if (expect.result) assertSubset(label, expect.result, result);
        }
        if (expect.queue) assertSubset(`${label} queue`, expect.queue, JSON.parse(state.queue.toJson()));
      }
    });
  }
}

test('davkit/protocol: no WriteQueue, and flush refuses with Unsupported before any request', async () => {
  assert.equal(protocol.WriteQueue, undefined);
  await protocol.init();
  let requests = 0;
  const client = new protocol.DavClient({ serverUrl: 'https://dav.example/', fetch: async () => { requests++; throw new Error('no request expected'); } });
  // a queue of the full entry: the protocol module has no queue to send it with
  const queue = new full.WriteQueue();
  queue.enqueueCreate('https://dav.example/cal/', 'a.ics', 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n');
  await assert.rejects(client.flush(queue), (e) => protocol.isDavError(e, 'Unsupported') && /write queue/.test(e.message) && /'davkit'/.test(e.message));
  assert.equal(requests, 0);
});

test('WriteQueue: policies by name, an object as read for the base, typed errors', () => {
  const { WriteQueue, isDavError } = full;
  const q = new WriteQueue();
  assert.equal(q.policy, 'keep-both');
  q.policy = 'merge';
  assert.equal(q.policy, 'merge');
  assert.throws(() => { q.policy = 'first-wins'; }, (e) => isDavError(e, 'InvalidInput'));
  assert.throws(() => new WriteQueue({ policy: 'nobody-wins' }), (e) => isDavError(e, 'InvalidInput'));
  assert.throws(() => WriteQueue.fromJson('{"format": 99}'), (e) => isDavError(e, 'InvalidInput'));
  const read = { url: 'https://dav.example/cal/a.ics', etag: '"e1"', data: 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n' };
  const id = q.enqueueUpdate(read, 'BEGIN:VCALENDAR\r\nX-A:1\r\nEND:VCALENDAR\r\n');
  const [entry] = q.entries();
  assert.equal(entry.id, id);
  assert.equal(entry.baseEtag, '"e1"');
  assert.equal(entry.baseData, read.data);
  assert.equal(q.entryFor('https://dav.example/cal/%61.ics'), id);
  assert.equal(q.enqueueDelete(read), id, 'update + delete of one object: one entry');
  assert.equal(q.size, 1);
  assert.throws(() => q.resolve(id, { type: 'keep-local' }), (e) => isDavError(e, 'InvalidInput'), 'nothing to resolve');
  assert.throws(() => q.enqueueUpdate('https://dav.example/cal/b.ics', 'x', ''), (e) => isDavError(e, 'InvalidInput'), 'no base ETag');
  const back = WriteQueue.fromJson(q.toJson());
  assert.equal(back.entries()[0].op.type, 'delete');
  assert.equal(back.policy, 'merge');
});

test('examples/node/offline.mjs: edit offline, a conflict kept with both versions, resolved, flushed (live Radicale)', {
  skip: process.env.DAVKIT_RADICALE_URL ? false : 'DAVKIT_RADICALE_URL is not set',
}, async () => {
  const { mkdtempSync, mkdirSync, symlinkSync, cpSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { execFileSync } = await import('node:child_process');
  const dir = mkdtempSync(join(tmpdir(), 'davkit-offline-'));
  try {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(join(repoDir, 'npm'), join(dir, 'node_modules', 'davkit'), 'dir');
    for (const f of ['sync.mjs', 'offline.mjs']) cpSync(join(repoDir, 'examples', 'node', f), join(dir, f));
    const env = { ...process.env, DAV_URL: process.env.DAVKIT_RADICALE_URL, DAV_USER: 'alice', DAV_PASSWORD: 'alice-pass', DAV_MIRROR: 'mirror.json' };
    const run = (...args) => execFileSync(process.execPath, args, { cwd: dir, env, encoding: 'utf8' });
    // Another device: the test's own client, in a calendar of the test's own.
    const other = new full.DavClient({ serverUrl: env.DAV_URL, auth: { basic: { username: 'alice', password: 'alice-pass' } } });
    const [home] = (await other.discover({ service: 'caldav' })).calendarHomeSets;
    const cal = await other.createCalendar(home, `live-offline-${Date.now()}`, { displayName: 'offline example', components: ['VEVENT'] });
    const ev = (summary) => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davkit//offline example//EN\r\nBEGIN:VEVENT\r\nUID:offline-${Date.now()}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260310T090000Z\r\nSUMMARY:${summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
    const created = await other.createObject(cal, 'standup.ics', ev('Standup'));
    run('sync.mjs', 'mirror.json');
    assert.match(run('offline.mjs', 'edit', created.url, 'Standup (moved)'), /^queued #1: "Standup \(moved\)" \(1 queued\)$/m);
    // Meanwhile the other device renames it on the server.
    const read = await other.getObject(created.url);
    await other.updateObject(read, read.data.replace('SUMMARY:Standup', 'SUMMARY:Standup (cancelled)'));
    const flushed = run('offline.mjs', 'flush');
    assert.match(flushed, /^#1 conflict \(the object changed on the server\): local "Standup \(moved\)", server "Standup \(cancelled\)"$/m);
    assert.match(flushed, /^1 left in the queue$/m);
    assert.match((await other.getObject(created.url)).data, /SUMMARY:Standup \(cancelled\)/, 'nothing written over the other device');
    run('offline.mjs', 'resolve', '1', 'keep-local');
    const again = run('offline.mjs', 'flush');
    assert.match(again, /^#1 written \(clean\): "Standup \(moved\)"$/m);
    assert.match(again, /^0 left in the queue$/m);
    assert.match((await other.getObject(created.url)).data, /SUMMARY:Standup \(moved\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('flush: a create answered 200 or 204 says `replaced` (a boolean, by that name), one answered 201 does not', async () => {
  const { DavClient, WriteQueue } = full;
  const cal = 'https://dav.example/cal/';
  const status = { 'a.ics': 201, 'b.ics': 200, 'c.ics': 204 };
  const q = new WriteQueue();
  for (const name of Object.keys(status)) {
    q.enqueueCreate(cal, name, `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:${name}\r\nDTSTAMP:20260101T000000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`);
  }
  q.beginFlush();
  const sent = [];
  const fetch = async (url, init = {}) => {
    sent.push(`${init.method} ${url} ${new Headers(init.headers).get('if-none-match')}`);
    const name = url.slice(cal.length);
    return new Response(null, { status: status[name], headers: { etag: `"${name}"` } });
  };
  const { outcomes, stopped } = await new DavClient({ serverUrl: 'https://dav.example/', fetch }).flush(q);
  assert.equal(stopped, null);
  assert.deepEqual(sent, Object.keys(status).map((name) => `PUT ${cal}${name} *`));
  assert.deepEqual(
    outcomes.map((o) => [o.url, o.kind.type, o.kind.replaced]),
    [[`${cal}a.ics`, 'written', false], [`${cal}b.ics`, 'written', true], [`${cal}c.ics`, 'written', true]],
  );
  assert.equal(q.size, 0);
});

// The flush's decisions (`FlushMachine`, the core's `FlushSteps`) as `DavClient.flush` runs them
// through `runSteps`, answered here by hand: what a client call settled with goes back as it is,
// and an answer that does not read as the call's result is never taken for a success.
test('the flush machine: an unreadable answer stops the flush and keeps the entry; a rejection is read back by kind', async () => {
  const glue = await import('../dist/wasm/davkit_extras.js');
  const cal = 'https://dav.example/cal/';
  const ics = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:m\r\nDTSTAMP:20260101T000000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';
  const run = (answers) => {
    const q = new glue.Queue(undefined);
    q.enqueueCreate(cal, 'm.ics', ics);
    q.beginFlush();
    const machine = new glue.FlushMachine(q, 'generic', undefined);
    const asked = [];
    let next;
    for (const [result, error] of answers) {
      next = machine.poll();
      assert.equal(next.done, undefined, 'a request, not the end');
      asked.push([next.call, ...next.args.filter((a) => typeof a === 'string' && !a.startsWith('BEGIN:'))]);
      machine.answer(result, error);
    }
    next = machine.poll();
    assert.notEqual(next.done, undefined, 'the end');
    const out = q.applyResult(next.done);
    next.done.free();
    machine.free();
    return { asked, out, entries: q.entries() };
  };
  // A write result whose URL is not a string: a Protocol error, the flush stops, the entry waits.
  let { asked, out, entries } = run([[{ url: 5, etag: '"1"' }, undefined]]);
  assert.deepEqual(asked, [['createObject', cal, 'm.ics']]);
  assert.equal(out.stopped?.kind, 'Protocol');
  assert.equal(entries.length, 1);
  assert.equal(entries[0].state.state, 'pending');
  // Nothing at all (a call that resolved with undefined): the same.
  ({ out, entries } = run([[undefined, undefined]]));
  assert.equal(out.stopped?.kind, 'Protocol');
  assert.equal(entries.length, 1);
  // A 429 rejection: the flush stops with that error, its status and Retry-After kept.
  const limited = { davkit: true, kind: 'RateLimited', message: 'slow down', status: 429, url: `${cal}m.ics`, bodyExcerpt: null, retryAfter: 30 };
  ({ out, entries } = run([[undefined, limited]]));
  assert.deepEqual(
    [out.stopped?.kind, out.stopped?.status, out.stopped?.retryAfter, out.stopped?.url],
    ['RateLimited', 429, 30, `${cal}m.ics`],
  );
  assert.equal(entries.length, 1);
  // A 412 on the create: the server's version is read next (the core's decision), and its
  // answer, a good write result, then the entry done.
  const taken = { davkit: true, kind: 'PreconditionFailed', message: 'taken', status: 412, url: `${cal}m.ics`, bodyExcerpt: null, retryAfter: null };
  ({ asked, out, entries } = run([
    [undefined, taken],
    [{ url: `${cal}m.ics`, etag: '"s"', data: ics }, undefined],
  ]));
  assert.deepEqual(asked, [['createObject', cal, 'm.ics'], ['getObject', `${cal}m.ics`]]);
  assert.equal(out.stopped, null);
  assert.equal(entries.length, 0, `${JSON.stringify(out.outcomes)}`);
});
