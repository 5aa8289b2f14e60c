// Replays every recorded exchange in tests/vectors/ (the same files the Rust core and the
// mobile bindings replay; nothing is copied) through the public DavClient with an injected
// `fetch`. The format is tests/vectors/README.md.
//
// Naming: the JS API is camelCase, the vectors are the core's snake_case. Arguments are
// converted with toCamel (the sync state goes in camelCased, as an app would store it), and
// results are converted back with toSnake before the subset comparison. Maps whose keys are
// data (`etags`: href -> ETag) are never renamed. Extra keys the JS API adds (`events`,
// `contact` next to fetched data) are ignored by the subset comparison.
//
// Three entries replay the corpus: `davkit/gcal` (the module with every feature), `davkit`
// (without the Google Calendar API), which must give the same results and refuse the Calendar
// API vectors with `Unsupported` naming `davkit/gcal`, and `davkit/protocol` (the DAV-only
// module), which must also give the same results without the parsed views.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import * as gcalEntry from '../dist/gcal/node.js';
import * as full from '../dist/node.js';
import * as protocol from '../dist/protocol/node.js';
import { assertSubset, replayFetch, toCamel, toSnake, vectorsDir } from './helpers.mjs';

function collect(dir) {
  return readdirSync(dir).sort().flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return collect(p);
    return p.endsWith('.json') ? [p] : [];
  });
}

function authOf(credentials, tokens) {
  if (tokens) {
    // `token_provider`: the first token, then the next one on each forced refresh.
    let at = 0;
    return async ({ refresh }) => {
      if (refresh) at += 1;
      if (at >= tokens.length) throw new Error('no more tokens');
      return tokens[at];
    };
  }
  if (!credentials) return undefined;
  if (credentials.basic) return { basic: credentials.basic };
  return { bearer: credentials.bearer };
}

function call(client, op, { parseNotification }) {
  const kindRef = (url) => ({ url, kind: op.kind });
  switch (op.op) {
    case 'discover': return client.discover({ service: op.service });
    case 'sync': {
      const state = toCamel(op.state);
      return client.sync({ url: state.collectionUrl, kind: op.kind }, state);
    }
    case 'sync_batch': {
      const state = toCamel(op.state);
      return client.syncBatch({ url: state.collectionUrl, kind: op.kind }, state, { maxMembers: op.max_members });
    }
    case 'list_objects': return client.listObjects(op.collection_url);
    case 'list_collections': return client.listCollections(op.home_url);
    case 'get_collection': return client.getCollection(op.url);
    case 'get_object': return client.getObject(op.url);
    case 'create_object': return client.createObject(op.collection_url, op.name, op.data);
    case 'update_object': return client.updateObject(op.url, op.data, op.etag);
    case 'delete_object': return client.deleteObject(op.url, op.etag);
    case 'post_object': return client.postObject(op.add_member_url, op.data);
    case 'multiget': return client.multiget(kindRef(op.collection_url), op.hrefs);
    case 'calendar_query': return client.calendarQuery(op.collection_url, {
      component: op.filter.component, start: op.filter.time_range?.start, end: op.filter.time_range?.end,
    });
    case 'create_calendar': return client.createCalendar(op.home_url, op.slug, toCamel(op.props));
    case 'create_address_book': return client.createAddressBook(op.home_url, op.slug, toCamel(op.props));
    // `read`: the collection as the app last read it (camelCase, as discovery returns it).
    case 'update_collection': return client.updateCollection(kindRef(op.url), toCamel(op.props), toCamel(op.read ?? null));
    case 'delete_collection': return client.deleteCollection(op.url, toCamel(op.read ?? null));
    case 'gcal_calendars': return client.gcalCalendars();
    case 'gcal_sync': return client.gcalSync(op.calendar_id, toCamel(op.state), { query: toCamel(op.query) });
    case 'gcal_insert': return client.gcalInsert(op.calendar_id, op.event);
    case 'gcal_patch': return client.gcalPatch(op.calendar_id, op.event_id, op.patch, op.etag);
    case 'gcal_delete': return client.gcalDelete(op.calendar_id, op.event_id, op.etag);
    case 'gcal_watch': return client.gcalWatch(op.calendar_id, toCamel(op.watch), { query: toCamel(op.query) });
    case 'gcal_stop': return client.gcalStop(toCamel(op.channel));
    // Pure: the webhook request's headers (as a fetch Headers) against the stored channel.
    case 'gcal_notification': return parseNotification(new Headers(op.headers), toCamel(op.channel));
    default: throw new Error(`unknown op ${op.op}`);
  }
}

function secrets(credentials) {
  return [credentials?.basic?.password, credentials?.bearer].filter(Boolean);
}

const files = collect(vectorsDir);
/** Replayed, exchanges strictly in order, by schedule.test.mjs (tests/vectors/README.md). */
const SCHEDULING_OPS = new Set(['respond', 'pending_invitations', 'update_scheduled', 'itip_apply', 'gcal_respond',
  'gcal_set_attendees', 'gcal_free_busy', 'free_busy_query', 'outbox_free_busy']);

test('the vector corpus is there', () => {
  assert.ok(files.length >= 10, `found ${files.length} vector files`);
});

const entries = [['davkit/gcal', gcalEntry], ['davkit', full], ['davkit/protocol', protocol]];

for (const [entry, mod] of entries) {
const { DavClient, DavError, isDavError } = mod;
const isProtocol = entry === 'davkit/protocol';
const hasGcal = entry === 'davkit/gcal';
for (const file of files) {
  const name = relative(vectorsDir, file);
  const c = JSON.parse(readFileSync(file, 'utf8'));
  const gcal = c.operation.op.startsWith('gcal_');
  test(`${entry} vector ${name}`, async (t) => {
    if (SCHEDULING_OPS.has(c.operation.op)) {
      t.skip('a scheduling operation: replayed by schedule.test.mjs');
      return;
    }
    if (!hasGcal && c.operation.op === 'gcal_notification') {
      assert.equal(mod.parseNotification, undefined, `${entry} has no Calendar API functions`);
      return;
    }
    assert.equal(typeof c.source, 'string', 'every vector names its source');
    const replay = replayFetch(name, dirname(file), c.exchanges ?? []);
    let outcome;
    const sleeps = [];
    try {
      const client = new DavClient({
        serverUrl: c.config.server_url,
        auth: authOf(c.config.credentials, c.config.token_provider),
        retry: c.config.retry && toCamel(c.config.retry),
        sleep: async (ms) => { sleeps.push(ms); },
        profile: c.config.profile,
        multigetBatchSize: c.config.multiget_batch_size,
        syncPageLimit: c.config.sync_page_limit,
        limits: c.config.limits && toCamel(c.config.limits),
        userAgent: 'davkit-vectors',
        fetch: replay.fetch,
      });
      outcome = { value: await call(client, c.operation, mod) };
    } catch (error) {
      outcome = { error };
    }
    if (!hasGcal && gcal) {
      // Not in the modules without the `gcal` feature: refused before any request.
      assert.ok(isDavError(outcome.error, 'Unsupported'), `expected Unsupported, got ${outcome.error ?? JSON.stringify(outcome.value)}`);
      assert.match(outcome.error.message, /import it from 'davkit\/gcal'/);
      assert.ok(replay.used.every((u) => !u), 'no request was sent');
      return;
    }
    assert.deepEqual(replay.problems, []);
    const unused = (c.exchanges ?? []).filter((_, i) => !replay.used[i]).map((e) => `${e.request.method} ${e.request.url}`);
    assert.deepEqual(unused, [], 'exchanges never requested');
    if (c.expect.sleeps_ms) assert.deepEqual(sleeps, c.expect.sleeps_ms, 'the delays before retries');
    if (c.expect.error) {
      assert.ok(outcome.error, `expected an error, got ${JSON.stringify(outcome.value)}`);
      const e = outcome.error;
      assert.ok(isDavError(e), `not a DavError: ${e}`);
      assert.ok(e instanceof Error && e instanceof DavError && e.name === 'DavError');
      assertSubset(name, c.expect.error, { kind: e.kind, status: e.status, url: e.url });
      const shown = `${e} ${e.message} ${JSON.stringify(e)} ${e.stack}`;
      for (const s of secrets(c.config.credentials)) assert.ok(!shown.includes(s), 'the error shows a secret');
    } else {
      if (outcome.error) throw outcome.error;
      if (c.expect.result !== undefined) assertSubset(name, c.expect.result, toSnake(outcome.value ?? null));
      if (isProtocol) {
        const v = outcome.value;
        const list = Array.isArray(v) ? v : v?.changes ?? v?.objects ?? (v ? [v] : []);
        for (const o of list) {
          assert.ok(!('events' in o) && !('contact' in o) && !('parseError' in o), `a parsed view in ${JSON.stringify(o).slice(0, 200)}`);
        }
      }
    }
  });
}
}
