// Runs tests/editing/scenarios.json (the shared content-API scenarios, read in place; the rules
// are in tests/editing/README.md) through the package's EventEditor, ContactEditor,
// convertContact, Pkce and OAuthClient, as Rust, Python and Kotlin do. The token endpoint's
// answers are the recorded ones of the file (no network). Also: nothing printed of the OAuth
// objects shows a secret, and davkit/protocol has none of these exports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import * as full from '../dist/node.js';
import * as protocol from '../dist/protocol/node.js';
import { assertSubset, replayFetch, repoDir, toCamel, toSnake } from './helpers.mjs';

const { EventEditor, ContactEditor, convertContact, Pkce, OAuthClient, OAuthTokens, DavClient, DavError } = full;
const DIR = join(repoDir, 'tests', 'editing');
const DOC = JSON.parse(readFileSync(join(DIR, 'scenarios.json'), 'utf8'));

/** A scenario's target in the JS shape. */
const target = (t) => ({ uid: t.uid, recurrenceId: t.recurrence_id ?? undefined, tzid: t.tzid ?? undefined });
const time = (t) => ({ value: t.value, tzid: t.tzid ?? undefined });

function eventStep(editor, step) {
  const t = target(step.target);
  switch (step.op) {
    case 'set_summary': return editor.setSummary(t, step.value);
    case 'set_location': return editor.setLocation(t, step.value);
    case 'set_description': return editor.setDescription(t, step.value);
    case 'set_status': return editor.setStatus(t, step.value);
    case 'set_start': return editor.setStart(t, time(step.time));
    case 'set_end': return editor.setEnd(t, step.time ? time(step.time) : null);
    case 'add_attendee': return editor.addAttendee(t, step.email, { commonName: step.common_name, partstat: step.partstat });
    case 'remove_attendee': return editor.removeAttendee(t, step.address);
    case 'set_partstat': return editor.setPartstat(t, step.email, step.partstat);
    case 'cancel_occurrence': return editor.cancelOccurrence(t);
    case 'alarms': return toSnake(editor.alarms(t));
    case 'add_alarm':
      return editor.addAlarm(t, { action: step.action, trigger: step.trigger, relatedToEnd: step.related_to_end, description: step.description });
    case 'remove_alarms': return editor.removeAlarms(t);
    case 'split_series': return editor.splitSeries(t, step.new_uid);
    default: throw new Error(`unknown event op ${step.op}`);
  }
}

function contactStep(editor, step) {
  switch (step.op) {
    case 'set_full_name': return editor.setFullName(step.value);
    case 'set_note': return editor.setNote(step.value);
    case 'set_title': return editor.setTitle(step.value);
    case 'set_org': return editor.setOrg(step.value);
    case 'set_categories': return editor.setCategories(step.value);
    case 'set_birthday': return editor.setBirthday(step.value);
    case 'set_name': return editor.setName(step.value);
    case 'add_email': return editor.addEmail(step.value);
    case 'add_tel': return editor.addTel(step.value);
    case 'add_url': return editor.addUrl(step.value);
    case 'remove_all': return editor.removeAll(step.name);
    default: throw new Error(`unknown contact op ${step.op}`);
  }
}

/** The scenario's `interop` file (written by Rust): the same bytes, and stable when re-read. */
function checkInterop(scenario, written, reparse) {
  if (!scenario.interop) return;
  const stored = readFileSync(join(DIR, scenario.interop), 'utf8');
  assert.equal(written, stored, scenario.interop);
  assert.equal(reparse(stored), stored, `${scenario.interop} read and written again`);
}

function checkEvents(path, editor, expect) {
  const text = editor.toIcs();
  if (expect.events) assertSubset(`${path}.events`, expect.events, toSnake(editor.events()));
  for (const s of expect.contains ?? []) assert.ok(text.includes(s), `${path}: ${JSON.stringify(s)} not in the text`);
  for (const s of expect.not_contains ?? []) assert.ok(!text.includes(s), `${path}: ${JSON.stringify(s)} in the text`);
}

test('the file has scenarios of every kind', () => {
  for (const key of ['events', 'contacts', 'write_back', 'pkce', 'oauth']) assert.ok(DOC[key].length > 0, key);
});

for (const scenario of DOC.events) {
  test(`event: ${scenario.name}`, () => {
    const editor = new EventEditor(scenario.ics);
    let split = null;
    scenario.steps.forEach((step, i) => {
      const on = step.on === 'split' ? split : editor;
      if (step.error) {
        const before = on.toIcs();
        assert.throws(() => eventStep(on, step), (e) => e instanceof DavError && e.kind === step.error, `step ${i}`);
        assert.equal(on.toIcs(), before, `step ${i}: a refused edit changes nothing`);
        return;
      }
      const out = eventStep(on, step);
      if (step.op === 'split_series') split = out;
      else if ('expect' in step) assert.deepEqual(out, step.expect, `step ${i}`);
    });
    checkEvents(scenario.name, editor, scenario.expect);
    checkInterop(scenario, editor.toIcs(), (t) => new EventEditor(t).toIcs());
    if (scenario.expect.split) {
      assert.ok(split instanceof EventEditor, 'the scenario splits the series');
      checkEvents(`${scenario.name}.split`, split, scenario.expect.split);
    }
  });
}

for (const scenario of DOC.contacts) {
  test(`contact: ${scenario.name}`, () => {
    const editor = new ContactEditor(scenario.vcf);
    scenario.steps.forEach((step, i) => {
      const out = contactStep(editor, step);
      if ('expect' in step) assert.deepEqual(out, step.expect, `step ${i}`);
    });
    checkInterop(scenario, editor.toVcf(), (t) => new ContactEditor(t).toVcf());
    const { expect } = scenario;
    if (expect.summary) assertSubset('summary', expect.summary, toSnake(editor.summary()));
    for (const s of expect.contains ?? []) assert.ok(editor.toVcf().includes(s), s);
    for (const [version, key] of [['3.0', 'v3'], ['4.0', 'v4']]) {
      if (!expect[key]) continue;
      const text = editor.toVersion(version);
      assert.equal(text, convertContact(editor.toVcf(), version));
      for (const s of expect[key].contains ?? []) assert.ok(text.includes(s), `${key}: ${s}`);
      if (expect[key].summary) assertSubset(`${key}.summary`, expect[key].summary, toSnake(full.parseContact(text)));
    }
  });
}

for (const scenario of DOC.write_back) {
  test(`write back: ${scenario.name}`, async () => {
    const Editor = scenario.kind === 'event' ? EventEditor : ContactEditor;
    const editor = Editor.fromObject(scenario.object);
    for (const step of scenario.steps) (scenario.kind === 'event' ? eventStep : contactStep)(editor, step);
    const c = scenario.config;
    for (const [i, save] of scenario.saves.entries()) {
      const replay = replayFetch(scenario.name, DIR, save.exchange ? [save.exchange] : []);
      const client = new DavClient({ serverUrl: c.server_url, auth: c.credentials?.basic ? { basic: c.credentials.basic } : undefined, fetch: replay.fetch });
      if (save.expect.error) {
        await assert.rejects(editor.save(client), (e) => e instanceof DavError && e.kind === save.expect.error, `save ${i}`);
      } else {
        assertSubset(`save ${i}`, save.expect.result, toSnake(await editor.save(client)));
        assert.equal(editor.origin.etag, save.expect.result.etag ?? null, `save ${i}: the editor moves to the new ETag`);
      }
      assert.deepEqual(replay.problems, [], `save ${i}`);
      assert.ok(replay.used.every(Boolean), `save ${i}: every exchange used`);
    }
  });
}

test('an editor made from text has nowhere to save to', async () => {
  const editor = new EventEditor(DOC.events[0].ics);
  const client = new DavClient({ serverUrl: 'http://127.0.0.1:1/', fetch: async () => assert.fail('nothing is sent') });
  await assert.rejects(editor.save(client), (e) => e instanceof DavError && e.kind === 'InvalidInput');
  assert.throws(() => EventEditor.fromObject({ url: 'http://x/a.ics', etag: '"1"' }), (e) => e.kind === 'InvalidInput', 'no data');
});

test('bad input is a DavError of its kind', () => {
  assert.throws(() => new EventEditor('not a calendar'), (e) => e instanceof DavError && e.kind === 'ICalendar');
  assert.throws(() => new ContactEditor('not a card'), (e) => e instanceof DavError && e.kind === 'VCard');
  const editor = new EventEditor(DOC.events[0].ics);
  assert.throws(() => editor.setSummary('no-such-uid', 'x'), (e) => e.kind === 'InvalidInput');
  assert.throws(() => editor.addAlarm(DOC.events[0].steps[0].target.uid, { trigger: 'soon' }), (e) => e.kind === 'InvalidInput');
  assert.throws(() => editor.addAlarm(DOC.events[0].steps[0].target.uid, { action: 'email', trigger: '-PT5M' }), (e) => e.kind === 'InvalidInput');
  assert.throws(() => convertContact(DOC.contacts[0].vcf, '2.1'), (e) => e.kind === 'InvalidInput');
});

for (const c of DOC.pkce) {
  test(`pkce: ${c.source}`, () => {
    if (c.error) {
      assert.throws(() => new Pkce(c.verifier), (e) => e instanceof DavError && e.kind === c.error);
      return;
    }
    const pkce = c.random_bytes_hex ? Pkce.fromRandomBytes(Buffer.from(c.random_bytes_hex, 'hex')) : new Pkce(c.verifier);
    assert.equal(pkce.verifier(), c.verifier);
    if (c.challenge) assert.equal(pkce.challenge(), c.challenge);
    assertHidden('pkce', pkce, [c.verifier]);
  });
}

test('pkce: random() makes a 43-character verifier from the platform source', () => {
  const a = Pkce.random();
  assert.match(a.verifier(), /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a.verifier(), Pkce.random().verifier());
});

/** Every way an object may be shown. */
function shown(value) {
  const parts = [String(value), inspect(value, { depth: 10, showHidden: true }), JSON.stringify(value) ?? ''];
  if (value instanceof Error) parts.push(value.message, value.stack ?? '', inspect(value.cause, { depth: 10 }));
  return parts.join('\n');
}

function assertHidden(what, value, secrets) {
  const text = shown(value);
  for (const s of secrets) assert.ok(!text.includes(s), `${what} shows a secret (${s.slice(0, 3)}...)`);
}

/** A fetch that answers the token requests `wants` (in order) with their recorded responses. */
function tokenEndpoint(url, wants) {
  const seen = [];
  const fetch = async (u, init = {}) => {
    const want = wants[seen.length];
    const body = typeof init.body === 'string' ? init.body : new TextDecoder().decode(init.body ?? new Uint8Array());
    seen.push(u);
    assert.ok(want, `unexpected request ${init.method} ${u}`);
    assert.equal(init.method ?? 'GET', want.method ?? 'POST');
    assert.equal(u, url);
    for (const part of want.body_contains) assert.ok(body.includes(part), `${part} not in the request body`);
    return new Response(want.response.body, { status: want.response.status, headers: { 'content-type': 'application/json' } });
  };
  return { fetch, seen };
}

for (const c of DOC.oauth) {
  test(`oauth: ${c.source}`, async () => {
    const ex = c.exchange;
    const rf = c.refresh;
    const endpoint = tokenEndpoint(ex.url, [ex, rf]);
    const k = c.client;
    const client = k.google
      ? OAuthClient.google(k.client_id, k.redirect_uri, { fetch: endpoint.fetch })
      : new OAuthClient({ clientId: k.client_id, redirectUri: k.redirect_uri, authUrl: k.auth_url, tokenUrl: k.token_url, clientSecret: k.client_secret, fetch: endpoint.fetch });
    const pkce = new Pkce(c.verifier);
    const url = client.authorizationUrl(c.scopes, pkce, c.state);
    assert.ok(url.startsWith(c.authorization_url_starts_with), url);
    for (const part of c.authorization_url_contains) assert.ok(url.includes(part), part);

    const tokens = await client.exchangeCode(c.code, pkce);
    assert.ok(tokens instanceof OAuthTokens);
    assert.equal(tokens.accessToken(), ex.expect.access_token);
    assert.equal(tokens.refreshToken(), ex.expect.refresh_token);
    assert.equal(tokens.expiresIn(), ex.expect.expires_in);

    const error = await client.refresh(rf.refresh_token).then(() => assert.fail('the refresh must fail'), (e) => e);
    assert.ok(error instanceof DavError && error.kind === rf.error, String(error));
    assert.deepEqual(endpoint.seen, [ex.url, ex.url], 'one request each');

    // The refreshing provider asks the token endpoint through the client's fetch.
    const failing = OAuthClient.google(k.client_id ?? 'x', k.redirect_uri, { fetch: tokenEndpoint(ex.url, [rf]).fetch });
    const provider = failing.tokenProvider(rf.refresh_token);
    const providerError = await provider({ refresh: false }).then(() => assert.fail('the refresh must fail'), (e) => e);
    assert.equal(providerError.kind, rf.error);
    const atHand = client.tokenProvider(rf.refresh_token, { accessToken: 'ya29.at-hand' });
    assert.equal(await atHand(), 'ya29.at-hand');

    for (const [what, value] of Object.entries({ client, pkce, tokens, error, providerError, provider })) assertHidden(what, value, c.secrets);
  });
}

test('a DavClient with an OAuth token provider: refreshed once after a 401, then the call retried', async () => {
  const c = DOC.oauth[0];
  const answer = { ...c.exchange, body_contains: ['grant_type=refresh_token'], response: { status: 200, body: '{"access_token":"ya29.fresh","expires_in":3599,"token_type":"Bearer"}' } };
  const endpoint = tokenEndpoint(c.exchange.url, [answer]);
  const oauth = OAuthClient.google(c.client.client_id, c.client.redirect_uri, { fetch: endpoint.fetch });
  const seen = [];
  const dav = async (url, init) => {
    const auth = new Headers(init.headers).get('authorization');
    seen.push(auth);
    if (auth !== 'Bearer ya29.fresh') return new Response('', { status: 401 });
    return new Response('BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n', { status: 200, headers: { etag: '"1"', 'content-type': 'text/calendar' } });
  };
  const client = new DavClient({ serverUrl: 'https://dav.example.com/', auth: oauth.tokenProvider('1//stored', { accessToken: 'ya29.stale' }), fetch: dav });
  const object = await client.getObject('https://dav.example.com/cal/a.ics');
  assert.equal(object.etag, '"1"');
  assert.deepEqual(seen, ['Bearer ya29.stale', 'Bearer ya29.fresh']);
  assert.equal(endpoint.seen.length, 1);
});

test('the editors and OAuth are in the full entry only (davkit/protocol stays small)', () => {
  for (const name of ['EventEditor', 'ContactEditor', 'convertContact', 'Pkce', 'OAuthClient', 'OAuthTokens']) {
    assert.equal(typeof full[name], 'function', name);
    assert.equal(protocol[name], undefined, name);
  }
});

test('the camelCase of the summaries is the helpers\' rule', () => {
  // The runner compares with toSnake; a key the rule could not round-trip would hide a mismatch.
  const events = new EventEditor(DOC.events[0].ics).events();
  assert.deepEqual(toCamel(toSnake(events)), events);
});
