// Compiled by `tsc --noEmit` in test/package.test.mjs against the published index.d.ts: uses
// every part of the public API the way an app would, so a wrong declaration fails the build.
import {
  DavClient, DavError, isDavError, parseCalendar, parseContact, parseContacts, expand, coreVersion,
  type Collection, type SyncState, type SyncResult, type DavObject, type Expansion, type FetchLike,
} from 'davkit';

const proxyFetch: FetchLike = (url, init) => fetch(url.replace('https://dav.example.com', '/proxy'), init);

async function demo(): Promise<void> {
  const client = new DavClient({ serverUrl: 'https://dav.example.com/', auth: { basic: { username: 'a', password: 'b' } }, fetch: proxyFetch });
  const oauth = new DavClient({ serverUrl: 'https://apidata.googleusercontent.com/caldav/v2/', auth: async ({ refresh }) => (refresh ? 'new' : 'cached') });
  const bearer = new DavClient({ serverUrl: 'https://x/', auth: { bearer: 't' }, profile: 'google-caldav' });
  void oauth; void bearer;
  const found = await client.discover({ service: 'caldav' });
  const calendars: Collection[] = found.collections.filter((c) => c.kind === 'calendar');
  const stored: string | null = null;
  const state: SyncState | null = stored ? (JSON.parse(stored) as SyncState) : null;
  const result: SyncResult = await client.sync(calendars[0], state);
  for (const change of result.changes) {
    if (change.type === 'deleted') console.log(change.url);
    else console.log(change.etag, change.data, change.events?.[0]?.start?.utc, change.contact?.fullName);
  }
  const json: string = JSON.stringify(result.state);
  void json;
  const objects: DavObject[] = await client.calendarQuery(calendars[0], { start: new Date(), end: '2026-12-31T00:00:00Z' });
  const written = await client.updateObject(objects[0], 'BEGIN:VCALENDAR...');
  await client.deleteObject({ url: written.url, etag: written.etag });
  await client.createCalendar(found.calendarHomeSets[0], 'new', { displayName: 'New', color: '#FF0000', components: ['VEVENT'] });
  await client.updateCollection(calendars[0], { displayName: 'Renamed' });
  const many = await client.multiget(calendars[0], ['/a.ics']);
  console.log(many.missing.length, many.objects.length);
  try {
    await client.getObject('/missing.ics');
  } catch (e) {
    if (isDavError(e, 'NotFound')) console.log(e.status, e.url);
    if (e instanceof DavError) console.log(e.kind satisfies string, e.retryAfter);
  }
  const cal = parseCalendar('BEGIN:VCALENDAR...');
  console.log(cal.events[0]?.allDay, cal.events[0]?.attendees[0]?.partstat);
  const card = parseContact('BEGIN:VCARD...');
  console.log(card.emails[0]?.value, parseContacts('').length, coreVersion());
  const x: Expansion = expand('BEGIN:VCALENDAR...', { start: new Date(), end: '2027-01-01T00:00:00Z', floatingTimeZone: 'Europe/Berlin' });
  console.log(x.occurrences[0]?.startUtc, x.truncated);
}
void demo;
