// The byte budget (npm/size-budget.json) for the built package, two measures:
// - per entry, what a bundler ships for an app that imports it: the entry's browser file
//   bundled by esbuild (every export kept, minified, ESM, code split at dynamic imports), gzip
//   -9, plus its release .wasm (after wasm-opt), gzip -9; and the .wasm raw. `davkit` has two
//   modules, the second loaded on first use: what it ships before its first request (the
//   entry's JS without the chunk of its dynamic import, and the first .wasm) has a budget of
//   its own, `firstGzipBytes`, and `bundledGzipBytes` counts all of it. The README, the .d.ts
//   files and the node entries are in the tarball but no bundler ships them.
// - the tarball: every file of package.json "files", each gzip -9, together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { npmDir } from './helpers.mjs';

const budget = JSON.parse(readFileSync(join(npmDir, 'size-budget.json'), 'utf8'));
const pkg = JSON.parse(readFileSync(join(npmDir, 'package.json'), 'utf8'));
const gzip = (bytes) => gzipSync(bytes, { level: 9 }).length;

const ENTRIES = {
  davkit: { browser: 'dist/browser.js', wasm: 'dist/wasm/davkit_client_bg.wasm', extras: 'dist/wasm/davkit_extras_bg.wasm' },
  'davkit/gcal': { browser: 'dist/gcal/browser.js', wasm: 'dist/wasm/davkit_wasm_bg.wasm' },
  'davkit/protocol': { browser: 'dist/protocol/browser.js', wasm: 'dist/wasm/davkit_protocol_bg.wasm' },
  'davkit/formats': { browser: 'dist/formats/browser.js', wasm: 'dist/wasm/davkit_formats_bg.wasm' },
};

/**
 * The entry's JS as esbuild bundles it for an app that uses all of it (minified ESM, split at
 * dynamic imports): `first`, gzip of the entry's file and the chunks it imports statically;
 * `all`, gzip of every file; `raw`, the bytes of every file.
 */
function bundledJs(entry) {
  const dir = mkdtempSync(join(tmpdir(), 'davkit-size-'));
  try {
    execFileSync(join(npmDir, 'node_modules', '.bin', 'esbuild'), [join(npmDir, entry), '--bundle', '--minify',
      '--format=esm', '--splitting', '--platform=browser', `--outdir=${dir}`, '--entry-names=app', '--log-level=error'], { stdio: 'pipe' });
    const files = readdirSync(dir);
    const text = (f) => readFileSync(join(dir, f), 'utf8');
    const main = text('app.js');
    // Static imports only: `import{..}from"./chunk-X.js"` or `import"./chunk-X.js"`.
    const statics = [...main.matchAll(/import(?:[^"'();]*?from)?\s*["']\.\/([^"']+)["']/g)].map((m) => m[1]);
    const first = ['app.js', ...statics].reduce((n, f) => n + gzip(Buffer.from(text(f))), 0);
    const all = files.reduce((n, f) => n + gzip(Buffer.from(text(f))), 0);
    const raw = files.reduce((n, f) => n + Buffer.byteLength(text(f)), 0);
    return { first, all, raw };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('every entry is in package.json', () => {
  for (const { browser, wasm, extras } of Object.values(ENTRIES)) {
    for (const f of [browser, wasm, extras].filter(Boolean)) assert.ok(pkg.files.includes(f), `${f} is not in package.json "files"`);
  }
  assert.deepEqual(Object.keys(ENTRIES).sort(), Object.keys(budget.entries).sort());
});

for (const [entry, { browser, wasm, extras }] of Object.entries(ENTRIES)) {
  test(`${entry}: what a bundler ships (its JS bundled and its .wasm) stays within the byte budget`, (t) => {
    const b = budget.entries[entry];
    const w = readFileSync(join(npmDir, wasm));
    const x = extras ? readFileSync(join(npmDir, extras)) : null;
    const js = bundledJs(browser);
    const first = js.first + gzip(w);
    const bundled = js.all + gzip(w) + (x ? gzip(x) : 0);
    const second = x ? `; second wasm ${x.length} B raw, ${gzip(x)} B gzip; first download ${first} B gzip` : '';
    t.diagnostic(`${entry}: wasm ${w.length} B raw, ${gzip(w)} B gzip${second}; JS bundled ${js.raw} B, ${js.all} B gzip; bundled ${bundled} B gzip`);
    assert.ok(w.length <= b.wasmRawBytes, `wasm ${w.length} B > budget ${b.wasmRawBytes} B`);
    assert.ok(bundled <= b.bundledGzipBytes, `bundled ${bundled} B gzip > budget ${b.bundledGzipBytes} B`);
    if (x) {
      assert.ok(x.length <= b.extrasWasmRawBytes, `second wasm ${x.length} B > budget ${b.extrasWasmRawBytes} B`);
      assert.ok(first <= b.firstGzipBytes, `first download ${first} B gzip > budget ${b.firstGzipBytes} B`);
    }
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
