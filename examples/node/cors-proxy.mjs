#!/usr/bin/env node
// A small CORS proxy for CalDAV/CardDAV servers that send no CORS headers (Google, iCloud,
// most self-hosted servers). Browsers send every PROPFIND and REPORT through a preflight, so a
// page can only talk to such a server through something like this, on your own origin or host.
//
//   node examples/node/cors-proxy.mjs --port 8787 --allow caldav.icloud.com,.icloud.com
//
// The page keeps the real server URLs and points davkit's `fetch` at the proxy (see
// `proxyFetch` below, and the README): `GET /?url=<encoded real URL>` is forwarded to the real
// URL, only for allowed hosts (it is not an open proxy). Redirects are not followed here: the
// proxy returns them with `x-davkit-location` instead of `location` (a browser would otherwise
// follow them itself, to a server without CORS), and `proxyFetch` puts `location` back so the
// davkit core follows them, deciding where credentials may go.
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

const FORWARDED_REQUEST = ['authorization', 'content-type', 'depth', 'if-match', 'if-none-match', 'prefer', 'brief', 'user-agent'];
const FORWARDED_RESPONSE = ['content-type', 'etag', 'dav', 'retry-after', 'www-authenticate', 'last-modified'];
const CORS = {
  'access-control-allow-methods': 'GET, HEAD, PUT, POST, DELETE, OPTIONS, PROPFIND, PROPPATCH, REPORT, MKCOL, MKCALENDAR',
  'access-control-allow-headers': 'Authorization, Content-Type, Depth, If-Match, If-None-Match, Prefer, Brief',
  'access-control-expose-headers': 'ETag, DAV, Content-Type, Retry-After, WWW-Authenticate, X-Davkit-Location, Location',
  'access-control-max-age': '600',
};

/** A CORS proxy server (not listening yet) that forwards to hosts matching `allow`. */
export function createCorsProxy({ allow, origin = '*', fetch: fetchFn = globalThis.fetch }) {
  const allowed = (host) => allow.some((a) => (a.startsWith('.') ? host.endsWith(a) : host === a));
  return createServer(async (req, res) => {
    const cors = { ...CORS, 'access-control-allow-origin': origin, vary: 'Origin' };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors).end();
      return;
    }
    let target;
    try {
      target = new URL(new URL(req.url, 'http://proxy').searchParams.get('url'));
    } catch {
      res.writeHead(400, cors).end('missing ?url=');
      return;
    }
    if (!['http:', 'https:'].includes(target.protocol) || !allowed(target.host)) {
      res.writeHead(403, cors).end(`host not allowed: ${target.host}`);
      return;
    }
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const headers = {};
    for (const name of FORWARDED_REQUEST) if (req.headers[name]) headers[name] = req.headers[name];
    try {
      const upstream = await fetchFn(target, {
        method: req.method,
        headers,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
        redirect: 'manual',
      });
      const out = { ...cors };
      for (const name of FORWARDED_RESPONSE) {
        const value = upstream.headers.get(name);
        if (value !== null) out[name] = value;
      }
      const location = upstream.headers.get('location');
      if (location) out['x-davkit-location'] = new URL(location, target).href;
      const body = Buffer.from(await upstream.arrayBuffer());
      res.writeHead(upstream.status, out).end(body);
    } catch (e) {
      res.writeHead(502, cors).end(`upstream failed: ${e.cause?.message ?? e.message}`);
    }
  });
}

/**
 * The `fetch` to give DavClient in the page: sends each request through the proxy at
 * `proxyBase` and restores the redirects it returned.
 */
export function proxyFetch(proxyBase, fetchFn = globalThis.fetch) {
  return async (url, init) => {
    const response = await fetchFn(`${proxyBase}/?url=${encodeURIComponent(url)}`, init);
    const location = response.headers.get('x-davkit-location');
    if (!location) return response;
    const headers = new Headers(response.headers);
    headers.set('location', location);
    return new Response(response.body, { status: response.status, headers });
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const allow = arg('allow', '').split(',').filter(Boolean);
  if (!allow.length) {
    console.error('usage: cors-proxy.mjs --allow host[,.suffix...] [--port 8787] [--origin http://localhost:5173]');
    process.exit(2);
  }
  const port = Number(arg('port', '8787'));
  createCorsProxy({ allow, origin: arg('origin', '*') }).listen(port, '127.0.0.1', () => {
    console.log(`CORS proxy on http://127.0.0.1:${port}/?url=... for ${allow.join(', ')}`);
  });
}
