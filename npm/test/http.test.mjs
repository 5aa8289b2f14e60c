// The node entries' transport (dist/http.js): a `fetch`-shaped function over node:http that
// DavClient uses in node when the app passes no `fetch`. Against a local node:http server:
// what the core reads of `fetch`'s answers must be the same (status, headers, a streamed and
// decoded body, no redirect followed, the same rejections), and a stale kept-alive connection
// is retried for safe methods only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import { closeIdleConnections, httpFetch, isNode } from '../dist/http.js';
import { DavClient } from '../dist/node.js';

const seen = [];
let handler = null;
const server = http.createServer((req, res) => {
  const parts = [];
  req.on('data', (c) => parts.push(c));
  req.on('end', () => {
    seen.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(parts).toString() });
    handler(req, res);
  });
});
let base;
before(async () => {
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${server.address().port}`;
});
after(() => server.close());

const readAll = async (response) => {
  const reader = response.body.getReader();
  const chunks = [];
  for (;;) {
    const step = await reader.read();
    if (step.done) break;
    assert.ok(step.value instanceof Uint8Array);
    chunks.push(Buffer.from(step.value));
  }
  return Buffer.concat(chunks).toString();
};

test('node is detected, and a request goes out with its method, headers and body', async () => {
  assert.equal(isNode, true);
  handler = (req, res) => {
    res.writeHead(207, [['Content-Type', 'application/xml'], ['DAV', '1'], ['DAV', 'calendar-access'], ['X-Empty', '']]);
    res.end('<multistatus/>');
  };
  const body = new TextEncoder().encode('<propfind/>');
  const r = await httpFetch(`${base}/dav/`, { method: 'PROPFIND', headers: [['Depth', '0'], ['Content-Type', 'application/xml']], body, redirect: 'manual' });
  assert.equal(r.status, 207);
  assert.equal(r.ok, true);
  assert.equal(r.redirected, false);
  assert.equal(r.url, `${base}/dav/`);
  // lower-case names, repeated ones joined, as `Headers` gives them
  assert.deepEqual([...r.headers].filter(([k]) => k !== 'date' && k !== 'connection' && k !== 'keep-alive' && k !== 'transfer-encoding'),
    [['content-type', 'application/xml'], ['dav', '1, calendar-access'], ['x-empty', '']]);
  assert.equal(await readAll(r), '<multistatus/>');
  const got = seen.at(-1);
  assert.equal(got.method, 'PROPFIND');
  assert.equal(got.headers.depth, '0');
  assert.equal(got.headers['content-length'], String(body.length));
  assert.equal(got.headers['accept-encoding'], 'gzip, deflate');
  assert.equal(got.body, '<propfind/>');
});

test('a compressed body is decoded, streamed and whole', async () => {
  const text = 'BEGIN:VCALENDAR\r\n'.repeat(20000);
  for (const [coding, encode] of [['gzip', zlib.gzipSync], ['deflate', zlib.deflateSync], ['br', zlib.brotliCompressSync]]) {
    handler = (req, res) => {
      res.writeHead(200, { 'Content-Encoding': coding, 'Content-Type': 'text/calendar' });
      res.end(encode(Buffer.from(text)));
    };
    const r = await httpFetch(`${base}/e.ics`, { method: 'GET', redirect: 'manual' });
    assert.equal(await readAll(r), text, coding);
    const whole = await httpFetch(`${base}/e.ics`, { method: 'GET', redirect: 'manual' });
    assert.equal(new TextDecoder().decode(await whole.arrayBuffer()), text, coding);
  }
  // the app's own Accept-Encoding is sent as it is
  handler = (req, res) => res.end('plain');
  const r = await httpFetch(`${base}/`, { method: 'GET', headers: [['accept-encoding', 'identity']], redirect: 'manual' });
  assert.equal(await r.text(), 'plain');
  assert.equal(seen.at(-1).headers['accept-encoding'], 'identity');
});

test('a small compressed body with its length is decoded at once; a bomb among them is streamed, a broken one rejects', async () => {
  const small = '<multistatus xmlns="DAV:"><response><href>/a/</href></response></multistatus>';
  // over the one-call decoder's output cap (4 MiB) from a few KB: decoded as a stream after all
  const big = 'x'.repeat(5 * 1024 * 1024);
  for (const [coding, encode] of [['gzip', zlib.gzipSync], ['deflate', zlib.deflateSync], ['br', zlib.brotliCompressSync]]) {
    for (const text of [small, big]) {
      const bytes = encode(Buffer.from(text));
      assert.ok(bytes.length <= 64 * 1024, `${coding}: ${bytes.length} B compressed`);
      handler = (req, res) => {
        res.writeHead(207, { 'Content-Encoding': coding, 'Content-Length': String(bytes.length) });
        res.end(bytes);
      };
      const r = await httpFetch(`${base}/a/`, { method: 'PROPFIND', redirect: 'manual' });
      const got = await readAll(r);
      assert.equal(got.length, text.length, coding);
      assert.ok(got === text, coding);
    }
    // cut short: what arrived is decoded, as fetch does
    const cut = encode(Buffer.from('BEGIN:VCALENDAR\r\n'.repeat(200))).subarray(0, 40);
    handler = (req, res) => {
      res.writeHead(200, { 'Content-Encoding': coding, 'Content-Length': String(cut.length) });
      res.end(cut);
    };
    const partial = await readAll(await httpFetch(`${base}/e.ics`, { method: 'GET', redirect: 'manual' }));
    assert.ok('BEGIN:VCALENDAR\r\n'.repeat(200).startsWith(partial), coding);
  }
  const junk = Buffer.from('not gzip at all');
  handler = (req, res) => {
    res.writeHead(200, { 'Content-Encoding': 'gzip', 'Content-Length': String(junk.length) });
    res.end(junk);
  };
  const bad = await httpFetch(`${base}/e.ics`, { method: 'GET', redirect: 'manual' });
  await assert.rejects(readAll(bad), (e) => e instanceof TypeError && e.message === 'fetch failed' && e.cause?.code === 'Z_DATA_ERROR');
});

test('a compressed body is decoded at once when small, as a stream when large, with its length or without', async () => {
  const small = '<multistatus xmlns="DAV:"><response><href>/a/</href></response></multistatus>';
  // compressed, well over the 64 KB read before choosing: it must arrive in several pieces
  const large = Array.from({ length: 40000 }, (_, i) => `UID:${(i * 2654435761) % 1000003}-${i}\r\n`).join('');
  for (const [coding, encode] of [['gzip', zlib.gzipSync], ['deflate', zlib.deflateSync], ['br', zlib.brotliCompressSync]]) {
    for (const [text, withLength] of [[small, false], [large, false], [small, true], [large, true]]) {
      const bytes = encode(Buffer.from(text));
      if (text === large) assert.ok(bytes.length > 64 * 1024, `${coding}: ${bytes.length} B compressed`);
      handler = (req, res) => {
        // without Content-Length: chunked, written in pieces of 16 KB as a server compressing on
        // the fly would
        res.writeHead(207, withLength ? { 'Content-Encoding': coding, 'Content-Length': String(bytes.length) } : { 'Content-Encoding': coding });
        for (let at = 0; at < bytes.length; at += 16384) res.write(bytes.subarray(at, at + 16384));
        res.end();
      };
      const r = await httpFetch(`${base}/a/`, { method: 'PROPFIND', redirect: 'manual' });
      const reader = r.body.getReader();
      const pieces = [];
      for (;;) {
        const step = await reader.read();
        if (step.done) break;
        pieces.push(Buffer.from(step.value));
      }
      const got = Buffer.concat(pieces).toString();
      assert.equal(got.length, text.length, coding);
      assert.ok(got === text, coding);
      if (text === small) assert.equal(pieces.length, 1, `${coding}: decoded in one call`);
      else assert.ok(pieces.length > 1, `${coding}: decoded as it arrived (${pieces.length} pieces)`);
      // read whole through arrayBuffer() as well
      const again = await httpFetch(`${base}/a/`, { method: 'PROPFIND', redirect: 'manual' });
      assert.ok(new TextDecoder().decode(await again.arrayBuffer()) === text, coding);
    }
    // cut short, small and large: what arrived is decoded, as fetch does
    for (const whole of ['BEGIN:VCALENDAR\r\n'.repeat(200), large]) {
      const bytes = encode(Buffer.from(whole));
      const cut = bytes.subarray(0, Math.min(bytes.length - 10, 100 * 1024));
      handler = (req, res) => {
        res.writeHead(200, { 'Content-Encoding': coding });
        res.end(cut);
      };
      const partial = await readAll(await httpFetch(`${base}/e.ics`, { method: 'GET', redirect: 'manual' }));
      assert.ok(whole.startsWith(partial), coding);
    }
  }
  // not what it says it is, small and large: the read rejects as fetch's does
  for (const junk of [Buffer.from('not gzip at all'), Buffer.alloc(100 * 1024, 'x')]) {
    handler = (req, res) => {
      res.writeHead(200, { 'Content-Encoding': 'gzip' });
      res.end(junk);
    };
    const bad = await httpFetch(`${base}/e.ics`, { method: 'GET', redirect: 'manual' });
    await assert.rejects(readAll(bad), (e) => e instanceof TypeError && e.message === 'fetch failed' && e.cause?.code === 'Z_DATA_ERROR');
  }
});

test('the headers read as fetch\'s Headers: case-blind get/has, set-cookie lines apart, name order', async () => {
  handler = (req, res) => {
    res.writeHead(200, [['Set-Cookie', 'a=1'], ['ETag', '"x"'], ['set-cookie', 'b=2'], ['Content-Length', '0'], ['X-Multi', 'one'], ['x-multi', 'two']]);
    res.end();
  };
  const r = await httpFetch(`${base}/h`, { method: 'GET', redirect: 'manual' });
  const reference = new Headers([['Set-Cookie', 'a=1'], ['ETag', '"x"'], ['set-cookie', 'b=2'], ['Content-Length', '0'], ['X-Multi', 'one'], ['x-multi', 'two']]);
  const ours = [...r.headers].filter(([k]) => k !== 'date' && k !== 'connection' && k !== 'keep-alive');
  assert.deepEqual(ours, [...reference]);
  for (const name of ['ETAG', 'etag', 'Set-Cookie', 'x-multi', 'missing']) {
    assert.equal(r.headers.get(name), reference.get(name), name);
    assert.equal(r.headers.has(name), reference.has(name), name);
  }
  assert.deepEqual(r.headers.getSetCookie(), reference.getSetCookie());
  const seenPairs = [];
  r.headers.forEach((value, name, self) => {
    assert.equal(self, r.headers);
    seenPairs.push([name, value]);
  });
  assert.deepEqual(seenPairs, [...r.headers.entries()]);
  assert.deepEqual([...r.headers.keys()], seenPairs.map(([k]) => k));
  assert.deepEqual([...r.headers.values()], seenPairs.map(([, v]) => v));
  // an app can copy them into a real Headers
  assert.equal(new Headers(r.headers).get('x-multi'), 'one, two');
});

test('a redirect is handed back, not followed (the core follows it and decides about credentials)', async () => {
  handler = (req, res) => {
    res.writeHead(301, { Location: 'http://elsewhere.invalid/dav/' });
    res.end();
  };
  const before = seen.length;
  const r = await httpFetch(`${base}/.well-known/caldav`, { method: 'PROPFIND', headers: [['authorization', 'Basic c2VjcmV0']], redirect: 'manual' });
  assert.equal(r.status, 301);
  assert.equal(r.headers.get('location'), 'http://elsewhere.invalid/dav/');
  assert.equal(r.redirected, false);
  assert.equal(seen.length, before + 1);
});

test('bodiless answers, a cancelled body, and a body read twice', async () => {
  handler = (req, res) => {
    res.writeHead(req.method === 'DELETE' ? 204 : 200, { 'Content-Length': '5' });
    res.end(req.method === 'HEAD' || req.method === 'DELETE' ? undefined : 'hello');
  };
  const head = await httpFetch(`${base}/x`, { method: 'HEAD', redirect: 'manual' });
  assert.equal(head.body, null);
  assert.equal(new Uint8Array(await head.arrayBuffer()).length, 0);
  const gone = await httpFetch(`${base}/x`, { method: 'DELETE', redirect: 'manual' });
  assert.equal(gone.status, 204);
  assert.equal(gone.body, null);
  const r = await httpFetch(`${base}/x`, { method: 'GET', redirect: 'manual' });
  await r.body.getReader().cancel();
  assert.equal(r.bodyUsed, true);
  await assert.rejects(r.arrayBuffer(), TypeError);
});

test('network failures reject like fetch: TypeError "fetch failed", the reason in `cause`', async () => {
  const closed = http.createServer();
  await new Promise((r) => closed.listen(0, '127.0.0.1', r));
  const port = closed.address().port;
  await new Promise((r) => closed.close(r));
  await assert.rejects(httpFetch(`http://127.0.0.1:${port}/`, { method: 'GET', redirect: 'manual' }),
    (e) => e instanceof TypeError && e.message === 'fetch failed' && e.cause?.code === 'ECONNREFUSED');
  // a URL with credentials is refused, as fetch refuses it
  await assert.rejects(httpFetch(`http://u:p@127.0.0.1:${port}/`, { method: 'GET', redirect: 'manual' }), TypeError);
});

test('a kept-alive connection the server closed: a safe request is sent again, a write is not', async () => {
  // The server answers, keeps the connection, then destroys it on the next request before answering.
  let n = 0;
  handler = (req, res) => {
    n += 1;
    if (n === 2) {
      req.socket.destroy();
      return;
    }
    res.end('ok');
  };
  const first = await httpFetch(`${base}/a`, { method: 'GET', redirect: 'manual' });
  assert.equal(await first.text(), 'ok');
  const again = await httpFetch(`${base}/a`, { method: 'REPORT', body: '<x/>', redirect: 'manual' });
  assert.equal(await again.text(), 'ok');
  assert.equal(n, 3, 'the REPORT went out twice: once on the closed connection, once on a new one');

  n = 0;
  const warm = await httpFetch(`${base}/b`, { method: 'GET', redirect: 'manual' });
  await warm.text();
  await assert.rejects(httpFetch(`${base}/b`, { method: 'PUT', body: 'data', redirect: 'manual' }), (e) => e.message === 'fetch failed');
  assert.equal(n, 2, 'the PUT went out once');
});

test('a server that closes the connection after each answer without saying so: the next write takes a new connection', async () => {
  // As SOGo's sogod answers a GET: no `Connection: close`, the connection closed right after the
  // answer. A write sent at once after that answer (the core reads, then writes) went out on the
  // closed connection and failed, and is never sent again; it must go out on a new one.
  const requests = [];
  let connections = 0;
  const closing = net.createServer((socket) => {
    connections += 1;
    let head = '';
    socket.on('data', (chunk) => {
      if (socket.writableEnded) return; // a request on the closed connection: never read
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: *(\d+)/i.exec(head.slice(0, end))?.[1] ?? 0);
      if (head.length < end + 4 + length) return;
      requests.push(head.slice(0, head.indexOf(' ')));
      socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok');
    });
  });
  await new Promise((r) => closing.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${closing.address().port}/obj.ics`;
  try {
    for (let i = 0; i < 5; i++) {
      const read = await httpFetch(url, { method: 'GET', redirect: 'manual' });
      assert.equal(await read.text(), 'ok');
      const write = await httpFetch(url, { method: 'PUT', headers: { 'if-match': '"1"' }, body: 'data', redirect: 'manual' });
      assert.equal(await write.text(), 'ok');
    }
    assert.deepEqual(requests, Array(5).fill(['GET', 'PUT']).flat(), 'each request sent once');
    assert.equal(connections, 10, 'a connection per request');
  } finally {
    closeIdleConnections();
    await new Promise((r) => closing.close(r));
  }
});

test('an idle connection is kept for the next request (the server says for how long), and closeIdleConnections closes it', async () => {
  handler = (req, res) => res.end('ok');
  closeIdleConnections();
  const opened = [];
  const onConnection = (socket) => opened.push(socket);
  server.on('connection', onConnection);
  try {
    for (let i = 0; i < 3; i++) assert.equal(await (await httpFetch(`${base}/k`, { redirect: 'manual' })).text(), 'ok');
    assert.equal(opened.length, 1, 'three requests, one connection');
    // node's server says `Keep-Alive: timeout=5`: the agent keeps the connection less long than that.
    const hinted = await httpFetch(`${base}/k`, { redirect: 'manual' });
    assert.match(hinted.headers.get('keep-alive'), /timeout=5/);
    assert.equal(await hinted.text(), 'ok');
    assert.equal(opened.length, 1);
    const closed = new Promise((resolve) => opened[0].once('close', resolve));
    closeIdleConnections();
    await closed;
    assert.equal(await (await httpFetch(`${base}/k`, { redirect: 'manual' })).text(), 'ok');
    assert.equal(opened.length, 2, 'a new connection after closeIdleConnections');
  } finally {
    server.off('connection', onConnection);
  }
});

test("DavClient in node sends through it by default; `redirect: 'follow'` and the app's fetch still go through fetch", async () => {
  handler = (req, res) => {
    res.writeHead(207, { 'Content-Type': 'application/xml; charset=utf-8' });
    res.end('<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"><d:response><d:href>/c/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype><d:displayname>C</d:displayname></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>');
  };
  const client = new DavClient({ serverUrl: `${base}/`, auth: { basic: { username: 'u', password: 'p' } } });
  const c = await client.getCollection(`${base}/c/`);
  assert.equal(c.displayName, 'C');
  // node's fetch (undici) adds `sec-fetch-mode`; this transport does not
  assert.equal(seen.at(-1).headers['sec-fetch-mode'], undefined);
  assert.equal(seen.at(-1).headers['accept-encoding'], 'gzip, deflate');
  const viaFetch = new DavClient({ serverUrl: `${base}/`, auth: { basic: { username: 'u', password: 'p' } }, redirect: 'follow' });
  await viaFetch.getCollection(`${base}/c/`);
  assert.equal(seen.at(-1).headers['sec-fetch-mode'], 'cors');
  let called = 0;
  const own = new DavClient({ serverUrl: `${base}/`, fetch: (u, i) => { called += 1; return fetch(u, i); } });
  await own.getCollection(`${base}/c/`);
  assert.equal(called, 1);
});

test('a connection that breaks off in the body: the sync rejects, and no rejection is left unhandled (with node\'s fetch too)', async () => {
  // A rejection nobody handles ends a node process by default: giving up a failed stream
  // (`reader.cancel()`, which rejects on a stream that has failed) must not leave one behind.
  const unhandled = [];
  const onUnhandled = (e) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  handler = (req, res) => {
    res.writeHead(207, { 'Content-Type': 'application/xml; charset=utf-8', 'Content-Length': '5000' });
    res.write('<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"><d:response><d:href>/c/a.ics</d:href>');
    setTimeout(() => res.socket.destroy(), 20);
  };
  try {
    for (const fetch of [undefined, globalThis.fetch]) {
      const client = new DavClient({ serverUrl: `${base}/`, auth: { basic: { username: 'u', password: 'p' } }, fetch });
      await assert.rejects(client.sync({ url: `${base}/c/`, kind: 'calendar' }, null), (e) => e.kind === 'Transport');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(unhandled.map((e) => String(e)), []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('idleTimeoutMs: a silent server and a body that stops fail as timed out; a slow body that keeps coming is read whole', async () => {
  const stalls = {
    '/never/': () => {}, // no answer at all
    '/half/': (req, res) => {
      res.writeHead(207, { 'Content-Type': 'application/xml; charset=utf-8', 'Content-Length': '5000' });
      res.write('<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"><d:response><d:href>/half/a.ics</d:href>');
    },
  };
  const slowBody = '<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"><d:response><d:href>/slow/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype><d:displayname>Slow</d:displayname></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>';
  handler = (req, res) => {
    const stall = stalls[new URL(req.url, base).pathname];
    if (stall) return stall(req, res);
    // Ten pieces 100 ms apart: a second in all, more than three times the wait.
    res.writeHead(207, { 'Content-Type': 'application/xml; charset=utf-8', 'Content-Length': String(Buffer.byteLength(slowBody)) });
    const step = Math.ceil(slowBody.length / 10);
    let at = 0;
    const next = () => {
      res.write(slowBody.slice(at, at + step));
      at += step;
      if (at < slowBody.length) setTimeout(next, 100);
      else res.end();
    };
    setTimeout(next, 100);
  };
  const idleTimeoutMs = 300;
  for (const fetch of [undefined, globalThis.fetch]) {
    const client = new DavClient({ serverUrl: `${base}/`, auth: { basic: { username: 'u', password: 'p' } }, fetch, idleTimeoutMs });
    for (const path of ['/never/', '/half/']) {
      const started = performance.now();
      await assert.rejects(client.sync({ url: `${base}${path}`, kind: 'calendar' }, null),
        (e) => e.kind === 'Transport' && /timed out/.test(e.message), `${path} with ${fetch ? 'node\'s fetch' : 'the package\'s transport'}`);
      const took = performance.now() - started;
      assert.ok(took >= idleTimeoutMs - 20 && took < idleTimeoutMs * 10, `${path}: failed after ${took} ms`);
    }
    const started = performance.now();
    const slow = await client.getCollection(`${base}/slow/`);
    assert.equal(slow.displayName, 'Slow');
    assert.ok(performance.now() - started > idleTimeoutMs * 2);
  }
});

test('idleTimeoutMs must be a whole number from 0', () => {
  for (const idleTimeoutMs of [-1, 1.5, 'x']) {
    assert.throws(() => new DavClient({ serverUrl: `${base}/`, idleTimeoutMs }), (e) => e.kind === 'InvalidInput', String(idleTimeoutMs));
  }
});

test('idleTimeoutMs with an app\'s fetch: one that honours `signal` and never answers times out, and so does one that ignores it; an answer without a stream is read whole', async () => {
  const never = (url, init) => new Promise((resolve, reject) => {
    init.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
  });
  const silent = new DavClient({ serverUrl: 'https://dav.example.invalid/', fetch: never, idleTimeoutMs: 100 });
  await assert.rejects(silent.getCollection('https://dav.example.invalid/c/'), (e) => e.kind === 'Transport' && /timed out/.test(e.message));
  // One that ignores `signal` is given up all the same: its answer, should it come, is not heard.
  let late = null;
  const deaf = () => new Promise((resolve, reject) => {
    late = reject;
  });
  const ignoring = new DavClient({ serverUrl: 'https://dav.example.invalid/', fetch: deaf, idleTimeoutMs: 100 });
  await assert.rejects(ignoring.getCollection('https://dav.example.invalid/c/'), (e) => e.kind === 'Transport' && /timed out/.test(e.message));
  late(new TypeError('fetch failed')); // rejects after the call was given up: nothing unhandled
  const body = '<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"><d:response><d:href>/c/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype><d:displayname>Whole</d:displayname></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>';
  const whole = async () => ({ status: 207, headers: new Headers({ 'content-type': 'application/xml' }), body: null, arrayBuffer: async () => new TextEncoder().encode(body).buffer });
  const client = new DavClient({ serverUrl: 'https://dav.example.invalid/', fetch: whole, idleTimeoutMs: 100 });
  assert.equal((await client.getCollection('https://dav.example.invalid/c/')).displayName, 'Whole');
});
