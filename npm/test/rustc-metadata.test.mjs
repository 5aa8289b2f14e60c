// The npm build's rustc wrapper (scripts/rustc-metadata.mjs): the repository's crates get a
// `-C metadata` from what they are, not from where the repository sits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pathFreeMetadata } from '../scripts/rustc-metadata.mjs';

// rustc's arguments as cargo gives them for a path dependency outside the building workspace.
function coreArgs(repo, metadata, feature = 'client') {
  return ['--crate-name', 'davkit', '--edition=2024', `${repo}/core/src/lib.rs`, '--crate-type', 'lib',
    '--cfg', `feature="${feature}"`, '-C', `metadata=${metadata}`, '-C', `extra-filename=-${metadata}`,
    '--out-dir', `${repo}/target/wasm32-unknown-unknown/release/deps`, '--target', 'wasm32-unknown-unknown',
    `--remap-path-prefix=${repo}=/davkit`];
}
const metadataOf = (args) => args.find((a) => a.startsWith('metadata='));

test('the same crate cloned in two places gets one metadata; only that argument changes', () => {
  const a = pathFreeMetadata(coreArgs('/work/main', '33e5926ecee5500c'), '/work/main', '/work/main/bindings-wasm');
  const b = pathFreeMetadata(coreArgs('/check/work/main', 'b74cf6d5dca6cb4b'), '/check/work/main',
    '/check/work/main/bindings-wasm');
  assert.match(metadataOf(a), /^metadata=[0-9a-f]{16}$/);
  assert.equal(metadataOf(a), metadataOf(b));
  assert.notEqual(metadataOf(a), 'metadata=33e5926ecee5500c');
  const before = coreArgs('/work/main', '33e5926ecee5500c');
  assert.deepEqual(a.filter((x, i) => x !== before[i]), [metadataOf(a)]);
  assert.ok(a.includes('extra-filename=-33e5926ecee5500c'), 'file names stay cargo\'s');
});

test('other features, another metadata; a workspace member is found from its relative source path', () => {
  const client = pathFreeMetadata(coreArgs('/r', '1'), '/r', '/r/bindings-wasm');
  const formats = pathFreeMetadata(coreArgs('/r', '1', 'formats'), '/r', '/r/bindings-wasm');
  assert.notEqual(metadataOf(client), metadataOf(formats));
  const member = ['--crate-name', 'davkit_wasm', 'src/lib.rs', '--cfg', 'feature="client"', '-C', 'metadata=abc'];
  const inRepo = pathFreeMetadata(member, '/r', '/r/bindings-wasm');
  const elsewhere = pathFreeMetadata(member, '/s', '/s/bindings-wasm');
  assert.notEqual(inRepo[6], 'metadata=abc');
  assert.equal(inRepo[6], elsewhere[6]);
});

test('crates from outside the repository and rustc queries pass through unchanged', () => {
  const registry = ['--crate-name', 'serde', '/root/.cargo/registry/src/x/serde-1.0.0/src/lib.rs', '-C', 'metadata=0ba7'];
  assert.deepEqual(pathFreeMetadata(registry, '/r', '/r/bindings-wasm'), registry);
  assert.deepEqual(pathFreeMetadata(['-vV'], '/r', '/r'), ['-vV']);
  const joined = ['--crate-name', 'davkit', '/r/core/src/lib.rs', '-Cmetadata=77'];
  assert.match(pathFreeMetadata(joined, '/r', '/r')[3], /^-Cmetadata=[0-9a-f]{16}$/);
});
