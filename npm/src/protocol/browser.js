// davkit/protocol for browsers and bundlers: the DAV protocol only (see node.js here), loaded
// like the full entry (`init()`, or the first `DavClient` call; no top-level await).
import * as glue from '../wasm/davkit_protocol.js';
import { loadInBrowser } from './api.js';

loadInBrowser(glue, () => new URL('../wasm/davkit_protocol_bg.wasm', import.meta.url), 'wasm/davkit_protocol_bg.wasm');

export { init, DavClient, DavError, isDavError, coreVersion, markPending, recordWrite, recordDelete, recordRead } from './api.js';
