#!/usr/bin/env node
// Memory benchmark (not a test) of the davkit npm package (../../npm/dist, wasm in node): an
// initial sync of a large calendar and a large address book on a live Radicale, one-shot
// (`sync`) and in batches (`syncBatches` with maxMembers n), each configuration in a child
// node process of its own. The Rust side is bench/benches/memory.rs; both are run by
//
//   scripts/bench-memory.sh --npm        (or --npm-only)
//
// which starts Radicale, writes the collections into its storage (tests/servers/bulk_seed.py)
// and sets DAVKIT_MEMORY_CALENDAR / DAVKIT_MEMORY_ADDRESSBOOK.
//
// A child discovers the account, takes a baseline of process.memoryUsage() after a forced GC
// (node --expose-gc), then syncs from no state, dropping each batch's changes once counted (as
// an app does after writing them). It samples memoryUsage() after every batch and every 5 ms
// while a request is awaited, and reads its peak RSS (VmHWM) at the end. Printed per
// configuration: the peak JS heap (heapUsed) over the baseline, the peak of heapUsed +
// external + arrayBuffers (the wasm memory and response buffers live outside the JS heap), the
// peak RSS over a child that only discovers, and the largest multiget answer (one batch's bytes).
// The client has the default `parse: 'lazy'` (an object's parsed view is made only when read;
// the benchmark reads none).
//
// Environment: DAVKIT_RADICALE_URL/_USER/_PASSWORD, DAVKIT_MEMORY_CALENDAR,
// DAVKIT_MEMORY_ADDRESSBOOK, DAVKIT_MEMORY_BATCHES (250,1000), DAVKIT_MEMORY_RUNS (3, median).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const env = (name) => process.env[name] || undefined;

const self = fileURLToPath(import.meta.url);
// DAVKIT_MEMORY_DIST: another build of the package to measure (a copy of npm/dist), e.g. the
// one before a change, for a before/after table from one server run.
const dist = env('DAVKIT_MEMORY_DIST') ? new URL(`file://${env('DAVKIT_MEMORY_DIST').replace(/\/?$/, '/')}`) : new URL('../../npm/dist/', import.meta.url);
const MiB = (bytes) => (bytes / 1048576).toFixed(1);

function vmHwmBytes() {
  const m = /VmHWM:\s*(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

async function child(spec) {
  const { DavClient } = await import(new URL('node.js', dist));
  const [what, kindName, batchText] = spec.split(' ');
  let maxMultiget = 0;
  let requests = 0;
  const fetch = async (url, init) => {
    requests += 1;
    const sent = init?.body;
    const body = typeof sent === 'string' ? sent : sent ? new TextDecoder().decode(sent) : '';
    const response = await globalThis.fetch(url, init);
    if (!body.includes('multiget') || !response.body) return response;
    // Counted as it passes, not read whole here: the client gets the body as the server sends it.
    let bytes = 0;
    const counted = response.body.pipeThrough(new TransformStream({
      transform(chunk, controller) {
        bytes += chunk.byteLength;
        controller.enqueue(chunk);
      },
      flush() {
        maxMultiget = Math.max(maxMultiget, bytes);
      },
    }));
    return new Response(counted, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  const client = new DavClient({
    serverUrl: env('DAVKIT_RADICALE_URL'),
    auth: { basic: { username: env('DAVKIT_RADICALE_USER') ?? '', password: env('DAVKIT_RADICALE_PASSWORD') ?? '' } },
    fetch,
  });
  const found = await client.discover({ service: 'both' });
  if (!found.collections.length) throw new Error('no collections found');
  globalThis.gc();
  const base = process.memoryUsage();
  const outside = (m) => m.heapUsed + m.external + m.arrayBuffers;
  const peak = { heap: base.heapUsed, all: outside(base) };
  const sample = () => {
    const m = process.memoryUsage();
    peak.heap = Math.max(peak.heap, m.heapUsed);
    peak.all = Math.max(peak.all, outside(m));
  };
  let members = 0;
  let batches = 0;
  let stored = '';
  const discoverRequests = requests;
  if (what === 'sync') {
    const kind = kindName === 'calendar' ? 'calendar' : 'addressbook';
    const url = env(kind === 'calendar' ? 'DAVKIT_MEMORY_CALENDAR' : 'DAVKIT_MEMORY_ADDRESSBOOK');
    const collection = { url, kind };
    const batch = Number(batchText);
    const timer = setInterval(sample, 5);
    const take = (r) => {
      sample();
      // DAVKIT_MEMORY_STORE=1: the app stores each checkpoint as JSON text, as a resumable app
      // does (the package's text when it gives one, `stateJson`, else JSON.stringify(state)).
      if (env('DAVKIT_MEMORY_STORE') === '1') stored = r.stateJson ?? JSON.stringify(r.state);
      batches += 1;
      members += r.changes.filter((c) => c.type === 'added').length;
      if (r.problems.length) throw new Error(`problems: ${JSON.stringify(r.problems[0])}`);
    };
    if (batch === 0) {
      take(await client.sync(collection));
    } else {
      for await (const r of client.syncBatches(collection, null, { maxMembers: batch })) take(r);
    }
    clearInterval(timer);
    if (stored && !/collection_?[uU]rl/.test(stored)) throw new Error('the stored state is not a sync state');
  }
  console.log(JSON.stringify({
    heapOver: peak.heap - base.heapUsed,
    allOver: peak.all - outside(base),
    hwm: vmHwmBytes(),
    members,
    batches,
    requests: requests - discoverRequests,
    maxMultiget,
  }));
}

function runChild(spec) {
  const out = execFileSync(process.execPath, ['--expose-gc', self, 'child', spec], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').pop());
}

function median(spec, runs) {
  const samples = Array.from({ length: runs }, () => runChild(spec));
  samples.sort((a, b) => a.hwm - b.hwm);
  return samples[Math.floor(samples.length / 2)];
}

function main() {
  if (!env('DAVKIT_RADICALE_URL')) {
    console.log('memory.mjs: DAVKIT_RADICALE_URL is not set; run scripts/bench-memory.sh --npm');
    return;
  }
  const runs = Math.max(1, Number(env('DAVKIT_MEMORY_RUNS') ?? 3));
  const sizes = (env('DAVKIT_MEMORY_BATCHES') ?? '250,1000').split(',').map(Number).filter((n) => n > 0);
  const base = median('discover', runs);
  console.log(`\nnpm package, baseline (discovery only): peak RSS ${MiB(base.hwm)} MiB, median of ${runs}\n`);
  for (const [variable, kind, what] of [['DAVKIT_MEMORY_CALENDAR', 'calendar', 'events'], ['DAVKIT_MEMORY_ADDRESSBOOK', 'addressbook', 'contacts']]) {
    if (!env(variable)) continue;
    const rows = [0, ...sizes].map((batch) => [batch, median(`sync ${kind} ${batch}`, runs)]);
    console.log(`#### npm package: initial sync of ${rows[0][1].members} ${what}, median of ${runs}\n`);
    console.log('| configuration | batch size | requests | peak JS heap over baseline MiB | peak heap + external + arrayBuffers over baseline MiB | peak RSS over baseline MiB | one batch\'s bytes (largest multiget answer) MiB | ratio (RSS) |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const [batch, s] of rows) {
      const over = Math.max(0, s.hwm - base.hwm);
      console.log(`| ${batch === 0 ? 'sync (one-shot)' : 'syncBatches'} | ${batch === 0 ? 'all' : batch} | ${s.requests} | ${MiB(s.heapOver)} | ${MiB(s.allOver)} | ${MiB(over)} | ${MiB(s.maxMultiget)} | ${(over / Math.max(1, s.maxMultiget)).toFixed(1)} |`);
    }
    console.log('');
  }
}

// Trace mode (no server): where the memory is at each batch of an initial sync, against an
// in-memory collection behind an injected `fetch` (as npm/bench/cpu-profile.mjs does):
//
//   node --expose-gc bench/npm/memory.mjs trace [events|contacts] [batch, 0: one-shot] [count]
//
// Per batch, once the loop body dropped the batch's changes: the JS heap as it is and after a
// forced GC (what is live), external + arrayBuffers, RSS, the WebAssembly memory's size (it only
// grows), and the JSON text that crossed the boundary in that batch (JSON.parse of results,
// JSON.stringify of arguments, counted by wrapping both), with the live heap measured just
// after the largest parse (forced GC there: the result text and its objects both alive). Events
// are npm/bench/events.mjs's (about 0.7 KB each), contacts carry a 20,000-byte photo.
async function trace(what = 'events', batchText = '250', countText) {
  const contacts = what === 'contacts';
  const count = Number(countText ?? (contacts ? 2000 : 10000));
  const batch = Number(batchText);
  // The glue of the module whose client `node.js` runs: davkit_client since `davkit` is two
  // modules (the sync and its JSON are in that one; parsed views, read lazily, in the second),
  // davkit_main before that, davkit_wasm (now `davkit/gcal`'s) in builds before that.
  const glueName = ['davkit_client.js', 'davkit_main.js', 'davkit_wasm.js'].find((n) => existsSync(new URL(`wasm/${n}`, dist)));
  const { initSync } = await import(new URL(`wasm/${glueName}`, dist));
  const { DavClient } = await import(new URL('node.js', dist));
  const { event } = await import('../../npm/bench/events.mjs');
  // The entry loaded the module: initSync() returns that instance's exports, whose memory
  // export may have a minified name.
  const wasmMemory = Object.values(initSync()).find((e) => e instanceof WebAssembly.Memory);
  const base = 'https://dav.example.invalid/';
  const coll = `${base}alice/memory-${what}/`;
  const name = (i) => (contacts ? `contact-${String(i).padStart(5, '0')}.vcf` : `bench-event-${String(i).padStart(5, '0')}.ics`);
  const hrefOf = (i) => `/alice/memory-${what}/${name(i)}`;
  const etagOf = (i) => `"${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}${'0'.repeat(24)}"`;
  const photo = contacts ? Buffer.from(Array.from({ length: 20000 }, (_, i) => (i * 131 + 7) & 255)).toString('base64') : '';
  const fold = (line) => line.match(/.{1,74}/g).join('\r\n ');
  const dataOf = (i) => (contacts
    ? `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bench-contact-${i}\r\nFN:Contact ${i}\r\nN:${i};Contact;;;\r\nEMAIL:contact${i}@example.com\r\n${fold(`PHOTO;ENCODING=b;TYPE=JPEG:${photo}`)}\r\nEND:VCARD\r\n`
    : event(i));
  const index = new Map(Array.from({ length: count }, (_, i) => [hrefOf(i), i]));
  const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
  const ns = contacts ? 'urn:ietf:params:xml:ns:carddav' : 'urn:ietf:params:xml:ns:caldav';
  const dataTag = contacts ? 'c:address-data' : 'c:calendar-data';
  const multistatus = (rows, token) => `<?xml version="1.0" encoding="utf-8"?>\n<d:multistatus xmlns:d="DAV:" xmlns:c="${ns}">${rows.join('')}${token ? `<d:sync-token>${token}</d:sync-token>` : ''}</d:multistatus>`;
  const row = (href, props) => `<d:response><d:href>${href}</d:href><d:propstat><d:prop>${props}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`;
  const xml = { status: 207, headers: { 'content-type': 'application/xml; charset=utf-8' } };
  const texts = { parsed: 0, stringified: 0, largestParse: 0, liveAtLargestParse: 0 };
  let multigetBytes = 0;
  const fetch = async (url, init) => {
    const body = init.body ? new TextDecoder().decode(init.body) : '';
    if (init.method !== 'REPORT' || url !== coll) return new Response('', { status: 404 });
    if (body.includes('sync-collection')) {
      const rows = [...index].map(([h, i]) => row(h, `<d:getetag>${etagOf(i)}</d:getetag>`));
      return new Response(multistatus(rows, `${base}sync/1`), xml);
    }
    const hrefs = [...body.matchAll(/<[a-z]*:?href>([^<]*)<\/[a-z]*:?href>/g)].map((m) => m[1]);
    const text = multistatus(hrefs.map((h) => row(h, `<d:getetag>${etagOf(index.get(h))}</d:getetag><${dataTag}>${escape(dataOf(index.get(h)))}</${dataTag}>`)));
    multigetBytes = Math.max(multigetBytes, Buffer.byteLength(text));
    return new Response(text, xml);
  };
  const { parse, stringify } = JSON;
  JSON.parse = function (text, reviver) {
    const out = parse.call(JSON, text, reviver);
    texts.parsed += text.length;
    if (text.length > texts.largestParse) {
      texts.largestParse = text.length;
      globalThis.gc();
      texts.liveAtLargestParse = process.memoryUsage().heapUsed - start.heapUsed;
    }
    return out;
  };
  JSON.stringify = function (...args) {
    const out = stringify.apply(JSON, args);
    texts.stringified += out?.length ?? 0;
    return out;
  };
  const client = new DavClient({ serverUrl: base, auth: { basic: { username: 'alice', password: 'pw' } }, fetch });
  const collection = { url: coll, kind: contacts ? 'addressbook' : 'calendar' };
  globalThis.gc();
  const start = process.memoryUsage();
  const startWasm = wasmMemory.buffer.byteLength;
  const M = (b) => (b / 1048576).toFixed(2);
  console.log(`trace: initial sync of ${count} ${what}, ${batch ? `batches of ${batch}` : 'one-shot'}; at start: heap ${M(start.heapUsed)} MiB, wasm memory ${M(startWasm)} MiB, RSS ${M(start.rss)} MiB`);
  console.log('| batch | changes | batch data MiB | heap MiB (as is) | heap MiB (live, after GC) | external + arrayBuffers MiB | RSS MiB | wasm memory MiB | state JSON MiB | JSON parsed MiB | JSON stringified MiB | live heap at largest parse MiB |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  let n = 0;
  const take = (r) => {
    n += 1;
    const data = r.changes.reduce((s, c) => s + (c.data?.length ?? 0), 0);
    const changes = r.changes.length;
    r.changes = null; // the app has written them
    const asIs = process.memoryUsage();
    globalThis.gc();
    const live = process.memoryUsage();
    const stateJson = (r.stateJson ?? stringify.call(JSON, r.state)).length; // the text as the package hands it, when it does
    console.log(`| ${n} | ${changes} | ${M(data)} | ${M(asIs.heapUsed - start.heapUsed)} | ${M(live.heapUsed - start.heapUsed)} | ${M(live.external + live.arrayBuffers - start.external - start.arrayBuffers)} | ${M(live.rss - start.rss)} | ${M(wasmMemory.buffer.byteLength)} | ${M(stateJson)} | ${M(texts.parsed)} | ${M(texts.stringified)} | ${M(texts.liveAtLargestParse)} |`);
    texts.parsed = 0;
    texts.stringified = 0;
    texts.largestParse = 0;
    texts.liveAtLargestParse = 0;
  };
  if (batch === 0) take(await client.sync(collection));
  else for await (const r of client.syncBatches(collection, null, { maxMembers: batch })) take(r);
  console.log(`\nlargest multiget answer ${M(multigetBytes)} MiB; peak RSS (VmHWM) ${M(vmHwmBytes())} MiB`);
  const { getHeapSpaceStatistics } = await import('node:v8');
  console.log(`V8 spaces at the end, committed / physical MiB: ${getHeapSpaceStatistics().filter((s) => s.space_size > 0).map((s) => `${s.space_name} ${M(s.space_size)} / ${M(s.physical_space_size)}`).join(', ')}`);
}

if (process.argv[2] === 'child') {
  await child(process.argv[3]);
} else if (process.argv[2] === 'trace') {
  await trace(...process.argv.slice(3));
} else {
  main();
}
