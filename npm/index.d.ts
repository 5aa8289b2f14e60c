// Public types of the `davkit` npm package (hand-written; checked with `tsc --noEmit` in the
// tests). Field names are the core's in camelCase. Dates are ISO 8601 strings with their zone
// information (`kind`, `tzid`, `utc`), never JS `Date`s, so nothing is lost or shifted.
//
// Over 800 lines on purpose: this one file declares the types of `davkit`, `davkit/protocol`
// and `davkit/formats`, and protocol.d.ts and formats.d.ts re-export their parts from it, so a
// type is the same type whichever entry an app imports it from (an editor's `save(client)` takes
// either entry's `DavClient`). gcal.d.ts (`davkit/gcal`) re-exports all of it and adds the
// Google Calendar API: a `DavClient` with the `gcal*` methods, which `davkit`'s module does not
// have, and the Calendar API's functions and types. It holds declarations and their docs only,
// in sections by topic. Splitting it would publish declaration files no entry names
// (package.json "files", checked exactly by test/package.test.mjs) for no change to any entry's
// types.

/** Stable error kinds (the core's `ErrorKind`). */
export type DavErrorKind =
  | 'Http' | 'Unauthorized' | 'Forbidden' | 'NotFound' | 'PreconditionFailed' | 'InvalidSyncToken'
  | 'RateLimited' | 'Xml' | 'ICalendar' | 'VCard' | 'Protocol' | 'InvalidInput' | 'Unsupported'
  | 'Redirect' | 'Transport' | 'LimitExceeded';

/** Every failure davkit reports. Messages and fields never contain credentials. */
export class DavError extends Error {
  readonly name: 'DavError';
  /** What went wrong, as a stable string. */
  readonly kind: DavErrorKind;
  /** The HTTP status, when the error came from a response. */
  readonly status: number | null;
  /** The URL concerned (without user-info), when known. */
  readonly url: string | null;
  /** The first characters of the response body, when there was one. */
  readonly bodyExcerpt: string | null;
  /** For `RateLimited`: seconds the server asked to wait. */
  readonly retryAfter: number | null;
  constructor(message: string, details?: { kind?: DavErrorKind; status?: number | null; url?: string | null; bodyExcerpt?: string | null; retryAfter?: number | null; cause?: unknown });
}

/** True when `value` is a `DavError` (of `kind`, when given). */
export function isDavError(value: unknown, kind?: DavErrorKind): value is DavError;

/**
 * Loads davkit's two WebAssembly modules once (later calls return the same promise): the first
 * has the DAV client and OAuth, the second the formats (parsed views, `parseCalendar`,
 * `expand`, the editors), the write queue and scheduling. Browsers and bundlers: `await init()` before
 * the synchronous functions (`parseCalendar`, `expand`, `new WriteQueue()`, ...); `DavClient`
 * methods load the first themselves, and the second when they need it (with their request out,
 * for results whose objects get parsed views), so an app's first request waits for the first
 * module only. The node entry is ready on import. `wasm` and `extrasWasm` say where the first
 * and the second `.wasm` are when they are not in `wasm/` next to the entry (or to the bundle).
 */
export function init(options?: {
  wasm?: string | URL | Request | Response | BufferSource | WebAssembly.Module;
  extrasWasm?: string | URL | Request | Response | BufferSource | WebAssembly.Module;
}): Promise<void>;

/** The `fetch` davkit calls: by default the global one (in node: the package's own over node:http, see `DavClientOptions.fetch`). Inject one for CORS proxies, tests, workers. */
export type FetchLike = (url: string, init: {
  method: string;
  headers: [string, string][];
  /** A Uint8Array copy of the request body. */
  body?: BufferSource;
  redirect: 'follow' | 'manual';
  /** Aborted when the request is given up (`idleTimeoutMs`): pass it on to the request. */
  signal?: AbortSignal;
}) => Promise<Response>;

/**
 * Static credentials: HTTP Basic (RFC 7617), HTTP Digest (RFC 7616: nothing is sent until the
 * server's 401 challenge, which davkit answers; the password itself never travels) or an OAuth
 * bearer token (RFC 6750).
 */
export type StaticAuth =
  | { basic: { username: string; password: string } }
  | { digest: { username: string; password: string } }
  | { bearer: string };

/**
 * An OAuth token provider: called before each operation (return a cached token) and again with
 * `{ refresh: true }` after a 401, after which the operation is retried once (the core's rule, as
 * in every language). Return the access token (or static credentials). If it throws, the call
 * fails with the `DavError` it threw, or with `Unauthorized` naming its message.
 */
export type TokenProvider = (context: { refresh: boolean }) => Promise<string | StaticAuth> | string | StaticAuth;

export interface DavClientOptions {
  /** Server root, well-known host, principal or collection URL. */
  serverUrl: string;
  /** Credentials or a token provider; omitted means no `Authorization`. */
  auth?: StaticAuth | TokenProvider;
  /**
   * The `fetch` to use. Default: in node, the package's own transport over node:http(s) (less
   * work per request than node's `fetch`; it does not follow redirects, which the core does, and
   * it hands `redirect: 'follow'` requests to `globalThis.fetch`); elsewhere `globalThis.fetch`.
   */
  fetch?: FetchLike;
  /** Provider profile; picked from the URL when omitted. */
  profile?: 'generic' | 'icloud' | 'google-caldav' | 'google-carddav' | 'google-calendar-api' | 'sogo';
  /** `User-Agent` to send (node only; browsers do not let pages set it). */
  userAgent?: string;
  /** How many hrefs one multiget REPORT asks for at most (default 1000; multigets are also cut by the members' reported sizes to stay within half of `limits.maxBodyBytes`). */
  multigetBatchSize?: number;
  /** How many requests may be in flight at once (default 4). */
  maxParallelRequests?: number;
  /** `DAV:limit` for sync-collection pages. */
  syncPageLimit?: number;
  /**
   * How long a request may go without progress from the server (to the answer's head, then
   * between pieces of its body) before it fails with a `Transport` error, "timed out": default
   * 60,000 ms, as the native and mobile transports; 0: no limit. A `fetch` of your own gets
   * `init.signal`, aborted then (one that ignores it is given up all the same, its answer left
   * unheard). A large answer on a slow link takes as long as it needs; a silent server or a dead
   * connection no longer holds a call forever.
   */
  idleTimeoutMs?: number;
  /** Who follows redirects: `fetch` ('follow', the default and only choice in browsers) or the core ('manual', the default elsewhere). */
  redirect?: 'follow' | 'manual';
  /** Do not send `User-Agent` (default: true in browsers). */
  omitUserAgent?: boolean;
  /**
   * Retries after rate limits (429, 503, Google's 403 rateLimitExceeded): bounded exponential
   * backoff that honours `Retry-After`. Default { maxRetries: 3, initialDelayMs: 1000,
   * maxDelayMs: 32000 }; `false` turns retries off.
   */
  retry?: false | { maxRetries?: number; initialDelayMs?: number; maxDelayMs?: number };
  /**
   * The parsed `events`/`contact` of fetched objects: 'lazy' (the default) parses each object
   * when its `events`/`contact`/`parseError` is first read (own enumerable getters, so
   * `JSON.stringify` and spreading see them; once read, plain values); true computes every
   * object's view with the result; false keeps only the raw text.
   */
  parse?: boolean | 'lazy';
  /**
   * Bounds on what a server or its data can make davkit hold or compute; fields left out keep
   * their defaults, an unknown field is an `InvalidInput` error. A limit that is hit is a
   * `LimitExceeded` error (expansion budgets: a `truncated` result).
   */
  limits?: Limits;
  /** How to wait before a retry (default `setTimeout`); a seam for tests and custom runtimes. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The core's `Limits` (the table "Limits" in ARCHITECTURE.md and the npm README). Every field is
 * optional; the default is given in each.
 */
export interface Limits {
  /**
   * Largest response body in bytes (default 64 MiB). Checked on the body `fetch` hands over,
   * which the runtime has already decoded: `fetch` itself cannot be stopped earlier.
   */
  maxBodyBytes?: number;
  /** Deepest XML element nesting (default 128). */
  maxXmlDepth?: number;
  /** Most elements in one XML body (default 1,000,000). */
  maxXmlElements?: number;
  /** Most bytes of text directly inside one XML element, or in one attribute (default 16 MiB). */
  maxXmlTextBytes?: number;
  /** Most attributes on one XML element (default 256). */
  maxXmlAttributes?: number;
  /** Most namespace declarations on one XML element (default 64). */
  maxXmlNamespaceDeclarations?: number;
  /** Most hrefs in one `DAV:response` (default 10,000). */
  maxHrefsPerResponse?: number;
  /** Most content lines in one object parsed for `events`/`contact` (default 2,000,000; past it: `parseError`). */
  maxContentLines?: number;
  /**
   * Recurrence budgets of the core (defaults 10,000 occurrences, 1,000,000 steps per RRULE,
   * 10,000,000 steps in all; past one an expansion is `truncated` with its reason). Accepted so
   * one limits object fits every binding; the client expands nothing itself, and `expand()`
   * takes its own `maxInstances`.
   */
  maxInstances?: number;
  /** See `maxInstances`. */
  maxIterations?: number;
  /** See `maxInstances`. */
  maxTotalIterations?: number;
  /** Most home sets one discovery asks for (default 32). */
  maxHomeSets?: number;
  /** Most collections one discovery returns (default 10,000). */
  maxCollections?: number;
  /** Most pages one sync fetches (default 10,000). */
  maxSyncPages?: number;
  /** Most redirects one request follows when the core follows them (`redirect: 'manual'`; default 5). */
  maxRedirects?: number;
  /**
   * Most values in one JSON answer of the Calendar API, a page of events above all, weighed by
   * what they cost parsed: a value 1, a key 2, an object with members 12 more, an array with
   * items 2 more (default 2,000,000; an event with three attendees weighs about 260).
   */
  maxJsonValues?: number;
}

export type CollectionKind = 'calendar' | 'addressbook' | 'other';

export interface Collection {
  url: string;
  kind: CollectionKind;
  displayName: string | null;
  description: string | null;
  /** `#RRGGBB` or `#RRGGBBAA`. */
  color: string | null;
  ctag: string | null;
  syncToken: string | null;
  /** Supported components (`VEVENT`, `VTODO`); empty means all. */
  components: string[];
  privileges: string[];
  /** Every resource type as `{namespace}name`. */
  resourceTypes: string[];
  addMemberUrl: string | null;
  supportsSyncCollection: boolean | null;
}

/** A collection by URL, with its kind where the operation needs it. */
export type CollectionRef = string | { url: string; kind?: CollectionKind; addMemberUrl?: string | null };

export interface Discovery {
  principal: string | null;
  calendarHomeSets: string[];
  addressbookHomeSets: string[];
  collections: Collection[];
  /** RFC 6638 scheduling (empty fields when the server does not schedule). */
  scheduling: Scheduling;
}

export interface CollectionProps {
  displayName?: string | null;
  description?: string | null;
  color?: string | null;
  /** For calendars: components it will hold. */
  components?: string[];
}

export type TimeKind = 'date' | 'floating' | 'utc' | 'zoned';

/** A date or time with its zone information. */
export interface TimeSummary {
  /** `2026-01-02`, `2026-01-02T03:04:05` (floating or zoned local time) or `2026-01-02T03:04:05Z`. */
  value: string;
  kind: TimeKind;
  /** The TZID of zoned values. */
  tzid: string | null;
  /** The instant in UTC when it could be resolved (UTC and zoned values). */
  utc: string | null;
}

export interface CalAddress {
  uri: string;
  email: string | null;
  cn: string | null;
  role: string | null;
  partstat: string | null;
  rsvp: boolean | null;
  cutype: string | null;
}

/** A VEVENT, VTODO or VJOURNAL. */
export interface EventSummary {
  component: 'VEVENT' | 'VTODO' | 'VJOURNAL' | string;
  uid: string | null;
  summary: string | null;
  description: string | null;
  location: string | null;
  status: string | null;
  sequence: number | null;
  categories: string[];
  start: TimeSummary | null;
  /** DTEND, or DTSTART + DURATION (DUE for a VTODO). */
  end: TimeSummary | null;
  allDay: boolean;
  rrule: string[];
  recurrenceId: TimeSummary | null;
  /** PRIORITY (0-9). */
  priority: number | null;
  /** PERCENT-COMPLETE (a VTODO's). */
  percentComplete: number | null;
  /** COMPLETED (a VTODO's). */
  completed: TimeSummary | null;
  organizer: CalAddress | null;
  attendees: CalAddress[];
}

export interface TypedValue {
  value: string;
  types: string[];
  pref: number | null;
  group: string | null;
  label: string | null;
}

export interface Address {
  poBox: string;
  extended: string;
  street: string;
  locality: string;
  region: string;
  postalCode: string;
  country: string;
  types: string[];
  pref: number | null;
  label: string | null;
  group: string | null;
}

export interface StructuredName {
  family: string;
  given: string;
  additional: string;
  prefixes: string;
  suffixes: string;
}

export interface ContactSummary {
  /** 2.1 is read (its quoted-printable values decoded), never written. */
  version: 'V2_1' | 'V3' | 'V4' | null;
  uid: string | null;
  fullName: string | null;
  name: StructuredName | null;
  nicknames: string[];
  emails: TypedValue[];
  tels: TypedValue[];
  addresses: Address[];
  org: string[] | null;
  title: string | null;
  /** ISO text; `--04-15` for a birthday without year. */
  birthday: string | null;
  note: string | null;
  urls: TypedValue[];
  categories: string[];
  kind: string;
  members: string[];
  photoUri: string | null;
  hasPhoto: boolean;
  rev: string | null;
}

/** A calendar object or vCard resource: the raw text and, when fetched, its parsed view. */
export interface DavObject {
  url: string;
  /** Opaque, verbatim (quotes included). */
  etag: string | null;
  /** The iCalendar or vCard text, when it was fetched. */
  data: string | null;
  /** For iCalendar data: its VEVENTs, VTODOs and VJOURNALs. */
  events?: EventSummary[];
  /** For vCard data. */
  contact?: ContactSummary;
  /** Set instead of `events`/`contact` when the data could not be parsed. */
  parseError?: string;
  /** For Google Calendar API events (`gcalSync`): the event resource as Google sent it, JSON text. */
  json?: string;
}

/** What a write left on the server. */
export interface WriteResult {
  /** The resource's URL (for `postObject`, where the server put it). */
  url: string;
  /** The new ETag when the server returned one. */
  etag: string | null;
  /** The object as the server stored it, when the provider's profile reads it back after writing (Google rewrites what it stores). */
  data: string | null;
  /**
   * A create found something already at that URL and replaced it: the server ignored
   * `If-None-Match: *` and answered 200 or 204 instead of 201. Never true for a clean create.
   */
  replaced: boolean;
}

/**
 * What `sync` returns and accepts: plain JSON, safe to store (localStorage, IndexedDB) and pass
 * back unchanged. The core's snake_case form (`collection_url`, `sync_token`) is accepted too,
 * and so is a text: `SyncResult.stateJson`, or what `JSON.stringify` makes of a state object.
 */
export interface SyncState {
  collectionUrl: string;
  syncToken?: string | null;
  ctag?: string | null;
  /** href -> ETag of every member delivered so far. */
  etags?: Record<string, string>;
  /**
   * Hrefs still owed to the app: members the server listed as changed that a sync could not
   * deliver (see `SyncResult.problems`), or that the app gave back with `markPending`. The next
   * sync fetches each of them whatever the server reports. Absent when nothing is owed. Keep it
   * when storing the state: a state stored without it loses those changes.
   */
  pending?: string[];
  /**
   * For pending members, the ETag the next answer must be at: the one their listing named (a
   * member left for a later batch), or the one of an answer that came under another ETag than
   * its listing's (a replica behind answers an older version). Two answers that agree settle a
   * member. Absent when empty. Keep it with `pending`.
   */
  listed?: Record<string, string>;
  /** Set when a batched sync stopped here with members of its listing pending: the next `syncBatch` fetches them without a new report. Keep it when storing the state. */
  more?: boolean;
}

/** A member a sync could not deliver, and why. It is in `state.pending` where fetching it again can help, and it is never reported as deleted. */
export interface MemberProblem {
  /** The member's URL. */
  url: string;
  /** What went wrong: `Http` for an error row, `Protocol` for a missing one. */
  kind: DavErrorKind;
  /** The status the server gave for this member, when it gave one. */
  status: number | null;
  /** A short explanation. */
  message: string;
}

export type Change =
  | ({ type: 'added' } & DavObject)
  | ({ type: 'changed' } & DavObject)
  | { type: 'deleted'; url: string };

export interface SyncResult {
  /** Every change since the state given, with data (and parsed view) for additions and changes. */
  changes: Change[];
  /**
   * Store this after applying `changes`; pass it to the next `sync`. Made when first read (the
   * result carries the state as text, `stateJson`); assigning to it replaces it.
   */
  state: SyncState;
  /**
   * The same state as the core's JSON text (snake_case, as the other davkit bindings store it),
   * to store as it is and pass back to `sync`, `syncBatch`, `syncBatches` or `markPending`: for a
   * large collection (10,000 members: about 1 MB) it saves making the `state` object and writing
   * it out again, and a `syncBatches` loop whose body never reads `state` passes the text on to
   * the next batch as it came. Not enumerable (`JSON.stringify(result)` is unchanged), and not
   * changed by an assignment to `state`.
   */
  readonly stateJson: string;
  method: 'sync-collection' | 'ctag-unchanged' | 'etag-listing';
  /** The server rejected the stored token; the changes come from a full listing. */
  tokenWasReset: boolean;
  /**
   * Members the server listed as changed that this sync could not deliver (an error row or no
   * row, asked twice; a Calendar API event that cannot be read). Empty when everything arrived.
   * The returned `state` owes them (`state.pending`), so the next sync tries again.
   */
  problems: MemberProblem[];
  /**
   * A batched sync (`syncBatch`, `syncBatches`) can make progress if called again now: it left
   * members for the next batch, waiting in `state.pending`. Apply `changes`, store `state` (a
   * checkpoint: resuming from it loses and repeats nothing), and sync again from it while `more`
   * is `true`; no other check is needed. `false` when no member is left, and when the batch
   * delivered nothing and left the same members owed as it was given (the same members failed
   * again: they stay pending and in `problems` for the next sync). Always `false` for `sync` and
   * `gcalSync`.
   */
  more: boolean;
}

/** Options of `syncBatch` and `syncBatches`. */
export interface SyncBatchOptions {
  /** The collection kind, when `collection` is a bare URL or has none. */
  kind?: CollectionKind;
  /**
   * At most this many members are fetched per batch (a whole number from 1; default 500).
   * The data held is one batch's (plus the list of what changed), not the collection's.
   */
  maxMembers?: number;
}

export interface MultigetResult {
  objects: DavObject[];
  /** Hrefs the server reported missing, as absolute URLs. */
  missing: string[];
  /**
   * Hrefs asked for that the answer neither delivered nor reported missing (left out, or a
   * failed row), as absolute URLs. Nothing is known about them: not a deletion; ask again.
   */
  unanswered: string[];
}

/** `Date`, ISO 8601 text, or CalDAV's `YYYYMMDDTHHMMSSZ`. */
export type DateInput = Date | string;

export interface CalendarFilter {
  /** Default `VEVENT`. */
  component?: string;
  start?: DateInput;
  end?: DateInput;
}

export class DavClient {
  constructor(options: DavClientOptions);
  /** Principal, home sets, calendars and address books (default service: both). */
  discover(options?: { service?: 'caldav' | 'carddav' | 'both' }): Promise<Discovery>;
  listCalendars(): Promise<Collection[]>;
  listAddressBooks(): Promise<Collection[]>;
  listCollections(homeUrl: string): Promise<Collection[]>;
  getCollection(collection: CollectionRef): Promise<Collection>;
  createCalendar(homeUrl: string, slug: string, props?: CollectionProps): Promise<Collection>;
  createAddressBook(homeUrl: string, slug: string, props?: CollectionProps): Promise<Collection>;
  /** `kind` of the ref picks the description property (default calendar). */
  /**
   * With `read` (the collection as you last read it), each property being changed must still
   * have the value you read, else a `PreconditionFailed` DavError and nothing is written.
   */
  updateCollection(collection: CollectionRef, props: CollectionProps, read?: Collection | null): Promise<void>;
  /**
   * With `read` (the collection as you last read it), deletes only if its ctag and sync-token
   * are unchanged (else `PreconditionFailed`); without it, deletes unconditionally.
   */
  deleteCollection(collection: CollectionRef, read?: Collection | null): Promise<void>;
  /**
   * Members with their ETags (no data). A member whose row failed is listed with `etag: null`
   * (it exists; read it); a listing the server cut short (507) or whose collection answered 404
   * rejects, never a shorter list.
   */
  listObjects(collection: CollectionRef): Promise<DavObject[]>;
  /** calendar-query: objects of a component overlapping a time range, with data. */
  calendarQuery(collection: CollectionRef, filter?: CalendarFilter): Promise<DavObject[]>;
  multiget(collection: CollectionRef, hrefs: string[]): Promise<MultigetResult>;
  /**
   * Sends a `WriteQueue` (call `queue.beginFlush()` and store its text first). Entries the
   * server confirmed leave the queue, which is updated in place (edits made while the flush
   * ran are kept); conflicts are resolved by policy or kept with both versions. A transport,
   * rate-limit or server error, or a refusal for now (408, 421, 425), stops the flush early
   * (`stopped`; that entry and the rest stay queued and pending); a 423 Locked keeps its entry
   * pending with the later ones of its collection or its UID, and the flush goes on with the
   * others (`stopped` is the 423 then); any other refusal marks its entry failed and the flush
   * goes on.
   * Store `queue.toJson()` afterwards. Not in davkit/protocol (it has no `WriteQueue`):
   * rejects with `Unsupported` there.
   */
  flush(queue: WriteQueue): Promise<FlushResult>;
  getObject(object: string | { url: string }): Promise<DavObject>;
  /** Fails with `PreconditionFailed` if the name is taken. */
  createObject(collection: CollectionRef, name: string, data: string): Promise<WriteResult>;
  /** Replaces the object only if its ETag still matches (`PreconditionFailed` otherwise). */
  updateObject(object: string | { url: string; etag?: string | null }, data: string, etag?: string): Promise<WriteResult>;
  deleteObject(object: string | { url: string; etag?: string | null }, etag?: string): Promise<void>;
  /** RFC 5995 POST to the collection's add-member URL. */
  postObject(collection: CollectionRef, data: string): Promise<WriteResult>;
  /**
   * Changes since `state` (everything when omitted) and the state to store for next time. A
   * state of another collection is refused with `InvalidInput`. The client keeps the last
   * result's state of each collection parsed, and a sync given that state unchanged (its
   * `stateJson`, or the object its `state` made) starts from it without reading it again.
   */
  sync(collection: CollectionRef, state?: SyncState | string | null, options?: { kind?: CollectionKind }): Promise<SyncResult>;
  /**
   * One batch of a sync: like `sync`, but fetches at most `maxMembers` members. The rest wait in
   * the returned `state.pending` and `more` is `true`: apply `changes`, store `state`, and call
   * again with it until `more` is `false`. Every returned `state` is a checkpoint: resuming from
   * it (after a reload, a crash, the next day) neither loses nor repeats a change.
   */
  syncBatch(collection: CollectionRef, state?: SyncState | string | null, options?: SyncBatchOptions): Promise<SyncResult>;
  /**
   * The batch loop as an async iterator: one `syncBatch` per step, each from the `state` the
   * previous batch left. Apply each batch and store its `state` in the loop body; the next batch
   * is fetched only when the loop asks for it, from `batch.state` as the body left it (replace it
   * with `markPending(batch.state, url)` to hand a change back). Goes on while that state's
   * `more` is `true`: it ends after the batch with `more: false` (no member left, or the same
   * members failed again and nothing else moved: they stay pending, their `problems` say why,
   * and the next sync tries them again), and after a body that handed a change back
   * (`markPending` clears `more`, so a change the app cannot store is not fetched again and again).
   * A body that stores `batch.stateJson` and never reads `batch.state` keeps the state as text
   * from batch to batch (the least memory for a large collection).
   */
  syncBatches(collection: CollectionRef, state?: SyncState | string | null, options?: SyncBatchOptions): AsyncGenerator<SyncResult, void, undefined>;

  // Scheduling (RFC 6638; full entry only: davkit/protocol rejects these with Unsupported).
  /** Reads a scheduling object with its ETag and Schedule-Tag. */
  getScheduled(object: string | { url: string }): Promise<ScheduledObject>;
  /** Writes an attendee's copy under If-Schedule-Tag-Match (PreconditionFailed after an organizer change). */
  updateScheduled(object: string | { url: string; scheduleTag?: string | null }, data: string, scheduleTag?: string): Promise<ScheduledWrite>;
  /** Answers an invitation (the series, or `occurrence`: its RECURRENCE-ID), re-read and retried after a 412. */
  respond(object: string | { url: string }, myAddresses: string[], answer: Answer, options?: { occurrence?: string }): Promise<Responded>;
  /** Inbox items and NEEDS-ACTION objects of the calendars (events and tasks overlapping `range` when given). */
  pendingInvitations(options: { inboxUrl?: string | null; calendarUrls: (string | { url: string })[]; myAddresses: string[]; range?: { start?: string; end?: string } | null }): Promise<Pending>;
  /** RFC 4791 free-busy-query over a UTC window (`YYYYMMDDTHHMMSSZ`). */
  freeBusyQuery(calendar: string | { url: string }, start: string, end: string): Promise<FreeBusy>;
  /** RFC 6638 §5 free-busy request through the organizer's outbox. */
  outboxFreeBusy(outboxUrl: string, request: FreeBusyRequest): Promise<RecipientFreeBusy[]>;
}

/**
 * Marks a member the app could not apply (a row it could not store) as owed: returns a copy of
 * `state` (the one given is not changed) in which `href` is pending and its ETag forgotten, so
 * the next `sync` fetches it again and reports what the server has then. Call it on the state a
 * sync returned, before storing it. It also clears `more`, ending a `syncBatches` loop: the next
 * sync asks the server again. The core's `SyncState::mark_pending`.
 */
export function markPending(state: SyncState | string, href: string): SyncState;

/**
 * Records a write the app made itself (`createObject`, `updateObject`, `putObject`, ... : its
 * result, or `{ url, etag }`): returns a copy of `state` (the one given is not changed) in which
 * the member is known at that ETag, so the next `sync` does not report it back as a change, and
 * later changes of it come under this `url` whatever spelling the server lists it by (`%40` for
 * `@`, `(` for `%28`): a copy keyed by URL meets one spelling per member. Without an ETag (a
 * server that gave none) the member is marked pending, so the next sync fetches the server's
 * version. Call it on the state stored for the write's collection. The core's
 * `SyncState::record_write`.
 */
export function recordWrite(state: SyncState | string, result: { url: string; etag?: string | null }): SyncState;

/**
 * Records a deletion the app made itself (`deleteObject`): returns a copy of `state` without the
 * member, so the next `sync` does not report it. The core's `SyncState::record_delete`.
 */
export function recordDelete(state: SyncState | string, url: string): SyncState;

/**
 * Records a version the app read itself, outside a sync (`getObject`; a flush's outcome whose
 * version came from a read: `written` with `how: 'already-applied'` at the outcome's `url` and
 * `etag`, or the `server` object of `server-kept`): returns a copy of `state` in which the member
 * is known at that ETag and stays pending with it as the check, so the next `sync` fetches it
 * again: nothing is reported when the server still holds that version, and what it holds
 * otherwise. A replica behind the server (iCloud and Google are eventually consistent) may have
 * answered the read with an older version, which `recordWrite` would keep for good once the
 * state's token is past the newer one. Without an ETag the member is pending. The core's
 * `SyncState::record_read`.
 */
export function recordRead(state: SyncState | string, object: { url: string; etag?: string | null }): SyncState;

export interface ParsedCalendar {
  /** X-WR-CALNAME / NAME. */
  name: string | null;
  method: string | null;
  events: EventSummary[];
}

/** `discovery.scheduling` (RFC 6638): empty fields when the server does not schedule. */
export interface Scheduling {
  userAddresses: string[];
  preferredAddress: string | null;
  inboxUrl: string | null;
  outboxUrl: string | null;
  defaultCalendarUrl: string | null;
  /** The server delivers invitations itself (`calendar-auto-schedule`); `null`: no answer said. */
  autoSchedule: boolean | null;
}
/** `'accepted' | 'declined' | 'tentative'`, or delegation to a calendar-user address. */
export type Answer = 'accepted' | 'declined' | 'tentative' | { delegated: string };
/** A calendar-user address: `mailto:..`, a bare e-mail, or with parameters. */
export type CalAddressInput = string | { uri: string; cn?: string | null; role?: string | null; partstat?: string | null; rsvp?: boolean | null; cutype?: string | null };
export type PartStat = 'needs-action' | 'accepted' | 'declined' | 'tentative' | 'delegated' | { other: string };
export type ItipMethod = 'publish' | 'request' | 'reply' | 'add' | 'cancel' | 'refresh' | 'counter' | 'decline-counter' | { other: string };
export type FbType = 'busy' | 'busy-unavailable' | 'busy-tentative' | { other: string };
export interface ScheduledObject { url: string; etag: string | null; scheduleTag: string | null; data: string }
export interface ScheduledWrite { url: string; etag: string | null; scheduleTag: string | null }
export interface Responded { write: ScheduledWrite | null; attempts: number; data: string }
export interface Invitation {
  object: ScheduledObject; inInbox: boolean; method: ItipMethod | null; uid: string;
  summary: string | null; organizer: string | null;
  /** `null` for the series, else an override's RECURRENCE-ID. */
  needsAction: (string | null)[];
}
export interface Pending { invitations: Invitation[]; unreadable: string[] }
export interface AttendeeStatus {
  recurrenceId: string | null; address: string; name: string | null; partstat: PartStat; rsvp: boolean;
  scheduleAgent: 'server' | 'client' | 'none' | { other: string };
  scheduleStatus: { code: string }[]; delegatedTo: string[]; delegatedFrom: string[];
}
export interface BusyPeriod { start: string; end: string; fbType: FbType }
export interface FreeBusy { start: string; end: string; busy: BusyPeriod[] }
export interface FreeBusyRequest { organizer: string; attendees: string[]; start: string; end: string; uid: string; dtstamp: string }
export interface RecipientFreeBusy { recipient: string; requestStatus: string; ok: boolean; busy: BusyPeriod[] }
/** The ORGANIZER to write for a principal, or null when the server reported no address. */
export function scheduleOrganizerAddress(scheduling: Scheduling): (CalAddressInput & object) | null;
/** ORGANIZER and ATTENDEEs set, SEQUENCE 0 where absent, DTSTAMP (UTC) set: the text to create. */
export function scheduleInvite(ics: string, organizer: CalAddressInput, attendees: CalAddressInput[], dtstamp: string): string;
/** An edited meeting against the version read: SEQUENCE bumped on a significant change. */
export function scheduleUpdate(oldIcs: string, newIcs: string, dtstamp: string, options?: { resetAnswers?: boolean }): { ics: string; changes: { recurrenceId: string | null; significant: boolean; sequence: number }[] };
/** The whole meeting cancelled, or one occurrence. */
export function scheduleCancel(ics: string, dtstamp: string, options?: { occurrence?: string }): string;
/** An answer written in a copy held locally (no request). */
export function scheduleAnswer(ics: string, myAddresses: string[], answer: Answer, options?: { occurrence?: string }): string;
export function scheduleNeedsAction(ics: string, myAddresses: string[]): (string | null)[];
export function attendeeStatuses(ics: string): AttendeeStatus[];
/** iTIP (RFC 5546) text for servers that do not schedule. */
export function itipRequest(ics: string): string;
export function itipReply(ics: string, myAddresses: string[], dtstamp: string, options?: { occurrence?: string }): string;
export function itipCancel(ics: string, options?: { occurrence?: string }): string;
export function itipParse(text: string): { method: ItipMethod; uid: string; sequence: number; replyingAttendee: { uri: string } | null; storedIcs: string };
export function itipApply(storedIcs: string, message: string, myAddresses: string[]): { applied: { outcome: 'updated' | 'outdated' | 'unknown-attendee' | 'unhandled' }; ics: string };
export function freeBusyRequestText(request: FreeBusyRequest): string;

export function parseCalendar(text: string): ParsedCalendar;
export function parseContact(text: string): ContactSummary;
export function parseContacts(text: string): ContactSummary[];

export interface ExpandOptions {
  /** Window start (inclusive), an instant. */
  start: DateInput;
  /** Window end (exclusive). */
  end: DateInput;
  /** Stop after this many occurrences (then `truncated`), default 10000. */
  maxInstances?: number;
  /** IANA zone for floating and all-day values (default UTC). */
  floatingTimeZone?: string;
  /** Prefer the object's VTIMEZONE over the IANA database. */
  preferVtimezone?: boolean;
}

export interface Occurrence {
  uid: string | null;
  /** The original start that names this occurrence (as RECURRENCE-ID). */
  recurrenceId: string;
  /** Start in the form of DTSTART (date, floating, UTC or local time in `tzid`). */
  start: string;
  end: string;
  startUtc: string;
  endUtc: string;
  tzid: string | null;
  allDay: boolean;
  /** An overriding component (RECURRENCE-ID) supplies this occurrence. */
  isOverride: boolean;
  summary: string | null;
  location: string | null;
}

export interface Expansion {
  /** Sorted by start. */
  occurrences: Occurrence[];
  truncated: boolean;
  warnings: string[];
}

/** Expands recurring events (RRULE, RDATE, EXDATE, overrides; IANA zones from the host's Intl). */
export function expand(text: string, options: ExpandOptions): Expansion;

/** The davkit core version in this build. */
export function coreVersion(): string;

/** How a write queue resolves a conflict (a 412, or the object changed or gone on the server). */
export type QueuePolicy = 'keep-both' | 'server-wins' | 'local-wins' | 'newest-wins' | 'merge';

/** One queued change (`WriteQueue.entries()`). */
export interface QueueEntry {
  id: number;
  rev: number;
  collectionUrl: string;
  url: string;
  op: { type: 'create' | 'update'; data: string } | { type: 'delete' };
  baseEtag: string | null;
  baseData?: string;
  policy?: QueuePolicy;
  runs: number;
  sent?: string[];
  /** The URL it was queued under, when a sync found its earlier write under another name and it moved there (the outcome's `queuedUrl`). */
  movedFrom?: string;
  /** What a flush's read answered once where one answer cannot end the entry (another version than its base, or `404`): the next flush's read must answer the same. */
  readOnce?: string;
  state:
    | { state: 'pending' }
    | { state: 'conflict'; server: DavObject | null; reason: string }
    | { state: 'failed'; error: { kind: DavErrorKind; message: string } };
}

/** How a flush's write came about. */
export type QueueResolved = 'clean' | 'already-applied' | 'local-wins' | 'merged';

/** What a flush did with one entry. */
export interface QueueOutcome {
  id: number;
  rev: number;
  /** Where the object is on the server now. */
  url: string;
  /** The URL the entry was queued under: when it differs from `url`, nothing is left there (drop what the app shows at it). */
  queuedUrl: string;
  kind:
    | {
        type: 'written'; etag: string | null; data: string | null; how: QueueResolved;
        /** A create the server answered 200 or 204 instead of 201: it ignored `If-None-Match: *` and replaced an object already at `url` (someone else's, now gone). False for a clean create, an update, or a write found already applied. */
        replaced: boolean;
      }
    | { type: 'deleted'; alreadyGone: boolean; how: QueueResolved }
    | { type: 'server-kept'; local: string | null; server: DavObject | null; policy: QueuePolicy }
    | { type: 'conflict'; local: string | null; base: string | null; server: DavObject | null; reason: string }
    | { type: 'failed'; error: { kind: DavErrorKind; message: string } };
}

export interface FlushResult {
  outcomes: QueueOutcome[];
  /** The error that stopped the flush early (offline, rate-limited, server error, a refusal for now: 408, 421, 425), else the first 423 Locked (its entry and the later ones of its collection or UID held back, the others sent), else null: flush again later. */
  stopped: DavError | null;
  /** Entries left pending because a read answered what one answer cannot settle (a 404, or another version than the one expected: a replica behind the server may have given it); the next flush reads again. Empty most of the time. */
  readOnce: { id: number; rev: number; answer: string }[];
}

/**
 * Offline edits, coalesced per object (create+update = create, update+update = the last update
 * on the first base, create+delete = nothing, update+delete = delete on the first base), stored
 * as JSON text wherever the app stores things, sent by `DavClient.flush`. In `davkit` and
 * `davkit/gcal`, not in `davkit/protocol` (its merge reads iCalendar/vCard).
 */
export class WriteQueue {
  constructor(options?: { policy?: QueuePolicy });
  /** A queue stored earlier (`toJson()`, or the text `beginFlush()` returned). */
  static fromJson(text: string): WriteQueue;
  toJson(): string;
  /** The queue's policy (default `keep-both`); entries may have their own. */
  policy: QueuePolicy;
  readonly size: number;
  /** Returns the entry's id. */
  enqueueCreate(collection: CollectionRef, name: string, data: string): number;
  /** `object`: a URL with `baseEtag`, or the object as read (its `etag` and `data` are the base). */
  enqueueUpdate(object: string | { url: string; etag?: string | null; data?: string | null }, data: string, baseEtag?: string, baseData?: string): number;
  enqueueDelete(object: string | { url: string; etag?: string | null; data?: string | null }, baseEtag?: string, baseData?: string): number;
  setEntryPolicy(id: number, policy: QueuePolicy | null): void;
  /** Marks the pending entries as being sent: store the returned text **before** `flush`. */
  beginFlush(): string;
  /**
   * Resolves a conflicted or failed entry. Returns the URL the app must drop, if any: an entry
   * that leaves the queue here (`keep-server`, or keeping the deletion of an object already
   * gone) after a sync moved it (`movedFrom`) leaves nothing at the URL it was queued under,
   * and no outcome names it again (as an outcome's `queuedUrl` would).
   */
  resolve(id: number, resolution: { type: 'keep-server' | 'keep-local' } | { type: 'replace'; data: string }): string | undefined;
  entries(): QueueEntry[];
  /** The id of the entry queued for an object (any spelling of its URL). */
  entryFor(object: string | { url: string }): number | undefined;
  /** A sync's changes split: `apply` them to the mirror; `held` are objects with a queued edit (or a queued create a flush may have posted, listed under the name the server gave it: its entry becomes an update of that object, so store the queue afterwards). */
  splitChanges<C extends { url: string }>(changes: C[]): { apply: C[]; held: { entry: number; change: C }[] };
}

// Editing events and contacts, and OAuth 2.0 with PKCE (the core's one implementation; not in
// `davkit/protocol`).

/** The event (or whole series) by UID, or with `recurrenceId` one occurrence (its original start, as summaries print it; `tzid` when it is a local time in a zone). */
export type EventTarget = string | { uid: string; recurrenceId?: string | null; tzid?: string | null };
/** `2025-03-10T12:30:00` in `tzid`, `...Z` for UTC, `2025-03-10` for a date, no `tzid` for a floating time. */
export type EventTime = string | { value: string; tzid?: string | null };

/** A VALARM as plain data. */
export interface AlarmSummary {
  action: string | null;
  /** An RFC 5545 duration from the start (or the end, `relatedToEnd`); null for an absolute trigger. */
  trigger: string | null;
  /** An absolute trigger (ISO, `...Z`). */
  triggerAt: string | null;
  relatedToEnd: boolean;
  description: string | null;
}

/** Where an editor's object was read from (`fromObject`), and the ETag `save` sends. */
export interface EditorOrigin {
  url: string;
  etag: string | null;
}

/** One iCalendar object to read and edit. A target naming an occurrence edits its override (made from the series the first time). */
export class EventEditor {
  /** Parses iCalendar text (`ICalendar` error when it is not). */
  constructor(ics: string);
  /** From an object read from the server: `save` writes it back with the ETag it was read with. */
  static fromObject(object: { url: string; etag?: string | null; data?: string | null }): EventEditor;
  readonly origin: EditorOrigin | null;
  toIcs(): string;
  events(): EventSummary[];
  /** `null` removes the property. */
  setSummary(target: EventTarget, value: string | null): void;
  setDescription(target: EventTarget, value: string | null): void;
  setLocation(target: EventTarget, value: string | null): void;
  /** `CONFIRMED`, `TENTATIVE`, `CANCELLED`, ... */
  setStatus(target: EventTarget, value: string | null): void;
  /** DTSTART (moves the occurrence when the target names one); DTEND (DUE on a to-do) moves along, so the event keeps its length. To set both ends, set the start first. */
  setStart(target: EventTarget, start: EventTime): void;
  /** DTEND (DUE on a to-do); `null` removes it. */
  setEnd(target: EventTarget, end: EventTime | null): void;
  /** Adds an attendee by e-mail, or replaces the one with that address. */
  addAttendee(target: EventTarget, email: string, options?: { commonName?: string | null; partstat?: string | null }): void;
  /** False when there was none. */
  removeAttendee(target: EventTarget, address: string): boolean;
  setPartstat(target: EventTarget, email: string, partstat: string): boolean;
  alarms(target: EventTarget): AlarmSummary[];
  /** `trigger`: an RFC 5545 duration (`-PT15M`); a display alarm shows `description` or the SUMMARY. */
  addAlarm(target: EventTarget, alarm: { trigger: string; action?: 'display' | 'audio'; relatedToEnd?: boolean; description?: string | null }): void;
  /** How many went. */
  removeAlarms(target: EventTarget): number;
  /** An EXDATE on the series (the target names the occurrence). */
  cancelOccurrence(target: EventTarget): void;
  /** "This and following": this series ends before the occurrence; the returned one (`newUid`) starts at it. Create it with `createObject`, save this one. */
  splitSeries(target: EventTarget, newUid: string): EventEditor;
  /** PUTs the edited object where `fromObject` read it, `If-Match` its ETag (`PreconditionFailed` if it changed); then holds the new ETag. */
  save(client: DavClient): Promise<WriteResult>;
}

/** One vCard to read and edit. */
export class ContactEditor {
  constructor(vcf: string);
  static fromObject(object: { url: string; etag?: string | null; data?: string | null }): ContactEditor;
  readonly origin: EditorOrigin | null;
  /** In the card's own version. */
  toVcf(): string;
  /** Converted to `'3.0'` or `'4.0'` (2.1 is read, never written: `InvalidInput`). */
  toVersion(version: '3.0' | '4.0'): string;
  summary(): ContactSummary;
  setFullName(value: string): void;
  setName(name: Partial<StructuredName>): void;
  setNote(value: string | null): void;
  setTitle(value: string | null): void;
  /** Organisation, then units; `null` removes. */
  setOrg(parts: string[] | null): void;
  setCategories(categories: string[]): void;
  /** `1985-04-15`, `--04-15` (no year); `null` removes. */
  setBirthday(value: string | null): void;
  addEmail(value: string | Partial<TypedValue> & { value: string }): void;
  addTel(value: string | Partial<TypedValue> & { value: string }): void;
  addUrl(value: string | Partial<TypedValue> & { value: string }): void;
  /** Removes every property with this name (`TEL`, ...); how many went. */
  removeAll(name: string): number;
  save(client: DavClient): Promise<WriteResult>;
}

/** A vCard converted to 3.0 or 4.0. */
export function convertContact(text: string, version: '3.0' | '4.0'): string;

/** A PKCE verifier and its S256 challenge. Prints and serialises without the verifier. */
export class Pkce {
  /** A verifier stored while the user was in the browser (43 to 128 characters). */
  constructor(verifier: string);
  /** 32 bytes of `crypto.getRandomValues`. */
  static random(): Pkce;
  /** From 32 to 96 random bytes. */
  static fromRandomBytes(bytes: ArrayLike<number>): Pkce;
  verifier(): string;
  challenge(): string;
}

/** What the token endpoint returned. Prints and serialises without the tokens. */
export class OAuthTokens {
  private constructor();
  accessToken(): string;
  /** On the first exchange: store it in the platform's secret store. */
  refreshToken(): string | null;
  expiresIn(): number | null;
  scope(): string | null;
}

export interface OAuthClientOptions {
  clientId: string;
  /** A loopback address or the app's custom scheme. */
  redirectUri: string;
  authUrl: string;
  tokenUrl: string;
  /** Only for a confidential (server-side) client. */
  clientSecret?: string | null;
  /** For the token requests (default: the global `fetch`). */
  fetch?: FetchLike;
  /** As `DavClientOptions.idleTimeoutMs`, for the token requests (default 60,000 ms; 0: no limit). */
  idleTimeoutMs?: number;
}

/** OAuth 2.0 authorization code flow with PKCE (RFC 6749, RFC 7636). Prints without secrets. */
export class OAuthClient {
  constructor(options: OAuthClientOptions);
  /** Google's endpoints for an installed app. */
  static google(clientId: string, redirectUri: string, options?: { fetch?: FetchLike; idleTimeoutMs?: number }): OAuthClient;
  /** The URL to open in the browser; check `state` when the user comes back. */
  authorizationUrl(scopes: string[], pkce: Pkce, state: string): string;
  exchangeCode(code: string, pkce: Pkce): Promise<OAuthTokens>;
  refresh(refreshToken: string): Promise<OAuthTokens>;
  /** `auth` for `DavClient`: refreshes when it has no access token or a 401 asks for one. */
  tokenProvider(refreshToken: string, options?: { accessToken?: string | null }): TokenProvider;
}
