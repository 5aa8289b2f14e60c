#!/usr/bin/env node
// A complete Google Calendar push receiver: keeps the sync state and the push channel in a JSON
// file, opens the channel (events.watch) and renews it before it expires, and on each
// notification that the calendar changed runs an incremental sync and prints the changes.
// Google says notifications can be lost, so it also syncs once an hour as a backstop.
//
//   GOOGLE_TOKEN=ya29... WEBHOOK_URL=https://app.example.com/notifications PORT=8080 \
//     node examples/node/gcal-webhook.mjs [state-file.json]
//
// Google posts to WEBHOOK_URL (https, publicly reachable: put this behind your TLS proxy).
// Notifications for another or a stopped channel, or with a wrong token, are ignored but
// answered 200: Google retries on 5xx (and may keep posting for a stopped channel), and a
// forged request learns nothing from the status either way.
import { createServer } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { DavClient, GOOGLE_CALENDAR_API, channelNeedsRenewal, isDavError, parseNotification } from 'davkit/gcal';

/** The receiver: `handle(req, res)` for node:http, `openChannel()`, `sync()`. */
export function createReceiver({ client, file, calendarId = 'primary', address, now = Date.now, log = console.log }) {
  // { state: SyncState | null, channel: Channel | null }
  const store = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { state: null, channel: null };
  const save = () => writeFileSync(file, JSON.stringify(store, null, 2));
  let queue = Promise.resolve(); // one sync at a time: each starts from the state the last one stored

  const sync = () => (queue = queue.then(async () => {
    const { changes, state } = await client.gcalSync(calendarId, store.state);
    for (const c of changes) log(`${c.type} ${c.url}${c.events?.[0]?.summary ? ` "${c.events[0].summary}"` : ''}`);
    store.state = state;
    save();
    return changes;
  }));

  async function openChannel() {
    if (store.channel && !channelNeedsRenewal(store.channel, { now: now(), marginMs: 24 * 3600 * 1000 })) return store.channel;
    const old = store.channel;
    // Google does not renew channels: open a new one, then stop the old one.
    store.channel = await client.gcalWatch(calendarId, {
      channelId: randomUUID(), address, token: randomBytes(24).toString('base64url'), ttlSeconds: 7 * 24 * 3600,
    });
    save();
    if (old) await client.gcalStop(old).catch((e) => log(`stopping the old channel: ${e.message}`));
    log(`channel ${store.channel.id} until ${new Date(store.channel.expirationMs).toISOString()}`);
    return store.channel;
  }

  async function handle(req, res) {
    if (req.method !== 'POST' || new URL(req.url, 'http://x').pathname !== '/notifications') {
      res.writeHead(404).end();
      return null;
    }
    req.resume(); // the body is empty; everything is in the X-Goog-* headers
    let notification;
    try {
      notification = parseNotification(req.headers, store.channel);
    } catch (e) {
      if (!isDavError(e)) throw e;
      log(`ignored notification: ${e.message}`);
      res.writeHead(200).end();
      return null;
    }
    res.writeHead(200).end(); // answer at once; Google does not wait for the sync
    return notification.state === 'exists' ? sync() : [];
  }

  return { handle, openChannel, sync, store };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const client = new DavClient({ serverUrl: GOOGLE_CALENDAR_API, auth: { bearer: process.env.GOOGLE_TOKEN ?? '' } });
  const receiver = createReceiver({
    client, file: process.argv[2] ?? 'gcal-webhook.json', calendarId: process.env.CALENDAR_ID, address: process.env.WEBHOOK_URL,
  });
  try {
    if (!receiver.store.state) await receiver.sync(); // the first, full sync
    await receiver.openChannel();
  } catch (e) {
    console.error(isDavError(e) ? `${e.kind}: ${e.message}` : e);
    process.exit(2);
  }
  setInterval(() => {
    receiver.openChannel().catch((e) => console.error(`renewal: ${e.message}`));
    receiver.sync().catch((e) => console.error(`backstop sync: ${e.message}`)); // lost notifications
  }, 3600 * 1000);
  const server = createServer((req, res) => receiver.handle(req, res).catch((e) => console.error(`sync: ${e.message}`)));
  server.listen(Number(process.env.PORT ?? 8080), () => console.log(`listening on ${process.env.PORT ?? 8080}`));
}
