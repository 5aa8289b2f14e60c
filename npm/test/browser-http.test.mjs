// What a browser's HTTP layer does to a web app's requests, in Debian's Chromium against the local
// Radicale.
//
// Its cache: a GET answered with a Last-Modified and no Cache-Control is fresh for a tenth of
// the object's age (RFC 9111 §4.2.2), and a second GET within that time is answered from the
// cache without asking the server. An app that reads an object again must get the server's
// version, changed by another device meanwhile, not the one it read before.
//
// A compressing proxy: Debian's nginx in front of the local Radicale, with
// gzip on for iCalendar and vCard as Nextcloud's recommended nginx configuration has it. A
// browser's fetch asks for gzip whatever the request says (`Accept-Encoding` is a header a page
// may not set), so nginx compresses the GET of an object and, doing so, makes the origin's strong
// ETag weak (`W/"..."`, nginx since 1.7.3). The object's ETag must still be the one `If-Match`
// matches: read as the weak form, every write made on the read would be refused 412.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, servePage } from './static-server.mjs';
import { DavClient } from '../dist/node.js';
import { platform, takesNoStore } from '../dist/api.js';

const radicale = process.env.DAVKIT_RADICALE_URL;
const NGINX = '/usr/sbin/nginx';
const skip = !radicale
  ? 'DAVKIT_RADICALE_URL is not set (run under tests/servers/servers.py)'
  : !existsSync(NGINX) ? `${NGINX} is missing (scripts/test-wasm.sh installs nginx-light)` : false;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** nginx on 127.0.0.1 in front of `upstream`, compressing iCalendar and vCard. Resolves to { url, stop }. */
async function startNginx(upstream) {
  const dir = mkdtempSync(join(tmpdir(), 'davkit-nginx-'));
  chmodSync(dir, 0o755);
  const port = await freePort();
  const temp = (name) => `${name}_temp_path ${join(dir, name)};`;
  writeFileSync(join(dir, 'nginx.conf'), `worker_processes 1;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 64; }
http {
  access_log off;
  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}
  server {
    listen 127.0.0.1:${port};
    # As in Nextcloud's recommended configuration (with text/calendar beside text/vcard).
    gzip on;
    gzip_vary on;
    gzip_comp_level 4;
    gzip_min_length 256;
    gzip_types text/calendar text/vcard;
    location / {
      proxy_pass ${upstream.replace(/\/$/, '')};
      proxy_http_version 1.1;
      # The backend answers uncompressed, as Nextcloud's PHP does behind nginx (Radicale would
      # compress on its own, and nginx pass that on untouched).
      proxy_set_header Accept-Encoding "";
    }
  }
}
`);
  const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null || i === 100) {
      child.kill();
      const log = existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '';
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`nginx did not start: ${stderr}${log}`);
    }
    try {
      await fetch(url, { method: 'OPTIONS' });
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const stop = () => new Promise((resolve) => {
    child.once('exit', () => { rmSync(dir, { recursive: true, force: true }); resolve(); });
    child.kill('SIGQUIT');
  });
  return { url, stop };
}

const PAGE = `<!doctype html>
<script type="importmap">{ "imports": { "davkit": "/node_modules/davkit/dist/browser.js" } }</script>
<script type="module">
import { DavClient, init } from 'davkit';
window.run = async (server, user, password) => {
  await init();
  const client = new DavClient({ serverUrl: server, auth: { basic: { username: user, password } } });
  const calendars = await client.listCalendars();
  const calendar = calendars.find((c) => (c.components ?? []).includes('VEVENT')) ?? calendars[0];
  const ics = (summary) => ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//davkit//compressing proxy test//EN',
    'BEGIN:VEVENT', 'UID:compressing-proxy-' + Date.now() + '@davkit', 'DTSTAMP:20260101T000000Z',
    'DTSTART:20260310T090000Z', 'DTEND:20260310T100000Z', 'SUMMARY:' + summary,
    // Long enough for gzip_min_length (256 bytes).
    'DESCRIPTION:' + 'An event read and written back through a compressing proxy. '.repeat(6),
    'END:VEVENT', 'END:VCALENDAR', ''].join('\\r\\n');
  const created = await client.createObject(calendar.url, 'compressing-proxy-' + Date.now() + '.ics', ics('Before'));
  const fetched = await client.getObject(created.url);
  let updated = null;
  let error = null;
  try {
    updated = await client.updateObject(fetched, fetched.data.replace('SUMMARY:Before', 'SUMMARY:After'));
  } catch (e) {
    error = e.kind + ': ' + e.message;
  }
  const after = await client.getObject(created.url);
  await client.deleteObject(after);
  return { createdEtag: created.etag, fetchedEtag: fetched.etag, updatedEtag: updated?.etag ?? null, error,
    summaryAfter: /SUMMARY:(\\w+)/.exec(after.data)?.[1] ?? null };
};
document.body.dataset.ready = '1';
</script>
`;

test('behind a proxy that compresses and weakens ETags, a browser app reads an object and writes it back', { skip, timeout: 60000 }, async () => {
  const proxy = await startNginx(radicale);
  const site = await servePage(PAGE);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // What the network carried for the object's GETs (the browser decodes before the page sees it).
    // Each response's headers arrive asynchronously: kept as promises, awaited before the checks
    // (pushed from an async handler, they could land after the page's run returned; CI run 77).
    const gets = [];
    const reading = [];
    page.on('response', (r) => {
      if (r.request().method() === 'GET' && r.url().endsWith('.ics')) {
        reading.push(r.allHeaders().then((h) => gets.push({ encoding: h['content-encoding'] ?? null, etag: h.etag ?? null })));
      }
    });
    await page.goto(`${site.url}/index.html`);
    await page.waitForSelector('body[data-ready="1"]', { state: 'attached' });
    const out = await page.evaluate(([server]) => window.run(server, 'alice', 'alice-pass'), [new URL('alice/', proxy.url).href]);
    await Promise.all(reading);
    assert.deepEqual(errors, []);
    // The proxy did what the test is about: compressed the GET and made its ETag weak.
    assert.ok(gets.length >= 1, 'the object was fetched through the proxy');
    assert.equal(gets[0].encoding, 'gzip', JSON.stringify(gets));
    assert.match(gets[0].etag, /^W\/"/, JSON.stringify(gets));
    // davkit read it as the origin's strong ETag, the one the write's If-Match matches.
    assert.equal(out.fetchedEtag, gets[0].etag.slice(2));
    assert.equal(out.fetchedEtag, out.createdEtag);
    assert.equal(out.error, null);
    assert.ok(out.updatedEtag && out.updatedEtag !== out.createdEtag, JSON.stringify(out));
    assert.equal(out.summaryAfter, 'After');
  } finally {
    await browser.close();
    await site.close();
    await proxy.stop();
  }
});

const CACHE_PAGE = `<!doctype html>
<script type="importmap">{ "imports": { "davkit": "/node_modules/davkit/dist/browser.js" } }</script>
<script type="module">
import { DavClient, init } from 'davkit';
let client;
window.connect = async (server, user, password) => {
  await init();
  client = new DavClient({ serverUrl: server, auth: { basic: { username: user, password } } });
  const calendars = await client.listCalendars();
  return (calendars.find((c) => (c.components ?? []).includes('VEVENT')) ?? calendars[0]).url;
};
window.create = async (calendar, name, text) => (await client.createObject(calendar, name, text)).url;
window.read = async (url) => {
  const o = await client.getObject(url);
  return { etag: o.etag, summary: /SUMMARY:(\\w+)/.exec(o.data)?.[1] ?? null };
};
window.remove = async (url) => client.deleteObject(await client.getObject(url));
document.body.dataset.ready = '1';
</script>
`;

const cacheSkip = !radicale ? 'DAVKIT_RADICALE_URL is not set (run under tests/servers/servers.py)'
  : !process.env.DAVKIT_RADICALE_STORAGE ? 'DAVKIT_RADICALE_STORAGE is not set' : false;

test('a browser app reads an object again and gets the server\'s version, not the one its cache holds', { skip: cacheSkip, timeout: 60000 }, async () => {
  const site = await servePage(CACHE_PAGE);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const user = 'alice';
    const password = 'alice-pass';
    await page.goto(`${site.url}/index.html`);
    await page.waitForSelector('body[data-ready="1"]', { state: 'attached' });
    const calendar = await page.evaluate(([s, u, p]) => window.connect(s, u, p), [new URL('alice/', radicale).href, user, password]);
    const name = `browser-cache-${Date.now()}.ics`;
    const ics = (summary) => ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//davkit//browser cache test//EN', 'BEGIN:VEVENT',
      `UID:${name}@davkit`, 'DTSTAMP:20260101T000000Z', 'DTSTART:20260311T090000Z', 'DTEND:20260311T100000Z',
      `SUMMARY:${summary}`, 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
    const url = await page.evaluate(([c, n, t]) => window.create(c, n, t), [calendar, name, ics('Before')]);
    // The object last changed a year ago, as far as its Last-Modified says: a cache may take
    // a GET's answer as fresh for about 36 days.
    const file = join(process.env.DAVKIT_RADICALE_STORAGE, 'collection-root', new URL(url).pathname);
    assert.ok(existsSync(file), file);
    const yearAgo = new Date(Date.now() - 365 * 24 * 3600 * 1000);
    utimesSync(file, yearAgo, yearAgo);
    const first = await page.evaluate((u) => window.read(u), url);
    assert.equal(first.summary, 'Before');
    // Another device changes it (outside the browser).
    const put = await fetch(url, { method: 'PUT', body: ics('After'), headers: {
      'content-type': 'text/calendar; charset=utf-8', 'if-match': first.etag,
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } });
    assert.ok(put.status === 201 || put.status === 204, `PUT ${put.status}`);
    const again = await page.evaluate((u) => window.read(u), url);
    assert.equal(again.summary, 'After', 'the second read is the server\'s version');
    assert.notEqual(again.etag, first.etag);
    await page.evaluate((u) => window.remove(u), url);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await site.close();
  }
});

test('cache: \'no-store\' is asked only of a fetch that takes it as the standard says', () => {
  assert.equal(takesNoStore(), true, "node's Request");
  // Cloudflare Workers before their cache_option_enabled flag refuse the field.
  class Refusing { constructor() { throw new TypeError("The 'cache' field on 'RequestInitializerDict' is not implemented."); } }
  assert.equal(takesNoStore(Refusing), false);
  // The whatwg-fetch polyfill appends a `_=` query to a GET's URL instead.
  class Polyfill { constructor(url, init) { this.url = init.cache === 'no-store' ? `${url}?_=${Date.now()}` : url; } }
  assert.equal(takesNoStore(Polyfill), false);
});

test('in a browser every request asks fetch for no cache; elsewhere the init is left as it is', async () => {
  const ics = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n';
  const seen = [];
  const fetch = async (url, init) => {
    seen.push(init.cache);
    return new Response(ics, { status: 200, headers: { etag: '"1"', 'content-type': 'text/calendar' } });
  };
  const was = platform.browser;
  try {
    platform.browser = true;
    await new DavClient({ serverUrl: 'https://dav.example.invalid/', fetch }).getObject('https://dav.example.invalid/a.ics');
    platform.browser = false;
    await new DavClient({ serverUrl: 'https://dav.example.invalid/', fetch }).getObject('https://dav.example.invalid/a.ics');
  } finally {
    platform.browser = was;
  }
  assert.deepEqual(seen, ['no-store', undefined]);
});
