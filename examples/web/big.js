// A large calendar in the browser, the same page for two libraries: davkit, and tsdav with
// ical.js (what an app without davkit would use). Bundled by esbuild with its defaults (an iife
// classic script; npm/test/web-big.test.mjs and npm/bench/web.mjs build it), opened as
// big.html?lib=davkit|davkit-batches|davkit-query|tsdav&collection=URL&user=U&password=P. It syncs the collection from
// nothing and appends each event (start and summary) to the list as soon as it has it, then
// writes the times to <body data-first-event data-total data-count> (milliseconds from the
// start of the sync to the first event shown, and to the last).
//
// davkit: one `sync` (a sync-collection report, then the members in one multiget); with
// davkit-batches, `syncBatches` of 200 members, so the first events are shown after the first
// batch while the rest are fetched. The parsed view of each object is read (and computed) when
// rendered. davkit-query: `calendarQuery`, the same single request tsdav sends. tsdav: `fetchCalendarObjects` (one calendar-query of the whole collection), then
// each object's text parsed by ical.js.
import { DavClient } from 'davkit';
import { fetchCalendarObjects } from 'tsdav';
import ICAL from 'ical.js';

const params = new URLSearchParams(location.search);
const list = document.querySelector('#events');
const status = document.querySelector('#status');
const t0 = performance.now();
let first = null;
// When the first event was shown, from the page's navigation (the bundle's and the modules'
// download included): what a page-load benchmark over a slow link compares.
let firstAt = null;
let count = 0;

/** Shows events: [{ start, summary }]. */
function show(events) {
  if (!events.length) return;
  const items = events.map(({ start, summary }) => {
    const li = document.createElement('li');
    li.textContent = `${start ?? ''} · ${summary ?? '(no title)'}`;
    return li;
  });
  list.append(...items);
  count += items.length;
  if (first === null) {
    firstAt = performance.now();
    first = firstAt - t0;
  }
  status.textContent = `${count} events…`;
}

const eventsOf = (changes) => changes.flatMap((c) => (c.events ?? []).map((e) => ({ start: e.start?.value, summary: e.summary })));

async function withDavkit(collection, user, password) {
  const client = new DavClient({ serverUrl: collection, auth: { basic: { username: user, password } } });
  const result = await client.sync({ url: collection, kind: 'calendar' }, null);
  show(eventsOf(result.changes));
}

async function withDavkitQuery(collection, user, password) {
  const client = new DavClient({ serverUrl: collection, auth: { basic: { username: user, password } } });
  show(eventsOf(await client.calendarQuery({ url: collection, kind: 'calendar' })));
}

async function withDavkitBatches(collection, user, password) {
  const client = new DavClient({ serverUrl: collection, auth: { basic: { username: user, password } } });
  for await (const batch of client.syncBatches({ url: collection, kind: 'calendar' }, null, { maxMembers: 200 })) {
    show(eventsOf(batch.changes));
    // let the browser paint this batch before the next one is parsed
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

async function withTsdav(collection, user, password) {
  const headers = { authorization: `Basic ${btoa(`${user}:${password}`)}` };
  const objects = await fetchCalendarObjects({ calendar: { url: collection }, headers });
  show(objects.flatMap((o) => {
    if (!o.data) return [];
    const vcalendar = new ICAL.Component(ICAL.parse(o.data));
    return vcalendar.getAllSubcomponents('vevent').map((v) => {
      const event = new ICAL.Event(v);
      return { start: event.startDate?.toString(), summary: event.summary };
    });
  }));
}

async function main() {
  const lib = params.get('lib') ?? 'davkit';
  const run = { davkit: withDavkit, 'davkit-batches': withDavkitBatches, 'davkit-query': withDavkitQuery, tsdav: withTsdav }[lib];
  await run(params.get('collection'), params.get('user') ?? '', params.get('password') ?? '');
  const total = performance.now() - t0;
  status.textContent = `${count} events with ${lib}: first shown after ${first?.toFixed(0)} ms, all after ${total.toFixed(0)} ms`;
  Object.assign(document.body.dataset, {
    firstEvent: String(first ?? -1), firstAt: String(firstAt ?? -1), total: String(total), count: String(count), status: 'done',
  });
}

main().catch((e) => {
  status.textContent = String(e?.stack ?? e);
  document.body.dataset.status = 'error';
});
