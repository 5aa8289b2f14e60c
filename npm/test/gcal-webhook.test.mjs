// examples/node/gcal-webhook.mjs against a fake Google Calendar API on 127.0.0.1 that answers
// with the recorded bodies of tests/vectors/gcal/watch.json and
// incremental-added-changed-cancelled.json, and the notification headers of
// notification-exists.json posted to the receiver's own node:http server (loopback only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DavClient, channelNeedsRenewal } from '../dist/gcal/node.js';
import { repoDir, vectorsDir } from './helpers.mjs';

const vector = (name) => JSON.parse(readFileSync(join(vectorsDir, 'gcal', `${name}.json`), 'utf8'));
const listen = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`)));

test('the gcal webhook example opens a channel, ignores a forged notification and syncs on `exists`', async (t) => {
  const scratch = mkdtempSync(join(tmpdir(), 'davkit-gcal-'));
  t.after(() => rmSync(scratch, { recursive: true, force: true }));
  // The example imports the package by name; here it imports the built package.
  const source = readFileSync(join(repoDir, 'examples', 'node', 'gcal-webhook.mjs'), 'utf8');
  assert.ok(source.split('\n').length < 100, 'the example stays small');
  const readme = readFileSync(join(repoDir, 'npm', 'README.md'), 'utf8');
  const open = readme.indexOf('```js\n', readme.indexOf('## Google Calendar API')) + 6;
  assert.equal(readme.slice(open, readme.indexOf('\n```', open) + 1), source.split('\n').slice(1).join('\n'), 'the README shows the example');
  writeFileSync(join(scratch, 'gcal-webhook.mjs'),
    source.replace("from 'davkit/gcal'", `from ${JSON.stringify(pathToFileURL(join(repoDir, 'npm', 'dist', 'gcal', 'node.js')).href)}`));
  const { createReceiver } = await import(pathToFileURL(join(scratch, 'gcal-webhook.mjs')).href);

  const watch = vector('watch');
  const incremental = vector('incremental-added-changed-cancelled');
  const notification = vector('notification-exists');
  const requests = [];
  const google = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, body, auth: req.headers.authorization });
      const path = new URL(req.url, 'http://x').pathname;
      // The sync's requests (the incremental listing, then each touched series) by path and query.
      const recorded = (e) => { const u = new URL(e.request.url); return `${u.pathname}${u.search}`; };
      const ex = req.method === 'POST' && path.endsWith('/events/watch') ? watch.exchanges[0]
        : incremental.exchanges.find((e) => e.request.method === req.method && recorded(e) === req.url) ?? null;
      if (!ex) return res.writeHead(404).end('{}');
      res.writeHead(ex.response.status, ex.response.headers).end(ex.response.body);
    });
  });
  const googleUrl = await listen(google);
  t.after(() => google.close());

  // The stored state is the vector's (the core keys events by their Google URL, whatever the
  // server URL, so the fake's address does not show in them), with the collection a sync
  // against this server stores: its events URL (a state of another calendar is refused).
  const file = join(scratch, 'state.json');
  const state = { ...incremental.operation.state, collection_url: `${googleUrl}/calendar/v3/calendars/alice@gmail.com/events` };
  writeFileSync(file, JSON.stringify({ state, channel: null }));
  const lines = [];
  const client = new DavClient({ serverUrl: `${googleUrl}/calendar/v3/`, auth: { bearer: 'ya29.a0-test-token' } });
  const receiver = createReceiver({
    client, file, calendarId: 'alice@gmail.com', address: 'https://app.example.com/notifications',
    now: () => Date.parse('2015-03-01T00:00:00Z'), // before the recorded channel's expiry
    log: (line) => lines.push(line),
  });

  const channel = await receiver.openChannel();
  assert.equal(channel.id, '01234567-89ab-cdef-0123456789ab');
  assert.equal(channel.resourceId, 'o3hgv1538sdjfh');
  const sent = JSON.parse(requests[0].body);
  assert.equal(requests[0].auth, 'Bearer ya29.a0-test-token');
  assert.deepEqual([sent.type, sent.address, sent.params], ['web_hook', 'https://app.example.com/notifications', { ttl: '604800' }]);
  assert.equal((await receiver.openChannel()).id, channel.id, 'not renewed a month before expiry');
  assert.equal(requests.length, 1);
  assert.equal(channelNeedsRenewal(channel), true, 'the recorded channel expired in 2015');

  let result;
  const webhook = createServer((req, res) => { result = receiver.handle(req, res); });
  const webhookUrl = await listen(webhook);
  t.after(() => webhook.close());
  const post = (headers, path = '/notifications') => fetch(`${webhookUrl}${path}`, { method: 'POST', headers });
  const headers = Object.fromEntries(Object.entries(notification.operation.headers).filter(([k]) => k !== 'Content-Length'));

  assert.equal((await post(headers, '/other')).status, 404);
  const forged = await post({ ...headers, 'X-Goog-Channel-Token': 'forged' });
  assert.equal(forged.status, 200);
  assert.equal(await result, null);
  assert.match(lines.at(-1), /^ignored notification: Unauthorized/);
  assert.equal(requests.length, 1, 'no sync for a forged notification');

  const ok = await post(headers);
  assert.equal(ok.status, 200);
  const changes = await result;
  const events = 'https://www.googleapis.com/calendar/v3/calendars/alice@gmail.com/events';
  assert.deepEqual(changes.map((c) => `${c.type} ${c.url}`), [
    `changed ${events}/e1`, `deleted ${events}/e2`, `changed ${events}/e3`, `added ${events}/e5`,
  ]);
  assert.match(changes[2].data, /^EXDATE[;:].*20260109T/m, 'the cancelled instance of e3');
  assert.equal(JSON.parse(changes[0].json).id, 'e1', "Google's JSON next to the iCalendar data");
  assert.match(changes[0].data, /^BEGIN:VCALENDAR/);
  assert.equal(requests[1].url, '/calendar/v3/calendars/alice@gmail.com/events?syncToken=CPDAlvWDx70CEPDAlvWDx70CGAU%3D');
  assert.equal(requests.length, 1 + incremental.exchanges.length, 'the listing and the touched series, once each');
  assert.deepEqual(lines.slice(-4).map((l) => l.split(' ').slice(0, 2).join(' ')), changes.map((c) => `${c.type} ${c.url}`));
  const stored = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(stored.state.syncToken, incremental.expect.result.state.sync_token);
  assert.equal(stored.channel.id, channel.id);
});
