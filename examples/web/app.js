// A complete browser example: discover the calendars, sync each one incrementally (the sync
// state and the events are kept in localStorage, so a reload only asks for what changed),
// and render the events with their time zones; recurring events are expanded for the year.
import { DavClient, expand, init, isDavError } from 'davkit';

const form = document.querySelector('#connect');
const params = new URLSearchParams(location.search);
const statusLine = document.querySelector('#status');
const main = document.querySelector('#calendars');

const storeKey = (url) => `davkit-example:${url}`;
const load = (url) => JSON.parse(localStorage.getItem(storeKey(url)) ?? 'null') ?? { state: null, objects: {} };
const save = (url, data) => localStorage.setItem(storeKey(url), JSON.stringify(data));

/** Applies one sync result to what was stored: added/changed objects replace, deleted ones go. */
function apply(stored, result) {
  const objects = { ...stored.objects };
  for (const change of result.changes) {
    if (change.type === 'deleted') delete objects[change.url];
    else objects[change.url] = { etag: change.etag, data: change.data, events: change.events ?? [] };
  }
  return { state: result.state, objects };
}

function when(time) {
  if (!time) return '';
  if (time.kind === 'date') return `${time.value} (all day)`;
  return time.value.replace('T', ' ').replace(/:00Z?$/, time.kind === 'utc' ? ' UTC' : '');
}

function render(calendar, stored, result) {
  const section = document.createElement('section');
  section.dataset.calendar = calendar.displayName ?? calendar.url;
  const h2 = document.createElement('h2');
  const swatch = document.createElement('span');
  swatch.className = 'swatch';
  swatch.style.background = (calendar.color ?? '#999999').slice(0, 7);
  h2.append(swatch, calendar.displayName ?? calendar.url);
  const meta = document.createElement('div');
  meta.className = 'meta';
  const events = Object.entries(stored.objects).flatMap(([url, o]) => o.events.map((e) => ({ ...e, url, data: o.data })))
    .filter((e) => !e.recurrenceId)
    .sort((a, b) => (a.start?.utc ?? a.start?.value ?? '').localeCompare(b.start?.utc ?? b.start?.value ?? ''));
  meta.textContent = `${events.length} events · this sync: ${result.changes.length} changes (${result.method})`;
  meta.dataset.changes = String(result.changes.length);
  const list = document.createElement('ul');
  for (const e of events) {
    const li = document.createElement('li');
    li.dataset.uid = e.uid ?? '';
    const whenCell = document.createElement('div');
    whenCell.className = 'when';
    whenCell.textContent = when(e.start);
    if (e.start?.tzid) {
      const zone = document.createElement('div');
      zone.className = 'zone';
      zone.textContent = `${e.start.tzid}${e.start.utc ? ` = ${e.start.utc}` : ''}`;
      whenCell.append(zone);
    }
    const what = document.createElement('div');
    what.textContent = e.summary ?? '(no title)';
    if (e.location) what.append(` · ${e.location}`);
    if (e.rrule.length) {
      const year = Number(params.get('year') ?? new Date().getUTCFullYear());
      const x = expand(e.data, { start: `${year}-01-01T00:00:00Z`, end: `${year + 1}-01-01T00:00:00Z` });
      const mine = x.occurrences.filter((o) => o.uid === e.uid);
      const repeat = document.createElement('div');
      repeat.className = 'repeat';
      repeat.dataset.occurrences = String(mine.length);
      repeat.textContent = `repeats (${e.rrule[0]}): ${mine.length} times in ${year}`;
      what.append(repeat);
    }
    li.append(whenCell, what);
    list.append(li);
  }
  section.append(h2, meta, list);
  return section;
}

async function run({ server, user, password }) {
  document.body.dataset.status = 'running';
  statusLine.className = '';
  statusLine.textContent = 'Discovering…';
  const client = new DavClient({ serverUrl: server, auth: user ? { basic: { username: user, password } } : undefined });
  try {
    // Loads the WebAssembly module (the client's calls would too); `expand()` below is synchronous.
    await init();
    const calendars = await client.listCalendars();
    statusLine.textContent = `Syncing ${calendars.length} calendars…`;
    const sections = [];
    for (const calendar of calendars) {
      const stored = load(calendar.url);
      const result = await client.sync(calendar, stored.state);
      const next = apply(stored, result);
      save(calendar.url, next);
      sections.push(render(calendar, next, result));
    }
    main.replaceChildren(...sections);
    statusLine.textContent = `Synced ${calendars.length} calendars at ${new Date().toLocaleTimeString()}.`;
    document.body.dataset.status = 'done';
  } catch (e) {
    statusLine.className = 'error';
    statusLine.textContent = isDavError(e) ? e.message : String(e);
    if (isDavError(e, 'Transport')) statusLine.textContent += ' (no CORS headers? see the README on proxies)';
    document.body.dataset.status = 'error';
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  run(Object.fromEntries(new FormData(form)));
});

// `?server=…&user=…&password=…&autorun=1` fills the form and syncs, `&year=` picks the year
// to expand (used by the browser test).
for (const name of ['server', 'user', 'password']) if (params.has(name)) form.elements[name].value = params.get(name);
if (params.get('autorun') === '1') run(Object.fromEntries(new FormData(form)));
