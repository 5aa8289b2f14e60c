#!/usr/bin/env node
// Benchmark (not a test): the large-calendar page (examples/web/big.html) in Debian's Chromium,
// davkit against tsdav + ical.js, on the local Radicale: a calendar of DAVKIT_BENCH_EVENTS
// (1,000) events written into its storage, the page bundled by esbuild, then for each library
// (davkit with one sync, with syncBatches, with calendarQuery; tsdav + ical.js)
// the time from the start of the sync to the first event shown and to the last, one warm-up and
// the median of DAVKIT_BENCH_RUNS (3) rounds, the libraries' order alternating.
//
//   python3 tests/servers/servers.py --only radicale run -- node npm/bench/web.mjs
import { rmSync } from 'node:fs';
import { buildBigPage, runBigPage, seedBigCalendar } from '../test/big-page.mjs';
import { launchChromium, serveStatic } from '../test/static-server.mjs';

if (!process.env.DAVKIT_RADICALE_URL || !process.env.DAVKIT_RADICALE_STORAGE) {
  console.error('web: run it under tests/servers/servers.py --only radicale run -- ...');
  process.exit(2);
}
const N = Number(process.env.DAVKIT_BENCH_EVENTS ?? 1000);
const RUNS = Number(process.env.DAVKIT_BENCH_RUNS ?? 3);
const collection = seedBigCalendar('bench-web', N);
const dir = await buildBigPage();
const site = await serveStatic(dir);
const browser = await launchChromium();
const LIBS = [['davkit', 'davkit (one sync)'], ['davkit-batches', 'davkit (syncBatches of 200)'],
  ['davkit-query', 'davkit (calendarQuery: the request tsdav sends)'], ['tsdav', 'tsdav + ical.js (fetchCalendarObjects)']];
const samples = Object.fromEntries(LIBS.map(([lib]) => [lib, []]));
try {
  for (let run = 0; run <= RUNS; run++) {
    const order = LIBS.map(([lib]) => lib);
    for (const lib of run % 2 ? order.reverse() : order) {
      const r = await runBigPage(browser, site.url, lib, collection);
      if (r.shown !== N) throw new Error(`${lib}: ${r.shown} of ${N} events shown`);
      if (run > 0) samples[lib].push(r);
    }
  }
} finally {
  await browser.close();
  await site.close();
  rmSync(dir, { recursive: true, force: true });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`\n### ${N} events from Radicale in Chromium (${process.version}), median of ${RUNS}\n`);
console.log('| library | first event shown | all shown |');
console.log('|---|---:|---:|');
for (const [lib, name] of LIBS) {
  console.log(`| ${name} | ${median(samples[lib].map((s) => s.firstEvent)).toFixed(0)} ms | ${median(samples[lib].map((s) => s.total)).toFixed(0)} ms |`);
}
