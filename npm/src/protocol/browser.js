// davkit/protocol for browsers and bundlers: the DAV protocol only (see node.js here), loaded
// like the full entry (`init()`, or the first `DavClient` call; no top-level await).
import * as glue from '../wasm/davkit_protocol.js';
import { bind, platform } from './api.js';

const script = typeof document !== 'undefined' && document.currentScript ? document.currentScript.src : undefined;

function defaultWasm() {
  try {
    return new URL('../wasm/davkit_protocol_bg.wasm', import.meta.url);
  } catch {
    return new URL('wasm/davkit_protocol_bg.wasm', script ?? globalThis.location?.href);
  }
}

bind(glue);
platform.browser = true;
platform.load = (wasm) => glue.default({ module_or_path: wasm ?? defaultWasm() });

export { init, DavClient, WriteQueue, DavError, isDavError, coreVersion, markPending } from './api.js';
