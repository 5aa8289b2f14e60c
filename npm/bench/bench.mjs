#!/usr/bin/env node
// Benchmark (not a test): davkit (this package, in node) against tsdav on the same local
// Radicale and the same data. Times discovery, a full fetch of 1,000 events (davkit includes
// parsing every event into plain objects; tsdav returns the raw text only), and an
// incremental sync after 20 changes; counts HTTP requests; prints medians and ratios.
//
//   node npm/scripts/build.mjs     # once
//   python3 tests/servers/servers.py --only radicale run -- node npm/bench/bench.mjs [rounds]
//
// Client CPU is this process's user+system time during the step: Radicale runs in another
// process, so it isolates what each library costs on the client (XML, iCalendar, glue).
import { DavClient } from '../dist/node.js';
import { event } from './events.mjs';

const base = process.env.DAVKIT_RADICALE_URL;
if (!base) {
  console.error('run under tests/servers/servers.py (DAVKIT_RADICALE_URL is not set)');
  process.exit(2);
}
const rounds = Number(process.argv[2] ?? 5);
const username = process.env.DAVKIT_RADICALE_USER ?? 'alice';
const password = process.env.DAVKIT_RADICALE_PASSWORD ?? 'alice-pass';
const authHeader = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
const N = 1000;

// Every fetch of both libraries goes through this counter (both use the global fetch).
const realFetch = globalThis.fetch;
let requests = 0;
globalThis.fetch = (...args) => {
  requests += 1;
  return realFetch(...args);
};
const { createDAVClient } = await import('tsdav');

async function pool(items, width, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

async function put(url, body) {
  const r = await realFetch(url, { method: 'PUT', headers: { authorization: authHeader, 'content-type': 'text/calendar; charset=utf-8' }, body });
  if (!r.ok) throw new Error(`PUT ${url}: ${r.status}`);
  await r.arrayBuffer();
}

// --- load the data -------------------------------------------------------------------------
const home = new URL(`${username}/`, base).href;
const calUrl = new URL('bench-1000/', home).href;
const davkit = new DavClient({ serverUrl: base, auth: { basic: { username, password } } });
const existing = await davkit.getCollection(calUrl).catch(() => null);
if (!existing) {
  await davkit.createCalendar(home, 'bench-1000', { displayName: 'Bench 1000', components: ['VEVENT'] });
}
const present = existing ? (await davkit.listObjects(calUrl)).length : 0;
if (present < N) {
  const t0 = performance.now();
  await pool(Array.from({ length: N }, (_, i) => i), 16, (i) => put(`${calUrl}e${i}.ics`, event(i)));
  const s = (performance.now() - t0) / 1000;
  console.log(`loaded ${N} events with 16 parallel PUTs in ${s.toFixed(1)} s (${(N / s).toFixed(0)} PUT/s)`);
}

// --- the two clients -------------------------------------------------------------------------
async function measure(fn) {
  const r0 = requests;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  return { ms, cpu: (cpu.user + cpu.system) / 1000, requests: requests - r0, value };
}

const steps = {
  discovery: {
    davkit: async () => {
      const c = new DavClient({ serverUrl: base, auth: { basic: { username, password } } });
      const found = await c.discover({ service: 'caldav' });
      return found.collections.filter((x) => x.kind === 'calendar').length;
    },
    tsdav: async () => {
      const c = await createDAVClient({ serverUrl: base, credentials: { username, password }, authMethod: 'Basic', defaultAccountType: 'caldav' });
      return (await c.fetchCalendars()).length;
    },
  },
  'full fetch (1,000 events)': {
    davkit: async () => {
      const objects = await davkit.calendarQuery(calUrl);
      return objects.filter((o) => o.events?.length).length;
    },
    tsdav: async (t) => (await t.client.fetchCalendarObjects({ calendar: t.calendar })).filter((o) => o.data).length,
  },
  'incremental sync (20 changes)': {
    davkit: async (_, d) => {
      const r = await davkit.sync({ url: calUrl, kind: 'calendar' }, d.state);
      return r.changes.length;
    },
    tsdav: async (t) => {
      const r = await t.client.smartCollectionSync({ collection: { ...t.calendar, objects: t.objects, objectMultiGet: t.client.calendarMultiGet }, method: 'webdav', detailedResult: true });
      const o = r.objects;
      return o.created.length + o.updated.length + o.deleted.length;
    },
  },
};

const tsdavClient = await createDAVClient({ serverUrl: base, credentials: { username, password }, authMethod: 'Basic', defaultAccountType: 'caldav' });
const results = Object.fromEntries(Object.keys(steps).map((k) => [k, { davkit: [], tsdav: [] }]));
let changeRound = 0;
const runId = Date.now().toString(36); // Radicale ETags hash the content: make every change new
for (let round = 0; round < rounds; round++) {
  const order = round % 2 ? ['tsdav', 'davkit'] : ['davkit', 'tsdav'];
  for (const [name, impl] of Object.entries(steps)) {
    // Before each incremental round: both libraries get a baseline, then 20 changes happen.
    let t = null;
    let d = null;
    if (name.startsWith('incremental')) {
      const calendar = (await tsdavClient.fetchCalendars()).find((c) => c.url === calUrl || `${new URL(c.url, base)}` === calUrl);
      const objects = await tsdavClient.fetchCalendarObjects({ calendar });
      d = { state: (await davkit.sync({ url: calUrl, kind: 'calendar' })).state };
      t = { client: tsdavClient, calendar, objects };
      changeRound += 1;
      await pool(Array.from({ length: 20 }, (_, i) => (changeRound * 20 + i) % N), 8,
        (i) => put(`${calUrl}e${i}.ics`, event(i, `Event ${i} (changed ${runId}.${changeRound})`)));
    } else if (name.startsWith('full')) {
      const calendar = (await tsdavClient.fetchCalendars()).find((c) => `${new URL(c.url, base)}` === calUrl);
      t = { client: tsdavClient, calendar };
    }
    for (const lib of order) {
      const m = await measure(() => impl[lib](t, d));
      results[name][lib].push(m);
    }
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [['step', 'davkit ms', 'tsdav ms', 'tsdav/davkit', 'davkit CPU ms', 'tsdav CPU ms', 'CPU ratio', 'requests davkit/tsdav', 'items davkit/tsdav']];
for (const [name, r] of Object.entries(results)) {
  const dm = median(r.davkit.map((m) => m.ms));
  const tm = median(r.tsdav.map((m) => m.ms));
  const dc = median(r.davkit.map((m) => m.cpu));
  const tc = median(r.tsdav.map((m) => m.cpu));
  rows.push([name, dm.toFixed(1), tm.toFixed(1), `${(tm / dm).toFixed(2)}x`, dc.toFixed(1), tc.toFixed(1), `${(tc / dc).toFixed(2)}x`,
    `${r.davkit[0].requests}/${r.tsdav[0].requests}`, `${r.davkit[0].value}/${r.tsdav[0].value}`]);
}
console.log(`\ndavkit ${process.env.npm_package_version ?? ''} vs tsdav, Radicale on 127.0.0.1, node ${process.version}, median of ${rounds} rounds\n`);
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const [i, row] of rows.entries()) {
  console.log(`| ${row.map((c, j) => c.padEnd(widths[j])).join(' | ')} |`);
  if (i === 0) console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
}
