// Compiled by `tsc --noEmit` in test/package.test.mjs against the published index.d.ts: uses
// every part of the public API the way an app would, so a wrong declaration fails the build.
import {
  init, DavClient, DavError, isDavError, parseCalendar, parseContact, parseContacts, expand, coreVersion,
  markPending,
  type Collection, type SyncState, type SyncResult, type DavObject, type Expansion, type FetchLike,
  type MemberProblem, type WriteResult, type Limits,
} from 'davkit';

await init();
await init({ wasm: new URL('https://cdn.example.com/davkit_wasm_bg.wasm') });
const proxyFetch: FetchLike = (url, init) => fetch(url.replace('https://dav.example.com', '/proxy'), init);

async function demo(): Promise<void> {
  const client = new DavClient({ serverUrl: 'https://dav.example.com/', auth: { basic: { username: 'a', password: 'b' } }, fetch: proxyFetch });
  const oauth = new DavClient({ serverUrl: 'https://apidata.googleusercontent.com/caldav/v2/', auth: async ({ refresh }) => (refresh ? 'new' : 'cached') });
  const bearer = new DavClient({ serverUrl: 'https://x/', auth: { bearer: 't' }, profile: 'google-caldav' });
  const lazy = new DavClient({ serverUrl: 'https://x/', parse: 'lazy' });
  void lazy;
  const limits: Limits = { maxBodyBytes: 8 * 1024 * 1024, maxCollections: 500 };
  const bounded = new DavClient({ serverUrl: 'https://x/', limits });
  const digest = new DavClient({ serverUrl: 'https://baikal.example.com/dav.php/', auth: { digest: { username: 'a', password: 'b' } } });
  void oauth; void bearer; void digest; void bounded;
  const found = await client.discover({ service: 'caldav' });
  const calendars: Collection[] = found.collections.filter((c) => c.kind === 'calendar');
  const stored: string | null = null;
  const state: SyncState | null = stored ? (JSON.parse(stored) as SyncState) : null;
  const result: SyncResult = await client.sync(calendars[0], state);
  for (const change of result.changes) {
    if (change.type === 'deleted') console.log(change.url);
    else console.log(change.etag, change.data, change.events?.[0]?.start?.utc, change.contact?.fullName);
  }
  const problems: MemberProblem[] = result.problems;
  for (const p of problems) console.log(p.url, p.kind === 'Http', p.status ?? 0, p.message);
  const owed: string[] = result.state.pending ?? [];
  const retryLater: SyncState = markPending(result.state, owed[0] ?? 'https://dav.example.com/cal/a.ics');
  const json: string = JSON.stringify(retryLater);
  void json;
  // Batched: store each batch's state (a checkpoint) after applying its changes.
  let saved: SyncState | null = null;
  for await (const batch of client.syncBatches(calendars[0], saved, { maxMembers: 200 })) {
    const n: number = batch.changes.length;
    const more: boolean = batch.more;
    if (n > 0 && more) batch.state = markPending(batch.state, batch.changes[0].url);
    saved = batch.state;
  }
  const one: SyncResult = await client.syncBatch({ url: calendars[0].url, kind: 'calendar' }, saved, { kind: 'calendar', maxMembers: 50 });
  if (one.more) console.log(one.state.pending?.length);
  const objects: DavObject[] = await client.calendarQuery(calendars[0], { start: new Date(), end: '2026-12-31T00:00:00Z' });
  const written: WriteResult = await client.updateObject(objects[0], 'BEGIN:VCALENDAR...');
  const created = await client.createObject(calendars[0], 'new.ics', 'BEGIN:VCALENDAR...');
  if (created.replaced) console.log('the server replaced', created.url, created.data?.length);
  await client.deleteObject({ url: written.url, etag: written.etag });
  await client.createCalendar(found.calendarHomeSets[0], 'new', { displayName: 'New', color: '#FF0000', components: ['VEVENT'] });
  await client.updateCollection(calendars[0], { displayName: 'Renamed' });
  const many = await client.multiget(calendars[0], ['/a.ics']);
  console.log(many.missing.length, many.objects.length);
  try {
    await client.getObject('/missing.ics');
  } catch (e) {
    if (isDavError(e, 'NotFound')) console.log(e.status, e.url);
    if (isDavError(e, 'LimitExceeded')) console.log(e.message);
    if (e instanceof DavError) console.log(e.kind satisfies string, e.retryAfter);
  }
  const cal = parseCalendar('BEGIN:VCALENDAR...');
  console.log(cal.events[0]?.allDay, cal.events[0]?.attendees[0]?.partstat);
  const card = parseContact('BEGIN:VCARD...');
  console.log(card.emails[0]?.value, parseContacts('').length, coreVersion());
  const x: Expansion = expand('BEGIN:VCALENDAR...', { start: new Date(), end: '2027-01-01T00:00:00Z', floatingTimeZone: 'Europe/Berlin' });
  console.log(x.occurrences[0]?.startUtc, x.truncated);

  // The Google Calendar API is davkit/gcal's (types-check-gcal.ts): davkit's DavClient does not declare it.
  // @ts-expect-error davkit's DavClient has no gcal* methods
  void client.gcalSync;
}
void demo;

// Editing and OAuth (the full entry).
import { EventEditor, ContactEditor, convertContact, OAuthClient, Pkce, type AlarmSummary } from 'davkit';

async function editing(client: DavClient, object: { url: string; etag: string | null; data: string | null }): Promise<string | null> {
  const event = EventEditor.fromObject(object);
  const one = { uid: 'standup@example.com', recurrenceId: '2025-03-05T09:30:00', tzid: 'Europe/Berlin' };
  event.setSummary(one, 'Standup (moved)');
  event.setStart(one, { value: '2025-03-05T10:00:00', tzid: 'Europe/Berlin' });
  event.addAlarm(one, { trigger: '-PT15M', action: 'display' });
  const alarms: AlarmSummary[] = event.alarms(one);
  const future: EventEditor = event.splitSeries({ uid: 'standup@example.com', recurrenceId: '20250310T093000', tzid: 'Europe/Berlin' }, 'standup-2');
  const contact = new ContactEditor('BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann\r\nEND:VCARD\r\n');
  contact.addEmail({ value: 'ann@example.com', types: ['work'] });
  const v4: string = convertContact(contact.toVcf(), '4.0');
  const oauth = OAuthClient.google('id.apps.googleusercontent.com', 'com.example.app:/oauth2redirect');
  const pkce = Pkce.random();
  const url: string = oauth.authorizationUrl(['https://www.googleapis.com/auth/calendar'], pkce, 'state');
  const tokens = await oauth.exchangeCode('code', pkce);
  const refreshing = new DavClient({ serverUrl: url, auth: oauth.tokenProvider(tokens.refreshToken() ?? '') });
  void refreshing; void alarms; void future; void v4;
  return (await event.save(client)).etag;
}
void editing;
