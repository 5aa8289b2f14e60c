// davkit for node (>= 20), Deno and Bun: loads the .wasm from the package directory.
import { readFile } from 'node:fs/promises';
import init from './wasm/davkit_wasm.js';
import { platform } from './api.js';

platform.browser = false;
await init({ module_or_path: await readFile(new URL('./wasm/davkit_wasm_bg.wasm', import.meta.url)) });

export {
  DavClient, DavError, isDavError, parseCalendar, parseContact, parseContacts, expand, coreVersion,
  GOOGLE_CALENDAR_API, parseNotification, channelNeedsRenewal, markPending,
} from './api.js';
