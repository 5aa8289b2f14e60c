// Shared helpers for the node test suites.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const npmDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const repoDir = join(npmDir, '..');
export const vectorsDir = join(repoDir, 'tests', 'vectors');

/** Maps whose keys are data (href -> ETag), never renamed. */
const VERBATIM = new Set(['etags']);

function convertKeys(value, rename) {
  if (Array.isArray(value)) return value.map((v) => convertKeys(v, rename));
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[rename(k)] = VERBATIM.has(k) ? v : convertKeys(v, rename);
    return out;
  }
  return value;
}

/** `displayName` -> `display_name`, recursively (except inside `etags`). */
export const toSnake = (v) => convertKeys(v, (k) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
/** `display_name` -> `displayName`, recursively (except inside `etags`). */
export const toCamel = (v) => convertKeys(v, (k) => k.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase()));

/** `expected` is contained in `actual`: objects by the keys given, arrays with equal lengths. */
export function assertSubset(path, expected, actual) {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      throw new Error(`${path}: expected ${expected.length} items, got ${JSON.stringify(actual)}`);
    }
    expected.forEach((e, i) => assertSubset(`${path}[${i}]`, e, actual[i]));
  } else if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object') throw new Error(`${path}: expected an object, got ${JSON.stringify(actual)}`);
    for (const [k, v] of Object.entries(expected)) assertSubset(`${path}.${k}`, v, actual[k] ?? null);
  } else if (expected !== actual) {
    throw new Error(`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

function headerMap(init) {
  const h = new Headers(init.headers ?? []);
  return h;
}

function bodyText(init) {
  if (init.body == null) return '';
  if (typeof init.body === 'string') return init.body;
  return new TextDecoder().decode(init.body);
}

/** A fetch that answers from the case's exchanges and records mismatches. */
export function replayFetch(name, dir, exchanges) {
  const used = exchanges.map(() => false);
  const problems = [];
  const fetch = async (url, init = {}) => {
    const method = init.method ?? 'GET';
    const body = bodyText(init);
    const index = exchanges.findIndex((ex, i) => !used[i] && ex.request.method === method && ex.request.url === url
      && (ex.request.body_contains ?? []).every((part) => body.includes(part)));
    if (index < 0) {
      problems.push(`unexpected request ${method} ${url} (no unused exchange matches)`);
      throw new TypeError(`replay: no exchange for ${method} ${url}`);
    }
    used[index] = true;
    const { request: expected, response: r } = exchanges[index];
    const headers = headerMap(init);
    for (const [k, v] of Object.entries(expected.headers ?? {})) {
      if (v === null && headers.has(k)) problems.push(`${method} ${url} must not carry \`${k}\``);
      if (v !== null && headers.get(k) !== v) problems.push(`header \`${k}\` of ${method} ${url}: expected ${v}, got ${headers.get(k)}`);
    }
    // A request the host could not send: fetch rejects, as it does on a network or CORS failure.
    if (r.transport_error) throw new TypeError(r.transport_error);
    let bytes;
    if (r.body_file) bytes = readFileSync(join(dir, r.body_file));
    else if (r.body_base64) bytes = Buffer.from(r.body_base64, 'base64');
    else bytes = Buffer.from(r.body ?? '', 'utf8');
    const nullBody = [204, 205, 304].includes(r.status);
    const response = new Response(nullBody ? null : bytes, { status: r.status, headers: r.headers ?? {} });
    if (r.final_url) {
      // What fetch reports after following redirects by itself (always, in browsers).
      Object.defineProperty(response, 'url', { value: r.final_url });
      Object.defineProperty(response, 'redirected', { value: true });
    }
    return response;
  };
  return { fetch, used, problems };
}
