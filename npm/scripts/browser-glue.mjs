// The browser entries' import of their wasm-bindgen glue (scripts/build.mjs). src/*/browser.js
// import the glue as a namespace (`import * as glue`) and hand it to `loadInBrowser`; a bundler
// then keeps every export of the glue, `initSync` too, which only the node entries call
// (`loadNow`), with its warning text. Here that import becomes named imports of everything the
// glue exports but `initSync`, gathered into the same `glue` object, so a bundler leaves
// `initSync` out.
//
// Measured 2026-12-06 on davkit/protocol (bundled by esbuild, minified, gzip -9): 7,002 -> 6,880 B
// of JS.

/** The namespace import as the browser entries (src/browser.js, src/protocol/browser.js, ...) write it. */
const NAMESPACE = /^import \* as glue from '([^']+)';$/m;

/** The path of the glue that `browserText` (a browser entry) imports as `glue`. */
export function gluePath(browserText) {
  const m = NAMESPACE.exec(browserText);
  if (!m) throw new Error('browser-glue: no `import * as glue from ...;` in the entry');
  return m[1];
}

/** The names a wasm-bindgen glue module exports, from its `export` statements. */
export function glueExports(glueText) {
  const names = [];
  for (const m of glueText.matchAll(/^export (?:async )?(?:function|class|const|let) ([\w$]+)/gm)) names.push(m[1]);
  for (const m of glueText.matchAll(/^export \{([^}]*)\};?$/gm)) {
    for (const part of m[1].split(',')) {
      const [local, exported] = part.trim().split(/\s+as\s+/);
      if (local) names.push(exported ?? local);
    }
  }
  return names;
}

/**
 * `browserText` (a browser entry) with its `import * as glue from '<path>';` made named imports
 * of `glueText`'s exports but `initSync`, and `const glue = { ... }` of them. Throws when the
 * entry has no such import, or the glue no default export (wasm-bindgen's output changed).
 */
export function browserGlueImport(browserText, glueText) {
  const path = gluePath(browserText);
  const names = glueExports(glueText).filter((n) => n !== 'initSync');
  if (!names.includes('default')) throw new Error('browser-glue: the glue has no default export (wasm-bindgen changed)');
  const named = names.filter((n) => n !== 'default');
  const imports = `import glueInit, { ${named.join(', ')} } from '${path}';\n`
    + `const glue = { default: glueInit, ${named.join(', ')} };`;
  return browserText.replace(NAMESPACE, imports);
}
