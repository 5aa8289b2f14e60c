// davkit/formats for browsers and bundlers: the formats without the DAV client (see node.js
// here), loaded like the full entry: `await init()` once before the functions (no top-level
// await). Bundlers emit the .wasm from the `new URL(...)` below; in a classic script it is looked
// up in `wasm/` next to the script, or wherever `init({ wasm })` says.
import * as glue from '../wasm/davkit_formats.js';
import { zoneRules } from '../zones.js';
import { loadInBrowser } from './api.js';

loadInBrowser(glue, () => new URL('../wasm/davkit_formats_bg.wasm', import.meta.url), 'wasm/davkit_formats_bg.wasm', zoneRules);

export { init, DavError, isDavError, parseCalendar, parseContact, parseContacts, expand, coreVersion } from './api.js';
export { parseView } from './view.js';
export { EventEditor, ContactEditor, convertContact } from './edit.js';
