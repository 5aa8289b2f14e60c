// The wasm-opt passes of the release build (scripts/build.mjs), shared with scripts/profile.mjs
// so that the profile describes the shipped module.
//
// Size passes only. Measured on the full module: -Oz/-Os cut the raw size by 10 % but make the
// gzip and brotli output 3-4 % larger (their inlining, and --local-cse); these shrink both.
// One round: -29,657 B raw, -7,189 B gzip (2026-12-02, 669c2cc). A second round after the
// propagation passes of `second`: -14,321 B raw, -3,890 B gzip more on the full module (a third
// round only -248 B gzip). The producers and target_features custom sections go too (nothing
// reads them at run time).
// The passes run at shrink level 2 (what -Oz sets; without it wasm-opt runs listed passes at
// level 0): the same passes then take their size-first choices. Measured 2026-12-05 (tree of
// 71c0cc8), gzip: davkit/protocol -391 B, davkit -654 B, davkit/gcal -568 B, davkit/formats
// -210 B (raw -1.4 to -3.8 KB); the client's CPU the same (npm/bench/cpu-profile.mjs).
// Last, --dealign: every load and store says 1-byte alignment instead of its natural one. The
// alignment immediate is only a hint (an access is correct at any address and never traps for
// it; engines on x86 and ARM load unaligned anyway), and with one value everywhere it compresses
// better. Measured 2026-12-05 (tree of 94f1348), gzip: davkit/protocol -303 B, davkit -1,382 B,
// davkit/gcal -1,949 B, davkit/formats -510 B, raw the same; the client's CPU the same
// (cpu-profile.mjs, davkit/gcal's module, 4 interleaved runs).

import { readFileSync } from 'node:fs';

/** Features wasm-bindgen's output uses (rustc's default wasm32 features). */
export const features = ['--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext',
  '--enable-mutable-globals', '--enable-reference-types', '--enable-multivalue'];

const round = ['--duplicate-function-elimination', '--remove-unused-module-elements', '--merge-similar-functions', '--vacuum',
  '--dae-optimizing', '--optimize-instructions', '--remove-unused-brs', '--simplify-locals-nostructure', '--coalesce-locals',
  '--reorder-locals', '--code-folding', '--merge-blocks', '--vacuum', '--duplicate-function-elimination', '--merge-similar-functions'];
const second = ['--precompute-propagate', '--rse', '--simplify-globals-optimizing', '--remove-unused-names', '--merge-blocks', '--vacuum'];

/** The passes, in order. */
export const passes = ['--shrink-level=2', ...round, ...second, ...round, '--dealign', '--strip-producers', '--strip-target-features'];

/**
 * Import and export names shortened by wasm-opt's --minify-imports-and-exports-and-modules
 * (`client_gcalSetAttendees` -> `A`; `__wbg_get_2080c49015e35254` from the module
 * `./davkit_protocol_bg.js` -> `a` from `a`), and the wasm-bindgen glue `glueText` rewritten
 * to the new names: it reaches every export as `wasm.<name>`, and it hands the imports over as
 * one object (`import0`, its functions as `<name>: function(`) under their module's name.
 * Returns the new glue text.
 *
 * Measured 2026-12-02 on the full module, exports only: -862 B gzip on the .wasm, plus the
 * shorter names in the glue. The imports, 2026-12-03 on davkit/protocol's module: -1,332 B
 * gzip on the .wasm (wasm-bindgen's import names end in a 16-digit hash, which gzip cannot
 * shorten), plus their keys in the glue.
 *
 * `run(args)` runs wasm-opt with `args` and returns its stdout (the JSON map of the old names
 * to the new); `extra`: more wasm-opt arguments (`-g`). Without `glueText` only the module is
 * renamed (scripts/profile.mjs: its module with names goes with the glue build.mjs rewrote;
 * the names come out the same for the same module).
 */
export function minifyNames(run, wasm, glueText, extra = []) {
  const map = JSON.parse(run([...features, ...extra, '--minify-imports-and-exports-and-modules', wasm, '-o', wasm]));
  if (glueText === undefined) return undefined;
  const renamed = new Map(map.exports);
  const names = new Set(renamed.values());
  let text = glueText.replace(/\bwasm\.([A-Za-z_$][\w$]*)/g, (whole, name) => {
    const to = renamed.get(name);
    if (to === undefined) throw new Error(`minifyNames: the glue uses wasm.${name}, which the module does not export`);
    return `wasm.${to}`;
  });
  for (const [, name] of text.matchAll(/\bwasm\.([A-Za-z_$][\w$]*)/g)) {
    if (!names.has(name)) throw new Error(`minifyNames: wasm.${name} after the rewrite`);
  }
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(wasm)));
  const modules = new Set(imports.map((i) => i.module));
  const oldModules = new Set(map.imports.map(([module]) => module));
  if (modules.size !== 1 || oldModules.size !== 1) {
    throw new Error(`minifyNames: the imports come from ${[...oldModules]} (now ${[...modules]}); the glue is read for one`);
  }
  const once = (from, to, what) => {
    let count = 0;
    text = text.replace(from, (...m) => {
      count++;
      return to(...m);
    });
    if (count !== 1) throw new Error(`minifyNames: ${what} found ${count} times in the glue, not once`);
  };
  const [oldModule] = oldModules;
  const [newModule] = modules;
  once(new RegExp(`^(\\s+)${JSON.stringify(oldModule).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: import0,$`, 'm'),
    (whole, indent) => `${indent}${JSON.stringify(newModule)}: import0,`, `the module ${oldModule}`);
  for (const [, from, to] of map.imports) {
    once(new RegExp(`^(\\s+)${from}: function\\(`, 'm'), (whole, indent) => `${indent}${to}: function(`, `the import ${from}`);
  }
  return text;
}
