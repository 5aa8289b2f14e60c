// davkit/gcal for browsers and bundlers: everything of `davkit` plus the Google Calendar API v3
// client (see node.js here), loaded like the `davkit` entry (`init()`, or the first `DavClient`
// call; no top-level await). Bundlers emit the .wasm from the `new URL(...)` below; in a classic
// script it is looked up in `wasm/` next to the script, or wherever `init({ wasm })` says.
import * as glue from '../wasm/davkit_wasm.js';
import { zoneRules } from '../zones.js';
import { loadInBrowser, withViews } from './api.js';

loadInBrowser(glue, () => new URL('../wasm/davkit_wasm_bg.wasm', import.meta.url), 'wasm/davkit_wasm_bg.wasm', zoneRules);
withViews();

export {
  init, DavClient, WriteQueue, DavError, isDavError, parseCalendar, parseContact, parseContacts, expand, coreVersion,
  GOOGLE_CALENDAR_API, parseNotification, channelNeedsRenewal, markPending, recordWrite, recordDelete, recordRead,
  scheduleOrganizerAddress, scheduleInvite, scheduleUpdate, scheduleCancel, scheduleAnswer, scheduleNeedsAction, attendeeStatuses,
  gcalAttendeeStatuses, itipRequest, itipReply, itipCancel, itipParse, itipApply, freeBusyRequestText,
} from './api.js';
export { EventEditor, ContactEditor, convertContact, Pkce, OAuthTokens, OAuthClient } from './edit.js';
