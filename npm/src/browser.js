// davkit for browsers and bundlers, in two WebAssembly modules. The first has the DAV client
// (discovery, collections, objects with ETags, sync, the DAV calls of the flush and of
// scheduling) and OAuth; the second the formats (parsed views, `parseCalendar`, `expand`, the
// editors), the write queue and the decisions of the flush and of scheduling. No top-level await:
// `init()` fetches and compiles both; a `DavClient` call loads the first itself, and the second
// when it needs it (while its request is out, for a result whose objects get parsed views).
// The synchronous functions (`parseCalendar`, `expand`, `new WriteQueue()`, ...) need
// `await init()` first. Bundlers (Vite, webpack 5) emit both .wasm files as assets from the
// `new URL('./wasm/...', import.meta.url)` below, and split off the second module's glue and
// the zone rules it reads from its `import()` (extras.js); in a classic script (esbuild's default iife bundle, where import.meta is
// empty) the .wasm files are looked up in `wasm/` next to the script, or wherever
// `init({ wasm, extrasWasm })` says.
import * as glue from './wasm/davkit_client.js';
import { extrasInBrowser, loadInBrowser, withViews } from './api.js';

loadInBrowser(glue, () => new URL('./wasm/davkit_client_bg.wasm', import.meta.url), './wasm/davkit_client_bg.wasm');
extrasInBrowser(() => import('./extras.js'), () => new URL('./wasm/davkit_extras_bg.wasm', import.meta.url), './wasm/davkit_extras_bg.wasm');
withViews();

export {
  init, DavClient, WriteQueue, DavError, isDavError, parseCalendar, parseContact, parseContacts, expand, coreVersion,
  markPending, recordWrite, recordDelete, recordRead,
  scheduleOrganizerAddress, scheduleInvite, scheduleUpdate, scheduleCancel, scheduleAnswer, scheduleNeedsAction, attendeeStatuses,
  itipRequest, itipReply, itipCancel, itipParse, itipApply, freeBusyRequestText,
} from './api.js';
export { EventEditor, ContactEditor, convertContact, Pkce, OAuthTokens, OAuthClient } from './edit.js';
