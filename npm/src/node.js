// davkit for node (>= 20), Deno and Bun: reads and compiles the .wasm from the package
// directory synchronously on import (no top-level await), so everything is ready at once and
// `init()` resolves immediately.
import { readFileSync } from 'node:fs';
import { initSync } from './wasm/davkit_wasm.js';
import { platform, markReady } from './api.js';

platform.browser = false;
initSync({ module: readFileSync(new URL('./wasm/davkit_wasm_bg.wasm', import.meta.url)) });
markReady();

export {
  init, DavClient, DavError, isDavError, parseCalendar, parseContact, parseContacts, expand, coreVersion,
  GOOGLE_CALENDAR_API, parseNotification, channelNeedsRenewal, markPending,
} from './api.js';
