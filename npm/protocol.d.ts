// Types of `davkit/protocol`: the DAV protocol only, from a module without iCalendar/vCard
// parsing, recurrence, time zones, the write queue or the Google Calendar API (see the README's
// "Size"). The same `DavClient` as `davkit`, except that fetched objects carry `data` and no
// parsed view (`events`, `contact` and `parseError` stay undefined, whatever `parse` says) and
// that `flush` rejects with `Unsupported` (the write queue, which merges iCalendar/vCard edits,
// is `davkit`'s); like `davkit`'s, it has no `gcal*` methods (the Google Calendar API is
// `davkit/gcal`'s). Each entry has its own module and classes: use one of them in an app.
export {
  DavError, DavErrorKind, isDavError, init, FetchLike, StaticAuth, TokenProvider, DavClientOptions, Limits,
  CollectionKind, Collection, CollectionRef, Discovery, CollectionProps, DavObject, WriteResult, SyncState,
  MemberProblem, Change, SyncResult, SyncBatchOptions, MultigetResult, DateInput, CalendarFilter, DavClient,
  markPending, recordWrite, recordDelete, recordRead, coreVersion,
} from './index.js';
