// Types of `davkit/formats`: iCalendar/vCard parsing, recurrence expansion, time zones and the
// editors, from a module without the DAV client (no `DavClient`, sync or write queue; see the
// README's "Size"). For apps that fetch with their own client, or with `davkit/protocol`: an
// editor's `save(client)` takes a `DavClient` of either entry. Each entry has its own module:
// `await init()` once before the functions (the node entry is ready on import).
import type { ContactSummary, EventSummary, Limits } from './index.js';

export {
  DavError, DavErrorKind, isDavError, init, Limits, TimeKind, TimeSummary, CalAddress, EventSummary, TypedValue,
  Address, StructuredName, ContactSummary, ParsedCalendar, parseCalendar, parseContact, parseContacts, ExpandOptions,
  Occurrence, Expansion, expand, coreVersion, EventTarget, EventTime, AlarmSummary, EditorOrigin, EventEditor,
  ContactEditor, convertContact,
} from './index.js';

/** What `parseView` returns: the parsed view a fetch with `parse` on attaches to an object. */
export interface ParsedView {
  /** For iCalendar text: its VEVENTs, VTODOs and VJOURNALs. */
  events?: EventSummary[];
  /** For vCard text: the first card. */
  contact?: ContactSummary;
  /** Set instead of `events`/`contact` when the text could not be parsed. */
  parseError?: string;
}

/**
 * The parsed view of one object's text, chosen by its first line (`BEGIN:VCALENDAR` or
 * `BEGIN:VCARD`; other text gives `{}`), under `limits` (the defaults when left out). A parse
 * failure is reported in `parseError`, not thrown.
 */
export function parseView(text: string, limits?: Limits): ParsedView;
