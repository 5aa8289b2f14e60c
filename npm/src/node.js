// davkit for node (>= 20), Deno and Bun: reads and compiles the .wasm from the package
// directory synchronously on import (no top-level await), so everything is ready at once and
// `init()` resolves immediately. Time zones come from the host's `Intl` (zones.js).
import { readFileSync } from 'node:fs';
import * as glue from './wasm/davkit_main.js';
import { zoneRules } from './zones.js';
import { loadNow } from './api.js';
import { httpFetch, isNode } from './http.js';

loadNow(glue, readFileSync(new URL('./wasm/davkit_main_bg.wasm', import.meta.url)), zoneRules, isNode ? httpFetch : null);

export {
  init, DavClient, WriteQueue, DavError, isDavError, parseCalendar, parseContact, parseContacts, expand, coreVersion,
  markPending, recordWrite, recordDelete,
  scheduleOrganizerAddress, scheduleInvite, scheduleUpdate, scheduleCancel, scheduleAnswer, scheduleNeedsAction, attendeeStatuses,
  itipRequest, itipReply, itipCancel, itipParse, itipApply, freeBusyRequestText,
} from './api.js';
export { EventEditor, ContactEditor, convertContact, Pkce, OAuthTokens, OAuthClient } from './edit.js';
