// Types of `davkit/gcal`: everything of `davkit` (index.d.ts, re-exported) plus the Google
// Calendar API v3 client, from the module built with the `gcal` feature (about 41 KB gzip more
// than `davkit`'s, see the README's "Size"). Its `DavClient` is `davkit`'s with the `gcal*`
// methods; `davkit`'s own rejects them with an `Unsupported` DavError. Each entry has its own
// module and classes: use one of the two in an app.
import { DavClient as DavClientWithoutGcal, SyncState, SyncResult, WriteResult, Answer, AttendeeStatus, RecipientFreeBusy } from './index.js';

export * from './index.js';

export class DavClient extends DavClientWithoutGcal {
  // Google Calendar API v3: create the client with `serverUrl: GOOGLE_CALENDAR_API` and Bearer
  // auth (or a token provider). Events come as iCalendar `data` (with the parsed `events`) plus
  // Google's JSON in `json`; URLs are `<calendar>/events/<eventId>`.
  /** calendarList.list, all pages. */
  gcalCalendars(): Promise<CalendarListEntry[]>;
  /**
   * events.list: a full sync from no state (or an empty one), else an incremental one from the
   * stored sync token (a token Google no longer accepts restarts a full sync: `tokenWasReset`).
   * Give the same `query` on every sync of one state.
   */
  gcalSync(calendarId: string, state?: SyncState | string | null, options?: { query?: EventsQuery | null }): Promise<SyncResult>;
  /** events.insert of a Calendar API event resource. */
  gcalInsert(calendarId: string, event: Record<string, unknown>): Promise<WriteResult>;
  /** events.patch, only if the event's ETag is still `etag` (else `PreconditionFailed`). */
  gcalPatch(calendarId: string, eventId: string, patch: Record<string, unknown>, etag: string): Promise<WriteResult>;
  /** events.delete, only if the event's ETag is still `etag`. */
  gcalDelete(calendarId: string, eventId: string, etag: string): Promise<void>;
  /** events.watch: opens a push channel; Google never renews it (see `channelNeedsRenewal`). */
  gcalWatch(calendarId: string, watch: WatchRequest, options?: { query?: EventsQuery | null }): Promise<Channel>;
  /** channels.stop. */
  gcalStop(channel: Channel): Promise<void>;

  /** Calendar API: sets an event's attendees under If-Match, notifying as `send` says (default none). */
  gcalSetAttendees(calendarId: string, eventId: string, attendees: GcalAttendee[], etag: string, options?: { send?: SendUpdates }): Promise<WriteResult>;
  /** Calendar API: answers an invitation (retried after a 412); delegation is Unsupported. */
  gcalRespond(calendarId: string, eventId: string, myEmail: string, answer: Answer, options?: { send?: SendUpdates }): Promise<{ write: WriteResult | null; attempts: number }>;
  /** Calendar API freeBusy.query. */
  gcalFreeBusy(start: string, end: string, calendars: string[]): Promise<RecipientFreeBusy[]>;
}

/** The Calendar API's base URL, the `serverUrl` for the `gcal*` methods. */
export const GOOGLE_CALENDAR_API: 'https://www.googleapis.com/calendar/v3/';

/** One calendar of the user's calendar list. */
export interface CalendarListEntry {
  id: string;
  summary: string | null;
  description: string | null;
  timeZone: string | null;
  /** `#rrggbb`. */
  backgroundColor: string | null;
  accessRole: 'owner' | 'writer' | 'reader' | 'freeBusyReader' | null;
  primary: boolean;
}

/** events.list parameters. With a sync token only `singleEvents`, `showDeleted` and `maxResults` are allowed. */
export interface EventsQuery {
  /** RFC 3339. */
  timeMin?: string | null;
  timeMax?: string | null;
  updatedMin?: string | null;
  q?: string | null;
  orderBy?: 'startTime' | 'updated' | null;
  icalUid?: string | null;
  singleEvents?: boolean | null;
  showDeleted?: boolean | null;
  maxResults?: number | null;
}

/** What to ask of events.watch. */
export interface WatchRequest {
  /** Unique, 1 to 64 characters of `A-Za-z0-9-_+/=`. */
  channelId: string;
  /** The https URL Google posts notifications to. */
  address: string;
  /** A secret Google echoes in `X-Goog-Channel-Token`; notifications without it are refused. */
  token?: string | null;
  /** Requested time to live; Google may shorten it. */
  ttlSeconds?: number | null;
}

/** A push channel as Google confirmed it: store it with the sync state. */
export interface Channel {
  id: string;
  /** Google's id of the watched resource (needed to stop the channel). */
  resourceId: string;
  resourceUri?: string | null;
  token?: string | null;
  /** Expiry in milliseconds since the Unix epoch. */
  expirationMs?: number | null;
}

/** A checked push notification. */
export interface Notification {
  channelId: string;
  resourceId: string;
  resourceUri: string | null;
  /** `sync`: the channel is up; `exists`: run `gcalSync`; `not_exists`: the resource is gone. */
  state: 'sync' | 'exists' | 'not_exists';
  /** Increasing, not consecutive: for ordering and de-duplication. */
  messageNumber: number;
  expirationMs: number | null;
}

/** A webhook request's headers: node's `req.headers`, a fetch `Headers`, or `[name, value]` pairs. */
export type HeadersInput =
  | Record<string, string | string[] | undefined>
  | { forEach(callback: (value: string, name: string) => void): void; get(name: string): string | null }
  | [string, string][];

/**
 * Reads the `X-Goog-*` headers of a push notification and checks them against the stored
 * channel. Throws `DavError` `Unauthorized` (wrong or missing token), `NotFound` (another or a
 * stopped channel: ignore it) or `InvalidInput` (not a notification).
 */
export function parseNotification(headers: HeadersInput, channel: Channel): Notification;

/** Whether the channel expires within `marginMs` (default one hour) of `now` (default now): open a new one. */
export function channelNeedsRenewal(channel: Channel, options?: { now?: Date | number; marginMs?: number }): boolean;

export type SendUpdates = 'all' | 'external-only' | 'none';
export interface GcalAttendee { email: string; displayName?: string | null; optional?: boolean; responseStatus?: string | null }
export function gcalAttendeeStatuses(event: Record<string, unknown>): AttendeeStatus[];
