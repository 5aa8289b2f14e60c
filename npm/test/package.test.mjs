// The package as users get it: `npm pack`, install the tarball into a scratch project, import
// it from node ESM, type-check an app against the published index.d.ts, and bundle it with
// esbuild (browser and node platforms), running the browser bundle in headless Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { npmDir } from './helpers.mjs';
import { launchChromium, serveStatic } from './static-server.mjs';

const scratch = mkdtempSync(join(tmpdir(), 'davkit-pkg-'));
const bin = (name) => join(npmDir, 'node_modules', '.bin', name);
let tarball;

const ICS = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//EN', 'BEGIN:VEVENT', 'UID:w@t', 'DTSTAMP:20260101T000000Z',
  'DTSTART;TZID=Europe/Berlin:20260302T093000', 'DURATION:PT15M', 'SUMMARY:Weekly', 'RRULE:FREQ=WEEKLY;COUNT=3',
  'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');

// The app every consumer runs (ESM with top-level await in the app, which the package itself
// no longer uses; see bundlers.test.mjs for the default bundler configurations): init, parse, expand, and one PROPFIND through an injected fetch.
const APP = `import { init, DavClient, isDavError, parseCalendar, expand } from 'davkit';
await init();
const ics = ${JSON.stringify(ICS)};
const parsed = parseCalendar(ics);
const x = expand(ics, { start: '2026-03-01T00:00:00Z', end: '2026-04-01T00:00:00Z' });
const seen = [];
const fetch = async (url, init) => { seen.push(init.method + ' ' + url); return new Response('', { status: 404 }); };
const client = new DavClient({ serverUrl: 'https://dav.example.com/', auth: { bearer: 't' }, fetch });
const error = await client.getObject('https://dav.example.com/cal/x.ics').catch((e) => e);
export const result = { summary: parsed.events[0].summary, tzid: parsed.events[0].start.tzid,
  utc: x.occurrences.map((o) => o.startUtc), notFound: isDavError(error, 'NotFound'), status: error.status, seen };
`;
const EXPECTED = {
  summary: 'Weekly', tzid: 'Europe/Berlin',
  utc: ['2026-03-02T08:30:00Z', '2026-03-09T08:30:00Z', '2026-03-16T08:30:00Z'],
  notFound: true, status: 404, seen: ['GET https://dav.example.com/cal/x.ics'],
};

before(() => {
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', scratch], { cwd: npmDir, encoding: 'utf8' });
  tarball = join(scratch, out.trim().split('\n').pop());
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', tarball], { cwd: scratch, stdio: 'pipe' });
  writeFileSync(join(scratch, 'app.mjs'), APP);
});

after(() => rmSync(scratch, { recursive: true, force: true }));

test('the tarball holds only the package files', () => {
  const list = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).trim().split('\n').sort();
  assert.deepEqual(list, ['package/README.md', 'package/dist/api.js', 'package/dist/browser.js', 'package/dist/edit.js', 'package/dist/extras.js',
    'package/dist/formats/api.js', 'package/dist/formats/browser.js', 'package/dist/formats/edit.js', 'package/dist/formats/node.js',
    'package/dist/formats/view.js', 'package/dist/gcal/api.js', 'package/dist/gcal/browser.js', 'package/dist/gcal/edit.js', 'package/dist/gcal/node.js', 'package/dist/http.js',
    'package/dist/node.js', 'package/dist/protocol/api.js', 'package/dist/protocol/browser.js', 'package/dist/protocol/node.js',
    'package/dist/wasm/davkit_client.js', 'package/dist/wasm/davkit_client_bg.wasm', 'package/dist/wasm/davkit_extras.js', 'package/dist/wasm/davkit_extras_bg.wasm',
    'package/dist/wasm/davkit_formats.js', 'package/dist/wasm/davkit_formats_bg.wasm',
    'package/dist/wasm/davkit_protocol.js', 'package/dist/wasm/davkit_protocol_bg.wasm',
    'package/dist/wasm/davkit_wasm.js', 'package/dist/wasm/davkit_wasm_bg.wasm', 'package/dist/zones.js', 'package/formats.d.ts', 'package/gcal.d.ts', 'package/index.d.ts',
    'package/package.json', 'package/protocol.d.ts']);
});

test('node ESM imports the installed package', () => {
  writeFileSync(join(scratch, 'run.mjs'), "import { result } from './app.mjs'; console.log(JSON.stringify(result));");
  const out = execFileSync(process.execPath, ['run.mjs'], { cwd: scratch, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), EXPECTED);
});

test('tsc --noEmit checks an app against the published index.d.ts, and one against gcal.d.ts', () => {
  for (const file of ['types-check.ts', 'types-check-gcal.ts']) {
    cpSync(join(npmDir, 'test', file), join(scratch, file));
    execFileSync(bin('tsc'), ['--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext',
      '--lib', 'es2022,dom', file], { cwd: scratch, stdio: 'pipe' });
  }
  // and a wrong use is rejected (the types are not `any`)
  writeFileSync(join(scratch, 'wrong.ts'), "import { DavClient } from 'davkit';\nnew DavClient({ server: 'x' });\n");
  assert.throws(() => execFileSync(bin('tsc'), ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', 'wrong.ts'],
    { cwd: scratch, stdio: 'pipe' }));
});

test('davkit/protocol: node ESM imports it, tsc checks an app against protocol.d.ts, no parsing exports', () => {
  const app = `import { init, DavClient, isDavError, markPending, coreVersion, type SyncState } from 'davkit/protocol';
import * as entry from 'davkit/protocol';
await init();
const client = new DavClient({ serverUrl: 'https://dav.example.com/', fetch: async () => new Response('', { status: 404 }) });
const error: unknown = await client.getObject('https://dav.example.com/cal/x.ics').catch((e: unknown) => e);
const state: SyncState = markPending({ collectionUrl: 'https://dav.example.com/cal/', syncToken: null, ctag: null, etags: {} }, 'https://dav.example.com/cal/a.ics');
console.log(JSON.stringify({ notFound: isDavError(error, 'NotFound'), pending: state.pending, version: coreVersion(),
  exports: Object.keys(entry).sort() }));
`;
  writeFileSync(join(scratch, 'protocol-app.mts'), app);
  execFileSync(bin('tsc'), ['--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext',
    '--lib', 'es2022,dom', 'protocol-app.mts'], { cwd: scratch, stdio: 'pipe' });
  const out = JSON.parse(execFileSync(process.execPath, ['protocol-app.mjs'], { cwd: scratch, encoding: 'utf8' }));
  assert.deepEqual(out, {
    notFound: true, pending: ['https://dav.example.com/cal/a.ics'], version: out.version,
    exports: ['DavClient', 'DavError', 'coreVersion', 'init', 'isDavError', 'markPending', 'recordDelete', 'recordRead', 'recordWrite'],
  });
  assert.match(out.version, /^\d+\.\d+\.\d+/);
});

test('davkit/formats: node ESM imports it, tsc checks an app against formats.d.ts, no client exports', () => {
  const app = `import { parseCalendar, parseView, expand, EventEditor, isDavError, type ParsedView, type Expansion } from 'davkit/formats';
import * as entry from 'davkit/formats';
const ics = ${JSON.stringify(ICS)};
const view: ParsedView = parseView(ics, { maxContentLines: 1000 });
const x: Expansion = expand(ics, { start: '2026-03-01T00:00:00Z', end: '2026-04-01T00:00:00Z' });
const editor = new EventEditor(ics);
editor.setSummary('w@t', 'Renamed');
let error: unknown;
try { parseCalendar('nope'); } catch (e) { error = e; }
console.log(JSON.stringify({ summary: view.events?.[0]?.summary, utc: x.occurrences.map((o) => o.startUtc),
  edited: parseCalendar(editor.toIcs()).events[0].summary, invalid: isDavError(error, 'ICalendar'), exports: Object.keys(entry).sort() }));
`;
  writeFileSync(join(scratch, 'formats-app.mts'), app);
  execFileSync(bin('tsc'), ['--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext',
    '--lib', 'es2022,dom', 'formats-app.mts'], { cwd: scratch, stdio: 'pipe' });
  const out = JSON.parse(execFileSync(process.execPath, ['formats-app.mjs'], { cwd: scratch, encoding: 'utf8' }));
  assert.deepEqual(out, {
    summary: 'Weekly', utc: EXPECTED.utc, edited: 'Renamed', invalid: true,
    exports: ['ContactEditor', 'DavError', 'EventEditor', 'convertContact', 'coreVersion', 'expand', 'init', 'isDavError',
      'parseCalendar', 'parseContact', 'parseContacts', 'parseView'],
  });
});

test('davkit/gcal: node ESM imports it, tsc checks an app against gcal.d.ts, davkit refuses the Calendar API', () => {
  const app = `import { DavClient, GOOGLE_CALENDAR_API, type CalendarListEntry } from 'davkit/gcal';
import * as entry from 'davkit/gcal';
import * as plain from 'davkit';
const seen: string[] = [];
const fetch = async (url: string) => {
  seen.push(url);
  return new Response(JSON.stringify({ items: [{ id: 'primary@example.com', accessRole: 'owner', primary: true }] }), { headers: { 'content-type': 'application/json' } });
};
const list: CalendarListEntry[] = await new DavClient({ serverUrl: GOOGLE_CALENDAR_API, auth: { bearer: 't' }, fetch }).gcalCalendars();
const refused: unknown = await (new plain.DavClient({ serverUrl: GOOGLE_CALENDAR_API, auth: { bearer: 't' }, fetch }) as DavClient).gcalCalendars().catch((e: unknown) => e);
const gcalOnly = Object.keys(entry).filter((k) => !(k in plain)).sort();
console.log(JSON.stringify({ ids: list.map((c) => c.id), seen, unsupported: plain.isDavError(refused, 'Unsupported'),
  message: String((refused as Error).message), gcalOnly, missing: Object.keys(plain).filter((k) => !(k in entry)) }));
`;
  writeFileSync(join(scratch, 'gcal-app.mts'), app);
  execFileSync(bin('tsc'), ['--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext',
    '--lib', 'es2022,dom', 'gcal-app.mts'], { cwd: scratch, stdio: 'pipe' });
  const out = JSON.parse(execFileSync(process.execPath, ['gcal-app.mjs'], { cwd: scratch, encoding: 'utf8' }));
  assert.deepEqual(out, {
    ids: ['primary@example.com'], seen: ['https://www.googleapis.com/calendar/v3/users/me/calendarList'], unsupported: true,
    message: "Unsupported: gcalCalendars (the Google Calendar API) is not in this entry: import it from 'davkit/gcal'",
    gcalOnly: ['GOOGLE_CALENDAR_API', 'channelNeedsRenewal', 'gcalAttendeeStatuses', 'parseNotification'], missing: [],
  });
});

test('esbuild bundle for node runs (the .wasm copied next to the bundle)', () => {
  writeFileSync(join(scratch, 'node-entry.mjs'), "import { result } from './app.mjs'; console.log(JSON.stringify(result));");
  execFileSync(bin('esbuild'), ['node-entry.mjs', '--bundle', '--platform=node', '--format=esm', '--outfile=out-node/app.mjs', '--log-level=warning'], { cwd: scratch });
  mkdirSync(join(scratch, 'out-node', 'wasm'), { recursive: true });
  for (const w of ['davkit_client_bg.wasm', 'davkit_extras_bg.wasm']) {
    cpSync(join(scratch, 'node_modules/davkit/dist/wasm', w), join(scratch, 'out-node/wasm', w));
  }
  const out = execFileSync(process.execPath, ['out-node/app.mjs'], { cwd: scratch, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), EXPECTED);
});

test('esbuild bundle for the browser runs in headless Chromium', async () => {
  writeFileSync(join(scratch, 'web-entry.mjs'), "import { result } from './app.mjs'; document.body.dataset.result = JSON.stringify(result);");
  execFileSync(bin('esbuild'), ['web-entry.mjs', '--bundle', '--platform=browser', '--format=esm', '--outfile=out-web/app.js', '--log-level=warning'], { cwd: scratch });
  const bundle = readFileSync(join(scratch, 'out-web/app.js'), 'utf8');
  assert.ok(!bundle.includes('node:fs'), 'the browser bundle must not pull in the node entry');
  mkdirSync(join(scratch, 'out-web', 'wasm'), { recursive: true });
  for (const w of ['davkit_client_bg.wasm', 'davkit_extras_bg.wasm']) {
    cpSync(join(scratch, 'node_modules/davkit/dist/wasm', w), join(scratch, 'out-web/wasm', w));
  }
  writeFileSync(join(scratch, 'out-web/index.html'), '<!doctype html><meta charset="utf-8"><body><script type="module" src="app.js"></script></body>');
  const server = await serveStatic(join(scratch, 'out-web'));
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => document.body.dataset.result, null, { timeout: 20000 });
    const result = JSON.parse(await page.evaluate(() => document.body.dataset.result));
    assert.deepEqual(errors, []);
    assert.deepEqual(result, EXPECTED);
  } finally {
    await browser.close();
    await server.close();
  }
});

/** The first fenced block of `lang` after `heading` in the README. */
export function readmeBlock(heading, lang) {
  const text = readFileSync(join(npmDir, 'README.md'), 'utf8');
  const from = text.indexOf(heading);
  const open = text.indexOf('```' + lang + '\n', from);
  return text.slice(open + lang.length + 4, text.indexOf('\n```', open + 1) + 1);
}

test('the README node example (= examples/node/sync.mjs) syncs Radicale, then only changes', {
  skip: process.env.DAVKIT_RADICALE_URL ? false : 'DAVKIT_RADICALE_URL is not set',
}, () => {
  const example = readFileSync(join(npmDir, '..', 'examples', 'node', 'sync.mjs'), 'utf8');
  const fromReadme = readmeBlock('## Node: a complete example', 'js');
  assert.ok(example.endsWith(fromReadme.split('\n').slice(1).join('\n')), 'the README shows examples/node/sync.mjs');
  writeFileSync(join(scratch, 'sync.mjs'), fromReadme);
  const env = { ...process.env, DAV_URL: process.env.DAVKIT_RADICALE_URL, DAV_USER: 'alice', DAV_PASSWORD: 'alice-pass' };
  const first = execFileSync(process.execPath, ['sync.mjs', 'state.json'], { cwd: scratch, env, encoding: 'utf8' });
  assert.match(first, /^Work: 6 changes, 6 objects \(sync-collection\)$/m);
  assert.match(first, /^Contacts: 5 changes, 5 objects/m);
  assert.match(first, /added VEVENT "Sync with the Seoul office" at 2026-03-05T14:00:00 Asia\/Seoul/);
  const second = execFileSync(process.execPath, ['sync.mjs', 'state.json'], { cwd: scratch, env, encoding: 'utf8' });
  assert.match(second, /^Work: 0 changes, 6 objects/m);
  const bad = { ...env, DAV_PASSWORD: 'wrong' };
  assert.throws(() => execFileSync(process.execPath, ['sync.mjs', 'other.json'], { cwd: scratch, env: bad, stdio: 'pipe' }),
    (e) => e.status === 2 && /Unauthorized/.test(e.stderr.toString()));
});
