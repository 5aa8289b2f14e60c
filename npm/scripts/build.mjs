#!/usr/bin/env node
// Builds the npm package into npm/dist/: cargo (release, wasm32) -> wasm-bindgen (web target,
// ESM) -> npm binaryen's wasm-opt (never Debian's: version 108 corrupts wasm-bindgen output) ->
// the hand-written entry points from npm/src/. Writes dist/sizes.json (raw and gzip bytes).
// Usage: node scripts/build.mjs [--no-opt] [--prebuilt-std]
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { features, minifyNames, passes } from './wasm-opt-passes.mjs';
import { namesByRank } from './wasm-order.mjs';
import { nativeStrings } from './glue-strings.mjs';
import { entryApi } from './entry-api.mjs';
import { browserGlueImport, gluePath } from './browser-glue.mjs';

const npmDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const repo = join(npmDir, '..');
const dist = join(npmDir, 'dist');
const optimise = !process.argv.includes('--no-opt');

function run(cmd, args, opts = {}) {
  const t0 = Date.now();
  execFileSync(cmd, args, { stdio: 'inherit', cwd: repo, ...opts });
  console.log(`build: ${cmd} ${args[0]} ... ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

// bindings-wasm is a workspace of its own (its Cargo.lock and size-tuned release profile: see its
// Cargo.toml); its build goes to the repository's target directory. Not --locked: a dependency
// the core gains is added to that lock (scripts/test-wasm.sh checks the idna_adapter pin).
const targetDir = process.env.CARGO_TARGET_DIR ? resolve(repo, process.env.CARGO_TARGET_DIR) : join(repo, 'target');
const cargoWasm = join(targetDir, 'wasm32-unknown-unknown/release/davkit_wasm.wasm');
rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'wasm'), { recursive: true });

// Five modules from the one crate: the `davkit` entry's two, `davkit_client` with the `client`,
// `dav-calls` and `oauth` features (DAV, the DAV calls of the flush and of scheduling one at a
// time, and OAuth, which a Google app needs before its first request) and `davkit_extras` with
// `steps` (parsed events and contacts, recurrence, zones, editors, the write queue, and the
// flush's and scheduling's decisions; loaded on first use); `davkit_protocol` with the `client` feature only (the `davkit/protocol` entry: DAV
// only; no write queue, and the linker drops the iCalendar/vCard summaries, recurrence, zones
// and the Calendar API), `davkit_formats` with the `formats` feature only (the `davkit/formats`
// entry: parsing, recurrence, zones and the editors; no client, transport, sync or queue), and
// `davkit_wasm` with every feature (the `davkit/gcal` entry: all of `davkit` in one module plus
// the Google Calendar API v3 client, `gcal` feature).
// The cargo output of each is copied away before the next build overwrites it.
// The full one is built last, so that target/ keeps its cargo output (scripts/profile.mjs reads it).
const modules = [
  { name: 'davkit_protocol', cargo: ['--no-default-features', '--features', 'client'] },
  { name: 'davkit_formats', cargo: ['--no-default-features', '--features', 'formats'] },
  { name: 'davkit_client', cargo: ['--no-default-features', '--features', 'client,dav-calls,oauth'] },
  { name: 'davkit_extras', cargo: ['--no-default-features', '--features', 'steps'] },
  { name: 'davkit_wasm', cargo: [] },
];
// Panic locations name source files: without these remaps the module's bytes (and so the size
// budget test) would depend on where the repository and cargo's registry sit on the machine.
const cargoHome = resolve(process.env.CARGO_HOME || join(homedir(), '.cargo'));
const remaps = [`--remap-path-prefix=${resolve(repo)}=/davkit`, `--remap-path-prefix=${cargoHome}=/cargo`];
// and shorter: each file's path is in the data segment once, so crates.io sources become
// `/c/<crate>-<version>/...`, not `/cargo/registry/src/index.crates.io-<hash>/...` (the last
// matching remap wins). The standard library's paths stay `/rustc/<commit>/library/...`:
// rustc writes that virtual path when the rust-src component is not installed and will not
// remap it, so the local copy rust-src brings (`<sysroot>/lib/rustlib/src/rust`, which
// rustc writes instead when it is there) is remapped to the same, and the bytes do not depend
// on that component or on where the toolchain sits.
const registrySrc = join(cargoHome, 'registry', 'src');
for (const d of existsSync(registrySrc) ? readdirSync(registrySrc) : []) remaps.push(`--remap-path-prefix=${join(registrySrc, d)}=/c`);
const rustcCommit = /^commit-hash: ([0-9a-f]{40})$/m.exec(execFileSync('rustc', ['-vV'], { encoding: 'utf8' }))?.[1];
const sysroot = execFileSync('rustc', ['--print', 'sysroot'], { encoding: 'utf8' }).trim();
if (rustcCommit) remaps.push(`--remap-path-prefix=${join(sysroot, 'lib', 'rustlib', 'src', 'rust')}=/rustc/${rustcCommit}`);

// The standard library rebuilt for size, for these wasm builds only (never a native one): cargo
// compiles std from rust-src (LTO with the crate, as before) instead of linking the prebuilt
// one, with
// - std's `optimize_for_size` feature (smaller sort, number printing and search algorithms,
//   still O(n log n) sorts),
// - `-Cpanic=immediate-abort`: a panic is the `unreachable` trap at once, with no message
//   formatting or location (on wasm32-unknown-unknown the message was never shown anyway: no
//   panic hook is set, stderr goes nowhere, and JS always saw "RuntimeError: unreachable"),
// - `-Zlocation-detail=none`: no file/line/column for `#[track_caller]` (panic locations).
// These are unstable options. The stable toolchain (1.95.0) has rust-src and the wasm32 target;
// the installed nightly has neither and rustup's servers are not reachable from the build VMs,
// so RUSTC_BOOTSTRAP=1 lets this pinned stable compiler take them (set for these cargo runs
// only). Not used: `-Zfmt-debug=none`, which empties every `{:?}` (the formats crate groups
// series by a key built with `{:?}` and quotes values in messages with it; serde's type errors
// too) for 3 KB of gzip in davkit/protocol and davkit/formats and nothing in davkit. Measured
// again 2026-12-04 (tree of cb4470e), since `{:?}` on text went (davkit_formats::quoted): the
// same bytes but one in davkit/protocol, -0.2 KB of gzip in davkit; the modules link next to
// no Debug code now.
// std's own crates are compiled at opt-level 3, as the prebuilt std is (`--config` profile
// overrides, which cargo applies to build-std's units; LTO then runs at the crate's "z"): at "z"
// the client's own work was 15 % slower (npm/bench/cpu-profile.mjs, full sync of 1,000 events,
// interleaved runs: 42-44 ms of CPU with the prebuilt std, 49-51 at "z", 43-44 at 3) for only
// 0.5-1.0 KB of gzip.
// Measured 2026-12-02 (2-core build VM, tree of e559c93, bundled gzip as size.test.mjs counts,
// before with --prebuilt-std): davkit 456,131 -> 422,484 B, davkit/protocol 251,683 -> 233,705,
// davkit/formats 175,607 -> 156,040. Each alone on top of the rebuilt std (std at "z" then; on
// 707edf4; the rebuilt std alone -2.4 KB in davkit): immediate-abort -24.0 KB,
// optimize_for_size -14.5 KB, location-detail -7.9 KB (mostly overlapping immediate-abort: -0.6
// KB on top of it). std's build adds up to a minute to a clean build (cached in the target
// directory afterwards).
// `--prebuilt-std` builds with the prebuilt std instead (the figures before; no rust-src needed).
const stdForSize = !process.argv.includes('--prebuilt-std');
const stdCargo = stdForSize ? ['-Zbuild-std=std,panic_abort', '-Zbuild-std-features=optimize_for_size',
  ...['core', 'alloc', 'std'].flatMap((c) => ['--config', `profile.release.package.${c}.opt-level=3`])] : [];
const stdFlags = stdForSize ? ['-Zunstable-options', '-Cpanic=immediate-abort', '-Zlocation-detail=none'] : [];
if (stdForSize && !existsSync(join(sysroot, 'lib', 'rustlib', 'src', 'rust', 'library', 'Cargo.lock'))) {
  throw new Error(`build: the standard library's source is not in ${sysroot} (rustup component add rust-src), or build with --prebuilt-std`);
}
// LLVM's inliner held to a threshold of 10 for every crate of these builds (std's at opt-level 3
// included; the native builds keep the defaults). Measured 2026-12-03 on the tree of 859e042,
// bundled gzip as size.test.mjs counts: davkit/protocol 167,457 -> 166,546 B, davkit 305,107 ->
// 304,345, davkit/gcal 342,012 -> 341,559, davkit/formats 134,887 -> 134,613; the client's CPU the
// same (cpu-profile.mjs, 7 interleaved runs each, full sync of 1,000 events: medians 45 and 44
// ms). davkit/protocol's module before the order step, by threshold: 0 166,230 B gzip, 5
// 164,471, 7-10 164,003, 12-15 164,892, 25 168,516, none given 164,767 (-Zinline-mir=no 166,696,
// -Zinline-mir-threshold=20 164,891).
const inlineFlags = ['-Cllvm-args=-inline-threshold=10'];
const wasmEnv = {
  ...process.env,
  ...(stdForSize ? { RUSTC_BOOTSTRAP: '1' } : {}),
  // The repository's crates get a `-C metadata` that does not depend on the checkout's path
  // (rustc-metadata.mjs says why): the same commit builds the same bytes wherever it is cloned.
  RUSTC_WRAPPER: join(npmDir, 'scripts', 'rustc-metadata.mjs'),
  DAVKIT_REPO: resolve(repo),
  ...(process.env.RUSTC_WRAPPER ? { DAVKIT_INNER_RUSTC_WRAPPER: process.env.RUSTC_WRAPPER } : {}),
  RUSTFLAGS: [process.env.RUSTFLAGS, ...remaps, ...stdFlags, ...inlineFlags].filter(Boolean).join(' '),
};
for (const m of modules) {
  run('cargo', ['build', '--manifest-path', 'bindings-wasm/Cargo.toml', '--target-dir', targetDir,
    '--target', 'wasm32-unknown-unknown', '--release', ...stdCargo, ...m.cargo], { env: wasmEnv });
  const input = join(dist, `${m.name}.wasm`);
  cpSync(cargoWasm, input);
  run('wasm-bindgen', ['--target', 'web', '--remove-name-section', '--out-dir', join(dist, 'wasm'), input]);
  rmSync(input);
  const wasm = join(dist, 'wasm', `${m.name}_bg.wasm`);
  // The entries always say where the .wasm is, so the glue's own default
  // `new URL('<name>_bg.wasm', import.meta.url)` goes: a bundler would emit the asset twice
  // from it, and esbuild warns about import.meta in a classic-script bundle.
  const glue = join(dist, 'wasm', `${m.name}.js`);
  const glueDefault = `module_or_path = new URL('${m.name}_bg.wasm', import.meta.url);`;
  const glueText = readFileSync(glue, 'utf8');
  if (!glueText.includes(glueDefault)) throw new Error(`build: wasm-bindgen's glue changed; ${glueDefault} not found`);
  // Strings copied into the module by one TextEncoder.encodeInto, not a JS loop (glue-strings.mjs).
  writeFileSync(glue, nativeStrings(glueText.replace(glueDefault, "throw new Error('davkit: no .wasm location given');")));
  if (optimise) {
    const wasmOpt = join(npmDir, 'node_modules', '.bin', 'wasm-opt');
    // Size passes only (wasm-opt-passes.mjs says why and what each round gave).
    run(wasmOpt, [...features, ...passes, wasm, '-o', wasm]);
    // Then the functions laid out in the order that gzip compresses best (wasm-order.mjs):
    // named by their place, reordered by name, and the names dropped.
    writeFileSync(wasm, namesByRank(readFileSync(wasm)));
    run(wasmOpt, [...features, '-g', '--reorder-functions-by-name', wasm, '-o', wasm]);
    run(wasmOpt, [...features, '--strip-debug', wasm, '-o', wasm]);
    // Then short import and export names, and the glue rewritten to them.
    const minified = minifyNames((args) => execFileSync(wasmOpt, args, { cwd: repo, encoding: 'utf8' }), wasm,
      readFileSync(glue, 'utf8'));
    writeFileSync(glue, minified);
  }
}
// wasm-bindgen's own .d.ts files describe the low-level exports; the public types are index.d.ts.
for (const f of readdirSync(join(dist, 'wasm'))) {
  if (f.endsWith('.d.ts') || f === 'package.json' || f === '.gitignore') rmSync(join(dist, 'wasm', f));
}
cpSync(join(npmDir, 'src'), dist, { recursive: true });
// The browser entries import their glue by name, without `initSync` (browser-glue.mjs).
for (const entry of ['browser.js', 'protocol/browser.js', 'formats/browser.js', 'gcal/browser.js']) {
  const file = join(dist, entry);
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, browserGlueImport(text, readFileSync(join(dirname(file), gluePath(text)), 'utf8')));
}
// davkit/protocol, davkit/formats and davkit/gcal get their own copy of the JS API (their own
// module state, bound to their module); davkit/formats and davkit/gcal their own copy of the
// editors too (they call their module). The copies of davkit and davkit/protocol without the
// DavClient methods their module cannot run (entry-api.mjs; davkit/formats has no DavClient).
const api = readFileSync(join(npmDir, 'src', 'api.js'), 'utf8');
writeFileSync(join(dist, 'api.js'), entryApi(api, ['needGcal']));
writeFileSync(join(dist, 'protocol', 'api.js'), entryApi(api, ['needGcal', 'needSchedule', 'needQueue'], ['WriteQueue']));
cpSync(join(npmDir, 'src', 'api.js'), join(dist, 'formats', 'api.js'));
// davkit/formats exports the editors and not OAuth: its copy of edit.js goes without the OAuth
// classes, which a bundler keeps although nothing imports them (their `[inspect]` method's
// computed name counts as a side effect).
writeFileSync(join(dist, 'formats', 'edit.js'), entryApi(readFileSync(join(npmDir, 'src', 'edit.js'), 'utf8'), [], ['Pkce', 'OAuthTokens', 'OAuthClient']));
cpSync(join(npmDir, 'src', 'api.js'), join(dist, 'gcal', 'api.js'));
cpSync(join(npmDir, 'src', 'edit.js'), join(dist, 'gcal', 'edit.js'));

const sizes = {};
const walk = (dir) => {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) walk(p);
    else {
      const bytes = readFileSync(p);
      sizes[p.slice(dist.length + 1)] = { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
    }
  }
};
walk(dist);
const total = Object.values(sizes).reduce((a, s) => ({ raw: a.raw + s.raw, gzip: a.gzip + s.gzip }), { raw: 0, gzip: 0 });
writeFileSync(join(dist, 'sizes.json'), JSON.stringify({ files: sizes, total }, null, 2) + '\n');
for (const m of modules) {
  const w = sizes[`wasm/${m.name}_bg.wasm`];
  console.log(`build: ${m.name} ${w.raw} B raw, ${w.gzip} B gzip`);
}
console.log(`build: dist total ${total.raw} B raw, ${total.gzip} B gzip`);
