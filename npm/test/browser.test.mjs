// The example page examples/web/ in a real headless Chromium (Debian's, via playwright-core):
// served on 127.0.0.1, it imports the built package (npm/dist/browser.js through an import
// map), discovers and syncs the calendars of the local Radicale (cross-origin: Radicale sends
// CORS headers), and renders the events. A reload syncs incrementally from localStorage.
// Saves a screenshot to npm/test-output/example-web.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { npmDir, repoDir } from './helpers.mjs';
import { launchChromium, servePage, serveStatic } from './static-server.mjs';

const radicale = process.env.DAVKIT_RADICALE_URL;
const skip = radicale ? false : 'DAVKIT_RADICALE_URL is not set (run under tests/servers/servers.py)';

test('the web example discovers, syncs and renders the Radicale calendars', { skip, timeout: 60000 }, async () => {
  const site = await serveStatic(repoDir, ['/examples/web/', '/npm/dist/']);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const crossOrigin = [];
    page.on('request', (r) => { if (r.url().startsWith(radicale)) crossOrigin.push(r.method()); });
    // The principal URL, not the server root: from the root, discovery starts with
    // /.well-known/caldav, which Radicale answers with a redirect, and a CORS preflight may not
    // follow redirects, so browsers cannot use well-known discovery cross-origin.
    const query = new URLSearchParams({ server: new URL('alice/', radicale).href, user: 'alice', password: 'alice-pass', year: '2026', autorun: '1' });
    await page.goto(`${site.url}/examples/web/?${query}`);
    await page.waitForSelector('body[data-status="done"], body[data-status="error"]', { timeout: 30000 });
    assert.equal(await page.getAttribute('body', 'data-status'), 'done', await page.textContent('#status'));
    assert.deepEqual(errors, []);
    assert.ok(crossOrigin.includes('PROPFIND') && crossOrigin.includes('REPORT'), crossOrigin.join());

    const work = page.locator('section[data-calendar="Work"]');
    assert.equal(await work.locator('li').count(), 6);
    const text = await work.textContent();
    assert.match(text, /Offsite im Café Müller — 회의 ☕/);
    assert.match(text, /Asia\/Seoul/);
    assert.match(text, /repeats \(FREQ=WEEKLY[^)]*COUNT=10\): 9 times in 2026/);
    assert.equal(await page.locator('section[data-calendar="Personal"] li').count(), 4);
    assert.equal(await work.locator('.meta').getAttribute('data-changes'), '6');

    mkdirSync(join(npmDir, 'test-output'), { recursive: true });
    await page.screenshot({ path: join(npmDir, 'test-output', 'example-web.png'), fullPage: true });

    // A reload syncs from the stored state: nothing changed, everything still shown.
    await page.reload();
    await page.waitForSelector('body[data-status="done"]', { timeout: 30000 });
    assert.equal(await work.locator('.meta').getAttribute('data-changes'), '0');
    assert.equal(await work.locator('li').count(), 6);
  } finally {
    await browser.close();
    await site.close();
  }
});

test('the README browser example, as written, syncs and lists the events', { skip, timeout: 60000 }, async () => {
  const text = readFileSync(join(npmDir, 'README.md'), 'utf8');
  const from = text.indexOf('## Browser: a complete example');
  const open = text.indexOf('```html\n', from);
  const html = text.slice(open + 8, text.indexOf('\n```', open + 1) + 1);
  // Served beside the built package, at the path the import map names.
  const site = await servePage(html);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${site.url}/index.html`);
    await page.fill('input[name=server]', new URL('alice/', radicale).href);
    await page.fill('input[name=user]', 'alice');
    await page.fill('input[name=password]', 'alice-pass');
    await page.click('button');
    await page.waitForFunction(() => /events$|Error|:/.test(document.querySelector('#status').textContent), null, { timeout: 30000 });
    // Work: 6 objects, 7 VEVENTs (the stand-up has an overriding instance); Personal: 4.
    assert.equal(await page.textContent('#status'), '11 events');
    assert.deepEqual(errors, []);
    const items = await page.locator('#events li').allTextContents();
    assert.ok(items.some((t) => /2026-03-05T14:00:00 \(Asia\/Seoul\) · Sync with the Seoul office · Work/.test(t)), items.join('\n'));
  } finally {
    await browser.close();
    await site.close();
  }
});
