// The browser entries' glue import (npm/scripts/browser-glue.mjs): named imports of every export
// but `initSync`, so a bundler leaves `initSync` out; checked on a glue of wasm-bindgen's shape and
// on the built entries, bundled as an app's bundler would (split at dynamic imports).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { browserGlueImport, glueExports, gluePath } from '../scripts/browser-glue.mjs';
import { npmDir } from './helpers.mjs';

const GLUE = `export class Client {
}
export function coreVersion() {}
export async function later() {}
function helper() {}
export { initSync, __wbg_init as default };
`;

test('the glue\'s exports are read from its export statements', () => {
  assert.deepEqual(glueExports(GLUE), ['Client', 'coreVersion', 'later', 'initSync', 'default']);
});

test('a browser entry imports every export but initSync by name', () => {
  const entry = "// c\nimport * as glue from '../wasm/x.js';\nimport { loadInBrowser } from './api.js';\nloadInBrowser(glue);\n";
  const out = browserGlueImport(entry, GLUE);
  assert.equal(out, "// c\nimport glueInit, { Client, coreVersion, later } from '../wasm/x.js';\n"
    + 'const glue = { default: glueInit, Client, coreVersion, later };\n'
    + "import { loadInBrowser } from './api.js';\nloadInBrowser(glue);\n");
  assert.throws(() => browserGlueImport("import { a } from './x.js';\n", GLUE), /no `import \* as glue/);
  assert.throws(() => browserGlueImport(entry, 'export function a() {}\n'), /no default export/);
});

const ENTRIES = ['dist/browser.js', 'dist/protocol/browser.js', 'dist/formats/browser.js', 'dist/gcal/browser.js'];

for (const entry of ENTRIES) {
  test(`${entry}: hands loadInBrowser every glue export but initSync, and a bundle has no initSync`, () => {
    const text = readFileSync(join(npmDir, entry), 'utf8');
    assert.doesNotMatch(text, /import \* as glue/);
    const m = /^import glueInit, \{ ([^}]*) \} from '([^']+)';\nconst glue = \{ default: glueInit, ([^}]*) \};$/m.exec(text);
    assert.ok(m, 'the glue is imported by name');
    const glueText = readFileSync(join(npmDir, dirname(entry), m[2]), 'utf8');
    const wanted = glueExports(glueText).filter((n) => n !== 'initSync' && n !== 'default');
    assert.ok(wanted.includes('Client') || entry.includes('formats'), 'the glue exports the client');
    assert.deepEqual(m[1].split(', '), wanted);
    assert.deepEqual(m[3].split(', '), wanted);
    const dir = mkdtempSync(join(tmpdir(), 'davkit-glue-'));
    try {
      // Split at dynamic imports (`davkit`'s second module's glue is one, with its own
      // `initSync`, downloaded on first use): the entry's file is what loads first.
      execFileSync(join(npmDir, 'node_modules', '.bin', 'esbuild'), [join(npmDir, entry), '--bundle', '--format=esm', '--splitting',
        '--platform=browser', `--outdir=${dir}`, '--entry-names=app', '--log-level=error'], { stdio: 'pipe' });
      const bundle = readFileSync(join(dir, 'app.js'), 'utf8');
      assert.match(bundle, /function __wbg_init\b/, 'the glue is in the bundle');
      assert.doesNotMatch(bundle, /function initSync\b/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('gluePath reads the path of the namespace import', () => {
  assert.equal(gluePath("import * as glue from '../wasm/davkit_protocol.js';\n"), '../wasm/davkit_protocol.js');
});
