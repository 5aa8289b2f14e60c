// The byte budget (npm/size-budget.json) for the built package, per entry: the release .wasm
// after wasm-opt, raw, and the files that entry ships, gzip -9 (the full entry `davkit` with
// index.d.ts and the README as before; `davkit/protocol`, the DAV-only module, with its own JS
// and protocol.d.ts), and every file of package.json "files" together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { npmDir } from './helpers.mjs';

const budget = JSON.parse(readFileSync(join(npmDir, 'size-budget.json'), 'utf8'));
const pkg = JSON.parse(readFileSync(join(npmDir, 'package.json'), 'utf8'));

const ENTRIES = {
  davkit: {
    wasm: 'dist/wasm/davkit_wasm_bg.wasm',
    files: ['dist/node.js', 'dist/browser.js', 'dist/api.js', 'dist/zones.js', 'dist/edit.js', 'dist/wasm/davkit_wasm.js',
      'dist/wasm/davkit_wasm_bg.wasm', 'index.d.ts', 'README.md'],
  },
  'davkit/protocol': {
    wasm: 'dist/wasm/davkit_protocol_bg.wasm',
    files: ['dist/protocol/node.js', 'dist/protocol/browser.js', 'dist/protocol/api.js', 'dist/wasm/davkit_protocol.js',
      'dist/wasm/davkit_protocol_bg.wasm', 'protocol.d.ts'],
  },
};

function measure(files) {
  let raw = 0;
  let gzip = 0;
  for (const file of files) {
    const bytes = readFileSync(join(npmDir, file));
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  return { raw, gzip };
}

test('every entry lists only files the package ships', () => {
  for (const { files } of Object.values(ENTRIES)) {
    for (const f of files) assert.ok(pkg.files.includes(f), `${f} is not in package.json "files"`);
  }
});

for (const [entry, { wasm, files }] of Object.entries(ENTRIES)) {
  test(`${entry}: the release .wasm and the files it ships stay within the byte budget`, (t) => {
    const b = budget.entries[entry];
    const w = readFileSync(join(npmDir, wasm));
    const shipped = measure(files);
    t.diagnostic(`${entry}: wasm ${w.length} B raw, ${gzipSync(w, { level: 9 }).length} B gzip; shipped ${shipped.raw} B raw, ${shipped.gzip} B gzip`);
    assert.ok(w.length <= b.wasmRawBytes, `wasm ${w.length} B > budget ${b.wasmRawBytes} B`);
    assert.ok(shipped.gzip <= b.shippedGzipBytes, `shipped ${shipped.gzip} B gzip > budget ${b.shippedGzipBytes} B`);
  });
}

test('the whole package (every file of package.json "files") stays within the byte budget', (t) => {
  const all = measure(pkg.files);
  t.diagnostic(`package: ${all.raw} B raw, ${all.gzip} B gzip`);
  assert.ok(all.gzip <= budget.packageGzipBytes, `package ${all.gzip} B gzip > budget ${budget.packageGzipBytes} B`);
});
