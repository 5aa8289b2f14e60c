// The large-calendar page (examples/web/big.html + big.js) for web-big.test.mjs and
// bench/web.mjs: seeds a calendar of N events straight into the local Radicale's storage,
// bundles the page with esbuild (its defaults: an iife classic script, `davkit` from npm/dist),
// and opens it in Chromium for one library.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { npmDir, repoDir } from './helpers.mjs';

/** Writes `count` events as alice's calendar `name` (replacing it); returns its URL. */
export function seedBigCalendar(name, count) {
  const storage = process.env.DAVKIT_RADICALE_STORAGE;
  execFileSync('python3', [join(repoDir, 'tests/servers/bulk_seed.py'), storage, 'alice', name, '--events', String(count)], { stdio: 'pipe' });
  return new URL(`alice/${name}/`, process.env.DAVKIT_RADICALE_URL).href;
}

/** The .wasm files of each entry a page may bundle as `davkit`. */
const WASM = {
  davkit: ['davkit_client_bg.wasm', 'davkit_extras_bg.wasm'],
  'davkit/gcal': ['davkit_wasm_bg.wasm'],
};

/**
 * Bundles the page into a new directory (big.html, big.bundle.js, wasm/) with `entry` of the
 * package as its `davkit` (`davkit`, or `davkit/gcal`: every part in one module); returns it.
 */
export async function buildBigPage(entry = 'davkit') {
  const out = mkdtempSync(join(tmpdir(), 'davkit-big-'));
  const esbuild = await import(join(npmDir, 'node_modules/esbuild/lib/main.js'));
  await esbuild.build({
    entryPoints: [join(repoDir, 'examples/web/big.js')],
    bundle: true,
    outfile: join(out, 'big.bundle.js'),
    alias: { davkit: join(npmDir, entry === 'davkit' ? 'dist/browser.js' : `dist/${entry.slice('davkit/'.length)}/browser.js`) },
    nodePaths: [join(npmDir, 'node_modules')],
    logLevel: 'warning',
  });
  copyFileSync(join(repoDir, 'examples/web/big.html'), join(out, 'big.html'));
  mkdirSync(join(out, 'wasm'));
  // esbuild copies no assets: the .wasm next to the script, as the README says
  for (const w of WASM[entry]) copyFileSync(join(npmDir, 'dist/wasm', w), join(out, 'wasm', w));
  return out;
}

/**
 * Opens the page for `lib` in a fresh tab; resolves to { firstEvent, firstAt, total, count,
 * shown } (`firstAt` from the navigation, the others from the script's start).
 */
export async function runBigPage(browser, siteUrl, lib, collection) {
  const tab = await browser.newPage();
  const errors = [];
  tab.on('pageerror', (e) => errors.push(e.message));
  try {
    const query = new URLSearchParams({ lib, collection, user: 'alice', password: 'alice-pass' });
    await tab.goto(`${siteUrl}/big.html?${query}`);
    await tab.waitForSelector('body[data-status]', { timeout: 120000 });
    const d = await tab.evaluate(() => ({ ...document.body.dataset, shown: document.querySelectorAll('#events li').length,
      status: document.body.dataset.status, text: document.querySelector('#status').textContent }));
    if (d.status !== 'done' || errors.length) throw new Error(`${lib}: ${d.text} ${errors.join('; ')}`);
    return { firstEvent: Number(d.firstEvent), firstAt: Number(d.firstAt), total: Number(d.total), count: Number(d.count), shown: d.shown };
  } finally {
    await tab.close();
  }
}
