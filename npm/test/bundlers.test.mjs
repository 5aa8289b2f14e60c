// The package in the three bundlers people use, each with its default configuration (no config
// file): a fresh project that imports `davkit` is built by Vite 6, webpack 5 and esbuild, and the
// page each one emits runs in headless Chromium (Debian's, via playwright-core). The page checks
// that a synchronous function asks for `init()` first and that init() from a missing .wasm is a
// DavError, uses a DavClient before `init()` (the client loads the module itself), parses and
// expands an event, and (under
// tests/servers/servers.py) lists and syncs alice's calendars on the local Radicale over CORS.
// The same for `davkit/protocol` (the DAV-only module): its .wasm is the one emitted, and the
// synced objects carry their text without parsed views; and for `davkit/formats` (no client):
// its .wasm is the one emitted, and it parses, expands (a zone from Intl) and edits an event;
// and for `davkit/gcal` (`davkit` plus the Google Calendar API): the same app, its .wasm is the
// one emitted, and its client asks the Calendar API (an injected fetch), which `davkit`'s refuses.
// And the two-module way the README's Size section gives for the smallest download: an app on
// `davkit/protocol` that loads `davkit/formats` by a dynamic import when it first shows objects;
// both .wasm files are emitted, only the protocol's is fetched before the import, and the
// formats' parse what the protocol's client synced.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { npmDir } from './helpers.mjs';
import { launchChromium, serveStatic } from './static-server.mjs';

const radicale = process.env.DAVKIT_RADICALE_URL;
const scratch = mkdtempSync(join(tmpdir(), 'davkit-bundlers-'));
const bin = (name) => join(npmDir, 'node_modules', '.bin', name);
let browser;

const ICS = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'BEGIN:VEVENT', 'UID:w@t', 'DTSTAMP:20260101T000000Z',
  'DTSTART;TZID=Europe/Berlin:20260302T093000', 'DURATION:PT15M', 'SUMMARY:Weekly', 'RRULE:FREQ=WEEKLY;COUNT=3',
  'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');

// No top-level await in the app either: Vite's default target refuses it.
const APP = `import { init, DavClient, parseCalendar, expand, isDavError } from 'davkit';
const ics = ${JSON.stringify(ICS)};
async function main() {
  const out = {};
  try { parseCalendar(ics); out.beforeInit = 'no error'; } catch (e) { out.beforeInit = isDavError(e, 'InvalidInput'); }
  // a .wasm that does not load: an InvalidInput DavError, and a later init() may try again
  out.badWasm = await init({ wasm: new URL('/no-such.wasm', location.href) }).then(() => 'loaded', (e) => isDavError(e, 'InvalidInput'));
  const server = new URLSearchParams(location.search).get('server');
  if (server) {
    const client = new DavClient({ serverUrl: server, auth: { basic: { username: 'alice', password: 'alice-pass' } } });
    const calendars = await client.listCalendars();
    out.calendars = calendars.map((c) => c.displayName).sort();
    const work = calendars.find((c) => c.displayName === 'Work');
    const synced = await client.sync(work, null);
    out.workSummaries = synced.changes.flatMap((c) => (c.events ?? []).map((e) => e.summary)).length;
  }
  // The Google Calendar API (through a fetch that answers here): davkit refuses it, davkit/gcal asks.
  const seen = [];
  const fetch = async (url) => {
    seen.push(url);
    return new Response(JSON.stringify({ items: [{ id: 'p@example.com', primary: true }] }), { headers: { 'content-type': 'application/json' } });
  };
  const google = new DavClient({ serverUrl: 'https://www.googleapis.com/calendar/v3/', auth: { bearer: 't' }, fetch });
  out.gcal = await google.gcalCalendars().then((list) => list.map((c) => c.id), (e) => (isDavError(e, 'Unsupported') ? e.message : String(e)));
  out.gcalRequests = seen;
  await init();
  out.summary = parseCalendar(ics).events[0].summary;
  out.utc = expand(ics, { start: '2026-03-01T00:00:00Z', end: '2026-04-01T00:00:00Z' }).occurrences.map((o) => o.startUtc);
  document.body.dataset.result = JSON.stringify(out);
}
main().catch((e) => { document.body.dataset.error = String(e && e.stack || e); });
`;

// `davkit/gcal`: the same app from the entry with the Google Calendar API.
const GCAL_APP = APP.replace("from 'davkit';", "from 'davkit/gcal';");

// The protocol-only entry: the same client, no parsing functions, no parsed views.
const PROTOCOL_APP = `import { init, DavClient, coreVersion, isDavError } from 'davkit/protocol';
async function main() {
  const out = {};
  try { coreVersion(); out.beforeInit = 'no error'; } catch (e) { out.beforeInit = isDavError(e, 'InvalidInput'); }
  out.badWasm = await init({ wasm: new URL('/no-such.wasm', location.href) }).then(() => 'loaded', (e) => isDavError(e, 'InvalidInput'));
  const server = new URLSearchParams(location.search).get('server');
  if (server) {
    const client = new DavClient({ serverUrl: server, auth: { basic: { username: 'alice', password: 'alice-pass' } } });
    const calendars = await client.listCalendars();
    out.calendars = calendars.map((c) => c.displayName).sort();
    const work = calendars.find((c) => c.displayName === 'Work');
    const synced = await client.sync(work, null);
    out.workObjects = synced.changes.filter((c) => c.data.startsWith('BEGIN:VCALENDAR')).length;
    out.parsedViews = synced.changes.filter((c) => 'events' in c).length;
  }
  await init();
  out.version = coreVersion();
  document.body.dataset.result = JSON.stringify(out);
}
main().catch((e) => { document.body.dataset.error = String(e && e.stack || e); });
`;

const FORMATS_APP = `import { init, parseCalendar, expand, parseView, EventEditor, isDavError, coreVersion } from 'davkit/formats';
import * as entry from 'davkit/formats';
const ics = ${JSON.stringify(ICS)};
async function main() {
  const out = {};
  try { parseCalendar(ics); out.beforeInit = 'no error'; } catch (e) { out.beforeInit = isDavError(e, 'InvalidInput'); }
  out.badWasm = await init({ wasm: new URL('/no-such.wasm', location.href) }).then(() => 'loaded', (e) => isDavError(e, 'InvalidInput'));
  await init();
  out.summary = parseCalendar(ics).events[0].summary;
  out.utc = expand(ics, { start: '2026-03-01T00:00:00Z', end: '2026-04-01T00:00:00Z' }).occurrences.map((o) => o.startUtc);
  out.view = parseView(ics).events.length;
  const editor = new EventEditor(ics);
  editor.setSummary('w@t', 'Renamed');
  out.edited = parseCalendar(editor.toIcs()).events[0].summary;
  out.client = 'DavClient' in entry;
  out.version = coreVersion();
  document.body.dataset.result = JSON.stringify(out);
}
main().catch((e) => { document.body.dataset.error = String(e && e.stack || e); });
`;

// What the README's Size section proposes for the smallest download: `davkit/protocol` when the
// page starts, `davkit/formats` loaded by a dynamic import when the first objects are to be shown.
// The page records which .wasm files it has fetched before and after that import: the formats'
// module must not be fetched (nor, in the bundlers that split, its JS run) before it is asked for.
const LAZY_APP = `import { init, DavClient, coreVersion } from 'davkit/protocol';
const wasmFetched = () => performance.getEntriesByType('resource').map((r) => new URL(r.name).pathname.split('/').pop()).filter((n) => n.endsWith('.wasm')).sort();
async function main() {
  const out = {};
  await init();
  out.version = coreVersion();
  const ics = ${JSON.stringify(ICS)};
  const server = new URLSearchParams(location.search).get('server');
  let texts = [ics];
  if (server) {
    const alice = new DavClient({ serverUrl: server, auth: { basic: { username: 'alice', password: 'alice-pass' } } });
    const work = (await alice.listCalendars()).find((c) => c.displayName === 'Work');
    texts = (await alice.sync(work, null)).changes.map((c) => c.data);
  }
  out.before = wasmFetched();
  const formats = await import('davkit/formats');
  await formats.init();
  out.after = wasmFetched();
  out.events = texts.flatMap((t) => formats.parseView(t).events ?? []).map((e) => e.summary).length;
  document.body.dataset.result = JSON.stringify(out);
}
main().catch((e) => { document.body.dataset.error = String(e && e.stack || e); });
`;

function checkLazy(result, names) {
  assert.match(result.version, /^\d+\.\d+\.\d+/);
  assert.deepEqual(result.before.map(names), ['davkit_protocol_bg'], `the .wasm fetched before the import: ${result.before}`);
  assert.deepEqual(result.after.map(names).sort(), ['davkit_formats_bg', 'davkit_protocol_bg'], `the .wasm fetched after it: ${result.after}`);
  // Work: 6 objects, 7 VEVENTs (the stand-up has an overriding instance); without a server, the one event here.
  assert.equal(result.events, radicale ? 7 : 1);
}

function checkFormats(result) {
  assert.equal(result.beforeInit, true, 'parseCalendar before init() is an InvalidInput DavError');
  assert.equal(result.badWasm, true, 'init() from a missing .wasm is an InvalidInput DavError');
  assert.equal(result.summary, 'Weekly');
  assert.deepEqual(result.utc, ['2026-03-02T08:30:00Z', '2026-03-09T08:30:00Z', '2026-03-16T08:30:00Z']);
  assert.equal(result.view, 1);
  assert.equal(result.edited, 'Renamed');
  assert.equal(result.client, false);
  assert.match(result.version, /^\d+\.\d+\.\d+/);
}

function checkProtocol(result) {
  assert.equal(result.beforeInit, true, 'coreVersion before init() is an InvalidInput DavError');
  assert.equal(result.badWasm, true, 'init() from a missing .wasm is an InvalidInput DavError');
  assert.match(result.version, /^\d+\.\d+\.\d+/);
  if (radicale) {
    assert.deepEqual(result.calendars, ['Personal', 'Work']);
    assert.equal(result.workObjects, 6);
    assert.equal(result.parsedViews, 0);
  }
}

before(async () => {
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', scratch], { cwd: npmDir, encoding: 'utf8' });
  const tarball = join(scratch, out.trim().split('\n').pop());
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', tarball], { cwd: scratch, stdio: 'pipe' });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** Serves `dir`, opens `page` there and returns what the app wrote (or fails with its error). */
async function runPage(dir, page = 'index.html') {
  const site = await serveStatic(dir);
  try {
    const tab = await browser.newPage();
    const errors = [];
    tab.on('pageerror', (e) => errors.push(e.message));
    const query = radicale ? `?${new URLSearchParams({ server: new URL('alice/', radicale).href })}` : '';
    await tab.goto(`${site.url}/${page}${query}`);
    await tab.waitForFunction(() => document.body.dataset.result || document.body.dataset.error, null, { timeout: 30000 });
    const error = await tab.evaluate(() => document.body.dataset.error);
    assert.equal(error, undefined);
    assert.deepEqual(errors, []);
    const result = JSON.parse(await tab.evaluate(() => document.body.dataset.result));
    await tab.close();
    return result;
  } finally {
    await site.close();
  }
}

/**
 * Which of the package's modules each .wasm file a build emitted under `dir` is, compared by
 * bytes (webpack names them by hash): a function from a file name to the module's name.
 */
function wasmNames(dir) {
  const ours = readdirSync(join(scratch, 'node_modules/davkit/dist/wasm')).filter((f) => f.endsWith('.wasm'))
    .map((f) => [f.slice(0, -'.wasm'.length), readFileSync(join(scratch, 'node_modules/davkit/dist/wasm', f))]);
  const names = new Map();
  for (const f of readdirSync(dir, { recursive: true }).filter((f) => f.endsWith('.wasm'))) {
    const bytes = readFileSync(join(dir, f));
    names.set(f.split('/').pop(), ours.find(([, b]) => b.equals(bytes))?.[0] ?? `not the package's: ${f}`);
  }
  return (file) => names.get(file) ?? `not emitted: ${file}`;
}

function check(result) {
  assert.equal(result.gcal, "Unsupported: gcalCalendars (the Google Calendar API) is not in this entry: import it from 'davkit/gcal'");
  assert.deepEqual(result.gcalRequests, []);
  checkFull(result);
}

function checkGcal(result) {
  assert.deepEqual(result.gcal, ['p@example.com']);
  assert.deepEqual(result.gcalRequests, ['https://www.googleapis.com/calendar/v3/users/me/calendarList']);
  checkFull(result);
}

function checkFull(result) {
  assert.equal(result.beforeInit, true, 'parseCalendar before init() is an InvalidInput DavError');
  assert.equal(result.badWasm, true, 'init() from a missing .wasm is an InvalidInput DavError');
  assert.equal(result.summary, 'Weekly');
  assert.deepEqual(result.utc, ['2026-03-02T08:30:00Z', '2026-03-09T08:30:00Z', '2026-03-16T08:30:00Z']);
  if (radicale) {
    assert.deepEqual(result.calendars, ['Personal', 'Work']);
    // Work: 6 objects, 7 VEVENTs (the stand-up has an overriding instance).
    assert.equal(result.workSummaries, 7);
  }
}

/** A fresh project directory holding the app as `file`. */
function project(name, file, app) {
  const dir = join(scratch, name);
  mkdirSync(join(dir, ...file.split('/').slice(0, -1)), { recursive: true });
  writeFileSync(join(dir, file), app);
  return dir;
}

const ENTRIES = [
  { entry: 'davkit', app: APP, wasm: ['davkit_client_bg', 'davkit_extras_bg'], check },
  { entry: 'davkit/gcal', app: GCAL_APP, wasm: 'davkit_wasm_bg', check: checkGcal },
  { entry: 'davkit/protocol', app: PROTOCOL_APP, wasm: 'davkit_protocol_bg', check: checkProtocol },
  { entry: 'davkit/formats', app: FORMATS_APP, wasm: 'davkit_formats_bg', check: checkFormats },
  { entry: 'davkit/protocol, then davkit/formats on first use', tag: 'lazy', app: LAZY_APP, wasm: ['davkit_protocol_bg', 'davkit_formats_bg'], check: checkLazy },
];

for (const { entry, tag = entry.replace('/', '-'), app, wasm, check } of ENTRIES) {
// The .wasm files the app's build must emit, by name.
const wasms = [wasm].flat();

test(`${entry}: Vite 6, default configuration: builds and runs in Chromium`, { timeout: 120000 }, async () => {
  const dir = project(`vite-${tag}`, 'main.js', app);
  writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><body><script type="module" src="/main.js"></script></body>');
  execFileSync(bin('vite'), ['build', '--logLevel', 'warn'], { cwd: dir, stdio: 'pipe' });
  const assets = readdirSync(join(dir, 'dist', 'assets'));
  const emitted = assets.filter((f) => f.endsWith('.wasm'));
  assert.deepEqual(wasms.map((w) => emitted.filter((f) => f.startsWith(w)).length), wasms.map(() => 1), `${wasms} emitted: ${assets}`);
  assert.equal(emitted.length, wasms.length, `only ${wasms} emitted: ${assets}`);
  check(await runPage(join(dir, 'dist')), wasmNames(join(dir, 'dist')));
});

test(`${entry}: webpack 5, default configuration: builds and runs in Chromium`, { timeout: 120000 }, async () => {
  const dir = project(`webpack-${tag}`, 'src/index.js', app);
  execFileSync(bin('webpack'), [], { cwd: dir, stdio: 'pipe' });
  const assets = readdirSync(join(dir, 'dist'));
  const emitted = assets.filter((f) => f.endsWith('.wasm')).map((f) => readFileSync(join(dir, 'dist', f)));
  assert.equal(emitted.length, wasms.length, `${wasms.length} .wasm emitted: ${assets}`);
  for (const w of wasms) {
    const bytes = readFileSync(join(scratch, `node_modules/davkit/dist/wasm/${w}.wasm`));
    assert.ok(emitted.some((e) => e.equals(bytes)), `the ${w}.wasm was emitted`);
  }
  writeFileSync(join(dir, 'dist', 'index.html'), '<!doctype html><meta charset="utf-8"><body><script src="main.js"></script></body>');
  check(await runPage(join(dir, 'dist')), wasmNames(join(dir, 'dist')));
});

test(`${entry}: esbuild, default configuration (an iife classic script): builds and runs in Chromium`, { timeout: 120000 }, async () => {
  const dir = project(`esbuild-${tag}`, 'src/index.js', app);
  execFileSync(bin('esbuild'), ['src/index.js', '--bundle', '--outfile=dist/app.js', '--log-level=warning'], { cwd: dir, stdio: 'pipe' });
  assert.doesNotMatch(readFileSync(join(dir, 'dist', 'app.js'), 'utf8'), /node:fs/);
  // esbuild copies no assets: the .wasm goes to wasm/ next to the script (the README says so).
  mkdirSync(join(dir, 'dist', 'wasm'));
  for (const w of wasms) cpSync(join(scratch, `node_modules/davkit/dist/wasm/${w}.wasm`), join(dir, 'dist', 'wasm', `${w}.wasm`));
  writeFileSync(join(dir, 'dist', 'index.html'), '<!doctype html><meta charset="utf-8"><body><script src="app.js"></script></body>');
  check(await runPage(join(dir, 'dist')), wasmNames(join(dir, 'dist')));
});
}
