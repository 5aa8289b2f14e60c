// davkit for node (>= 20), Deno and Bun: reads and compiles both .wasm modules from the package
// directory synchronously on import (no top-level await), so everything is ready at once and
// `init()` resolves immediately. The first module has the DAV client and OAuth; the second the
// formats, the write queue and the flush's and scheduling's decisions (see browser.js). Time zones
// come from the host's `Intl` (zones.js).
import { readFileSync } from 'node:fs';
import * as glue from './wasm/davkit_client.js';
import * as extras from './wasm/davkit_extras.js';
import { zoneRules } from './zones.js';
import { extrasNow, loadNow, withViews } from './api.js';
import { httpFetch, isNode } from './http.js';

loadNow(glue, readFileSync(new URL('./wasm/davkit_client_bg.wasm', import.meta.url)), undefined, isNode ? httpFetch : null);
extrasNow(extras, readFileSync(new URL('./wasm/davkit_extras_bg.wasm', import.meta.url)), zoneRules);
withViews();

export {
  init, DavClient, WriteQueue, DavError, isDavError, parseCalendar, parseContact, parseContacts, expand, coreVersion,
  markPending, recordWrite, recordDelete, recordRead,
  scheduleOrganizerAddress, scheduleInvite, scheduleUpdate, scheduleCancel, scheduleAnswer, scheduleNeedsAction, attendeeStatuses,
  itipRequest, itipReply, itipCancel, itipParse, itipApply, freeBusyRequestText,
} from './api.js';
export { EventEditor, ContactEditor, convertContact, Pkce, OAuthTokens, OAuthClient } from './edit.js';
