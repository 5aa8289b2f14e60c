// tests/vectors/interop (issue 14), the part the npm API exposes: a sync resumed from the exact
// text of sync-state-before.txt (the core's snake_case JSON, as Rust writes it), answered with the
// exchanges of sync/pending-member-fetched-next-time.json, returns a state that, written back
// in the core's key spelling, is sync-state-after.txt byte for byte; the same text given for
// another collection is refused. Both entries. The edited event and contact of that directory
// are checked byte for byte by test/editing.test.mjs (the `interop` scenarios of tests/editing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as full from '../dist/node.js';
import * as protocol from '../dist/protocol/node.js';
import { replayFetch, toSnake, vectorsDir } from './helpers.mjs';

const interop = join(vectorsDir, 'interop');
const before = readFileSync(join(interop, 'sync-state-before.txt'), 'utf8').trim();
const after = readFileSync(join(interop, 'sync-state-after.txt'), 'utf8').trim();
const vector = JSON.parse(readFileSync(join(vectorsDir, 'sync', 'pending-member-fetched-next-time.json'), 'utf8'));

for (const [entry, mod] of [['davkit', full], ['davkit/protocol', protocol]]) {
  test(`${entry}: the interop sync state is read and written back byte for byte`, async () => {
    const replay = replayFetch('interop', join(vectorsDir, 'sync'), vector.exchanges);
    const { basic } = vector.config.credentials;
    const client = new mod.DavClient({ serverUrl: vector.config.server_url, auth: { basic }, fetch: replay.fetch });
    const state = JSON.parse(before);
    const result = await client.sync({ url: state.collection_url, kind: 'calendar' }, state);
    assert.deepEqual(replay.problems, []);
    assert.equal(JSON.stringify(toSnake(result.state)), after);
    // The same text for another collection: refused before any request.
    const other = new mod.DavClient({ serverUrl: vector.config.server_url, auth: { basic }, fetch: replay.fetch });
    await assert.rejects(other.sync({ url: 'http://127.0.0.1:5232/alice/other/', kind: 'calendar' }, JSON.parse(before)),
      (e) => mod.isDavError(e, 'InvalidInput'));
  });
}
