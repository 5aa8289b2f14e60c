#!/usr/bin/env node
// Offline edits with davkit's write queue, next to sync.mjs: edit events of the local mirror
// that sync.mjs keeps (davkit-sync.json) without a connection, then send them when back online.
// The queue is plain JSON text in its own file; conflicts are resolved by the policy you pick
// (DAV_POLICY: keep-both, the default, server-wins, local-wins, newest-wins or merge).
//
//   node examples/node/offline.mjs edit <event-url> "New title"   # offline: queued, nothing sent
//   DAV_URL=... DAV_USER=... DAV_PASSWORD=... node examples/node/offline.mjs flush
//   node examples/node/offline.mjs resolve <id> keep-local|keep-server  # after a kept conflict
//
// Optional third argument after the command: the mirror file (default davkit-sync.json); the
// queue is stored next to it as <mirror>.queue.json.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { DavClient, WriteQueue, isDavError } from 'davkit';

const [command, ...args] = process.argv.slice(2);
const mirrorFile = process.env.DAV_MIRROR ?? 'davkit-sync.json';
const queueFile = `${mirrorFile}.queue.json`;
const mirror = existsSync(mirrorFile) ? JSON.parse(readFileSync(mirrorFile, 'utf8')) : {};
const queue = existsSync(queueFile)
  ? WriteQueue.fromJson(readFileSync(queueFile, 'utf8'))
  : new WriteQueue({ policy: process.env.DAV_POLICY ?? 'keep-both' });
if (process.env.DAV_POLICY) queue.policy = process.env.DAV_POLICY;

/** The mirror's copy of an object: { collection, object: { etag, data } }. */
function find(url) {
  for (const [collection, saved] of Object.entries(mirror)) {
    if (saved.objects?.[url]) return { collection, object: saved.objects[url] };
  }
  return null;
}

function save() {
  writeFileSync(mirrorFile, JSON.stringify(mirror, null, 2));
  writeFileSync(queueFile, queue.toJson());
}

const summary = (data) => /^SUMMARY:(.*)$/m.exec(data ?? '')?.[1] ?? '(no title)';

try {
  if (command === 'edit') {
    const [url, title] = args;
    const found = find(url);
    if (!found) throw new Error(`${url} is not in ${mirrorFile}: run sync.mjs first`);
    const { object } = found;
    // A real app edits with an iCalendar library; one property is enough here.
    const edited = object.data.replace(/^SUMMARY:.*$/m, `SUMMARY:${title}`);
    // The edit is made on the version the mirror holds: its ETag and data are the base.
    const id = queue.enqueueUpdate({ url, etag: object.etag, data: object.data }, edited);
    object.data = edited; // the app shows its own edit at once
    save();
    console.log(`queued #${id}: "${summary(edited)}" (${queue.size} queued)`);
  } else if (command === 'flush') {
    const client = new DavClient({
      serverUrl: process.env.DAV_URL,
      auth: process.env.DAV_USER ? { basic: { username: process.env.DAV_USER, password: process.env.DAV_PASSWORD ?? '' } } : undefined,
    });
    // Store the queue as begun *before* sending: after a crash the next flush verifies what
    // may already have been applied instead of applying it twice.
    writeFileSync(queueFile, queue.beginFlush());
    const { outcomes, stopped } = await client.flush(queue);
    for (const o of outcomes) {
      const k = o.kind;
      const copy = find(o.queuedUrl);
      if (k.type === 'written' && copy) {
        copy.object.etag = k.etag;
        if (k.data) copy.object.data = k.data;
        console.log(`#${o.id} written (${k.how}): "${summary(k.data)}"`);
        // The server ignored If-None-Match: * and overwrote an object that was already there.
        if (k.replaced) console.log(`   the create replaced another object at ${o.url}: it is gone from the server`);
      } else if (k.type === 'server-kept' && copy) {
        copy.object.etag = k.server?.etag ?? null;
        copy.object.data = k.server?.data ?? null;
        console.log(`#${o.id} the server's version kept (${k.policy}); dropped local "${summary(k.local)}"`);
      } else if (k.type === 'conflict') {
        console.log(`#${o.id} conflict (${k.reason}): local "${summary(k.local)}", server "${summary(k.server?.data)}"`);
        console.log(`   resolve with: offline.mjs resolve ${o.id} keep-local|keep-server`);
      } else {
        console.log(`#${o.id} ${k.type}${k.error ? `: ${k.error.kind} ${k.error.message}` : ''}`);
      }
    }
    if (stopped) console.log(`stopped early (${stopped.kind}); the rest stays queued`);
    save();
    console.log(`${queue.size} left in the queue`);
  } else if (command === 'resolve') {
    const [id, how] = args;
    const entry = queue.entries().find((e) => e.id === Number(id));
    const dropped = queue.resolve(Number(id), { type: how });
    const copy = entry && find(entry.url);
    if (how === 'keep-server' && copy) {
      // The conflict carried the server's version: the mirror takes it.
      copy.object.etag = entry.state.server?.etag ?? null;
      copy.object.data = entry.state.server?.data ?? null;
    }
    // An entry a sync moved (its object recreated under another name) that leaves the queue
    // here leaves nothing at the URL it was queued under: resolve says which URL to drop.
    const gone = dropped && find(dropped);
    if (gone) delete mirror[gone.collection].objects[dropped];
    save();
    console.log(`#${id} resolved (${how}); flush to send it`);
  } else {
    console.error('usage: offline.mjs edit <url> <title> | flush | resolve <id> keep-local|keep-server');
    process.exitCode = 64;
  }
} catch (e) {
  if (!isDavError(e)) throw e;
  console.error(`${e.message}${e.status ? ` [HTTP ${e.status}]` : ''}`);
  process.exitCode = e.kind === 'Unauthorized' ? 2 : 1;
}
