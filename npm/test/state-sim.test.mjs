// "Nothing lost" through the npm layer, as a property over random runs. The core's simulation
// (core/tests/sim) checks the sync itself; this one checks what the JS layer and the wasm binding
// add on top of it: the result's state kept parsed in the module and passed back by `stateId`
// (`api.js` `#syncCall`, `untouchedText`), the state as text or as an object, an object the app
// changed in place, `markPending`, older checkpoints, `syncBatches` stopped half-way, clients
// that restart (and lose what they kept). An app mirrors a calendar of an in-memory CalDAV
// server through seeded random steps: the server's events change between steps and between
// batches; requests fail (`fetch` rejects, a body breaks off, a multiget row is a 500, the
// server forgets old sync tokens) or stall (no answer, or half a body and then silence: the
// client's wait for progress, `idleTimeoutMs`, must give them up). Each result is checked as it
// comes (every changed member carries data the server held under that ETag, a deletion only of
// a member the server deleted), and at the end, with faults off, syncs until nothing is owed
// must leave the mirror equal to the server.
//
// DAVKIT_NPM_SIM_SEEDS (default 40) and DAVKIT_NPM_SIM_FIRST_SEED run more; a failing seed is
// named in the message and replays alone with DAVKIT_NPM_SIM_SEED.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as full from '../dist/node.js';
import * as protocol from '../dist/protocol/node.js';

// Even seeds run on `davkit`, odd ones on `davkit/protocol`, whose JS layer is a copy the build
// cuts (scripts/entry-api.mjs) over a module of its own.
const ENTRIES = [['davkit', full], ['davkit/protocol', protocol]];

const ORIGIN = 'https://dav.example.invalid';
const COLLECTION_PATH = '/cal/alice/work/';
const COLLECTION = `${ORIGIN}${COLLECTION_PATH}`;
const auth = { basic: { username: 'alice', password: 'pw' } };

/** A small seeded generator (mulberry32): the same seed, the same run. */
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    chance: (p) => next() < p,
    int: (n) => Math.floor(next() * n),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
  };
}

const xml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
const multistatus = (rows, token) => `<?xml version="1.0" encoding="utf-8"?>\n<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/">${rows.join('')}${token ? `<d:sync-token>${token}</d:sync-token>` : ''}</d:multistatus>`;
const ok = (href, props) => `<d:response><d:href>${href}</d:href><d:propstat><d:prop>${props}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`;
const gone = (href, status = '404 Not Found') => `<d:response><d:href>${href}</d:href><d:status>HTTP/1.1 ${status}</d:status></d:response>`;
const token = (v) => `${ORIGIN}/sync/${v}`;
// DAVKIT_NPM_SIM_TRACE=1: each step, request and result on stderr (for replaying one seed).
const trace = process.env.DAVKIT_NPM_SIM_TRACE ? (...xs) => console.error(...xs) : () => {};

/**
 * A CalDAV calendar in memory: sync-collection (with the data when asked and `dataInSync`),
 * calendar-multiget, PROPFIND of the collection; a change log for the sync tokens, of which the
 * oldest can be forgotten (a token before `oldestToken` is refused as RFC 6578 says).
 */
class Server {
  constructor(r, dataInSync) {
    this.r = r;
    this.dataInSync = dataInSync;
    this.items = new Map(); // path -> { etag, data }
    this.version = 0;
    this.log = []; // { v, path }
    this.oldestToken = 0;
    this.held = new Map(); // `${path} ${etag}` -> data: every version ever held
    this.deleted = new Set(); // paths deleted at some time
    this.next = 0;
    this.faults = 0; // probability of each fault
    this.signal = null; // the signal of the request being answered
    this.unaborted = 0; // stalled requests the client never gave up
  }

  touch(path) {
    this.version += 1;
    this.log.push({ v: this.version, path });
  }

  put(path) {
    const n = (this.next += 1);
    const uid = path.slice(COLLECTION_PATH.length).replace('.ics', '');
    const data = `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//sim//EN\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T${String(n % 24).padStart(2, '0')}0000Z\r\nSUMMARY:${uid} v${n} <&>\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
    const etag = `"${n}"`;
    this.items.set(path, { etag, data });
    this.held.set(`${path} ${etag}`, data);
    this.touch(path);
    trace(`  server puts ${path.slice(COLLECTION_PATH.length)} ${etag}`);
  }

  /** Some events added, changed or deleted. */
  mutate() {
    const steps = 1 + this.r.int(3);
    for (let i = 0; i < steps; i++) {
      const paths = [...this.items.keys()];
      const what = paths.length === 0 ? 0 : this.r.int(3);
      if (what === 0) this.put(`${COLLECTION_PATH}e${this.next + 1}.ics`);
      else if (what === 1) this.put(this.r.pick(paths));
      else {
        const path = this.r.pick(paths);
        trace(`  server deletes ${path.slice(COLLECTION_PATH.length)}`);
        this.items.delete(path);
        this.deleted.add(path);
        this.touch(path);
      }
    }
    if (this.r.chance(0.1)) {
      this.oldestToken = this.version;
      trace(`  server forgets tokens before ${this.version}`);
    }
  }

  fault(p) {
    return this.r.chance(this.faults * p);
  }

  /**
   * Waits until the client's `signal` aborts the request (its wait for progress ran out), then
   * fails as `fetch` does; a request never aborted is counted (`unaborted`) and fails after 2 s.
   */
  stalled(signal, fail) {
    return new Promise((resolve) => {
      const give = setTimeout(() => {
        this.unaborted += 1;
        resolve(fail(new TypeError('stalled and never aborted')));
      }, 2000);
      signal?.addEventListener('abort', () => {
        clearTimeout(give);
        resolve(fail(new DOMException('This operation was aborted', 'AbortError')));
      });
    });
  }

  respond(text, status = 207) {
    const bytes = new TextEncoder().encode(text);
    const headers = { 'content-type': 'application/xml; charset=utf-8' };
    if (this.fault(0.3)) {
      // The server stops after half the body and says nothing more.
      trace('  the body stalls');
      const half = bytes.slice(0, bytes.length >> 1);
      const signal = this.signal;
      let sent = false;
      const body = new ReadableStream({
        pull: (controller) => {
          if (sent) return this.stalled(signal, (e) => controller.error(e));
          sent = true;
          controller.enqueue(half);
        },
      });
      return new Response(body, { status, headers });
    }
    if (!this.fault(0.5)) return new Response(bytes, { status, headers });
    // The connection breaks off half-way through the body.
    trace('  the body breaks off');
    const half = bytes.slice(0, bytes.length >> 1);
    let sent = false;
    const body = new ReadableStream({
      pull(controller) {
        if (!sent) {
          sent = true;
          controller.enqueue(half);
        } else controller.error(new TypeError('terminated'));
      },
    });
    return new Response(body, { status, headers });
  }

  /** The `fetch` the client is given. */
  fetch = async (url, init = {}) => {
    if (this.fault(0.5)) {
      trace(`  fetch fails: ${init.method} ${url}`);
      throw new TypeError('fetch failed');
    }
    if (this.fault(0.3)) {
      trace(`  no answer: ${init.method} ${url}`);
      return this.stalled(init.signal, (e) => Promise.reject(e));
    }
    // For `respond`, which runs before this call returns (requests do not interleave there).
    this.signal = init.signal;
    const method = init.method ?? 'GET';
    const body = init.body ? new TextDecoder().decode(init.body) : '';
    const path = new URL(url).pathname;
    trace(`  ${method} ${path} ${body.includes('multiget') ? 'multiget' : ''}${(/<[a-z]*:?sync-token>([^<]*)</.exec(body)?.[1] ?? '').replace(token(''), 't')}`);
    if (method === 'GET' && path !== COLLECTION_PATH) {
      const item = this.items.get(path);
      if (!item) return new Response('', { status: 404 });
      if (this.fault(1)) return new Response('', { status: 500 });
      return new Response(item.data, { status: 200, headers: { 'content-type': 'text/calendar; charset=utf-8', etag: item.etag } });
    }
    if (path !== COLLECTION_PATH) return new Response('', { status: 404 });
    if (method === 'REPORT' && body.includes('sync-collection')) return this.syncReport(body);
    if (method === 'REPORT' && body.includes('calendar-multiget')) return this.multiget(body);
    if (method === 'PROPFIND') return this.listing(init);
    return new Response('', { status: 405 });
  };

  syncReport(body) {
    const from = /<[a-z]*:?sync-token>([^<]*)</.exec(body)?.[1] ?? '';
    let since = 0;
    if (from) {
      const v = Number(from.slice(token('').length));
      if (!from.startsWith(token('')) || !(v >= this.oldestToken) || v > this.version) {
        return new Response('<?xml version="1.0" encoding="utf-8"?>\n<d:error xmlns:d="DAV:"><d:valid-sync-token/></d:error>', { status: 403, headers: { 'content-type': 'application/xml; charset=utf-8' } });
      }
      since = v;
    }
    const data = this.dataInSync && body.includes('calendar-data');
    const paths = since === 0 ? [...this.items.keys()] : [...new Set(this.log.filter((e) => e.v > since).map((e) => e.path))];
    const rows = paths.map((p) => {
      const item = this.items.get(p);
      if (!item) return gone(p);
      const props = `<d:getetag>${item.etag}</d:getetag>${data ? `<c:calendar-data>${xml(item.data)}</c:calendar-data>` : ''}`;
      const missing = body.includes('calendar-data') && !data ? '<d:propstat><d:prop><c:calendar-data/></d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>' : '';
      return ok(p, props).replace('</d:response>', `${missing}</d:response>`);
    });
    return this.respond(multistatus(rows, token(this.version)));
  }

  multiget(body) {
    const hrefs = [...body.matchAll(/<[a-z]*:?href>([^<]*)<\/[a-z]*:?href>/g)].map((m) => m[1]);
    const rows = hrefs.map((h) => {
      const p = new URL(h, ORIGIN).pathname;
      const item = this.items.get(p);
      if (this.fault(1)) {
        trace(`  multiget row 500: ${p}`);
        return gone(p, '500 Internal Server Error');
      }
      if (!item) return gone(p);
      return ok(p, `<d:getetag>${item.etag}</d:getetag><c:calendar-data>${xml(item.data)}</c:calendar-data>`);
    });
    return this.respond(multistatus(rows));
  }

  listing(init) {
    const depth = new Headers(init.headers ?? []).get('depth');
    const rows = [ok(COLLECTION_PATH, `<d:resourcetype><d:collection/><c:calendar/></d:resourcetype><cs:getctag>"c${this.version}"</cs:getctag><d:sync-token>${token(this.version)}</d:sync-token>`)];
    if (depth === '1') for (const [p, item] of this.items) rows.push(ok(p, `<d:resourcetype/><d:getetag>${item.etag}</d:getetag><d:getcontenttype>text/calendar</d:getcontenttype>`));
    return this.respond(multistatus(rows));
  }
}

/** The app: its copy of the calendar and the state it stores, in one of the forms an app keeps. */
class App {
  constructor(r, server, name, entry) {
    this.r = r;
    this.server = server;
    this.name = name;
    this.entry = entry;
    this.mirror = new Map(); // url -> { etag, data }
    this.stored = null; // { text, object }: what the app passes back
    this.checkpoints = [];
    this.client = this.newClient();
  }

  newClient() {
    // A short wait for progress: stalled requests are given up quickly.
    return new this.entry.DavClient({ serverUrl: `${ORIGIN}/`, auth, fetch: this.server.fetch, idleTimeoutMs: 20 });
  }

  /** The state in the form this step passes it: the result's text or object, or a parsed copy. */
  state() {
    if (!this.stored) return null;
    const form = this.r.int(3);
    if (form === 0 || !this.stored.object) return this.stored.text;
    if (form === 1) return this.stored.object;
    return JSON.parse(this.stored.text);
  }

  /** One result: checked against what the server held, then applied and stored. */
  apply(result, where) {
    trace(`  result: ${result.changes.map((c) => `${c.type[0]} ${c.url.slice(COLLECTION.length)} ${c.etag ?? ''}`).join(', ')}; problems ${result.problems.map((p) => p.url.slice(COLLECTION.length))}; more ${result.more}; state ${result.stateJson}`);
    for (const c of result.changes) {
      const path = new URL(c.url).pathname;
      if (c.type === 'deleted') {
        assert.ok(this.server.deleted.has(path), `${where}: ${c.url} reported deleted, and the server never deleted it`);
        this.mirror.delete(c.url);
      } else {
        const held = this.server.held.get(`${path} ${c.etag}`);
        assert.ok(held !== undefined, `${where}: ${c.url} changed with ETag ${c.etag}, which the server never gave it`);
        assert.equal(c.data, held, `${where}: ${c.url}'s data is the server's under ${c.etag}`);
        this.mirror.set(c.url, { etag: c.etag, data: c.data });
      }
    }
    for (const p of result.problems) assert.ok(result.state.pending?.includes(p.url) || p.url === COLLECTION, `${where}: a problem of ${p.url} is owed by the state`);
    // Half the time the app keeps the text alone, as an app that stores it does; else the object too.
    this.stored = { text: result.stateJson, object: this.r.chance(0.5) ? result.state : null };
    if (this.r.chance(0.2)) {
      this.checkpoints.push({ text: this.stored.text, mirror: new Map(this.mirror) });
      if (this.checkpoints.length > 4) this.checkpoints.shift();
    }
  }

  async syncOnce(where) {
    let result;
    try {
      result = await this.client.sync({ url: COLLECTION, kind: 'calendar' }, this.state());
    } catch (e) {
      assert.ok(this.server.faults > 0, `${where}: a sync failed without a fault: ${e?.message}`);
      return false;
    }
    this.apply(result, where);
    return true;
  }

  async syncInBatches(where) {
    const maxMembers = 1 + this.r.int(4);
    try {
      for await (const batch of this.client.syncBatches({ url: COLLECTION, kind: 'calendar' }, this.state(), { maxMembers })) {
        this.apply(batch, where);
        if (this.r.chance(0.2)) this.server.mutate();
        if (this.r.chance(0.1)) return; // the app stops the loop (a tab closed): the checkpoint is kept
      }
    } catch (e) {
      assert.ok(this.server.faults > 0, `${where}: a batch failed without a fault: ${e?.message}`);
    }
  }

  /** One of the things an app does between syncs. */
  async step(where) {
    const r = this.r;
    const roll = r.next();
    trace(`${where}: roll ${roll.toFixed(2)}, faults ${this.server.faults}`);
    if (roll < 0.05) this.client = this.newClient();
    else if (roll < 0.1 && this.checkpoints.length > 0) {
      // Back to an older checkpoint (a restored backup): its state and the copy it went with.
      const cp = r.pick(this.checkpoints);
      this.stored = { text: cp.text, object: null };
      this.mirror = new Map(cp.mirror);
    } else if (roll < 0.15 && this.stored && this.mirror.size > 0) {
      // The app cannot keep a member it was given: handed back, fetched again by a later sync.
      const url = r.pick([...this.mirror.keys()]);
      const state = this.entry.markPending(this.state(), url);
      this.stored = { text: JSON.stringify(state), object: r.chance(0.5) ? state : null };
    } else if (roll < 0.2 && this.stored?.object && this.mirror.size > 0) {
      // The app loses a member from its copy and says so in the state object it keeps, changed
      // in place (`pending` by hand, as `markPending` would): the kept state is not that state.
      const url = r.pick([...this.mirror.keys()]);
      this.mirror.delete(url);
      const object = this.stored.object;
      object.pending = [...(object.pending ?? []), url];
      this.stored.text = JSON.stringify(object);
    }
    if (r.chance(0.4)) await this.syncInBatches(where);
    else await this.syncOnce(where);
  }
}

async function run(seed) {
  const r = rng(seed);
  const server = new Server(r, r.chance(0.5));
  for (let i = 0; i < 3 + r.int(6); i++) server.put(`${COLLECTION_PATH}e${server.next + 1}.ics`);
  const [entryName, entry] = ENTRIES[seed % 2];
  const app = new App(r, server, `seed ${seed} (${entryName})`, entry);
  const steps = 10 + r.int(15);
  for (let s = 0; s < steps; s++) {
    server.faults = r.chance(0.5) ? 0.15 : 0;
    if (r.chance(0.7)) server.mutate();
    await app.step(`${app.name}, step ${s}`);
  }
  // Faults off: syncs until nothing is owed, then the copy is the server's.
  server.faults = 0;
  let rounds = 0;
  for (;;) {
    assert.ok(await app.syncOnce(`${app.name}, final sync ${rounds}`));
    const state = JSON.parse(app.stored.text);
    if (!state.pending?.length) break;
    assert.ok((rounds += 1) < 3, `${app.name}: members still owed after ${rounds} syncs without faults: ${state.pending}`);
  }
  assert.equal(server.unaborted, 0, `${app.name}: every stalled request was given up`);
  const want = new Map([...server.items].map(([p, item]) => [`${ORIGIN}${p}`, item]));
  assert.deepEqual(new Map([...app.mirror].sort()), new Map([...want].sort()), `${app.name}: the app's copy is the server's calendar`);
  // And a sync from there finds nothing.
  const again = await app.client.sync({ url: COLLECTION, kind: 'calendar' }, app.stored.text);
  assert.deepEqual(again.changes, [], `${app.name}: nothing changed`);
}

test('random runs through the npm layer lose nothing: the app\'s copy ends equal to the server\'s', async () => {
  const only = process.env.DAVKIT_NPM_SIM_SEED;
  const first = Number(process.env.DAVKIT_NPM_SIM_FIRST_SEED ?? 1);
  const count = Number(process.env.DAVKIT_NPM_SIM_SEEDS ?? 40);
  const seeds = only ? [Number(only)] : Array.from({ length: count }, (_, i) => first + i);
  for (const seed of seeds) await run(seed);
});
