#!/usr/bin/env node
// Network benchmark (not a test): the davkit npm package (../../npm/dist, wasm in node) against
// tsdav on live Radicale, Xandikos and DAViCal, on loopback and through tests/servers/shaper.py: the same
// steps as bench/benches/network/ (the Rust bench against libdav), printed as the same tables.
//
//   scripts/bench-network.sh --npm            # starts and seeds the servers, runs this too
//   (cd bench/npm && npm ci) && node npm/scripts/build.mjs   # once, by hand
//   python3 tests/servers/servers.py run -- node bench/npm/network.mjs   # on seeded servers
//
// Steps, each by the wall clock and counted in fetch calls (each library gets its own counting
// fetch over its default transport: davkit's stands in for the node entries' node:http transport
// (npm/dist/http.js, `platform.fetch`), so its client takes the default path; tsdav through its
// `fetch` override, over node's fetch):
//   discover          davkit: discover({ service: 'caldav' }) from the server root;
//                     tsdav: createDAVClient (login: well-known, principal, home) + fetchCalendars
//   full fetch        davkit: calendarQuery; tsdav: fetchCalendarObjects
//   initial sync      davkit: sync(collection); tsdav: smartCollectionSync (method 'webdav') from
//                     no token and no objects, as its docs do it
//   incremental sync  after 20 events were changed by PUTs straight to the server (not counted):
//                     davkit: sync(collection, state); tsdav: smartCollectionSync from the
//                     collection the initial sync returned (token and objects)
// davkit keeps each sync's state as the text the result carries (`stateJson`, the core's
// `SyncState::to_json`, which an app stores as it is) and passes it back: the same work as the
// native client's steps, which keep the state and write `to_json` of it. Reading `state` instead
// makes an object of it (about 1 ms for 1,000 members) and has the next sync check that object
// against what it was (about 0.3 ms), work the native client has no counterpart of (npm/README.md).
// davkit gives each fetched event its text and a getter that parses it when read (its default,
// `parse: 'lazy'`; the bench reads none); tsdav returns the text only. One warm-up run, then the
// median of DAVKIT_BENCH_RUNS (3), the clients' order rotating between runs (each first in one
// run), and a pause of DAVKIT_BENCH_SETTLE_MS (100) before every step
// (the servers are Python; a large answer leaves work that would land on the next step).
//
// Environment: DAVKIT_RADICALE_URL/_USER/_PASSWORD, DAVKIT_XANDIKOS_URL, DAVKIT_CYRUS_URL/_USER3/
// _PASSWORD3, DAVKIT_DAVICAL_URL/
// _USER3/_PASSWORD3 (from servers.py; a
// missing server is skipped), DAVKIT_BENCH_LINK (loopback | shaped | both), DAVKIT_BENCH_EVENTS
// (1000, what the seeded calendar holds), DAVKIT_BENCH_CHANGES (20), DAVKIT_BENCH_SHAPER_ARGS,
// DAVKIT_BENCH_LOG=1 (one stderr line per request), DAVKIT_BENCH_NATIVE=1 (below).
//
// DAVKIT_BENCH_NATIVE=1 adds the native client (DavClient on reqwest) as a third client of the
// same runs: `cargo bench -p davkit-bench --bench network` started once with DAVKIT_BENCH_SERVE=1
// (bench/benches/network/serve.rs), told which server to use at each run and which step to take,
// timing each step in its own process as the Rust bench does. The three clients take each step in
// turn on the same servers (their order rotating between runs), so the npm/native column compares
// the clients and not two runs minutes apart (scripts/bench-network.sh --side-by-side).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DavClient } from '../../npm/dist/node.js';
import { closeIdleConnections, httpFetch } from '../../npm/dist/http.js';
import { platform } from '../../npm/dist/api.js';
import { createDAVClient } from 'tsdav';

const here = fileURLToPath(new URL('.', import.meta.url));
const SHAPER = process.env.DAVKIT_BENCH_SHAPER ?? `${here}../../tests/servers/shaper.py`;
const num = (name, dflt) => (process.env[name] ? Number(process.env[name]) : dflt);
const S = {
  events: num('DAVKIT_BENCH_EVENTS', 1000),
  changes: num('DAVKIT_BENCH_CHANGES', 20),
  runs: Math.max(1, num('DAVKIT_BENCH_RUNS', 3)),
  warmup: num('DAVKIT_BENCH_WARMUP', 1),
  settleMs: num('DAVKIT_BENCH_SETTLE_MS', 100),
  log: process.env.DAVKIT_BENCH_LOG === '1',
  shaperArgs: (process.env.DAVKIT_BENCH_SHAPER_ARGS ?? '').split(/\s+/).filter(Boolean),
};
const STEPS = ['discover', 'full fetch', 'initial sync', 'incremental sync'];
const realFetch = globalThis.fetch;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let label = '';

// --- targets -------------------------------------------------------------------------------

const targets = [];
if (process.env.DAVKIT_RADICALE_URL) {
  const user = process.env.DAVKIT_RADICALE_USER ?? 'alice';
  targets.push({
    name: 'Radicale', url: process.env.DAVKIT_RADICALE_URL, user,
    password: process.env.DAVKIT_RADICALE_PASSWORD ?? '', collection: `/${user}/bench/`,
  });
}
if (process.env.DAVKIT_XANDIKOS_URL) {
  targets.push({ name: 'Xandikos', url: process.env.DAVKIT_XANDIKOS_URL, user: null, collection: '/user/calendars/bench/' });
}
if (process.env.DAVKIT_DAVICAL_URL) {
  // carol's calendar: the events name alice as organizer and bob as attendee, and DAViCal would
  // schedule each of alice's PUTs. The collection path keeps the DAV root's (/caldav.php/).
  const url = process.env.DAVKIT_DAVICAL_URL;
  const user = process.env.DAVKIT_DAVICAL_USER3 ?? 'carol';
  targets.push({
    name: 'DAViCal', url, user, password: process.env.DAVKIT_DAVICAL_PASSWORD3 ?? '',
    collection: `${new URL(url).pathname}${user}/bench/`,
  });
}
if (process.env.DAVKIT_CYRUS_URL) {
  // carol's calendar, as on DAViCal: Cyrus would schedule alice's events with bob.
  const user = process.env.DAVKIT_CYRUS_USER3 ?? 'carol';
  targets.push({
    name: 'Cyrus', url: process.env.DAVKIT_CYRUS_URL, user, password: process.env.DAVKIT_CYRUS_PASSWORD3 ?? '',
    collection: `/dav/calendars/user/${user}/bench/`,
  });
}
const withUrl = (t, url) => ({ ...t, url });
const collectionUrl = (t) => new URL(t.collection, t.url).href;
const basic = (t) => `Basic ${Buffer.from(`${t.user}:${t.password}`).toString('base64')}`;

// --- counting fetch ------------------------------------------------------------------------

function countingFetch(send = realFetch) {
  const counter = { n: 0 };
  // `rest`: what the package's node transport takes after `init` (the client's wait for progress).
  const f = async (input, init = {}, ...rest) => {
    counter.n += 1;
    if (!S.log) return send(input, init, ...rest);
    const t0 = performance.now();
    const method = init.method ?? (input instanceof Request ? input.method : 'GET');
    const url = typeof input === 'string' ? input : input.url ?? String(input);
    const raw = init.body;
    const body = typeof raw === 'string' ? raw
      : raw instanceof Uint8Array || raw instanceof ArrayBuffer ? new TextDecoder().decode(raw) : '';
    const response = await send(input, init, ...rest);
    const root = (body.match(/<(?!\?)([\w-]+:)?([\w-]+)/) ?? [])[2] ?? '';
    const hrefs = (body.match(/href>/g) ?? []).length / 2;
    const length = response.headers.get('content-length') ?? '?';
    console.error(`${label}: ${method} ${new URL(url).pathname} ${root}${hrefs ? ` (${hrefs} hrefs)` : ''} -> ` +
      `${response.status} ${length} B (headers) in ${(performance.now() - t0).toFixed(1)} ms`);
    return response;
  };
  return { fetch: f, counter };
}

// --- changing events (the same text as bench/seed_events.py) ---------------------------------

const VTIMEZONE = 'BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n' +
  'BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\n' +
  'DTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n' +
  'BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\n' +
  'DTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n' +
  'END:VTIMEZONE\r\n';
const pad = (n, w) => String(n).padStart(w, '0');

function event(i, revision) {
  return 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davkit//network bench//EN\r\n' + VTIMEZONE +
    `BEGIN:VEVENT\r\nUID:bench-event-${pad(i, 5)}\r\nDTSTAMP:20260101T000000Z\r\n` +
    `DTSTART;TZID=Europe/Berlin:202603${pad((i % 28) + 1, 2)}T${pad(8 + (i % 10), 2)}0000\r\nDURATION:PT1H\r\n` +
    `SUMMARY:Design review #${i} (revision ${revision})\r\n` +
    'DESCRIPTION:Agenda: roadmap\\, budget\\, hiring. Bring numbers and the draft\r\n' +
    '  slides from last week.\r\n' +
    `LOCATION:Room 4.${i % 9}\r\n` +
    'ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED:mailto:bob@example.com\r\n' +
    'ORGANIZER;CN=Alice:mailto:alice@example.com\r\n' +
    'END:VEVENT\r\nEND:VCALENDAR\r\n';
}

async function changeEvents(t) {
  const revision = Date.now();
  const stride = Math.max(1, Math.floor(S.events / Math.max(1, S.changes)));
  for (let k = 0; k < S.changes; k++) {
    const i = k * stride;
    const headers = { 'content-type': 'text/calendar; charset=utf-8' };
    if (t.user) headers.authorization = basic(t);
    const r = await realFetch(`${collectionUrl(t)}bench-event-${pad(i, 5)}.ics`, { method: 'PUT', headers, body: event(i, revision) });
    await r.arrayBuffer();
    if (!r.ok) throw new Error(`PUT event ${i}: ${r.status}`);
  }
}

// --- the two clients -------------------------------------------------------------------------

function expect(what, got, want) {
  if (got !== want) throw new Error(`${what}: got ${got}, expected ${want}`);
}

function davkitSide(t) {
  // node:http's agents are the module's, shared by every client: each run starts on new
  // connections, as each run's native client does.
  closeIdleConnections();
  const { fetch, counter } = countingFetch(httpFetch);
  const auth = t.user ? { basic: { username: t.user, password: t.password } } : undefined;
  // The counting fetch stands in for the package's own node transport (`platform.fetch`), so
  // the client takes the path an app's takes by default: a `fetch` option would put each
  // request under the wait for progress that the package keeps around an app's own `fetch`
  // (an AbortSignal, about 60 µs a request here) instead of node's socket timeout.
  const own = platform.fetch;
  platform.fetch = fetch;
  const client = new DavClient({ serverUrl: t.url, auth });
  platform.fetch = own;
  const collection = { url: collectionUrl(t), kind: 'calendar' };
  let state = null;
  return {
    counter,
    steps: [
      async () => {
        const found = await client.discover({ service: 'caldav' });
        const want = collection.url.replace(/\/$/, '');
        if (!found.collections.some((c) => c.url.replace(/\/$/, '') === want)) throw new Error(`${want} not discovered`);
      },
      async () => {
        const objects = await client.calendarQuery(collection);
        expect('events with data', objects.filter((o) => o.data).length, S.events);
      },
      async () => {
        const r = await client.sync(collection);
        expect('changes with data', r.changes.filter((c) => c.data).length, S.events);
        state = r.stateJson;
      },
      async () => {
        const r = await client.sync(collection, state);
        expect('changes', r.changes.length, S.changes);
      },
    ],
  };
}

function tsdavSide(t) {
  const { fetch, counter } = countingFetch();
  const url = collectionUrl(t);
  let client = null;
  let calendar = null;
  let synced = null;
  const credentials = t.user ? { username: t.user, password: t.password } : { username: 'user', password: '' };
  return {
    counter,
    steps: [
      async () => {
        client = await createDAVClient({ serverUrl: t.url, credentials, authMethod: 'Basic', defaultAccountType: 'caldav', fetch });
        const calendars = await client.fetchCalendars({ fetch });
        calendar = calendars.find((c) => new URL(c.url, t.url).href === url);
        if (!calendar) throw new Error(`${url} not among ${calendars.map((c) => c.url)}`);
      },
      async () => {
        const objects = await client.fetchCalendarObjects({ calendar, fetch });
        expect('events with data', objects.filter((o) => o.data).length, S.events);
      },
      async () => {
        synced = await client.smartCollectionSync({
          collection: { url: calendar.url, objects: [], objectMultiGet: client.calendarMultiGet },
          method: 'webdav', fetch,
        });
        expect('objects', synced.objects.length, S.events);
      },
      async () => {
        const r = await client.smartCollectionSync({
          collection: { ...synced, objectMultiGet: client.calendarMultiGet },
          method: 'webdav', detailedResult: true, fetch,
        });
        const o = r.objects;
        expect('changes', o.created.length + o.updated.length + o.deleted.length, S.changes);
      },
    ],
  };
}

// --- the native client, a process of its own ------------------------------------------------

/// The native bench in its serving mode: one command line in, one answer line out.
async function startNative() {
  const repo = `${here}../..`;
  const child = spawn('cargo', ['bench', '-q', '-p', 'davkit-bench', '--bench', 'network'],
    { cwd: repo, env: { ...process.env, DAVKIT_BENCH_SERVE: '1' }, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (l) => waiting.shift()?.resolve(l));
  child.once('exit', (code) => { for (const w of waiting.splice(0)) w.reject(new Error(`native bench exited (${code})`)); });
  const ask = (command) => new Promise((resolve, reject) => {
    waiting.push({ resolve, reject });
    child.stdin.write(`${command}\n`);
  });
  return {
    ask,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', resolve);
      child.stdin.end();
    }),
  };
}

function nativeSide(t, peer) {
  const ready = peer.ask(`client ${t.name} ${t.url}`);
  const step = (i) => async () => {
    const answer = await ready.then(() => peer.ask(`step ${i}`));
    const [word, ms, requests] = answer.split(' ');
    if (word !== 'ok') throw new Error(`native: ${answer.replace(/^error /, '')}`);
    return { ms: Number(ms), requests: Number(requests) };
  };
  return { counter: { n: 0 }, steps: STEPS.map((_, i) => step(i)) };
}

// --- the shaper ------------------------------------------------------------------------------

async function startShaper(target) {
  const child = spawn('python3', [SHAPER, '--target', target, '--exit-on-stdin-eof', ...S.shaperArgs],
    { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const line = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', (l) => { rl.close(); resolve(l); });
    child.once('exit', (code) => reject(new Error(`shaper exited (${code}): ${err}`)));
  });
  const url = line.trim().split(' ').pop();
  return {
    url,
    stop: () => new Promise((resolve) => {
      child.once('exit', () => resolve((err.split('\n').find((l) => l.includes('connections')) ?? err).replace(/^shaper: /, '')));
      child.stdin.end();
    }),
  };
}

function traffic(totals, runs) {
  const n = (totals.match(/\d+/g) ?? []).map(Number);
  if (n.length !== 3) return `shaper said ${JSON.stringify(totals)}`;
  const [conns, up, down] = n;
  return `${(down / runs / 1e3).toFixed(0)} kB down, ${(up / runs / 1e3).toFixed(0)} kB up, ${(conns / runs).toFixed(0)} connections per run`;
}

// --- running and printing --------------------------------------------------------------------

async function runServer(direct, links, link, native) {
  const who = native ? ['davkit', 'tsdav', 'native'] : ['davkit', 'tsdav'];
  const samples = Object.fromEntries(who.map((w) => [w, STEPS.map(() => [])]));
  for (let run = 0; run < S.warmup + S.runs; run++) {
    const keep = run >= S.warmup;
    const tag = keep ? `run ${run - S.warmup + 1}` : 'warm-up';
    // Each client first in turn: davkit, tsdav (and native), then the next one first.
    const order = who.map((_, i) => who[(i + run) % who.length]);
    const sides = { davkit: davkitSide(links.davkit), tsdav: tsdavSide(links.tsdav) };
    if (native) sides.native = nativeSide(links.native, native);
    for (const [phase, steps] of [[0, [0, 1, 2]], [1, [3]]]) {
      if (phase === 1) await changeEvents(direct).catch((e) => console.error(`network: ${direct.name}: changing events failed: ${e.message}`));
      for (const who of order) {
        for (const step of steps) {
          await sleep(S.settleMs);
          label = `${direct.name} ${link} ${tag} ${who} ${STEPS[step]}`;
          const side = sides[who];
          const before = side.counter.n;
          const t0 = performance.now();
          let sample;
          try {
            // The native client times itself (its own process, its own clock); the others here.
            const own = await side.steps[step]();
            sample = own ?? { ms: performance.now() - t0, requests: side.counter.n - before };
          } catch (e) {
            console.error(`network: ${label}: ${e.message}`);
            sample = { error: e.message };
          }
          if (keep) samples[who][step].push(sample);
        }
      }
    }
  }
  return samples;
}

function cells(list) {
  if (!list.length || list.some((s) => s.error)) return ['error', 'error'];
  const ms = list.map((s) => s.ms).sort((a, b) => a - b);
  const mid = ms.length % 2 ? ms[(ms.length - 1) / 2] : (ms[ms.length / 2 - 1] + ms[ms.length / 2]) / 2;
  const counts = list.map((s) => s.requests);
  const [lo, hi] = [Math.min(...counts), Math.max(...counts)];
  return [mid.toFixed(1), lo === hi ? String(lo) : `${lo}-${hi}`];
}

async function benchServer(target, link, native) {
  const shaped = link === 'shaped';
  let shapers = null;
  let links = { davkit: target, tsdav: target, native: target };
  if (shaped) {
    // One shaper per client, so that each one's bytes are its own.
    shapers = [await startShaper(target.url), await startShaper(target.url)];
    if (native) shapers.push(await startShaper(target.url));
    links = { davkit: withUrl(target, shapers[0].url), tsdav: withUrl(target, shapers[1].url) };
    if (native) links.native = withUrl(target, shapers[2].url);
  }
  let samples;
  try {
    samples = await runServer(target, links, link, native);
  } finally {
    if (shapers) {
      const runs = S.runs + S.warmup;
      const totals = [];
      for (const shaper of shapers) totals.push(await shaper.stop());
      shapers.note = `Through the shaper: davkit ${traffic(totals[0], runs)}; tsdav ${traffic(totals[1], runs)}` +
        (native ? `; native ${traffic(totals[2], runs)}.` : '.');
    }
  }
  const linkText = shaped
    ? (S.shaperArgs.length ? `shaped link (shaper.py ${S.shaperArgs.join(' ')})` : 'shaped link (30 ms round trip, 50 Mbit/s down, 10 Mbit/s up)')
    : 'loopback';
  console.log(`\n### ${target.name}, ${linkText}: ${S.events} events, ${S.changes} changed, median of ${S.runs} (npm)\n`);
  if (native) {
    console.log('| step | davkit ms | davkit requests | tsdav ms | tsdav requests | native ms | native requests | npm/native |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  } else {
    console.log('| step | davkit ms | davkit requests | tsdav ms | tsdav requests |');
    console.log('|---|---:|---:|---:|---:|');
  }
  STEPS.forEach((name, i) => {
    const [dm, dr] = cells(samples.davkit[i]);
    const [tm, tr] = cells(samples.tsdav[i]);
    if (!native) return console.log(`| ${name} | ${dm} | ${dr} | ${tm} | ${tr} |`);
    const [nm, nr] = cells(samples.native[i]);
    const ratio = Number(dm) / Number(nm);
    console.log(`| ${name} | ${dm} | ${dr} | ${tm} | ${tr} | ${nm} | ${nr} | ${Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : '–'} |`);
  });
  if (shapers) console.log(`\n${shapers.note}`);
}

if (!targets.length) {
  console.error('network: no DAVKIT_RADICALE_URL, DAVKIT_XANDIKOS_URL or DAVKIT_DAVICAL_URL: run it through scripts/bench-network.sh --npm');
  process.exit(2);
}
const links = { loopback: ['loopback'], shaped: ['shaped'] }[process.env.DAVKIT_BENCH_LINK] ?? ['loopback', 'shaped'];
const native = process.env.DAVKIT_BENCH_NATIVE === '1' ? await startNative() : null;
console.log(`davkit npm package (this tree, node ${process.version}) vs tsdav 2.3.4${native ? ' and the native client (this tree, reqwest), interleaved' : ''}`);
try {
  for (const link of links) {
    for (const target of targets) await benchServer(target, link, native);
  }
} finally {
  await native?.stop();
}
