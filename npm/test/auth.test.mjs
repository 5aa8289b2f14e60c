// Auth through the public DavClient with a fake `fetch`: an HTTP Digest exchange (RFC 7616,
// answered by the core: see core/tests/digest.rs for the same flow in Rust), and what the
// package shows of its secrets: no password, token or `Authorization` value in `String()`,
// `inspect()` or `JSON.stringify` of a client, its errors, or on the console.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { DavClient, DavError, OAuthClient, Pkce } from '../dist/node.js';
import { platform } from '../dist/api.js';

const SERVER = 'http://127.0.0.1:5232/';
const OBJECT = `${SERVER}alice/cal/a.ics`;
const REALM = 'SabreDAV';
const USER = 'alice';
const PASSWORD = 'Digest-pw-7f3a';
const ICS = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T100000Z\r\nSUMMARY:Hi\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';

const sha = (text) => createHash('sha256').update(text).digest('hex');

/** The parameters of an `Authorization: Digest ...` value (quoted values unquoted). */
function digestParams(value) {
  assert.ok(value.startsWith('Digest '), `not Digest: ${value}`);
  const out = {};
  for (const m of value.slice(7).matchAll(/([A-Za-z-]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    out[m[1]] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
  }
  return out;
}

function challenge(nonce) {
  // Basic first: the client must pick Digest for Digest credentials.
  const value = `Basic realm="${REALM}", Digest realm="${REALM}", qop="auth", algorithm=SHA-256, nonce="${nonce}", opaque="op4que"`;
  return new Response('', { status: 401, headers: { 'WWW-Authenticate': value } });
}

/**
 * A server that knows `password` and accepts only a Digest answer for its nonce, checking the
 * response hash as RFC 7616 §3.4.1 computes it. Records every request (method, url, headers).
 */
function digestServer(password, { status = 200 } = {}) {
  const requests = [];
  const fetch = async (url, init = {}) => {
    const headers = new Headers(init.headers ?? []);
    const method = init.method ?? 'GET';
    requests.push({ method, url, headers });
    const authorization = headers.get('authorization');
    if (!authorization) return challenge('n1');
    const p = digestParams(authorization);
    const ha1 = sha(`${USER}:${REALM}:${password}`);
    const ha2 = sha(`${method}:${new URL(url).pathname}`);
    const expected = sha(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`);
    if (p.response !== expected || p.nonce !== 'n1') return challenge('n1');
    if (status !== 200) return new Response('server trouble', { status });
    return new Response(ICS, { status: 200, headers: { ETag: '"1"', 'Content-Type': 'text/calendar' } });
  };
  return { fetch, requests };
}

/** Runs `body` with the console captured; returns everything written to it. */
async function capturingConsole(body) {
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'];
  const saved = methods.map((m) => console[m]);
  const written = [];
  for (const m of methods) console[m] = (...args) => written.push(args.map((a) => (typeof a === 'string' ? a : inspect(a))).join(' '));
  try {
    await body();
  } finally {
    methods.forEach((m, i) => { console[m] = saved[i]; });
  }
  return written.join('\n');
}

/** Every way the package's objects may be shown. */
function shown(value) {
  let json;
  try {
    json = JSON.stringify(value);
  } catch (e) {
    json = `unserialisable: ${e.message}`;
  }
  const parts = [String(value), inspect(value, { depth: 10, showHidden: true }), json];
  if (value instanceof Error) parts.push(value.message, value.stack ?? '', inspect(value.cause, { depth: 10 }));
  return parts.join('\n');
}

function assertHidden(what, text, secrets) {
  for (const s of secrets) assert.ok(!text.includes(s), `${what} shows a secret (${s.slice(0, 3)}...)`);
}

test('digest: the 401 challenge is answered with the right username, realm, uri and hash', async () => {
  const server = digestServer(PASSWORD);
  const client = new DavClient({ serverUrl: SERVER, auth: { digest: { username: USER, password: PASSWORD } }, fetch: server.fetch });
  const object = await client.getObject(OBJECT);
  assert.equal(object.etag, '"1"');
  assert.equal(object.events[0].summary, 'Hi');
  assert.equal(server.requests.length, 2, 'the challenge, then the answer');
  assert.equal(server.requests[0].headers.get('authorization'), null, 'nothing is sent before the challenge');
  const answer = server.requests[1].headers.get('authorization');
  const p = digestParams(answer);
  assert.equal(p.username, USER);
  assert.equal(p.realm, REALM);
  assert.equal(p.uri, '/alice/cal/a.ics');
  assert.equal(p.nonce, 'n1');
  assert.equal(p.algorithm, 'SHA-256');
  assert.equal(p.qop, 'auth');
  assert.equal(p.opaque, 'op4que');
  assert.equal(p.nc, '00000001');
  assert.ok(!answer.includes(PASSWORD), 'the password never travels');
  assertHidden('the fetched object', shown(object), [PASSWORD, answer]);
  // The client keeps the challenge: the next call answers at once, counting on.
  await client.getObject(OBJECT);
  assert.equal(server.requests.length, 3);
  assert.equal(digestParams(server.requests[2].headers.get('authorization')).nc, '00000002');
});

test('digest: a wrong password is Unauthorized and no error shows it', async () => {
  const wrong = 'Wrong-pw-91c2';
  const server = digestServer(PASSWORD);
  const client = new DavClient({ serverUrl: SERVER, auth: { digest: { username: USER, password: wrong } }, fetch: server.fetch });
  let error;
  const output = await capturingConsole(async () => {
    error = await client.getObject(OBJECT).then(() => null, (e) => e);
  });
  assert.ok(error instanceof DavError, `expected a DavError, got ${error}`);
  assert.equal(error.kind, 'Unauthorized');
  assert.equal(error.status, 401);
  assert.equal(server.requests.length, 2, 'one answer to the challenge, not a loop');
  const values = server.requests.map((r) => r.headers.get('authorization')).filter(Boolean);
  assertHidden('the error', shown(error), [wrong, ...values]);
  assertHidden('the console', output, [wrong, ...values]);
  assertHidden('the client', shown(client), [wrong, ...values]);
});

test('digest: a client that cannot be built says why without the password', () => {
  assert.throws(() => new DavClient({ serverUrl: 'not a url', auth: { digest: { username: USER, password: PASSWORD } } }),
    (e) => e instanceof DavError && e.kind === 'InvalidInput' && !shown(e).includes(PASSWORD));
});

// What an app could print: the client (with every kind of credentials), the errors of failed
// calls (HTTP status, transport failure, bad input), and the console during the calls.
const SCHEMES = {
  basic: { auth: { basic: { username: USER, password: 'Basic-pw-5d1e' } }, secrets: ['Basic-pw-5d1e'] },
  digest: { auth: { digest: { username: USER, password: PASSWORD } }, secrets: [PASSWORD] },
  bearer: { auth: { bearer: 'ya29.Bearer-tok-c0ffee' }, secrets: ['ya29.Bearer-tok-c0ffee'] },
  provider: { auth: async () => 'ya29.Provided-tok-beef', secrets: ['ya29.Provided-tok-beef'] },
};

for (const [scheme, { auth, secrets }] of Object.entries(SCHEMES)) {
  test(`secrets (${scheme}): not in the client, its errors or the console`, async () => {
    const sent = [];
    let answer = 'status';
    const fetch = async (url, init = {}) => {
      const headers = new Headers(init.headers ?? []);
      if (headers.get('authorization')) sent.push(headers.get('authorization'));
      if (scheme === 'digest' && !headers.get('authorization')) return challenge('n1');
      if (answer === 'network') throw new TypeError('fetch failed: connection refused');
      return new Response('<error>nope</error>', { status: answer === 'forbidden' ? 403 : 500 });
    };
    const errors = [];
    const client = new DavClient({ serverUrl: SERVER, auth, fetch, retry: false });
    const output = await capturingConsole(async () => {
      for (answer of ['status', 'forbidden', 'network']) {
        errors.push(await client.getObject(OBJECT).then(() => null, (e) => e));
      }
      answer = 'status';
      errors.push(await client.sync({ url: `${SERVER}alice/cal/`, kind: 'calendar' }, null).then(() => null, (e) => e));
      errors.push(await client.getObject('http://[bad/x.ics').then(() => null, (e) => e));
    });
    assert.ok(sent.length >= 4, `the credentials were used (${sent.length} requests with them)`);
    if (scheme === 'digest') for (const v of sent) assert.ok(v.startsWith('Digest '), v);
    const hidden = [...secrets, ...new Set(sent)];
    for (const [i, e] of errors.entries()) {
      assert.ok(e instanceof DavError, `call ${i}: expected a DavError, got ${e}`);
      assertHidden(`error ${i} (${e.kind})`, shown(e), hidden);
    }
    assert.deepEqual(errors.map((e) => e.kind), ['Http', 'Forbidden', 'Transport', 'Http', 'InvalidInput']);
    assertHidden('the client', shown(client), hidden);
    assertHidden('the console', output, hidden);
  });
}

test('secrets: a confidential OAuth client shows no client secret, nor does its failed exchange', async () => {
  const secret = 'client-secret-9a7b';
  const sent = [];
  const fetch = async (url, init = {}) => {
    sent.push(typeof init.body === 'string' ? init.body : new TextDecoder().decode(init.body ?? new Uint8Array()));
    return new Response('{"error":"invalid_client"}', { status: 401, headers: { 'content-type': 'application/json' } });
  };
  const client = new OAuthClient({
    clientId: 'app-id', redirectUri: 'https://app.example.com/cb', authUrl: 'https://auth.example.com/authorize',
    tokenUrl: 'https://auth.example.com/token', clientSecret: secret, fetch,
  });
  const pkce = new Pkce('v'.repeat(43));
  assert.ok(client.authorizationUrl(['calendar'], pkce, 'st').startsWith('https://auth.example.com/authorize?'));
  const error = await client.exchangeCode('code-1', pkce).then(() => null, (e) => e);
  assert.ok(error instanceof DavError, String(error));
  assert.ok(sent.some((body) => body.includes(secret)), 'the token request carries the client secret');
  for (const [what, value] of Object.entries({ client, error })) assertHidden(what, shown(value), [secret]);
});

test('OAuthClient: a token endpoint that never answers fails as timed out (idleTimeoutMs); a bad idleTimeoutMs is refused', async () => {
  const never = (url, init) => new Promise((resolve, reject) => {
    init.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
  });
  const options = { clientId: 'app-id', redirectUri: 'https://app.example.com/cb', authUrl: 'https://auth.example.com/authorize', tokenUrl: 'https://auth.example.com/token' };
  const client = new OAuthClient({ ...options, fetch: never, idleTimeoutMs: 100 });
  // The wait's timer does not keep node running (a real request's socket does): this does.
  const alive = setInterval(() => {}, 1000);
  try {
    await assert.rejects(client.exchangeCode('code-1', new Pkce('v'.repeat(43))), (e) => e.kind === 'Transport' && /timed out/.test(e.message));
  } finally {
    clearInterval(alive);
  }
  assert.throws(() => new OAuthClient({ ...options, fetch: never, idleTimeoutMs: -5 }), (e) => e.kind === 'InvalidInput');
});

test('OAuthClient: token requests follow no redirect, in a browser either (the form would go again to wherever it led)', async () => {
  const secret = 'client-secret-5c1d';
  const sent = [];
  const fetch = async (url, init = {}) => {
    sent.push({ url, redirect: init.redirect });
    return new Response('', { status: 307, headers: { location: 'https://elsewhere.example/steal' } });
  };
  const client = new OAuthClient({
    clientId: 'app-id', redirectUri: 'https://app.example.com/cb', authUrl: 'https://auth.example.com/authorize',
    tokenUrl: 'https://auth.example.com/token', clientSecret: secret, fetch,
  });
  const browser = platform.browser;
  for (const inBrowser of [false, true]) {
    platform.browser = inBrowser;
    sent.length = 0;
    try {
      const error = await client.refresh('refresh-token-2e8f').then(() => null, (e) => e);
      assert.ok(error instanceof DavError, String(error));
    } finally {
      platform.browser = browser;
    }
    assert.deepEqual(sent, [{ url: 'https://auth.example.com/token', redirect: 'manual' }], `browser: ${inBrowser}`);
  }
});

test('OAuthClient: a token endpoint that is not https (but on a loopback host) gets no request', async () => {
  const sent = [];
  const fetch = async (url) => {
    sent.push(url);
    return new Response('{"access_token":"a","token_type":"Bearer"}', { status: 200, headers: { 'content-type': 'application/json' } });
  };
  const options = { clientId: 'app-id', redirectUri: 'https://app.example.com/cb', authUrl: 'https://auth.example.com/authorize', fetch };
  const plain = new OAuthClient({ ...options, tokenUrl: 'http://auth.example.com/token', clientSecret: 'client-secret-3f0e' });
  const error = await plain.refresh('refresh-token-77aa').then(() => null, (e) => e);
  assert.ok(error instanceof DavError && error.kind === 'InvalidInput', String(error));
  assert.deepEqual(sent, []);
  assertHidden('error', shown(error), ['refresh-token-77aa', 'client-secret-3f0e']);
  const local = new OAuthClient({ ...options, tokenUrl: 'http://127.0.0.1:9/token' });
  assert.equal((await local.refresh('refresh-token-77aa')).accessToken(), 'a');
  assert.deepEqual(sent, ['http://127.0.0.1:9/token']);
});
