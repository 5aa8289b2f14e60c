// davkit/gcal for node (>= 20), Deno and Bun: everything of `davkit` plus the Google Calendar API
// v3 client (the `gcal*` methods of DavClient, `parseNotification`, `channelNeedsRenewal`,
// `gcalAttendeeStatuses`, `GOOGLE_CALENDAR_API`), from the module built with every feature (the
// DAV client and the formats in one module; `davkit` has two). Reads and compiles the .wasm
// synchronously on import, like the `davkit` entry. Time zones come from `Intl` (zones.js).
import { readFileSync } from 'node:fs';
import * as glue from '../wasm/davkit_wasm.js';
import { zoneRules } from '../zones.js';
import { loadNow, withViews } from './api.js';
import { httpFetch, isNode } from '../http.js';

loadNow(glue, readFileSync(new URL('../wasm/davkit_wasm_bg.wasm', import.meta.url)), zoneRules, isNode ? httpFetch : null);
withViews();

export {
  init, DavClient, WriteQueue, DavError, isDavError, parseCalendar, parseContact, parseContacts, expand, coreVersion,
  GOOGLE_CALENDAR_API, parseNotification, channelNeedsRenewal, markPending, recordWrite, recordDelete, recordRead,
  scheduleOrganizerAddress, scheduleInvite, scheduleUpdate, scheduleCancel, scheduleAnswer, scheduleNeedsAction, attendeeStatuses,
  gcalAttendeeStatuses, itipRequest, itipReply, itipCancel, itipParse, itipApply, freeBusyRequestText,
} from './api.js';
export { EventEditor, ContactEditor, convertContact, Pkce, OAuthTokens, OAuthClient } from './edit.js';
