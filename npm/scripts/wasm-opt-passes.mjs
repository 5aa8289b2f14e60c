// The wasm-opt passes of the release build (scripts/build.mjs), shared with scripts/profile.mjs
// so that the profile describes the shipped module.
//
// Size passes only. Measured on the full module: -Oz/-Os cut the raw size by 10 % but make the
// gzip and brotli output 3-4 % larger (their inlining, and --local-cse); these shrink both.
// One round: -29,657 B raw, -7,189 B gzip (2026-12-02, 669c2cc). A second round after the
// propagation passes of `second`: -14,321 B raw, -3,890 B gzip more on the full module (a third
// round only -248 B gzip). The producers and target_features custom sections go too (nothing
// reads them at run time).

/** Features wasm-bindgen's output uses (rustc's default wasm32 features). */
export const features = ['--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext',
  '--enable-mutable-globals', '--enable-reference-types', '--enable-multivalue'];

const round = ['--duplicate-function-elimination', '--remove-unused-module-elements', '--merge-similar-functions', '--vacuum',
  '--dae-optimizing', '--optimize-instructions', '--remove-unused-brs', '--simplify-locals-nostructure', '--coalesce-locals',
  '--reorder-locals', '--code-folding', '--merge-blocks', '--vacuum', '--duplicate-function-elimination', '--merge-similar-functions'];
const second = ['--precompute-propagate', '--rse', '--simplify-globals-optimizing', '--remove-unused-names', '--merge-blocks', '--vacuum'];

/** The passes, in order. */
export const passes = [...round, ...second, ...round, '--strip-producers', '--strip-target-features'];
