#!/usr/bin/env node
// Benchmark (not a test): the large-calendar page (examples/web/big.html) in Debian's Chromium,
// davkit against tsdav + ical.js, on the local Radicale: a calendar of DAVKIT_BENCH_EVENTS
// (1,000) events written into its storage, the page bundled by esbuild, then for each library
// (davkit with one sync, with syncBatches, with calendarQuery; tsdav + ical.js)
// the time from the start of the sync to the first event shown and to the last, one warm-up and
// the median of DAVKIT_BENCH_RUNS (3) rounds, the libraries' order alternating.
//
//   python3 tests/servers/servers.py --only radicale run -- node npm/bench/web.mjs
//
// DAVKIT_BENCH_SHAPER_ARGS (e.g. "--rtt-ms 100 --down-mbit 5 --up-mbit 1") puts the page's site
// (served gzip, as a web server would) and Radicale each behind tests/servers/shaper.py with
// those arguments, and the table gains the time from the page's navigation to the first event
// shown: the bundle's and the WebAssembly modules' download included.
// DAVKIT_BENCH_ENTRIES (e.g. "davkit,davkit/gcal") bundles the page once per entry as its
// `davkit` and runs davkit's one sync with each: `davkit` loads its second module while its first
// requests are out, `davkit/gcal` has every part in one module.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { buildBigPage, runBigPage, seedBigCalendar } from '../test/big-page.mjs';
import { launchChromium, serveStatic } from '../test/static-server.mjs';

if (!process.env.DAVKIT_RADICALE_URL || !process.env.DAVKIT_RADICALE_STORAGE) {
  console.error('web: run it under tests/servers/servers.py --only radicale run -- ...');
  process.exit(2);
}
const N = Number(process.env.DAVKIT_BENCH_EVENTS ?? 1000);
const RUNS = Number(process.env.DAVKIT_BENCH_RUNS ?? 3);
const SHAPER_ARGS = (process.env.DAVKIT_BENCH_SHAPER_ARGS ?? '').split(/\s+/).filter(Boolean);
const SHAPED = SHAPER_ARGS.length > 0;
const ENTRIES = (process.env.DAVKIT_BENCH_ENTRIES ?? 'davkit').split(',').map((e) => e.trim()).filter(Boolean);

/** tests/servers/shaper.py in front of `target`: resolves to { url, stop }. */
async function startShaper(target) {
  const shaper = fileURLToPath(new URL('../../tests/servers/shaper.py', import.meta.url));
  const child = spawn('python3', [shaper, '--target', target, '--exit-on-stdin-eof', ...SHAPER_ARGS], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', (l) => { rl.close(); resolve(l); });
    child.once('exit', (code) => reject(new Error(`shaper exited (${code})`)));
  });
  return { url: line.trim().split(' ').pop(), stop: () => child.stdin.end() };
}

const seeded = seedBigCalendar('bench-web', N);
const radicale = SHAPED ? await startShaper(new URL('/', seeded).href) : null;
const collection = radicale ? new URL(new URL(seeded).pathname, radicale.url).href : seeded;
const LIBS = [['davkit', 'davkit (one sync)'], ['davkit-batches', 'davkit (syncBatches of 200)'],
  ['davkit-query', 'davkit (calendarQuery: the request tsdav sends)'], ['tsdav', 'tsdav + ical.js (fetchCalendarObjects)']];
// One page per entry; the first entry runs every library, the others davkit's one sync.
const pages = [];
for (const [i, entry] of ENTRIES.entries()) {
  const dir = await buildBigPage(entry);
  const site = await serveStatic(dir, ['/'], { gzip: SHAPED });
  const shaped = SHAPED ? await startShaper(`${site.url}/`) : null;
  const libs = i === 0 ? LIBS : LIBS.slice(0, 1);
  for (const [lib, name] of libs) {
    pages.push({ entry, dir, site, shaped, url: (shaped?.url ?? `${site.url}/`).replace(/\/$/, ''), lib, name: ENTRIES.length > 1 ? `${name}, \`${entry}\`` : name, samples: [] });
  }
}
const browser = await launchChromium();
try {
  for (let run = 0; run <= RUNS; run++) {
    const order = run % 2 ? [...pages].reverse() : pages;
    for (const p of order) {
      const r = await runBigPage(browser, p.url, p.lib, collection);
      if (r.shown !== N) throw new Error(`${p.lib}: ${r.shown} of ${N} events shown`);
      if (run > 0) p.samples.push(r);
    }
  }
} finally {
  await browser.close();
  for (const p of new Set(pages.map((x) => x.site))) await p.close();
  for (const p of pages) p.shaped?.stop();
  radicale?.stop();
  for (const dir of new Set(pages.map((x) => x.dir))) rmSync(dir, { recursive: true, force: true });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const link = SHAPED ? `, through shaper.py ${SHAPER_ARGS.join(' ')} (site served gzip)` : '';
console.log(`\n### ${N} events from Radicale in Chromium (${process.version})${link}, median of ${RUNS}\n`);
console.log(`| library |${SHAPED ? ' page to first event |' : ''} first event shown | all shown |`);
console.log(`|---|${SHAPED ? '---:|' : ''}---:|---:|`);
for (const p of pages) {
  const ms = (k) => `${median(p.samples.map((s) => s[k])).toFixed(0)} ms`;
  console.log(`| ${p.name} |${SHAPED ? ` ${ms('firstAt')} |` : ''} ${ms('firstEvent')} | ${ms('total')} |`);
}
