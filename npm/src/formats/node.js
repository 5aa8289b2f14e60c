// davkit/formats for node (>= 20), Deno and Bun: iCalendar/vCard parsing, recurrence expansion,
// time zones and the editors, from a module without the DAV client (no DavClient): for apps that
// bring their own CalDAV/CardDAV client, or pair it with `davkit/protocol`. Reads and compiles
// the .wasm synchronously on import, like the full entry. Time zones come from `Intl` (zones.js).
import { readFileSync } from 'node:fs';
import * as glue from '../wasm/davkit_formats.js';
import { zoneRules } from '../zones.js';
import { loadNow } from './api.js';

loadNow(glue, readFileSync(new URL('../wasm/davkit_formats_bg.wasm', import.meta.url)), zoneRules);

export { init, DavError, isDavError, parseCalendar, parseContact, parseContacts, expand, coreVersion } from './api.js';
export { parseView } from './view.js';
export { EventEditor, ContactEditor, convertContact } from './edit.js';
