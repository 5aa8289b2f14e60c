// Strings into the module: the glue's copy as npm/scripts/glue-strings.mjs rewrites it gives the
// bytes TextEncoder gives, for ASCII, every UTF-8 length, surrogate pairs and lone surrogates
// wherever they fall against the first allocation's end; and the built entries carry it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { NATIVE, nativeStrings } from '../scripts/glue-strings.mjs';
import { npmDir } from './helpers.mjs';

const wasmDir = join(npmDir, 'dist', 'wasm');
const glues = readdirSync(wasmDir).filter((f) => f.endsWith('.js'));

/** The glue's `passStringToWasm0`, run over a plain byte array with a bump allocator. */
function copier(glueText) {
  const start = glueText.indexOf('function passStringToWasm0(');
  assert.ok(start >= 0, 'passStringToWasm0 is in the glue');
  const end = glueText.indexOf('\n}\n', start);
  const source = glueText.slice(start, end + 2);
  return (text) => {
    const memory = new Uint8Array(16 + text.length * 4 + 64);
    let top = 8; // never 0, as wasm's allocator never gives a null pointer
    const calls = [];
    const malloc = (size) => {
      calls.push(['malloc', size]);
      const at = top;
      top += size;
      return at;
    };
    const realloc = (ptr, old, size) => {
      calls.push(['realloc', old, size]);
      // Shrinking or growing the last block in place, as the bump allows.
      assert.equal(ptr + old, top, 'realloc of the last block');
      top = ptr + size;
      return ptr;
    };
    const run = new Function('cachedTextEncoder', 'getUint8ArrayMemory0', 'malloc', 'realloc', 'text',
      `let WASM_VECTOR_LEN = 0;\n${source}\nconst ptr = passStringToWasm0(text, malloc, realloc);\nreturn [ptr, WASM_VECTOR_LEN];`);
    const [ptr, len] = run(new TextEncoder(), () => memory, malloc, realloc, text);
    return { bytes: memory.slice(ptr, ptr + len), end: top - ptr, calls };
  };
}

const ascii = 'https://dav.example/cal/event-1.ics';
const pieces = ['a', 'é', '€', '😀', '\ud800', '\udc00', 'z'.repeat(7)];

function samples() {
  const out = ['', ascii, 'é', '😀', '\ud83d', `${ascii}é`, `é${ascii}`, `${ascii}😀`, `${ascii}\ud83d`, `\udc00${ascii}`];
  // Every piece at every place near the end of an ASCII run (the first allocation is one byte a
  // UTF-16 unit: a multi-byte character there is where the first encodeInto stops).
  for (const p of pieces) for (let n = 0; n < 6; n++) out.push(`${'x'.repeat(n)}${p}${'y'.repeat(5 - n)}`);
  // And random mixes.
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 500; i++) {
    let s = '';
    const n = Math.floor(next() * 40);
    for (let k = 0; k < n; k++) s += next() < 0.6 ? String.fromCharCode(32 + Math.floor(next() * 95)) : pieces[Math.floor(next() * pieces.length)];
    out.push(s);
  }
  return out;
}

test('the rewritten copy writes what TextEncoder writes, in an allocation of exactly that size', () => {
  const glue = readFileSync(join(wasmDir, glues[0]), 'utf8');
  const copy = copier(glue);
  const encoder = new TextEncoder();
  for (const s of samples()) {
    const want = encoder.encode(s);
    const got = copy(s);
    assert.deepEqual(got.bytes, want, JSON.stringify(s));
    assert.equal(got.end, want.length, `the allocation ends where the bytes do: ${JSON.stringify(s)}`);
    // ASCII: one allocation, no realloc, as before.
    if (/^[\x00-\x7f]*$/.test(s)) assert.deepEqual(got.calls, [['malloc', s.length]]);
  }
});

test('every built glue copies strings with encodeInto, not a JS loop', () => {
  assert.ok(glues.length >= 4, `the entries' glue files: ${glues}`);
  for (const f of glues) {
    const text = readFileSync(join(wasmDir, f), 'utf8');
    assert.ok(!text.includes('arg.charCodeAt(offset)'), `${f}: the ASCII loop is gone`);
    assert.ok(text.includes(NATIVE), `${f}: one encodeInto`);
  }
});

test('the rewrite refuses a glue it does not know, and applies once', () => {
  assert.throws(() => nativeStrings('function passStringToWasm0() {}'), /glue changed/);
  // A built glue has been rewritten already: a second rewrite finds no loop and refuses.
  const built = readFileSync(join(wasmDir, glues[0]), 'utf8');
  assert.throws(() => nativeStrings(built), /glue changed/);
});

test('strings of every kind cross into the module and back whole', async () => {
  const { parseCalendar } = await import('../dist/node.js');
  for (const summary of ['plain', 'Café ☕ at 10', '😀 party 😀', `${'x'.repeat(5000)}é${'y'.repeat(5000)}`, 'ends in é']) {
    const ics = `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:u1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T100000Z\r\nSUMMARY:${summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
    const parsed = parseCalendar(ics);
    assert.equal(parsed.events[0].summary, summary);
  }
});
