// davkit/protocol for node (>= 20), Deno and Bun: the DAV protocol only (discovery, collections,
// objects with ETags, sync), from a module without iCalendar/vCard parsing, recurrence, time
// zones, the write queue or the Google Calendar API (under half the size of the full one).
// Fetched objects carry their `data` text and no parsed view: bring your own iCalendar library,
// or import 'davkit'.
import { readFileSync } from 'node:fs';
import * as glue from '../wasm/davkit_protocol.js';
import { loadNow } from './api.js';
import { httpFetch, isNode } from '../http.js';

loadNow(glue, readFileSync(new URL('../wasm/davkit_protocol_bg.wasm', import.meta.url)), undefined, isNode ? httpFetch : null);

export { init, DavClient, DavError, isDavError, coreVersion, markPending, recordWrite, recordDelete, recordRead } from './api.js';
