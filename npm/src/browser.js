// davkit for browsers and bundlers: fetches the .wasm next to this file (bundlers such as Vite
// and webpack 5 emit it as an asset from the `new URL(..., import.meta.url)` below).
import init from './wasm/davkit_wasm.js';
import { platform } from './api.js';

platform.browser = true;
await init({ module_or_path: new URL('./wasm/davkit_wasm_bg.wasm', import.meta.url) });

export {
  DavClient, DavError, isDavError, parseCalendar, parseContact, parseContacts, expand, coreVersion,
  GOOGLE_CALENDAR_API, parseNotification, channelNeedsRenewal, markPending,
} from './api.js';
