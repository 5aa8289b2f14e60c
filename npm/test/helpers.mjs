// Shared helpers for the node test suites.
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
