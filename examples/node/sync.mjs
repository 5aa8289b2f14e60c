#!/usr/bin/env node
// A complete node example: discover the calendars and address books of an account, sync each
// one into a local JSON file (the sync state plus the objects), and print what changed. Run it
// again and only the changes are fetched.
//
//   DAV_URL=https://dav.example.com/ DAV_USER=alice DAV_PASSWORD=app-password \
//     node examples/node/sync.mjs [state-file.json]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { DavClient, isDavError } from 'davkit';

const file = process.argv[2] ?? 'davkit-sync.json';
const client = new DavClient({
  serverUrl: process.env.DAV_URL,
  auth: process.env.DAV_USER ? { basic: { username: process.env.DAV_USER, password: process.env.DAV_PASSWORD ?? '' } } : undefined,
});
// { [collectionUrl]: { state, objects: { [url]: { etag, data } } } }
const store = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};

function describe(change) {
  if (change.type === 'deleted') return `deleted ${change.url}`;
  if (change.contact) return `${change.type} contact ${change.contact.fullName}`;
  const event = change.events?.[0];
  if (!event) return `${change.type} ${change.url}${change.parseError ? ` (unreadable: ${change.parseError})` : ''}`;
  const start = event.start ? `${event.start.value}${event.start.tzid ? ` ${event.start.tzid}` : ''}` : 'no start';
  return `${change.type} ${event.component} "${event.summary ?? ''}" at ${start}${event.rrule.length ? ' (recurring)' : ''}`;
}

try {
  const { collections } = await client.discover();
  for (const collection of collections) {
    const saved = store[collection.url] ?? { state: null, objects: {} };
    const result = await client.sync(collection, saved.state);
    for (const change of result.changes) {
      if (change.type === 'deleted') delete saved.objects[change.url];
      else saved.objects[change.url] = { etag: change.etag, data: change.data };
      console.log(`  ${describe(change)}`);
    }
    saved.state = result.state; // store the state only after applying the changes
    store[collection.url] = saved;
    console.log(`${collection.displayName ?? collection.url}: ${result.changes.length} changes, ${Object.keys(saved.objects).length} objects (${result.method})`);
  }
  writeFileSync(file, JSON.stringify(store, null, 2));
} catch (e) {
  if (!isDavError(e)) throw e;
  console.error(`${e.message}${e.status ? ` [HTTP ${e.status}]` : ''}`);
  process.exitCode = e.kind === 'Unauthorized' ? 2 : 1;
}
