// The byte budget (npm/size-budget.json) for the built package: the release .wasm after
// wasm-opt, raw, and everything the package ships (package.json "files"), gzip -9.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { npmDir } from './helpers.mjs';

const budget = JSON.parse(readFileSync(join(npmDir, 'size-budget.json'), 'utf8'));
const pkg = JSON.parse(readFileSync(join(npmDir, 'package.json'), 'utf8'));

test('the release .wasm and the shipped files stay within the byte budget', (t) => {
  const wasm = readFileSync(join(npmDir, 'dist/wasm/davkit_wasm_bg.wasm'));
  let raw = 0;
  let gzip = 0;
  for (const file of pkg.files) {
    const bytes = readFileSync(join(npmDir, file));
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  t.diagnostic(`wasm ${wasm.length} B raw, ${gzipSync(wasm, { level: 9 }).length} B gzip; shipped ${raw} B raw, ${gzip} B gzip`);
  assert.ok(wasm.length <= budget.wasmRawBytes, `wasm ${wasm.length} B > budget ${budget.wasmRawBytes} B`);
  assert.ok(gzip <= budget.shippedGzipBytes, `shipped ${gzip} B gzip > budget ${budget.shippedGzipBytes} B`);
});
