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
// Objects are parsed (`parse: true`, the default), as an app gets them.
//
// Environment: DAVKIT_RADICALE_URL/_USER/_PASSWORD, DAVKIT_MEMORY_CALENDAR,
// DAVKIT_MEMORY_ADDRESSBOOK, DAVKIT_MEMORY_BATCHES (250,1000), DAVKIT_MEMORY_RUNS (3, median).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const env = (name) => process.env[name] || undefined;
const MiB = (bytes) => (bytes / 1048576).toFixed(1);

function vmHwmBytes() {
  const m = /VmHWM:\s*(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

async function child(spec) {
  const { DavClient } = await import('../../npm/dist/node.js');
  const [what, kindName, batchText] = spec.split(' ');
  let maxMultiget = 0;
  let requests = 0;
  const fetch = async (url, init) => {
    requests += 1;
    const sent = init?.body;
    const body = typeof sent === 'string' ? sent : sent ? new TextDecoder().decode(sent) : '';
    const response = await globalThis.fetch(url, init);
    if (!body.includes('multiget')) return response;
    const bytes = new Uint8Array(await response.arrayBuffer());
    maxMultiget = Math.max(maxMultiget, bytes.length);
    return new Response(bytes, { status: response.status, statusText: response.statusText, headers: response.headers });
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
  const discoverRequests = requests;
  if (what === 'sync') {
    const kind = kindName === 'calendar' ? 'calendar' : 'addressbook';
    const url = env(kind === 'calendar' ? 'DAVKIT_MEMORY_CALENDAR' : 'DAVKIT_MEMORY_ADDRESSBOOK');
    const collection = { url, kind };
    const batch = Number(batchText);
    const timer = setInterval(sample, 5);
    const take = (r) => {
      sample();
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

if (process.argv[2] === 'child') {
  await child(process.argv[3]);
} else {
  main();
}
