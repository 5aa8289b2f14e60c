// Strings into the module at native speed: wasm-bindgen's glue (0.2.130) copies a JS string
// into wasm memory with a JS loop over its UTF-16 units while they are ASCII, one `charCodeAt`
// and one store each, and hands only the rest to `TextEncoder.encodeInto`. This rewrites that
// loop to one `encodeInto` into the same `len` bytes the glue allocates, so the ASCII run is
// encoded natively; what does not fit (the string is not ASCII) goes on exactly as before,
// after a `realloc` to three bytes per remaining unit. Same bytes in wasm memory, same
// allocation, same result for lone surrogates (U+FFFD, as `encodeInto` writes them anywhere).
//
// Measured 2026-12-04 (2-core Intel Xeon VM, Debian 12, node 20.20.2, tree of `cb4470e`): a
// string handed to the module and dropped at once (`WriteQueue.fromJson` of a text that fails
// on its first character), medians: 1,660,000 chars 5.6-8.1 ms before, 0.11-0.17 ms after;
// 170,000 chars (a sync state of 1,000-2,000 members, which an incremental sync hands in) 0.47-0.79 ms
// before, 0.02 ms after; 1,000 chars 15 µs before, 9-13 µs after. Every string argument goes
// this way: URLs, options, sync states, queues, the data of writes.
//
// `encodeInto` is in every engine that runs the module (its reference types need Safari 15,
// Chrome 96 or Firefox 79, the package node 20; `encodeInto` came in Safari 14.1, Chrome 74,
// Firefox 66 and node 12).

/** The glue's ASCII loop and the start of its slow path, as wasm-bindgen 0.2.130 writes them. */
export const LOOP = `    let offset = 0;

    for (; offset < len; offset++) {
        const code = arg.charCodeAt(offset);
        if (code > 0x7F) break;
        mem[ptr + offset] = code;
    }
    if (offset !== len) {
        if (offset !== 0) {
            arg = arg.slice(offset);
        }
        ptr = realloc(ptr, len, len = offset + arg.length * 3, 1) >>> 0;`;

/** The same, with one `encodeInto` for as much as fits in `len` bytes. */
export const NATIVE = `    const head = cachedTextEncoder.encodeInto(arg, mem.subarray(ptr, ptr + len));
    let offset = head.written;
    if (head.read !== arg.length) {
        arg = arg.slice(head.read);
        ptr = realloc(ptr, len, len = offset + arg.length * 3, 1) >>> 0;`;

/** `glueText` with its string copy rewritten; throws if the glue is not the expected one. */
export function nativeStrings(glueText) {
  const at = glueText.indexOf(LOOP);
  if (at < 0 || glueText.indexOf(LOOP, at + 1) >= 0) {
    throw new Error("build: wasm-bindgen's glue changed: passStringToWasm0's ASCII loop not found once (npm/scripts/glue-strings.mjs)");
  }
  return glueText.slice(0, at) + NATIVE + glueText.slice(at + LOOP.length);
}
