#!/usr/bin/env node
// The JS path's workload for a CPU profile (not a test): a full sync of 1,000 events (the data
// of bench.mjs) and an incremental sync of 20 changes, against an in-memory CalDAV collection
// behind an injected `fetch`, so the profile holds only the client's work (no sockets, no
// server). `npm/scripts/profile.mjs` runs it under `node --cpu-prof` with a .wasm that keeps
// its function names (DAVKIT_WASM) and DAVKIT_CPU_PROFILE set; it also runs as it is on the shipped build.
//
//   node npm/bench/cpu-profile.mjs [rounds]     (DAVKIT_CDATA=1: the data as CDATA, see below)
import { readFileSync } from 'node:fs';
import { initSync } from '../dist/wasm/davkit_wasm.js';
import { event } from './events.mjs';

// A .wasm with names, loaded before the entry (whose own initSync is then a no-op). The entry is
// `davkit/gcal`, whose module (`davkit_wasm`, every feature) is the one profile.mjs names; the
// client's DAV work is the same code in `davkit`'s module (built without the Calendar API).
if (process.env.DAVKIT_WASM) initSync({ module: readFileSync(process.env.DAVKIT_WASM) });
const { DavClient } = await import('../dist/gcal/node.js');

const rounds = Number(process.argv[2] ?? 5);
const N = 1000;
const CHANGED = 20;
const base = 'https://dav.example.invalid/';
const coll = `${base}alice/bench/`;
const path = (i) => `/alice/bench/e${i}.ics`;
const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
// DAVKIT_CDATA=1: the events' data as Cyrus sends it, a CDATA section with LF line ends, instead
// of escaped text with CRLF (Radicale, Xandikos): the reader's paths differ (a CDATA section's
// end was found by a comparison at every byte, a third of the module's time on Cyrus).
const cdata = process.env.DAVKIT_CDATA === '1';
const calendarData = (text) => (cdata ? `<![CDATA[${text.replace(/\r\n/g, '\n')}]]>` : escape(text));

// The collection: href -> { etag, data }; version 1 is the full set, version 2 has 20 changes.
const items = new Map(Array.from({ length: N }, (_, i) => [path(i), { etag: `"1-${i}"`, data: event(i) }]));
let version = 1;

const multistatus = (rows, token) => `<?xml version="1.0" encoding="utf-8"?>\n<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">${rows.join('')}${token ? `<d:sync-token>${token}</d:sync-token>` : ''}</d:multistatus>`;
const row = (href, props) => `<d:response><d:href>${href}</d:href><d:propstat><d:prop>${props}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`;

function answer(method, url, body) {
  if (method !== 'REPORT' || url !== coll) return new Response('', { status: 404 });
  if (body.includes('sync-collection')) {
    const from = /<d:sync-token>([^<]*)</.exec(body)?.[1] ?? '';
    const hrefs = from === 'https://dav.example.invalid/sync/1' ? Array.from({ length: CHANGED }, (_, i) => path(i * 7)) : [...items.keys()];
    const rows = hrefs.map((h) => row(h, `<d:getetag>${items.get(h).etag}</d:getetag>`));
    return new Response(multistatus(rows, `https://dav.example.invalid/sync/${version}`), { status: 207, headers: { 'content-type': 'application/xml; charset=utf-8' } });
  }
  if (body.includes('calendar-multiget')) {
    const hrefs = [...body.matchAll(/<d:href>([^<]*)<\/d:href>/g)].map((m) => m[1]);
    const rows = hrefs.map((h) => row(h, `<d:getetag>${items.get(h).etag}</d:getetag><c:calendar-data>${calendarData(items.get(h).data)}</c:calendar-data>`));
    return new Response(multistatus(rows), { status: 207, headers: { 'content-type': 'application/xml; charset=utf-8' } });
  }
  return new Response('', { status: 400 });
}

const requests = [];
const fetch = async (url, init) => {
  const body = init.body ? new TextDecoder().decode(init.body) : '';
  requests.push(`${init.method} ${url}`);
  return answer(init.method, url, body);
};
// DAVKIT_PARSE=0: without the parsed view (`parse: false`), to see what the summaries cost;
// DAVKIT_PARSE=1: every object's view computed with the sync (`parse: true`); else the default.
const parse = { 0: false, 1: true, lazy: 'lazy' }[process.env.DAVKIT_PARSE] ?? undefined;
const client = new DavClient({ serverUrl: base, auth: { basic: { username: 'alice', password: 'pw' } }, fetch, parse });
const collection = { url: coll, kind: 'calendar' };

// DAVKIT_CPU_PROFILE=file: V8's sampling profiler (as `node --cpu-prof`) around the syncs only.
let session = null;
if (process.env.DAVKIT_CPU_PROFILE) {
  const { Session } = await import('node:inspector/promises');
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
}

const times = { full: [], incremental: [] };
// CPU time of this process (user + system) as well: it moves much less than the wall clock when
// other work shares the machine.
const cpu = { full: [], incremental: [] };
const cpuMs = (since) => { const u = process.cpuUsage(since); return (u.user + u.system) / 1000; };
for (let r = 0; r < rounds; r++) {
  version = 1;
  let t0 = performance.now();
  let c0 = process.cpuUsage();
  const full = await client.sync(collection, null);
  times.full.push(performance.now() - t0);
  cpu.full.push(cpuMs(c0));
  const events = full.changes.reduce((n, c) => n + (c.events?.length ?? 0), 0);
  if (full.changes.length !== N || events !== (parse === false ? 0 : N)) throw new Error(`full sync: ${full.changes.length} changes, ${events} events`);
  version = 2;
  for (let i = 0; i < CHANGED; i++) items.get(path(i * 7)).etag = `"${2 + r}-${i * 7}"`;
  t0 = performance.now();
  c0 = process.cpuUsage();
  const inc = await client.sync(collection, full.state);
  times.incremental.push(performance.now() - t0);
  cpu.incremental.push(cpuMs(c0));
  if (inc.changes.length !== CHANGED) throw new Error(`incremental sync: ${inc.changes.length} changes`);
}
if (session) {
  const { profile } = await session.post('Profiler.stop');
  (await import('node:fs')).writeFileSync(process.env.DAVKIT_CPU_PROFILE, JSON.stringify(profile));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`parse: ${parse ?? 'default'}; full sync of ${N} events: median ${median(times.full).toFixed(0)} ms (CPU ${median(cpu.full).toFixed(0)} ms); incremental sync of ${CHANGED}: median ${median(times.incremental).toFixed(0)} ms (CPU ${median(cpu.incremental).toFixed(0)} ms) (${rounds} rounds, ${requests.length} requests)`);
