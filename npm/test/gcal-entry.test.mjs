// `davkit/gcal` is `davkit` plus the Google Calendar API v3 client, from the module built with
// every feature; `davkit` itself is built without the `gcal` feature: it has no Calendar API
// functions, and its DavClient's `gcal*` methods reject with an `Unsupported` DavError that names
// `davkit/gcal`, before any request. (The Calendar API's recorded exchanges are replayed through
// both by vectors.test.mjs and schedule.test.mjs.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as gcal from '../dist/gcal/node.js';
import * as full from '../dist/node.js';

const GCAL_ONLY = ['GOOGLE_CALENDAR_API', 'parseNotification', 'channelNeedsRenewal', 'gcalAttendeeStatuses'];

/** Every `gcal*` method of DavClient, with arguments of the right shape. */
const CALLS = {
  gcalCalendars: [],
  gcalSync: ['primary', null],
  gcalInsert: ['primary', { summary: 'x', start: { dateTime: '2026-01-01T10:00:00Z' }, end: { dateTime: '2026-01-01T11:00:00Z' } }],
  gcalPatch: ['primary', 'e1', { summary: 'y' }, '"1"'],
  gcalDelete: ['primary', 'e1', '"1"'],
  gcalWatch: ['primary', { channelId: 'c1', address: 'https://app.example.com/hook' }],
  gcalStop: [{ id: 'c1', resourceId: 'r1' }],
  gcalSetAttendees: ['primary', 'e1', [{ email: 'bob@example.com' }], '"1"'],
  gcalRespond: ['primary', 'e1', 'bob@example.com', 'accepted'],
  gcalFreeBusy: ['2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', ['primary']],
};

test('davkit/gcal exports everything davkit does, plus the Calendar API functions', () => {
  const names = (mod) => Object.keys(mod).sort();
  assert.deepEqual(names(gcal), [...names(full), ...GCAL_ONLY].sort());
  for (const name of GCAL_ONLY) assert.equal(full[name], undefined, `davkit has no ${name}`);
  assert.equal(gcal.GOOGLE_CALENDAR_API, 'https://www.googleapis.com/calendar/v3/');
  assert.equal(gcal.coreVersion(), full.coreVersion());
  const methods = Object.getOwnPropertyNames(gcal.DavClient.prototype).filter((n) => n.startsWith('gcal')).sort();
  assert.deepEqual(methods, Object.keys(CALLS).sort(), 'the test calls every gcal* method');
});

test('davkit refuses every gcal* method with Unsupported naming davkit/gcal, before any request', async () => {
  const requests = [];
  const fetch = async (url) => {
    requests.push(url);
    return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
  };
  const client = new full.DavClient({ serverUrl: 'https://www.googleapis.com/calendar/v3/', auth: { bearer: 't' }, fetch });
  for (const [method, args] of Object.entries(CALLS)) {
    await assert.rejects(client[method](...args), (e) => {
      assert.ok(full.isDavError(e, 'Unsupported'), `${method}: ${e}`);
      assert.ok(e instanceof full.DavError);
      assert.match(e.message, new RegExp(`^Unsupported: ${method} \\(the Google Calendar API\\) is not in this entry: import it from 'davkit/gcal'$`));
      return true;
    });
  }
  assert.deepEqual(requests, []);
});

test('davkit/gcal has the Calendar API: gcalCalendars asks Google, the functions answer', async () => {
  const requests = [];
  const fetch = async (url, init = {}) => {
    requests.push({ url, method: init.method ?? 'GET' });
    const body = { items: [{ id: 'alice@gmail.com', summary: 'Alice', accessRole: 'owner', primary: true }] };
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  const client = new gcal.DavClient({ serverUrl: gcal.GOOGLE_CALENDAR_API, auth: { bearer: 't' }, fetch });
  const calendars = await client.gcalCalendars();
  assert.deepEqual(requests, [{ url: 'https://www.googleapis.com/calendar/v3/users/me/calendarList', method: 'GET' }]);
  assert.equal(calendars.length, 1);
  assert.equal(calendars[0].id, 'alice@gmail.com');
  assert.equal(calendars[0].accessRole, 'owner');
  assert.equal(calendars[0].primary, true);

  const rows = gcal.gcalAttendeeStatuses({ attendees: [{ email: 'bob@example.com', responseStatus: 'tentative' }, { email: 'eve@example.com', responseStatus: 'needsAction' }] });
  assert.deepEqual(rows.map((r) => [r.address, r.partstat, r.rsvp]), [['mailto:bob@example.com', 'tentative', false], ['mailto:eve@example.com', 'needs-action', true]]);
  const now = Date.UTC(2026, 0, 1);
  assert.equal(gcal.channelNeedsRenewal({ id: 'c', resourceId: 'r', expirationMs: now + 60_000 }, { now }), true);
  assert.equal(gcal.channelNeedsRenewal({ id: 'c', resourceId: 'r', expirationMs: now + 7_200_000 }, { now }), false);
  // The rest of davkit works the same from davkit/gcal.
  const ics = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:a@t\r\nDTSTAMP:20260101T000000Z\r\n'
    + 'DTSTART:20260101T100000Z\r\nSUMMARY:A\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';
  assert.deepEqual(gcal.parseCalendar(ics), full.parseCalendar(ics));
});
