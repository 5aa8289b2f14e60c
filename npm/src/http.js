// The node entries' transport: a `fetch`-shaped function over node:http and node:https, which
// DavClient uses in node when the app passes no `fetch` of its own (Deno and Bun keep their
// global `fetch`). It does only what the core asks of `fetch`, with less work per request than
// node's built-in `fetch` (undici): about 1.5 ms and 2 ms of CPU less per request and a third of
// the CPU on a 1.6 MB answer, measured on Radicale (npm/README.md, Speed).
//
// What the core sees is what `fetch` would give it: the status; the headers with lower-case
// names, repeated ones joined by ", " (as `Headers` gives them); a body that is read as it arrives
// (`body.getReader()`) and decoded when the server compressed it (gzip, deflate or br;
// `Accept-Encoding: gzip, deflate` is sent unless the request names its own, see ACCEPT_ENCODING);
// rejections as `TypeError('fetch
// failed')` with the network error as `cause`. Redirects are never followed here: the core
// follows them itself (`redirect: 'manual'`, the node default) and decides where credentials
// go; a request that asks `fetch` to follow them goes to the global `fetch`.
//
// Connections are kept alive per origin, and an idle one is closed after 90 s, as the native
// transport's (reqwest's pool) are, or a second before the server would close it when it says
// when (`Keep-Alive: timeout=`, which node's agent reads). Not undici's 4 s: an app that syncs
// every few seconds or minutes paid a new connection (a round trip, two or three with TLS) on
// each sync, where the native client reused its own (measured on a link with a 30 ms round trip:
// 30 ms more on an incremental sync than the native client). A request of a safe method (GET,
// HEAD, OPTIONS, PROPFIND, REPORT) whose reused connection turns out to have been closed by the
// server before any answer is sent once more on a new one; a write never is.
import http from 'node:http';
import https from 'node:https';
import { Readable, pipeline } from 'node:stream';
import zlib from 'node:zlib';

const IDLE_MS = 90_000;
const agents = {
  'http:': new http.Agent({ keepAlive: true, timeout: IDLE_MS }),
  'https:': new https.Agent({ keepAlive: true, timeout: IDLE_MS }),
};
// Not `br`: Cyrus 3.6 (Fastmail's server) compresses brotli at a quality that took it 370-430 ms
// for a 1.1 MB calendar-query answer, against 21 ms for gzip, whose answer is 12 % larger
// (47,406 against 42,286 B: under a millisecond at 50 Mbit/s). Asked for `br`, the npm package's
// full fetch of 1,000 events from Cyrus took 402.9 ms on loopback, the native client's 24.5
// (bench/README.md). A `br` answer is still decoded.
const ACCEPT_ENCODING = 'gzip, deflate';
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS', 'PROPFIND', 'REPORT']);
// Each decoder flushes what it has at the end, so a truncated body gives what arrived (as
// `fetch` does); per coding: the streaming decoder and the one-call one.
const zlibFlush = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
const brotliFlush = { finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH };
const gzip = { stream: () => zlib.createGunzip(zlibFlush), whole: (b, o) => zlib.gunzipSync(b, { ...zlibFlush, ...o }) };
const decoders = {
  gzip,
  'x-gzip': gzip,
  deflate: { stream: () => zlib.createInflate(zlibFlush), whole: (b, o) => zlib.inflateSync(b, { ...zlibFlush, ...o }) },
  br: { stream: () => zlib.createBrotliDecompress(brotliFlush), whole: (b, o) => zlib.brotliDecompressSync(b, { ...brotliFlush, ...o }) },
};
// A compressed body that ends within WHOLE_BYTES (whatever length it says, or none) is read
// whole and decoded in one call: a streaming decoder works on libuv's thread pool, and for a
// few KB its set-up and round trips cost more than the decoding (about 0.1-0.2 ms against
// 0.01-0.02 ms here, three of them in a discovery; 0.15 ms a request on Cyrus, which
// compresses every answer and says no length: 2.20 against 2.05 ms a PROPFIND). A longer one,
// and one whose output passes WHOLE_OUTPUT, is decoded as a stream, so that the core's body
// limit applies as it reads and a small bomb cannot fill memory at once.
const WHOLE_BYTES = 64 * 1024;
const WHOLE_OUTPUT = 4 * 1024 * 1024;

/**
 * Closes the connections kept alive that no request is using. Not part of the package's API (the
 * package does not export this file): the network benchmark calls it at the start of each run,
 * so that each run's client pays for its connections as each run's native client does.
 */
export function closeIdleConnections() {
  for (const socket of idleSockets()) socket.destroy();
}

/** The kept-alive connections no request is using, of every origin (a copy of the agents' lists). */
function idleSockets() {
  return Object.values(agents).flatMap((agent) => Object.values(agent.freeSockets).flat());
}

/**
 * Lets the event loop turn twice, then drops the kept-alive connections whose server has closed
 * them. Called before a write (a method not in SAFE) goes out: a server may close a connection
 * right after an answer without saying so (`Connection: close`), as SOGo's sogod does after an error answer,
 * and the end of that connection is read only when the event loop turns. A write that the core
 * sends in the same turn as it read that answer would go out on the closed connection, fail, and
 * not be sent again (a write never is: the server may have applied it); after these turns the
 * agent has seen the connection end and the write takes a new one. The two turns take about
 * 3 µs (median; 5 µs at the 90th percentile) when nothing else is waiting.
 */
async function dropClosedIdle() {
  await new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
  for (const socket of idleSockets()) if (socket.readableEnded) socket.destroy();
}

/** Whether this runtime is node itself (not Deno or Bun, whose node:http is a layer over their own `fetch`). */
export const isNode = typeof process !== 'undefined' && !!process.versions?.node && !process.versions.bun && typeof globalThis.Deno === 'undefined';

/** A request's headers as a plain object (from pairs, a `Headers` or an object). */
function headerObject(headers) {
  const out = {};
  if (headers == null) return out;
  const add = (name, value) => {
    const key = String(name).toLowerCase();
    out[key] = key in out ? `${out[key]}, ${value}` : String(value);
  };
  if (Array.isArray(headers)) for (const [name, value] of headers) add(name, value);
  else if (typeof headers.forEach === 'function' && typeof headers.get === 'function') headers.forEach((value, name) => add(name, value));
  else for (const [name, value] of Object.entries(headers)) add(name, value);
  return out;
}

/** The request body as bytes (the core hands over a `Uint8Array`; strings are accepted too). */
function bodyBytes(body) {
  if (body == null) return null;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError('davkit: this transport sends strings and bytes only; pass `fetch` for other bodies');
}

/** A `fetch` rejection as node's `fetch` gives it: "fetch failed", the reason in `cause`. */
function failed(cause) {
  return new TypeError('fetch failed', { cause });
}

/**
 * An answer's headers as `fetch`'s `Headers` gives them, read-only: lower-case names, repeated
 * ones joined by ", " (`set-cookie` lines kept apart when iterated, and by `getSetCookie()`),
 * iterated in name order. Not node's own `Headers` (undici's): building one cost more than the
 * rest of a small answer's handling, and loading it 15-30 ms on the first answer.
 */
class ResponseHeaders {
  #values = new Map();
  #cookies = [];

  constructor(raw) {
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i].toLowerCase();
      const value = raw[i + 1];
      if (name === 'set-cookie') this.#cookies.push(value);
      const had = this.#values.get(name);
      this.#values.set(name, had === undefined ? value : `${had}, ${value}`);
    }
  }

  get(name) {
    return this.#values.get(String(name).toLowerCase()) ?? null;
  }

  has(name) {
    return this.#values.has(String(name).toLowerCase());
  }

  getSetCookie() {
    return [...this.#cookies];
  }

  forEach(callback, thisArg) {
    for (const [name, value] of this) callback.call(thisArg, value, name, this);
  }

  *entries() {
    const names = [...this.#values.keys()].sort();
    for (const name of names) {
      if (name === 'set-cookie') for (const cookie of this.#cookies) yield [name, cookie];
      else yield [name, this.#values.get(name)];
    }
  }

  *keys() {
    for (const [name] of this.entries()) yield name;
  }

  *values() {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator]() {
    return this.entries();
  }
}

/**
 * A compressed body: its first `WHOLE_BYTES` are read, and if the body ends there it is decoded
 * in one call (as a stream after all when its output passes `WHOLE_OUTPUT`); if it goes on,
 * what arrived and what follows go through a streaming decoder. Not chosen by the length the
 * answer says: servers that compress on the fly send none (Cyrus, Apache's mod_deflate:
 * chunked), and a small answer of theirs is decoded as cheaply as one that says its length.
 * Iterated and destroyed as the answer's stream is.
 */
function smallFirstBody(res, decoder) {
  let streaming = null;
  return {
    async *[Symbol.asyncIterator]() {
      const chunks = res[Symbol.asyncIterator]();
      const parts = [];
      let size = 0;
      for (;;) {
        const step = await chunks.next();
        if (step.done) break;
        parts.push(step.value);
        size += step.value.length;
        if (size > WHOLE_BYTES) {
          const rest = async function* () {
            yield* parts.splice(0);
            for (;;) {
              const next = await chunks.next();
              if (next.done) return;
              yield next.value;
            }
          };
          streaming = decoder.stream();
          pipeline(Readable.from(rest(), { objectMode: false }), streaming, () => {});
          yield* streaming;
          return;
        }
      }
      const raw = Buffer.concat(parts);
      let out;
      try {
        out = decoder.whole(raw, { maxOutputLength: WHOLE_OUTPUT });
      } catch (e) {
        if (e?.code !== 'ERR_BUFFER_TOO_LARGE') throw e;
        streaming = decoder.stream();
        streaming.end(raw);
        yield* streaming;
        return;
      }
      if (out.length > 0) yield out;
    },
    destroy: () => {
      res.destroy();
      streaming?.destroy();
    },
  };
}

/** The answer as `fetch` would give it, its body read as it arrives. */
class NodeResponse {
  #stream;
  #res;
  #used = false;

  constructor(res, url, stream) {
    this.#res = res;
    this.#stream = stream;
    this.status = res.statusCode;
    this.statusText = res.statusMessage ?? '';
    this.ok = this.status >= 200 && this.status < 300;
    this.redirected = false;
    this.url = url;
    this.type = 'basic';
    this.headers = new ResponseHeaders(res.rawHeaders);
    this.body = stream ? { getReader: () => this.#reader() } : null;
  }

  get bodyUsed() {
    return this.#used;
  }

  #take() {
    if (this.#used) throw new TypeError('Body is unusable: Body has already been read');
    this.#used = true;
    return this.#stream;
  }

  #reader() {
    const stream = this.#take();
    const chunks = stream[Symbol.asyncIterator]();
    return {
      read: () => chunks.next().then(({ done, value }) => (done ? { done: true, value: undefined } : { done: false, value }), (e) => Promise.reject(failed(e))),
      cancel: async () => {
        this.#res.destroy();
        stream.destroy();
      },
      releaseLock: () => {},
    };
  }

  async arrayBuffer() {
    const stream = this.#take();
    if (!stream) return new ArrayBuffer(0);
    const parts = [];
    try {
      for await (const chunk of stream) parts.push(chunk);
    } catch (e) {
      throw failed(e);
    }
    const whole = Buffer.concat(parts);
    return whole.buffer.slice(whole.byteOffset, whole.byteOffset + whole.byteLength);
  }

  async text() {
    return new TextDecoder().decode(await this.arrayBuffer());
  }

  async json() {
    return JSON.parse(await this.text());
  }
}

/**
 * One attempt: resolves with the answer's head, rejects with the network error. With `idleMs`,
 * the request fails when its connection carries nothing for that long (connecting, waiting for
 * the head, between pieces of the body): node's socket timeout, which every read and write
 * starts again.
 */
function attempt(url, method, headers, body, signal, idleMs) {
  return new Promise((resolve, reject) => {
    const module = url.protocol === 'https:' ? https : http;
    let response = null;
    const req = module.request(url, { method, headers, agent: agents[url.protocol], signal }, (res) => {
      response = res;
      resolve(res);
    });
    req.on('error', (e) => {
      e.reusedSocket = req.reusedSocket;
      reject(e);
    });
    if (idleMs > 0) {
      req.setTimeout(idleMs, () => {
        const e = Object.assign(new Error(`timed out: the server sent nothing for ${idleMs} ms`), { code: 'ETIMEDOUT' });
        // The body's reader gets this error, not node's "aborted".
        response?.destroy(e);
        req.destroy(e);
      });
    }
    req.end(body ?? undefined);
  });
}

/**
 * `fetch(url, init)` over node:http(s) for the core's requests: `init.method`, `init.headers`,
 * `init.body` (bytes or a string), `init.redirect` ('manual'; anything else, or a `Request`,
 * goes to the global `fetch`), `init.signal`. Resolves to a `Response`-like object (`status`, `headers`, `body`,
 * `arrayBuffer()`, `text()`, `json()`, ...). `idleMs` (DavClient's `idleTimeoutMs`, not part of
 * `fetch`): the request fails when the server makes no progress on it for that long (0: never).
 */
export async function httpFetch(input, init = {}, idleMs = 0) {
  if (init.redirect !== 'manual' || (typeof input !== 'string' && !(input instanceof URL))) return globalThis.fetch(input, init);
  let url;
  try {
    url = new URL(String(input));
  } catch (e) {
    throw new TypeError(`Failed to parse URL from ${input}`, { cause: e });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return globalThis.fetch(input, init);
  if (url.username || url.password) throw new TypeError('Request cannot be constructed from a URL that includes credentials');
  const method = (init.method ?? 'GET').toUpperCase();
  const headers = headerObject(init.headers);
  if (!('accept-encoding' in headers)) headers['accept-encoding'] = ACCEPT_ENCODING;
  const body = bodyBytes(init.body);
  if (body && !('content-length' in headers)) headers['content-length'] = String(body.length);
  if (!SAFE.has(method)) await dropClosedIdle();
  let res;
  for (let tries = 0; ; tries++) {
    try {
      res = await attempt(url, method, headers, body, init.signal, idleMs);
      break;
    } catch (e) {
      // The server closed a kept-alive connection as the request went out: nothing was
      // answered, and a safe request is sent once more on a new connection.
      if (tries === 0 && e.reusedSocket && SAFE.has(method) && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) continue;
      if (e?.name === 'AbortError') throw e;
      throw failed(e);
    }
  }
  const status = res.statusCode;
  const empty = method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
  let stream = null;
  if (empty) res.resume();
  else {
    stream = res;
    const coding = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
    const decoder = decoders[coding];
    if (decoder) stream = smallFirstBody(res, decoder);
  }
  return new NodeResponse(res, url.href, stream);
}
