// Compiled by `tsc --noEmit` in test/package.test.mjs against the published gcal.d.ts: the
// Google Calendar API of `davkit/gcal`, whose DavClient is `davkit`'s with the `gcal*` methods,
// and everything else of `davkit` from the same entry.
import {
  init, DavClient, isDavError, parseCalendar, EventEditor, GOOGLE_CALENDAR_API, parseNotification, channelNeedsRenewal,
  gcalAttendeeStatuses, type Channel, type Notification, type SyncResult, type CalendarListEntry, type AttendeeStatus,
  type GcalAttendee,
} from 'davkit/gcal';
import * as plain from 'davkit';

await init();

async function demo(): Promise<void> {
  const google = new DavClient({ serverUrl: GOOGLE_CALENDAR_API, auth: async () => 'ya29.token' });
  const list = await google.gcalCalendars();
  const primary = list.find((c) => c.primary)?.id ?? 'primary';
  const first = await google.gcalSync(primary, null, { query: { singleEvents: true } });
  const next: SyncResult = await google.gcalSync(primary, first.state);
  for (const change of next.changes) if (change.type !== 'deleted') console.log(change.json, change.events?.[0]?.summary);
  const made = await google.gcalInsert(primary, { summary: 'Lunch', start: { dateTime: '2026-01-08T12:00:00Z' }, end: { dateTime: '2026-01-08T13:00:00Z' } });
  await google.gcalPatch(primary, 'e1', { summary: 'Renamed' }, made.etag ?? '');
  await google.gcalDelete(primary, 'e1', '"1"');
  const channel: Channel = await google.gcalWatch(primary, { channelId: 'c1', address: 'https://app.example.com/n', token: 's', ttlSeconds: 3600 });
  const n: Notification = parseNotification(new Headers(), channel);
  const m = parseNotification({ 'x-goog-channel-id': 'c1', 'x-goog-resource-state': ['exists'] }, channel);
  if (n.state === 'exists' && m.messageNumber > 0 && channelNeedsRenewal(channel, { now: new Date(), marginMs: 60_000 })) await google.gcalStop(channel);
  const entries: CalendarListEntry[] = list;
  const attendees: GcalAttendee[] = [{ email: 'bob@example.com', optional: true }];
  await google.gcalSetAttendees(primary, 'e1', attendees, '"2"', { send: 'external-only' });
  const answered = await google.gcalRespond(primary, 'e1', 'me@example.com', 'tentative');
  const busy = await google.gcalFreeBusy('2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', [primary]);
  const rows: AttendeeStatus[] = gcalAttendeeStatuses({ attendees });
  console.log(entries.length, answered.attempts, busy[0]?.busy.length, rows[0]?.partstat);
  // The rest of davkit, from davkit/gcal: a davkit/gcal DavClient is a DavClient for the editors.
  const editor = new EventEditor('BEGIN:VCALENDAR...');
  editor.setSummary(parseCalendar('BEGIN:VCALENDAR...').events[0]?.uid ?? 'a@example.com', 'Lunch');
  try {
    console.log((await editor.save(google)).etag);
  } catch (e) {
    if (isDavError(e, 'PreconditionFailed')) console.log(e.status);
  }
  const dav: plain.DavClient = google;
  void dav;
}
void demo;
