// `parseView` of davkit/formats: the parsed view a fetch with `parse` on attaches to an object,
// for apps that fetch with their own client (or with `davkit/protocol`).
import { invalid, wasmFn, wrap } from './api.js';

/** `{ events }`, `{ contact }`, `{ parseError }` or `{}` for one object's text, under `limits`. */
export function parseView(text, limits) {
  if (limits != null && typeof limits !== 'object') throw invalid('parseView limits must be an object (the Limits of DavClientOptions)');
  return wrap(() => wasmFn('parseView')(String(text), limits ?? undefined));
}
