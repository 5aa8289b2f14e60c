#!/usr/bin/env node
// The RUSTC_WRAPPER of the npm build (build.mjs): runs rustc with the `-C metadata` of the
// repository's own crates taken from their name, target and features instead of from where the
// repository sits on the disk.
//
// Why: cargo hashes a path dependency's absolute path into its `-C metadata` when the dependency
// is outside the building workspace's root, and `davkit` and `davkit-formats` are outside
// bindings-wasm's (a workspace of its own; its Cargo.toml says why). rustc derives each crate's
// StableCrateId from that value, and from it symbol hashes and TypeId constants: so the module's
// bytes, the functions' initial order and so wasm-opt's choices changed with the checkout's path,
// and the same commit built 380 B gzip larger in /check/work/main than in /work/main (the size
// budget test failed on one machine and passed on the other). Registry crates are hashed by
// name and version, and are left as cargo asks.
//
// Cargo does not count the wrapper in its fingerprints: a target directory built before it keeps
// the old values until `core/` or `formats/` change (a fresh clone, as CI's, always has them).
//
// Usage (by cargo): rustc-metadata.mjs <rustc> <args...>; DAVKIT_REPO names the repository.
// Another wrapper that was set before (DAVKIT_INNER_RUSTC_WRAPPER) still runs, around rustc.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { isAbsolute, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The arguments with `-C metadata=...` replaced when the crate's source file is inside `repo`.
 * The new value hashes what tells the crate's builds apart (name, type, target, cfgs such as
 * features, edition), never a path. Exported for the tests.
 * @param {string[]} args rustc's arguments, as cargo gives them
 * @param {string} repo the repository's absolute path
 * @param {string} cwd where rustc runs (cargo gives workspace members' sources relative to it)
 * @returns {string[]}
 */
export function pathFreeMetadata(args, repo, cwd) {
  // The crate root: the one argument naming a .rs file (no option's value does).
  const src = args.find((a) => a.endsWith('.rs') && !a.startsWith('-'));
  if (!src) return args;
  const rel = relative(repo, resolve(cwd, src));
  if (rel.startsWith('..') || isAbsolute(rel)) return args;
  const key = ['--crate-name', '--crate-type', '--target', '--cfg', '--edition'];
  const parts = [rel];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (key.includes(a)) parts.push(`${a} ${args[i + 1]}`);
    else if (key.some((k) => a.startsWith(`${k}=`))) parts.push(a);
  }
  parts.sort();
  const metadata = createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16);
  return args.map((a, i) => {
    if (args[i - 1] === '-C' && a.startsWith('metadata=')) return `metadata=${metadata}`;
    if (a.startsWith('-Cmetadata=')) return `-Cmetadata=${metadata}`;
    return a;
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [rustc, ...args] = process.argv.slice(2);
  const repo = process.env.DAVKIT_REPO;
  if (!rustc || !repo) {
    console.error('rustc-metadata.mjs: run by cargo as RUSTC_WRAPPER, with DAVKIT_REPO set');
    process.exit(2);
  }
  const rewritten = pathFreeMetadata(args, repo, process.cwd());
  const inner = process.env.DAVKIT_INNER_RUSTC_WRAPPER;
  const [cmd, cmdArgs] = inner ? [inner, [rustc, ...rewritten]] : [rustc, rewritten];
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit' });
  if (r.error) {
    console.error(`rustc-metadata.mjs: ${r.error.message}`);
    process.exit(1);
  }
  process.exit(r.status ?? 1);
}
