#!/usr/bin/env node
// Size and CPU profiles of the npm package (not a test; tables for npm/README.md).
//   1. a .wasm with function names: wasm-bindgen (names kept) and the same wasm-opt passes and
//      short export names as scripts/build.mjs with -g, from the cargo output that build.mjs
//      left in target/ (the full module, `davkit_wasm`: the `davkit/gcal` entry's; `davkit`'s is
//      the same without the Google Calendar API);
//   2. size: `twiggy top` over it (twiggy from crates.io: `cargo install twiggy`), summed by
//      crate (the first path segment of the demangled name; generic code counts under the crate
//      that defines it, `<T as Trait>` under T's crate) and listed by function;
//   3. CPU: V8's sampling profiler (what `node --cpu-prof` runs, here started and stopped around
//      the syncs only, so start-up is left out) over npm/bench/cpu-profile.mjs with that .wasm, self time summed by
//      where it ran (wasm by crate, the glue, api.js, node's internals, GC) and by function.
// Usage: node npm/scripts/build.mjs && node npm/scripts/profile.mjs [--size | --cpu] [rounds]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { features, minifyNames, passes } from './wasm-opt-passes.mjs';

const npmDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const repo = join(npmDir, '..');
const args = process.argv.slice(2);
const only = args.find((a) => a === '--size' || a === '--cpu');
const rounds = args.find((a) => /^\d+$/.test(a)) ?? '5';
const work = mkdtempSync(join(tmpdir(), 'davkit-profile-'));
const targetDir = process.env.CARGO_TARGET_DIR ? resolve(repo, process.env.CARGO_TARGET_DIR) : join(repo, 'target');
const cargoWasm = join(targetDir, 'wasm32-unknown-unknown/release/davkit_wasm.wasm');
const fmt = (n) => Math.round(n).toLocaleString('en-US');

execFileSync('wasm-bindgen', ['--target', 'web', '--out-dir', work, cargoWasm], { stdio: 'inherit' });
const named = join(work, 'davkit_wasm_bg.wasm');
// the same passes as build.mjs (not its function order for gzip, wasm-order.mjs: that order
// would replace the names, and it changes no function's size)
execFileSync(join(npmDir, 'node_modules', '.bin', 'wasm-opt'), [...features, '-g', ...passes, named, '-o', named], { stdio: 'inherit' });
// and the import and export names build.mjs gave the shipped module (npm/dist's glue uses
// those; the same for the same imports in the same order, which wasm-order.mjs keeps)
minifyNames((a) => execFileSync(join(npmDir, 'node_modules', '.bin', 'wasm-opt'), a, { encoding: 'utf8' }), named, undefined, ['-g']);

/** The crate a demangled Rust symbol belongs to (wasm-bindgen's own items by their prefix). */
function crateOf(name) {
  if (/^data\[|^data segment/.test(name)) return '(data segments: strings, tables)';
  if (/^elem\[|^table\[|^type\[|^import |^export |^global\[|custom section|^"?producers/.test(name)) return '(wasm tables, imports, exports)';
  if (/^__wbg|^__wbindgen|^__externref/.test(name)) return 'wasm-bindgen (imports/exports)';
  const s = name.replace(/\[[0-9a-f]{16}\]/g, '').replace(/^(<|&|\(|dyn |mut |\[|\*const |\*mut )+/g, '');
  const m = /^([A-Za-z_][A-Za-z0-9_]*)::/.exec(s);
  if (m) return m[1];
  // `<T as core::fmt::Debug>::fmt`, `<u128>::_fmt_inner`: a generic or primitive self type
  const trait = /^[A-Za-z0-9_]+ as ([A-Za-z_][A-Za-z0-9_]*)::/.exec(s);
  if (trait) return trait[1];
  if (/^(u8|u16|u32|u64|u128|usize|i8|i16|i32|i64|i128|isize|f32|f64|str|char|bool)\b/.test(s)) return 'core';
  if (/^(code|func)\[\d+\]$|^wasm-function/.test(name)) return '(unnamed functions)';
  return '(other)';
}

// --- size -------------------------------------------------------------------------------------
if (only !== '--cpu') {
const csv = execFileSync('twiggy', ['top', '-n', '1000000', '-f', 'csv', named], { encoding: 'utf8', maxBuffer: 1 << 28 });
const rows = csv.trim().split('\n').slice(1).map((line) => {
  // Name,ShallowSize,ShallowSizePercent,... ; the name may be quoted and hold commas
  const m = /^"((?:[^"]|"")*)",(\d+),/.exec(line) ?? /^([^,]*),(\d+),/.exec(line);
  return { name: m[1].replace(/""/g, '"'), size: Number(m[2]) };
}).filter((r) => !/^Σ|^\[\d+ Total Rows\]/.test(r.name) && !/names" subsection|^"?name"? custom section/.test(r.name));
const total = rows.reduce((a, r) => a + r.size, 0);
const byCrate = new Map();
for (const r of rows) {
  const c = crateOf(r.name);
  const e = byCrate.get(c) ?? { size: 0, count: 0 };
  e.size += r.size;
  e.count += 1;
  byCrate.set(c, e);
}
const namedBytes = readFileSync(named).length;
console.log(`\nSize by crate (twiggy's shallow sizes of a ${fmt(namedBytes)} B build with names, the names left out: ${fmt(total)} B):\n`);
console.log('| crate | bytes | share | items |\n|---|---:|---:|---:|');
for (const [c, e] of [...byCrate].sort((a, b) => b[1].size - a[1].size).slice(0, 25)) {
  console.log(`| ${c} | ${fmt(e.size)} | ${(100 * e.size / total).toFixed(1)} % | ${e.count} |`);
}
console.log('\nLargest items:\n\n| item | bytes |\n|---|---:|');
for (const r of rows.sort((a, b) => b.size - a.size).slice(0, 25)) {
  console.log(`| \`${r.name.replace(/\|/g, '\\|').slice(0, 110)}\` | ${fmt(r.size)} |`);
}
console.log(`\n(the shipped .wasm without names: see npm/dist/sizes.json; gzip of this one ${fmt(gzipSync(readFileSync(named), { level: 9 }).length)} B)`);

}

// --- CPU --------------------------------------------------------------------------------------
if (only !== '--size') {
const profFile = join(work, 'sync.cpuprofile');
execFileSync(process.execPath, [join(npmDir, 'bench', 'cpu-profile.mjs'), rounds], { stdio: 'inherit', env: { ...process.env, DAVKIT_WASM: named, DAVKIT_CPU_PROFILE: profFile } });
const prof = JSON.parse(readFileSync(profFile, 'utf8'));
const nodeById = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map();
prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
const where = (f) => {
  if (f.url.startsWith('wasm://')) return `wasm: ${crateOf(f.functionName)}`;
  if (f.url.endsWith('/davkit_wasm.js')) return 'JS: wasm-bindgen glue (davkit_wasm.js)';
  if (f.url.endsWith('/dist/gcal/api.js')) return 'JS: api.js';
  if (f.url.endsWith('/bench/cpu-profile.mjs') || f.url.endsWith('/bench/events.mjs')) return 'the in-memory server (not davkit)';
  if (f.url.startsWith('node:') || f.url === '' && f.functionName && !f.functionName.startsWith('(')) return 'node internals (Response, TextDecoder, builtins)';
  if (f.functionName === '(garbage collector)') return 'GC';
  if (f.functionName === '(idle)' || f.functionName === '(program)' || f.functionName === '(root)') return `${f.functionName}`;
  return `other: ${f.url || f.functionName}`;
};
const byWhere = new Map();
const byFn = new Map();
let busy = 0;
for (const [id, us] of self) {
  const f = nodeById.get(id).callFrame;
  const w = where(f);
  byWhere.set(w, (byWhere.get(w) ?? 0) + us);
  if (w !== '(idle)') busy += us;
  const key = `${f.functionName || '(anonymous)'} ${f.url.startsWith('wasm://') ? '[wasm]' : f.url ? `[${f.url.split('/').pop()}]` : ''}`;
  byFn.set(key, (byFn.get(key) ?? 0) + us);
}
console.log(`\nCPU self time by where it ran (${fmt(busy / 1000)} ms busy over ${rounds} rounds of full + incremental sync):\n`);
console.log('| where | ms | share |\n|---|---:|---:|');
for (const [w, us] of [...byWhere].sort((a, b) => b[1] - a[1]).filter(([w]) => w !== '(idle)').slice(0, 20)) {
  console.log(`| ${w} | ${fmt(us / 1000)} | ${(100 * us / busy).toFixed(1)} % |`);
}
console.log('\nTop functions by self time:\n\n| function | ms | share |\n|---|---:|---:|');
for (const [k, us] of [...byFn].sort((a, b) => b[1] - a[1]).filter(([k]) => !k.startsWith('(idle)')).slice(0, 25)) {
  console.log(`| \`${k.replace(/\|/g, '\\|').slice(0, 110)}\` | ${fmt(us / 1000)} | ${(100 * us / busy).toFixed(1)} % |`);
}
}
rmSync(work, { recursive: true, force: true });
