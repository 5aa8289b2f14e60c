// davkit for browsers and bundlers. No top-level await: the .wasm is fetched and compiled by
// `init()` (or by the first `DavClient` call, which awaits it); the synchronous functions
// (`parseCalendar`, `expand`, ...) need `await init()` first. Bundlers (Vite, webpack 5) emit
// the .wasm as an asset from the `new URL('./wasm/...', import.meta.url)` below; in a classic
// script (esbuild's default iife bundle, where import.meta is empty) the .wasm is looked up in
// `wasm/` next to the script, or wherever `init({ wasm })` says.
import * as glue from './wasm/davkit_main.js';
import { zoneRules } from './zones.js';
import { loadInBrowser } from './api.js';

loadInBrowser(glue, () => new URL('./wasm/davkit_main_bg.wasm', import.meta.url), './wasm/davkit_main_bg.wasm', zoneRules);

export {
  init, DavClient, WriteQueue, DavError, isDavError, parseCalendar, parseContact, parseContacts, expand, coreVersion,
  markPending, recordWrite, recordDelete,
  scheduleOrganizerAddress, scheduleInvite, scheduleUpdate, scheduleCancel, scheduleAnswer, scheduleNeedsAction, attendeeStatuses,
  itipRequest, itipReply, itipCancel, itipParse, itipApply, freeBusyRequestText,
} from './api.js';
export { EventEditor, ContactEditor, convertContact, Pkce, OAuthTokens, OAuthClient } from './edit.js';
