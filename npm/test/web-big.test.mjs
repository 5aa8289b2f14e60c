// The browser reality check: the large-calendar page (examples/web/big.html), bundled by esbuild
// and opened in Debian's Chromium, syncs 1,000 events from the local Radicale (cross-origin,
// CORS) and lists them, with davkit (one sync, and in batches) and, for comparison, with
// tsdav + ical.js. Asserts that all
// events are shown; the times are printed by npm/bench/web.mjs, not checked here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { buildBigPage, runBigPage, seedBigCalendar } from './big-page.mjs';
import { launchChromium, serveStatic } from './static-server.mjs';

const skip = process.env.DAVKIT_RADICALE_URL && process.env.DAVKIT_RADICALE_STORAGE ? false
  : 'DAVKIT_RADICALE_URL/STORAGE are not set (run under tests/servers/servers.py)';
const N = 1000;
let dir;
let site;
let browser;
let collection;

before(async () => {
  if (skip) return;
  collection = seedBigCalendar('big', N);
  dir = await buildBigPage();
  site = await serveStatic(dir);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await site?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

for (const lib of ['davkit', 'davkit-batches', 'davkit-query', 'tsdav']) {
  test(`a bundled page syncs and shows ${N} events with ${lib}`, { skip, timeout: 180000 }, async () => {
    const r = await runBigPage(browser, site.url, lib, collection);
    assert.equal(r.count, N);
    assert.equal(r.shown, N);
    assert.ok(r.firstEvent >= 0 && r.firstEvent <= r.total, JSON.stringify(r));
  });
}
