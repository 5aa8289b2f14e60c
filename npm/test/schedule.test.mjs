// Scheduling (issue 17) in JS: the scheduling vectors (tests/vectors/{schedule,
// gcal-scheduling,freebusy,scheduling}, the files the Rust, Kotlin and Python runners replay)
// through the public DavClient and the iTIP functions of the full entry, with a fetch answering
// the recorded exchanges strictly in order (the REPORTs pendingInvitations sends together in
// any order); results checked as subsets of the core's JSON (toSnake). Through `davkit/gcal`
// (every vector), `davkit` (the Calendar API's vectors refused as Unsupported, naming
// `davkit/gcal`, before any request) and davkit/protocol, which refuses scheduling as
// Unsupported before any request. And the README's invitation round trip, with the
// same calls, against live DAViCal when the rig runs (tests/servers/servers.py --only davical).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as gcalEntry from '../dist/gcal/node.js';
import * as full from '../dist/node.js';
import * as protocol from '../dist/protocol/node.js';
import { assertSubset, replayFetch, repoDir, toSnake } from './helpers.mjs';

const coreVectors = join(repoDir, 'tests', 'vectors');
const folders = ['schedule', 'gcal-scheduling', 'freebusy', 'scheduling'];
const files = folders.flatMap((f) => readdirSync(join(coreVectors, f)).filter((n) => n.endsWith('.json')).sort().map((n) => join(f, n)));

/** replayFetch, but (unless `together`) the next request must be the first exchange not used yet. */
function inOrderFetch(dir, exchanges, together) {
  const replay = replayFetch('schedule', dir, exchanges);
  if (together) return replay;
  const fetch = async (url, init = {}) => {
    const method = init.method ?? 'GET';
    const next = exchanges[replay.used.indexOf(false)];
    if (!next || next.request.method !== method || next.request.url !== url) {
      replay.problems.push(`request ${method} ${url}, expected ${next ? `${next.request.method} ${next.request.url}` : 'nothing more'}`);
      throw new TypeError(`replay: out of order: ${method} ${url}`);
    }
    return replay.fetch(url, init);
  };
  return { ...replay, fetch };
}

/** The vectors' `{ answer, to? }` as the JS API takes it ('accepted', { delegated: uri }). */
const answerOf = (a) => (a.answer === 'delegated' ? { delegated: a.to } : a.answer);

/** The pure `itip_apply` case, in the Rust runner's shape. */
function itipApply(mod, op) {
  let stored = op.stored;
  const applied = [];
  for (const m of op.messages) {
    const r = mod.itipApply(stored, m, op.my_addresses);
    applied.push(r.applied);
    stored = r.ics;
  }
  const master = mod.parseCalendar(stored).events.find((e) => e.recurrenceId == null);
  return { applied, statuses: mod.attendeeStatuses(stored), status: master.status, sequence: master.sequence };
}

async function call(mod, client, op) {
  switch (op.op) {
    case 'respond': return client.respond(op.url, op.my_addresses, answerOf(op.answer), { occurrence: op.occurrence });
    case 'pending_invitations':
      return client.pendingInvitations({ inboxUrl: op.inbox_url, calendarUrls: op.calendar_urls, myAddresses: op.my_addresses });
    case 'update_scheduled': return client.updateScheduled(op.url, op.data, op.schedule_tag);
    case 'itip_apply': return itipApply(mod, op);
    case 'gcal_respond': return client.gcalRespond(op.calendar_id, op.event_id, op.my_email, answerOf(op.answer), { send: op.send });
    case 'gcal_set_attendees':
      return client.gcalSetAttendees(op.calendar_id, op.event_id, op.attendees.map((a) => ({
        email: a.email, displayName: a.display_name, optional: a.optional, responseStatus: a.response_status,
      })), op.etag, { send: op.send });
    case 'gcal_free_busy': return client.gcalFreeBusy(op.start, op.end, op.calendars);
    case 'free_busy_query': return client.freeBusyQuery(op.calendar_url, op.start, op.end);
    case 'outbox_free_busy': return client.outboxFreeBusy(op.outbox_url, op.request);
    case 'discover': return client.discover({ service: op.service });
    default: throw new Error(`unknown op ${op.op}`);
  }
}

test('the scheduling vectors are there', () => {
  assert.ok(files.length >= 20, `found ${files.length} scheduling vectors`);
});

for (const [entry, mod] of [['davkit/gcal', gcalEntry], ['davkit', full], ['davkit/protocol', protocol]]) {
  const isProtocol = entry === 'davkit/protocol';
  const hasGcal = entry === 'davkit/gcal';
  for (const name of files) {
    const c = JSON.parse(readFileSync(join(coreVectors, name), 'utf8'));
    const op = c.operation.op;
    if (isProtocol && (op === 'discover' || op === 'itip_apply')) continue; // discover: vectors.test.mjs; no iTIP functions
    test(`${entry} scheduling vector ${name}`, async () => {
      await mod.init();
      const replay = inOrderFetch(join(coreVectors, name, '..'), c.exchanges ?? [], op === 'pending_invitations');
      const creds = c.config.credentials;
      const client = new mod.DavClient({
        serverUrl: c.config.server_url, profile: c.config.profile, userAgent: 'davkit-vectors', fetch: replay.fetch,
        auth: creds ? (creds.basic ? { basic: creds.basic } : { bearer: creds.bearer }) : undefined,
      });
      let outcome;
      try {
        outcome = { value: await call(mod, client, c.operation) };
      } catch (error) {
        outcome = { error };
      }
      if (isProtocol) {
        assert.ok(mod.isDavError(outcome.error, 'Unsupported'), `expected Unsupported, got ${outcome.error ?? JSON.stringify(outcome.value)}`);
        assert.ok(replay.used.every((u) => !u), 'no request was sent');
        return;
      }
      if (!hasGcal && op.startsWith('gcal_')) {
        assert.ok(mod.isDavError(outcome.error, 'Unsupported'), `expected Unsupported, got ${outcome.error ?? JSON.stringify(outcome.value)}`);
        assert.match(outcome.error.message, /import it from 'davkit\/gcal'/);
        assert.ok(replay.used.every((u) => !u), 'no request was sent');
        return;
      }
      assert.deepEqual(replay.problems, []);
      const unused = (c.exchanges ?? []).filter((_, i) => !replay.used[i]).map((e) => `${e.request.method} ${e.request.url}`);
      assert.deepEqual(unused, [], 'exchanges never requested');
      if (c.expect.error) {
        assert.ok(mod.isDavError(outcome.error), `expected a DavError, got ${outcome.error ?? JSON.stringify(outcome.value)}`);
        assertSubset(name, c.expect.error, { kind: outcome.error.kind, status: outcome.error.status, url: outcome.error.url });
      } else {
        if (outcome.error) throw outcome.error;
        if (c.expect.result !== undefined) assertSubset(name, c.expect.result, toSnake(JSON.parse(JSON.stringify(outcome.value ?? null))));
      }
    });
  }
}

test('davkit/protocol has no iTIP functions', () => {
  assert.equal(protocol.itipApply, undefined);
  assert.equal(protocol.scheduleInvite, undefined);
});

const EVENT = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//example//EN\r\nBEGIN:VEVENT\r\nUID:plan@example.com\r\n'
  + 'DTSTAMP:20250101T000000Z\r\nDTSTART:20250303T090000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\n'
  + 'SUMMARY:Planning\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';

test('iTIP without a scheduling server: invite, answer one occurrence, REPLY applied, typed errors', async () => {
  await full.init();
  const ics = full.scheduleInvite(EVENT, 'alice@example.com', ['bob@example.com'], '20250102T080000Z');
  const me = ['mailto:bob@example.com'];
  assert.deepEqual(full.scheduleNeedsAction(ics, me), [null]);
  const bobs = full.scheduleAnswer(ics, me, 'declined', { occurrence: '20250310T090000Z' });
  const reply = full.itipReply(bobs, me, '20250102T090000Z', { occurrence: '20250310T090000Z' });
  const msg = full.itipParse(reply);
  assert.equal(msg.method, 'reply');
  assert.equal(msg.replyingAttendee.uri, 'mailto:bob@example.com');
  const r = full.itipApply(ics, reply, ['mailto:alice@example.com']);
  assert.deepEqual(r.applied, { outcome: 'updated' });
  const rows = full.attendeeStatuses(r.ics).filter((s) => s.address === 'mailto:bob@example.com');
  assert.deepEqual(rows.map((s) => [s.recurrenceId, s.partstat]), [[null, 'needs-action'], ['20250310T090000Z', 'declined']]);
  const moved = full.scheduleUpdate(ics, ics.replace('DTSTART:20250303T090000Z', 'DTSTART:20250303T100000Z'), '20250102T100000Z');
  assert.deepEqual(moved.changes, [{ recurrenceId: null, significant: true, sequence: 1 }]);
  assert.throws(() => full.scheduleAnswer(ics, me, 'accepted', { occurrence: 'soon' }), (e) => full.isDavError(e, 'InvalidInput'));
  assert.throws(() => full.scheduleInvite(EVENT, 'alice@example.com', [], 'not a time'), (e) => full.isDavError(e, 'InvalidInput'));
  const cancel = full.itipParse(full.itipCancel(full.scheduleCancel(ics, '20250102T110000Z')));
  assert.deepEqual([cancel.method, cancel.sequence], ['cancel', 1]);
});

// The README's round trip (same calls), live on DAViCal.
const davical = process.env.DAVKIT_DAVICAL_URL;
test('README invitation round trip, live on DAViCal', { skip: !davical && 'DAVKIT_DAVICAL_URL not set (tests/servers/servers.py --only davical run -- ...)' }, async () => {
  const { DavClient, scheduleOrganizerAddress, scheduleInvite, attendeeStatuses } = full;
  const env = (k) => process.env[k];
  const alice = new DavClient({ serverUrl: `${davical}${env('DAVKIT_DAVICAL_USER')}/`, auth: { basic: { username: env('DAVKIT_DAVICAL_USER'), password: env('DAVKIT_DAVICAL_PASSWORD') } } });
  const bob = new DavClient({ serverUrl: `${davical}${env('DAVKIT_DAVICAL_USER2')}/`, auth: { basic: { username: env('DAVKIT_DAVICAL_USER2'), password: env('DAVKIT_DAVICAL_PASSWORD2') } } });
  const week = 2040 + (Date.now() % 2000);
  const uid = `js-${Date.now()}@example.com`;
  const ics = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davkit//js readme//EN\r\nBEGIN:VEVENT\r\n'
    + `UID:${uid}\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:${week}0105T090000Z\r\nDURATION:PT1H\r\n`
    + 'RRULE:FREQ=DAILY;COUNT=5\r\nSUMMARY:Planning\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';
  const wednesday = `${week}0107T090000Z`;

  // --- README (JS) ---
  // alice invites bob (ORGANIZER from her calendar-user addresses, SEQUENCE and DTSTAMP set)
  const found = await alice.discover({ service: 'caldav' });
  const me = scheduleOrganizerAddress(found.scheduling);
  const calendar = found.collections.find((c) => c.kind === 'calendar').url;
  const meeting = await alice.createObject(calendar, `${Date.now()}.ics`,
    scheduleInvite(ics, me, [env('DAVKIT_DAVICAL_EMAIL2')], '20300101T090000Z'));

  // bob accepts one occurrence: If-Schedule-Tag-Match (If-Match here), re-read and retried after a 412
  const his = await bob.discover({ service: 'caldav' });
  const mine = his.scheduling.userAddresses;
  const pending = await bob.pendingInvitations({ inboxUrl: his.scheduling.inboxUrl,
    calendarUrls: [his.collections.find((c) => c.kind === 'calendar').url], myAddresses: mine });
  const invitation = pending.invitations.find((i) => !i.inInbox && i.uid === uid);
  await bob.respond(invitation.object, mine, 'accepted', { occurrence: wednesday });

  // alice reads PARTSTAT and SCHEDULE-STATUS of every attendee, series and occurrences
  const copy = await alice.getScheduled(meeting);
  for (const row of attendeeStatuses(copy.data)) console.log(row.address, row.recurrenceId, row.partstat, row.scheduleStatus);
  // --- end ---

  const rows = attendeeStatuses(copy.data);
  const bobRow = rows.find((r) => r.address.toLowerCase() === `mailto:${env('DAVKIT_DAVICAL_EMAIL2')}` && r.recurrenceId === null);
  assert.ok(bobRow, JSON.stringify(rows));
  assert.ok(bobRow.scheduleStatus.length > 0, 'DAViCal reports delivery');
  // DAViCal lands a one-occurrence REPLY on the series (docs/providers.md): accepted there or on Wednesday
  assert.ok(rows.some((r) => r.address === bobRow.address && r.partstat === 'accepted'), JSON.stringify(rows));
  await alice.deleteObject(meeting.url, (await alice.getObject(meeting.url)).etag);
});
