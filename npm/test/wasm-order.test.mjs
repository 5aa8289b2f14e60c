// The build's function order for gzip (scripts/wasm-order.mjs): the chain puts similar
// functions next to each other and lists each once; the name section it writes names every
// function by its place and leaves a valid module; the shipped modules carry no names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { bestChain, chain, namesByRank, readModule, uleb } from '../scripts/wasm-order.mjs';

const dist = fileURLToPath(new URL('../dist/wasm/', import.meta.url));
const modules = ['davkit_protocol', 'davkit_formats', 'davkit_client', 'davkit_extras', 'davkit_wasm'];

/** Bytes that share nothing with another `noise` seed (every 4-byte run its own). */
function noise(seed, length) {
  const out = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

test('the chain follows each function with the one sharing the most runs with it', () => {
  const a = noise(1, 200);
  const b = noise(2, 200);
  const c = noise(3, 200);
  // a2 repeats most of a, b2 half of b; c shares nothing.
  const a2 = Buffer.concat([a.subarray(0, 180), noise(4, 20)]);
  const b2 = Buffer.concat([noise(5, 100), b.subarray(100)]);
  const order = chain([a, b, c, a2, b2]);
  assert.deepEqual(order.slice(0, 2), [0, 3], 'a then its near copy');
  assert.equal(new Set(order).size, 5, 'each function once');
  const ib = order.indexOf(1);
  const ib2 = order.indexOf(4);
  assert.equal(Math.abs(ib - ib2), 1, `b and b2 side by side: ${order}`);
});

test('a chain over nothing, or over functions that share nothing, keeps the module order', () => {
  assert.deepEqual(chain([]), []);
  assert.deepEqual(chain([noise(7, 50), noise(8, 50), noise(9, 50)]), [0, 1, 2]);
});

test('the best of several chains lists each function once and gzips no larger than the plain chain', () => {
  // Functions made of a few shared pieces, so that orders differ in what gzip finds.
  const pieces = [1, 2, 3, 4, 5, 6].map((seed) => noise(seed, 60));
  const bodies = Array.from({ length: 40 }, (_, i) => Buffer.concat([pieces[i % 6], noise(100 + i, 8), pieces[(i * 7) % 6]]));
  const size = (order) => gzipSync(Buffer.concat(order.map((f) => bodies[f])), { level: 9 }).length;
  const best = bestChain(bodies);
  assert.deepEqual([...best].sort((a, b) => a - b), [...bodies.keys()]);
  assert.ok(size(best) <= size(chain(bodies)), `${size(best)} > ${size(chain(bodies))}`);
  assert.deepEqual(bestChain(bodies, 1), chain(bodies), 'one candidate: the plain chain');
  assert.deepEqual(bestChain([]), []);
});

for (const name of modules) {
  test(`${name}: ranked names make a valid module naming each function once; the shipped one has no names`, () => {
    const shipped = readFileSync(`${dist}${name}_bg.wasm`);
    assert.equal(WebAssembly.Module.customSections(new WebAssembly.Module(shipped), 'name').length, 0);
    const { importedFunctions, bodies } = readModule(shipped);
    const ranked = namesByRank(shipped);
    const mod = new WebAssembly.Module(ranked);
    const [section] = WebAssembly.Module.customSections(mod, 'name');
    // The function-names subsection (id 1): LEB sizes, then (index, name) pairs.
    const bytes = Buffer.from(section);
    let p = 0;
    const leb = () => {
      let v;
      [v, p] = uleb(bytes, p);
      return v;
    };
    assert.equal(bytes[p++], 1);
    leb();
    const count = leb();
    assert.equal(count, importedFunctions + bodies.length);
    for (let i = 0; i < importedFunctions; i++) {
      assert.equal(leb(), i);
      const length = leb();
      assert.equal(bytes.subarray(p, p + length).toString(), `e${String(i).padStart(7, '0')}`, 'imports keep their order');
      p += length;
    }
    const ranks = new Set();
    for (let i = 0; i < bodies.length; i++) {
      assert.equal(leb(), importedFunctions + i);
      const length = leb();
      const text = bytes.subarray(p, p + length).toString();
      p += length;
      assert.match(text, /^f\d{7}$/);
      ranks.add(Number(text.slice(1)));
    }
    assert.equal(ranks.size, bodies.length, 'every rank once');
    assert.equal(Math.max(...ranks), bodies.length - 1);
    assert.equal(p, bytes.length);
  });
}
