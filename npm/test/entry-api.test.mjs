// The entries' JS API as the build cuts it (scripts/entry-api.mjs): `davkit` and `davkit/protocol`
// ship without the DavClient methods their module cannot run, each put back as a stub that
// refuses as the method did. Their DavClient keeps every method of davkit/gcal's (the full one),
// the stubs refuse with `Unsupported` before any request, and the cut refuses a source it does
// not understand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as gcal from '../dist/gcal/node.js';
import * as full from '../dist/node.js';
import * as protocol from '../dist/protocol/node.js';
import { entryApi } from '../scripts/entry-api.mjs';
import { npmDir } from './helpers.mjs';

const methods = (mod) => Object.getOwnPropertyNames(mod.DavClient.prototype).sort();

test('davkit and davkit/protocol keep every DavClient method of davkit/gcal', () => {
  assert.ok(methods(gcal).includes('gcalSync') && methods(gcal).includes('respond'));
  assert.deepEqual(methods(full), methods(gcal));
  assert.deepEqual(methods(protocol), methods(gcal));
});

test('the cut methods are gone from the shipped source, and no others', () => {
  const shipped = (path) => readFileSync(join(npmDir, 'dist', path), 'utf8');
  assert.doesNotMatch(shipped('protocol/api.js'), /needGcal\('gcalSync'\)|needSchedule\('respond'\)/);
  assert.match(shipped('protocol/api.js'), /async syncBatch\(/);
  assert.doesNotMatch(shipped('api.js'), /needGcal\('gcalSync'\)/);
  assert.match(shipped('api.js'), /needSchedule\('respond'\)/);
  assert.match(shipped('gcal/api.js'), /needGcal\('gcalSync'\)/);
  // davkit/protocol has no write queue: neither `flush`'s body nor the WriteQueue class
  assert.doesNotMatch(shipped('protocol/api.js'), /needQueue\('flush'\)|class WriteQueue/);
  assert.match(shipped('api.js'), /needQueue\('flush'\)/);
  assert.match(shipped('api.js'), /export class WriteQueue \{/);
  // davkit/formats exports the editors and not OAuth: its edit.js has no OAuth classes
  assert.doesNotMatch(shipped('formats/edit.js'), /class (Pkce|OAuthTokens|OAuthClient)\b/);
  assert.match(shipped('formats/edit.js'), /export class EventEditor \{/);
  assert.match(shipped('edit.js'), /export class OAuthClient \{/);
});

test('every cut method refuses with Unsupported before any request', async () => {
  for (const [entry, mod, names] of [
    ['davkit', full, methods(gcal).filter((n) => n.startsWith('gcal'))],
    ['davkit/protocol', protocol, methods(gcal).filter((n) => n.startsWith('gcal') || ['getScheduled', 'updateScheduled', 'respond', 'pendingInvitations', 'freeBusyQuery', 'outboxFreeBusy', 'flush'].includes(n))],
  ]) {
    await mod.init();
    let requests = 0;
    const client = new mod.DavClient({ serverUrl: 'https://dav.example/', fetch: async () => { requests++; throw new Error('no request expected'); } });
    assert.equal(names.length >= 10, true, `${entry}: ${names}`);
    for (const name of names) {
      await assert.rejects(client[name]('a', 'b', 'c', 'd'), (e) => mod.isDavError(e, 'Unsupported') && e.message.includes(name), `${entry} ${name}`);
    }
    assert.equal(requests, 0, entry);
  }
});

test('the cut refuses a source it does not understand', () => {
  const source = "class DavClient {\n  async gcalSync(id) {\n    needGcal('gcalSync');\n    return 1;\n  }\n\n  async sync() {\n    return 2;\n  }\n}\n";
  const out = entryApi(source, ['needGcal']);
  assert.doesNotMatch(out, /async gcalSync/);
  assert.match(out, /async sync\(\)/);
  assert.match(out, /\['gcalSync', needGcal\]/);
  assert.throws(() => entryApi(source.replace("needGcal('gcalSync')", "needGcal('gcalOther')"), ['needGcal']), /asks needGcal\('gcalOther'\)/);
  assert.throws(() => entryApi(source, ['needSchedule']), /no DavClient method opens with needSchedule/);
  assert.equal(entryApi(source, []), source);
  // an exported class, its doc comment included, cut whole; one the source lacks refuses
  const withClass = `${source}\n/**\n * A queue.\n */\nexport class Q {\n  #q;\n\n  static {\n    x = 1;\n  }\n}\n\nexport const after = 3;\n`;
  const cut = entryApi(withClass, [], ['Q']);
  assert.doesNotMatch(cut, /class Q|A queue|#q|x = 1/);
  assert.match(cut, /async gcalSync[\s\S]*export const after = 3;\n$/);
  assert.throws(() => entryApi(withClass, [], ['R']), /no exported class R/);
});
