// The byte budget (npm/size-budget.json) for the built package, two measures:
// - per entry, what a bundler ships for an app that imports it: the entry's browser file
//   bundled by esbuild (every export kept, minified, ESM), gzip -9, plus its release .wasm
//   (after wasm-opt), gzip -9; and the .wasm raw. The README, the .d.ts files and the node
//   entries are in the tarball but no bundler ships them.
// - the tarball: every file of package.json "files", each gzip -9, together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { npmDir } from './helpers.mjs';

const budget = JSON.parse(readFileSync(join(npmDir, 'size-budget.json'), 'utf8'));
const pkg = JSON.parse(readFileSync(join(npmDir, 'package.json'), 'utf8'));
const gzip = (bytes) => gzipSync(bytes, { level: 9 }).length;

const ENTRIES = {
  davkit: { browser: 'dist/browser.js', wasm: 'dist/wasm/davkit_main_bg.wasm' },
  'davkit/gcal': { browser: 'dist/gcal/browser.js', wasm: 'dist/wasm/davkit_wasm_bg.wasm' },
  'davkit/protocol': { browser: 'dist/protocol/browser.js', wasm: 'dist/wasm/davkit_protocol_bg.wasm' },
  'davkit/formats': { browser: 'dist/formats/browser.js', wasm: 'dist/wasm/davkit_formats_bg.wasm' },
};

/** The entry's JS as esbuild bundles it for an app that uses all of it (minified ESM). */
function bundledJs(entry) {
  const dir = mkdtempSync(join(tmpdir(), 'davkit-size-'));
  try {
    const out = join(dir, 'app.js');
    execFileSync(join(npmDir, 'node_modules', '.bin', 'esbuild'), [join(npmDir, entry), '--bundle', '--minify',
      '--format=esm', '--platform=browser', `--outfile=${out}`, '--log-level=error'], { stdio: 'pipe' });
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('every entry is in package.json', () => {
  for (const { browser, wasm } of Object.values(ENTRIES)) {
    for (const f of [browser, wasm]) assert.ok(pkg.files.includes(f), `${f} is not in package.json "files"`);
  }
  assert.deepEqual(Object.keys(ENTRIES).sort(), Object.keys(budget.entries).sort());
});

for (const [entry, { browser, wasm }] of Object.entries(ENTRIES)) {
  test(`${entry}: what a bundler ships (its JS bundled and its .wasm) stays within the byte budget`, (t) => {
    const b = budget.entries[entry];
    const w = readFileSync(join(npmDir, wasm));
    const js = bundledJs(browser);
    const bundled = gzip(js) + gzip(w);
    t.diagnostic(`${entry}: wasm ${w.length} B raw, ${gzip(w)} B gzip; JS bundled ${js.length} B, ${gzip(js)} B gzip; bundled ${bundled} B gzip`);
    assert.ok(w.length <= b.wasmRawBytes, `wasm ${w.length} B > budget ${b.wasmRawBytes} B`);
    assert.ok(bundled <= b.bundledGzipBytes, `bundled ${bundled} B gzip > budget ${b.bundledGzipBytes} B`);
  });
}

test('the tarball (every file of package.json "files") stays within the byte budget', (t) => {
  let raw = 0;
  let gz = 0;
  for (const file of pkg.files) {
    const bytes = readFileSync(join(npmDir, file));
    raw += bytes.length;
    gz += gzip(bytes);
  }
  t.diagnostic(`tarball files: ${raw} B raw, ${gz} B gzip`);
  assert.ok(gz <= budget.tarballGzipBytes, `tarball files ${gz} B gzip > budget ${budget.tarballGzipBytes} B`);
});
