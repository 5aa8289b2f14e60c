// The public JS API of davkit over the wasm exports. Every method converts its arguments, calls
// the core (through `Client` in bindings-wasm), and turns core errors into `DavError`. No DAV
// decisions are made here; the one policy is auth: static credentials, or a token provider that
// is asked again (with `{ refresh: true }`) and the call retried once after a 401.
// The wasm-bindgen exports: set by the entry point (`bind`). The full module (`davkit/gcal`) has
// them all; `davkit`'s has no Google Calendar API exports (its `gcal*` methods throw
// `Unsupported`), and the protocol-only one (`davkit/protocol`) also has no
// iCalendar/vCard/recurrence or write-queue exports: the functions that need them throw
// `Unsupported` there (and its copy of this file has no `WriteQueue`: scripts/entry-api.mjs).
let wasm = null;
// The module with the formats, the write queue and the decisions of the operations that
// read iCalendar (the flush, scheduling: `FlushMachine`, `RespondMachine`, ...), whose DAV
// calls `wasm`'s client makes one at a time (`runSteps`): the same module in `davkit/gcal`;
// in `davkit`, a second module (`split`), loaded on first use (`loadExtras`); none in
// `davkit/protocol`.
let ext = null;
// `davkit`: its first module has the client only, and `ext` is its second (`extrasNow`,
// `extrasInBrowser`), loaded by `loadExtras` (elsewhere there is nothing to load).
let split = false;
let extrasReady = false;
let loadExtras = () => Promise.resolve();
// How a client's fetched objects get their parsed views (`viewMarker`): set by the entries
// whose modules have the formats (`withViews`), so that `davkit/protocol`'s bundle leaves it out.
let marker = null;

/** Called once by the entry point with the wasm-bindgen glue module's exports. */
export function bind(glue) {
  wasm = glue;
  ext = typeof glue.FlushMachine === 'function' ? glue : null;
}

/**
 * Set by the entry point: `browser` (browsers may not send `User-Agent`, and a preflight would
 * need it), `load(wasm)`, which instantiates the module (browsers: fetch and compile), and
 * `fetch`, the transport a client uses when the app passes none (node: `httpFetch` of
 * http.js; elsewhere the global `fetch`).
 */
export const platform = { browser: false, load: null, fetch: null };

let ready = false;
let loading = null;

/** The module is loaded (by the node entry, or by `init`). */
function markReady() {
  ready = true;
}

// The page's script while it runs, for a classic-script bundle (esbuild's iife, where
// `import.meta` is empty): read when the bundle is evaluated, as the entry is.
const script = typeof document !== 'undefined' && document.currentScript ? document.currentScript.src : undefined;

/**
 * How a browser entry loads its module: `glue` is its wasm-bindgen glue; `beside()` gives the
 * .wasm's URL next to the entry (each entry writes its own `new URL('…', import.meta.url)`,
 * which bundlers see and emit as an asset), `name` the same path, looked up next to the page's
 * script when `import.meta` is empty; `zones`, the host's zone rules, for the modules that
 * have the formats. `init()` (or the first client call) then fetches and compiles it, from
 * `init({ wasm })` when given.
 */
export function loadInBrowser(glue, beside, name, zones) {
  bind(glue);
  platform.browser = true;
  platform.load = async (wasm) => {
    await glue.default({ module_or_path: wasm ?? besideEntry(beside, name) });
    if (zones) glue.setZoneSource(zones);
  };
}

/** The .wasm next to the entry (`beside()`), or `name` next to the page's script. */
function besideEntry(beside, name) {
  try {
    return beside();
  } catch {
    return new URL(name, script ?? globalThis.location?.href);
  }
}

/**
 * How `davkit`'s browser entry loads its second module (the formats, the write queue and the
 * flush's and scheduling's decisions), on first use: `load()` imports its wasm-bindgen glue
 * with the host's zone rules (`{ glue, zoneRules }`: extras.js, by a dynamic `import()`, which
 * bundlers split off), `beside` and `name` say where its .wasm is as for `loadInBrowser`.
 * Loaded by `init()` (from `init({ extrasWasm })` when given), and by the client calls that need
 * it.
 */
export function extrasInBrowser(load, beside, name) {
  split = true;
  let loading = null;
  loadExtras = (wasm) => {
    if (extrasReady) return Promise.resolve();
    loading ??= load().then(async ({ glue: g, zoneRules }) => {
      await g.default({ module_or_path: wasm ?? besideEntry(beside, name) });
      g.setZoneSource(zoneRules);
      ext = g;
      extrasReady = true;
    }).catch((e) => {
      loading = null;
      throw new DavError(`InvalidInput: davkit's second WebAssembly module did not load: ${e?.message ?? e}`, { kind: 'InvalidInput', cause: e });
    });
    return loading;
  };
}

/** How `davkit`'s node entry loads its second module: compiled at once, as `loadNow`. */
export function extrasNow(glue, bytes, zones) {
  split = true;
  glue.initSync({ module: bytes });
  if (zones) glue.setZoneSource(zones);
  ext = glue;
  extrasReady = true;
}

/** The entries whose modules have the formats: fetched objects get parsed views. */
export function withViews() {
  marker = viewMarker;
}

/**
 * How a node (Deno, Bun) entry loads its module: compiled at once from `bytes`, so everything
 * is ready on import and `init()` resolves immediately; `zones` as for `loadInBrowser`;
 * `fetch`, the clients' default transport (the node entries give http.js's in node).
 */
export function loadNow(glue, bytes, zones, fetch) {
  bind(glue);
  platform.browser = false;
  platform.fetch = fetch ?? null;
  glue.initSync({ module: bytes });
  if (zones) glue.setZoneSource(zones);
  markReady();
}

/**
 * Loads the WebAssembly module once (in `davkit`, both its modules); later calls return the
 * same promise. `options.wasm` is where to get it (a URL, a `Response`, bytes or a compiled
 * `WebAssembly.Module`) when not from the default place next to the entry, `options.extrasWasm`
 * the same for `davkit`'s second module. The node entries are ready on import.
 */
export function init(options = {}) {
  return Promise.all([loadMain(options?.wasm), loadExtras(options?.extrasWasm)]).then(() => {});
}

/** The entry's (first) module, loaded once: the one with the client (and OAuth). */
export function loadMain(wasm) {
  if (ready) return Promise.resolve();
  loading ??= platform.load(wasm).then(
    () => markReady(),
    (e) => {
      loading = null;
      throw new DavError(`InvalidInput: the davkit WebAssembly module did not load: ${e?.message ?? e}`, { kind: 'InvalidInput', cause: e });
    },
  );
  return loading;
}

function unsupported(what) {
  return new DavError(`Unsupported: ${what} is not in davkit/protocol: import it from 'davkit'`, { kind: 'Unsupported' });
}

/**
 * `name` of the modules' exports, or an `Unsupported` error (the protocol-only module); in
 * `davkit` before its second module is loaded, an error that says to `await init()`.
 */
export function wasmFn(name) {
  const fn = ext?.[name] ?? wasm[name];
  if (typeof fn !== 'function') {
    if (split && !extrasReady) needReady(false);
    throw unsupported(name);
  }
  return fn;
}

/** The Google Calendar API is in `davkit/gcal`'s module only. */
function needGcal(name) {
  if (typeof wasm?.Client?.prototype?.gcalSync !== 'function') {
    throw new DavError(`Unsupported: ${name} (the Google Calendar API) is not in this entry: import it from 'davkit/gcal'`, { kind: 'Unsupported' });
  }
}

/** The write queue is in the modules with the formats (`davkit`, `davkit/gcal`). */
function needQueue(name) {
  if (!split && typeof ext?.Queue !== 'function') {
    throw new DavError(`Unsupported: ${name} (the write queue) is not in davkit/protocol: import it from 'davkit'`, { kind: 'Unsupported' });
  }
}

function needReady(loaded = ready) {
  if (!loaded) throw invalid('davkit is not initialised yet: `await init()` once before the synchronous functions (the DavClient methods load it themselves)');
}

/** A davkit failure: `kind` is stable (see the README), `status` and `url` when known. */
export class DavError extends Error {
  constructor(message, details = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'DavError';
    this.kind = details.kind ?? 'Protocol';
    this.status = details.status ?? null;
    this.url = details.url ?? null;
    this.bodyExcerpt = details.bodyExcerpt ?? null;
    this.retryAfter = details.retryAfter ?? null;
  }
}

/** True when `value` is a `DavError` (of `kind`, when given). */
export function isDavError(value, kind) {
  return value instanceof DavError && (kind === undefined || value.kind === kind);
}

export function toDavError(e) {
  if (e instanceof DavError) return e;
  if (e && typeof e === 'object' && e.davkit === true) {
    const text = e.url ? `${e.kind}: ${e.message} (${e.url})` : `${e.kind}: ${e.message}`;
    return new DavError(text, e);
  }
  return e; // not from the core (a bug or the app's own auth provider): rethrown unchanged
}

export function invalid(message) {
  return new DavError(`InvalidInput: ${message}`, { kind: 'InvalidInput' });
}

/**
 * A URL with an internationalised host in its ASCII form (`bücher.example` ->
 * `xn--bcher-kva.example`), by the host's `URL`: the module carries no IDNA tables, and its URL
 * parser takes ASCII hosts only. Other URLs are passed as they are.
 */
function asciiUrl(url) {
  if (!/[^\x00-\x7f]/.test(url)) return url;
  try {
    return new URL(url).href;
  } catch {
    return url; // the core says why it is not a URL
  }
}

function urlOf(ref, what) {
  const url = typeof ref === 'string' ? ref : ref?.url;
  if (typeof url !== 'string') throw invalid(`${what} must be a URL string or an object with \`url\``);
  return asciiUrl(url);
}

function kindOf(ref, fallback) {
  const kind = typeof ref === 'object' && ref ? ref.kind : undefined;
  return kind ?? fallback;
}

function credentialsOf(auth) {
  if (auth == null) return null;
  if (typeof auth === 'string') return { bearer: auth };
  if (auth.basic) return { basic: { username: String(auth.basic.username), password: String(auth.basic.password) } };
  // RFC 7616: the core answers the server's 401 challenge; the password never travels.
  if (auth.digest) return { digest: { username: String(auth.digest.username), password: String(auth.digest.password) } };
  if (typeof auth.bearer === 'string') return { bearer: auth.bearer };
  throw invalid('`auth` must be { basic: { username, password } }, { digest: { username, password } }, { bearer: token } or an async token provider');
}

/**
 * A time-range bound for the core: the CalDAV UTC text `YYYYMMDDTHHMMSSZ` as given, else the
 * instant of a `Date`, a number or ISO text in milliseconds, which the core writes as that text.
 */
function caldavTime(value, what) {
  if (value == null) return null;
  if (typeof value === 'string' && /^\d{8}T\d{6}Z$/.test(value)) return value;
  const ms = (value instanceof Date ? value : new Date(value)).getTime();
  if (Number.isNaN(ms)) throw invalid(`${what} is not a date: ${value}`);
  return ms;
}

function isoInstant(value, what) {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw invalid(`${what} is not a date: ${value}`);
  return date.toISOString();
}

/** How many sync states a client's module keeps parsed (the core's `kept::MAX_STATES`). */
const KEPT = 16;
/**
 * The characters of the state texts `#kept` holds besides the newest (the core keeps older
 * states up to 20,000 members, about 2 million characters of text): an app that dropped a
 * result's text does not have it held here for long.
 */
const KEPT_CHARS = 4_000_000;

/** Members per batch when `maxMembers` is not given. */
const DEFAULT_MAX_MEMBERS = 500;

function maxMembersOf(value) {
  const n = value ?? DEFAULT_MAX_MEMBERS;
  if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) throw invalid(`maxMembers must be a whole number from 1, got ${value}`);
  return n;
}

/**
 * A sync state object (camelCase, as `SyncResult.state` always was) from the core's JSON text
 * (`SyncState::to_json`, snake_case; the `etags` and `pending` contents are data, kept as they are).
 */
function stateObject(text) {
  const out = {};
  for (const [key, value] of Object.entries(JSON.parse(text))) out[key.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase())] = value;
  return out;
}

/** Each state object `withState` made: the text it was made from. */
const stateOrigins = new WeakMap();

/** The core's name of a state object's key (`stateObject`'s renaming undone). */
const coreKey = (key) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * The text of a result's state passed back unchanged: the text, or the object a result's `state`
 * made while `JSON.stringify` of it, keys named as the core names them, is still that text.
 */
export function untouchedText(state) {
  if (typeof state === 'string') return state;
  const text = state !== null && typeof state === 'object' ? stateOrigins.get(state) : undefined;
  if (text === undefined) return undefined;
  const named = {};
  for (const [key, value] of Object.entries(state)) named[coreKey(key)] = value;
  try {
    return JSON.stringify(named) === text ? text : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A sync result from the module has `state` as the core's JSON text: it becomes `stateJson`
 * (not enumerable), and `state` a property that makes the state object on first read (a
 * 10,000-member state is about 1 MB of text, and an object of 10,000 keys on the JS heap, which
 * an app that stores the text, or a batch loop that only passes it on, never needs). Assigning
 * to `state` replaces it, as with a plain property. Returns what the next batch starts from: the
 * text while the app has not touched `state` (so the state crosses into the module as one
 * string, read straight into the core's state), else the object (which the app may have changed).
 */
function withState(result) {
  const text = result.state;
  let value;
  let touched = false;
  const made = () => {
    const object = stateObject(text);
    stateOrigins.set(object, text);
    return object;
  };
  Object.defineProperty(result, 'state', {
    enumerable: true,
    configurable: true,
    get: () => {
      touched = true;
      return (value ??= made());
    },
    set: (replaced) => {
      touched = true;
      value = replaced;
    },
  });
  Object.defineProperty(result, 'stateJson', { value: text, configurable: true });
  return () => (touched ? value : text);
}

/**
 * `parse: 'lazy'`: the function the module calls for each fetched object it builds whose data
 * has a parsed view, with the view's key (`field`: 'events' for iCalendar, 'contact' for vCard:
 * the core's `Format::sniff` of the data). It gives the object own enumerable getters for
 * `field` and `parseError` that ask `core()` (the client's module object) for the view on first
 * read, under the client's limits (what `parse: true` attaches to every object at once), and
 * then put its values in their place. Assigning to one replaces its getter. The getters are one
 * set per client, shared by every object (a closure per object gave each a hidden class of its
 * own, and cost five times as much).
 */
function lazyMarker(viewOf) {
  const accessors = {};
  for (const field of ['events', 'contact']) {
    const getters = [];
    const settle = (obj) => {
      const view = viewOf(obj.data);
      for (const key of [field, 'parseError']) {
        if (getters.includes(Object.getOwnPropertyDescriptor(obj, key)?.get)) {
          Object.defineProperty(obj, key, { value: view[key], enumerable: true, writable: true, configurable: true });
        }
      }
      return view;
    };
    accessors[field] = [field, 'parseError'].map((key) => ({
      enumerable: true,
      configurable: true,
      get() {
        return settle(this)[key];
      },
      set(value) {
        Object.defineProperty(this, key, { value, enumerable: true, writable: true, configurable: true });
      },
    }));
    getters.push(...accessors[field].map((a) => a.get));
  }
  return (obj, field) => {
    const [view, error] = accessors[field];
    Object.defineProperty(obj, field, view);
    Object.defineProperty(obj, 'parseError', error);
  };
}

/**
 * The marker a client hands its module for the parsed views of fetched objects (`lazy`: the
 * `parse: 'lazy'` getters; else, with `parse: true`, nothing in a module that attaches the views
 * itself). In `davkit` the views come from its second module (`parseView`, under the client's
 * `limits`), and with `parse: true` they are put on each object as the first module builds it.
 */
function viewMarker(lazy, eager, limits, client) {
  const viewOf = split ? (data) => ext.parseView(data, limits) : (data) => client().parseView(data);
  if (lazy) return lazyMarker(viewOf);
  return split && eager ? (obj) => Object.assign(obj, viewOf(obj.data)) : undefined;
}

/** The `idleTimeoutMs` option, checked: a whole number of milliseconds, or absent (`undefined`). */
export function idleOption(options) {
  const idle = options.idleTimeoutMs;
  if (idle != null && !(Number.isInteger(idle) && idle >= 0 && idle <= 2 ** 31 - 1)) {
    throw invalid('`idleTimeoutMs` must be a whole number of milliseconds from 0 to 2147483647');
  }
  return idle ?? undefined;
}

/**
 * `fetchFn` with a wait for progress: a request fails ("timed out") when the server makes no
 * progress on it for `ms()` milliseconds, to the answer's head and then between pieces of its
 * body (each piece starts the wait again, so a large answer on a slow link finishes). Kept by an
 * `AbortController` whose `signal` goes with the request, and an unref'd timer (it never keeps
 * node running), cleared when the body ends or fails; when the wait runs out the step in
 * progress fails then, also where `fetchFn` ignores `signal` (its request is then left to end
 * on its own). The answer is handed on as the module reads it: status, headers, final URL, and the
 * body's reader or `arrayBuffer()`.
 */
/** Whether `cache: 'no-store'` is taken as the standard says (older Workers refuse it; whatwg-fetch adds `?_=`). */
export function takesNoStore(RequestClass = globalThis.Request) {
  try {
    const url = 'http://davkit.invalid/';
    return new RequestClass(url, { cache: 'no-store' }).url === url;
  } catch {
    return false;
  }
}

export function watched(fetchFn, ms) {
  return async (url, init) => {
    const wait = ms();
    if (!(wait > 0)) return fetchFn(url, init);
    const controller = new AbortController();
    // Rejects when the wait runs out, so that each step below ends then even where `fetchFn`
    // ignores `signal` (its own promise is left to settle unheard).
    let expire;
    const expired = new Promise((resolve, reject) => {
      expire = reject;
    });
    expired.catch(() => {});
    const within = (promise) => Promise.race([promise, expired]);
    let timer;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        controller.abort();
        expire(new TypeError('timed out'));
      }, wait);
      timer?.unref?.();
    };
    const stop = (e) => {
      clearTimeout(timer);
      return controller.signal.aborted ? new TypeError(`timed out: the server sent nothing for ${wait} ms`) : e;
    };
    arm();
    let response;
    try {
      response = await within(fetchFn(url, { ...init, signal: controller.signal }));
    } catch (e) {
      throw stop(e);
    }
    const body = response.body;
    if (body) arm();
    else stop();
    return {
      status: response.status,
      headers: response.headers,
      redirected: response.redirected,
      url: response.url,
      body: typeof body?.getReader === 'function' ? {
        getReader() {
          const reader = body.getReader();
          return {
            read: () => within(reader.read()).then((step) => {
              if (step.done) stop();
              else arm();
              return step;
            }, (e) => {
              throw stop(e);
            }),
            cancel: (reason) => {
              stop();
              return reader.cancel(reason);
            },
            releaseLock: () => reader.releaseLock(),
          };
        },
      } : body,
      arrayBuffer: typeof response.arrayBuffer === 'function' ? () => within(response.arrayBuffer()).then((b) => {
        stop();
        return b;
      }, (e) => {
        throw stop(e);
      }) : undefined,
    };
  };
}

/**
 * Runs one of `ext`'s machines (a flush, an answer to an invitation) to its end with `client`,
 * the module's client: each request the machine asks for (`{ call, args }`: a method of the
 * client and its arguments) is made as one call of the client, with its auth and retries, and
 * what the call resolved or rejected with goes back to the machine as it is. Returns the
 * machine's result (`done`). A rejection that is not the core's (the app's own auth provider
 * failing) ends it at once, as it ends any call.
 */
async function runSteps(client, machine) {
  try {
    for (;;) {
      const next = machine.poll();
      if (next.done !== undefined) return next.done;
      let result;
      let error;
      try {
        result = await client[next.call](...next.args);
      } catch (e) {
        if (!(e && typeof e === 'object' && e.davkit === true)) throw e;
        error = e;
      }
      machine.answer(result, error);
    }
  } finally {
    machine.free();
  }
}

/** A CalDAV/CardDAV client. See index.d.ts for the full contract. */
export class DavClient {
  #config;
  #fetch;
  // `idleTimeoutMs`, else the core's wait (read from the module when the first request goes out).
  #idleMs = null;
  #sleep;
  #tokens;
  #client = null;
  #credentials = null;
  #lazy = false;
  // By collection URL: the last result's state text and the number the module keeps it parsed
  // under (`stateId`), passed back with that state unchanged (`untouchedText`) so the module
  // need not read it. At most KEPT, the older ones within KEPT_CHARS; a number the module
  // dropped is read as 0.
  #kept = new Map();

  constructor(options) {
    if (!options || typeof options.serverUrl !== 'string') throw invalid('`serverUrl` is required');
    const fetchFn = options.fetch ?? platform.fetch ?? globalThis.fetch;
    if (typeof fetchFn !== 'function') throw invalid('no `fetch` in this runtime: pass the `fetch` option');
    const idle = idleOption(options);
    const ms = () => (this.#idleMs ??= idle ?? wasm.requestIdleTimeoutMs());
    const followRedirects = (options.redirect ?? (platform.browser ? 'follow' : 'manual')) === 'follow';
    // No answer from a browser's HTTP cache (a GET with Last-Modified would be read stale).
    const send = platform.browser && takesNoStore() ? (url, init) => fetchFn(url, { ...init, cache: 'no-store' }) : fetchFn;
    // The package's node transport keeps the wait on the socket, where node starts it again on
    // every read (a few µs a request; an `AbortSignal` through node:http cost about 70 µs); it
    // hands a request whose redirects `fetch` is to follow to the global `fetch`, which, like
    // any other `fetch`, gets the signal of `watched`.
    this.#fetch = !options.fetch && fetchFn === platform.fetch && !followRedirects
      ? (url, init) => fetchFn(url, init, ms())
      : watched(send, ms);
    const sleepFn = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#sleep = (ms) => sleepFn(ms);
    this.#config = {
      serverUrl: asciiUrl(options.serverUrl),
      profile: options.profile,
      userAgent: options.userAgent,
      multigetBatchSize: options.multigetBatchSize,
      maxParallelRequests: options.maxParallelRequests,
      syncPageLimit: options.syncPageLimit,
      omitUserAgent: options.omitUserAgent ?? platform.browser,
      followRedirects,
      retry: options.retry === false ? { maxRetries: 0 } : options.retry,
      // 'lazy' (the default): the core attaches nothing; each object's `events`/`contact` is
      // parsed when read. true: every object's view is computed with the result.
      parse: options.parse === true,
      limits: options.limits,
    };
    this.#lazy = (options.parse ?? 'lazy') === 'lazy';
    const auth = options.auth ?? null;
    // A token provider is the core's: it is asked before each operation and again after a
    // 401, and the core runs the operation once more (the answer read like `auth`).
    this.#tokens = typeof auth === 'function' ? async (context) => credentialsOf(await auth(context)) : undefined;
    // Static credentials are checked now; the core client is built now when the module is
    // loaded, else by the first call (which loads it).
    this.#credentials = typeof auth === 'function' ? null : credentialsOf(auth);
    if (ready) this.#client = this.#build();
  }

  #build() {
    try {
      // The protocol-only module attaches no parsed views (no `marker`).
      const mark = marker?.(this.#lazy, this.#config.parse, this.#config.limits, () => this.#client);
      const config = { ...this.#config, credentials: this.#credentials, parse: this.#config.parse && !split };
      return new wasm.Client(config, this.#fetch, this.#sleep, this.#tokens, mark);
    } catch (e) {
      throw toDavError(e);
    }
  }

  // One call of the module's client. `needs`: 'extras' when it runs the second module's code
  // (`davkit` loads it first), 'views' when its result carries fetched objects, whose views
  // that module reads (loaded while the request is out; first with `parse: true`).
  async #call(call, needs) {
    await loadMain();
    const extras = needs && (needs === 'extras' || !this.#lazy) ? loadExtras() : null;
    const views = needs === 'views' && !extras ? loadExtras() : null;
    views?.catch(() => {});
    try {
      await extras;
      this.#client ??= this.#build();
      const result = await call(this.#client);
      await views;
      return result;
    } catch (e) {
      throw toDavError(e);
    }
  }

  async discover(options = {}) {
    return this.#call((c) => c.discover(options.service ?? 'both'));
  }

  async listCalendars() {
    const found = await this.discover({ service: 'caldav' });
    return found.collections.filter((c) => c.kind === 'calendar');
  }

  async listAddressBooks() {
    const found = await this.discover({ service: 'carddav' });
    return found.collections.filter((c) => c.kind === 'addressbook');
  }

  async listCollections(homeUrl) {
    const url = urlOf(homeUrl, 'homeUrl');
    return this.#call((c) => c.listCollections(url));
  }

  async getCollection(collection) {
    const url = urlOf(collection, 'collection');
    return this.#call((c) => c.getCollection(url));
  }

  async createCalendar(homeUrl, slug, props = {}) {
    const url = urlOf(homeUrl, 'homeUrl');
    return this.#call((c) => c.createCollection('calendar', url, String(slug), props));
  }

  async createAddressBook(homeUrl, slug, props = {}) {
    const url = urlOf(homeUrl, 'homeUrl');
    return this.#call((c) => c.createCollection('addressbook', url, String(slug), props));
  }

  async updateCollection(collection, props, read) {
    const url = urlOf(collection, 'collection');
    const kind = kindOf(collection, 'calendar');
    return this.#call((c) => c.updateCollection(url, kind, props ?? {}, read ?? null));
  }

  async deleteCollection(collection, read) {
    const url = urlOf(collection, 'collection');
    return this.#call((c) => c.deleteCollection(url, read ?? null));
  }

  async listObjects(collection) {
    const url = urlOf(collection, 'collection');
    return this.#call((c) => c.listObjects(url));
  }

  async calendarQuery(collection, filter = {}) {
    const url = urlOf(collection, 'collection');
    const f = {
      component: filter.component ?? 'VEVENT',
      start: caldavTime(filter.start, 'start'),
      end: caldavTime(filter.end, 'end'),
    };
    return this.#call((c) => c.calendarQuery(url, f), 'views');
  }

  async multiget(collection, hrefs) {
    const url = urlOf(collection, 'collection');
    const kind = kindOf(collection, 'calendar');
    const list = Array.from(hrefs ?? [], String);
    return this.#call((c) => c.multiget(url, kind, list), 'views');
  }

  /**
   * Sends a `WriteQueue` (call `queue.beginFlush()` and store its text first). The queue is
   * updated in place (entries the server confirmed leave it; edits made meanwhile are kept);
   * returns `{ outcomes, stopped }`. Store `queue.toJson()` afterwards.
   */
  async flush(queue) {
    needQueue('flush');
    const core = queueCore(queue);
    // The core's flush of a snapshot of the queue (taken now), each of its requests one call
    // of this client (a token provider is asked again after a 401, and the flush goes on).
    const limits = this.#config.limits;
    const output = await this.#call((c) => runSteps(c, new ext.FlushMachine(core, c.profile, limits)), 'extras');
    try {
      const out = core.applyResult(output);
      return { outcomes: out.outcomes, stopped: out.stopped ? toDavError(out.stopped) : null, readOnce: out.readOnce };
    } finally {
      output.free(); // the result's copy in the module (server versions included), now
    }
  }

  async getObject(object) {
    const url = urlOf(object, 'object');
    return this.#call((c) => c.getObject(url), 'views');
  }

  async createObject(collection, name, data) {
    const url = urlOf(collection, 'collection');
    return this.#call((c) => c.createObject(url, String(name), String(data)));
  }

  async updateObject(object, data, etag) {
    const url = urlOf(object, 'object');
    const tag = etag ?? (typeof object === 'object' ? object?.etag : undefined);
    if (typeof tag !== 'string') throw invalid('updateObject needs the ETag the object was read with');
    return this.#call((c) => c.updateObject(url, String(data), tag));
  }

  async deleteObject(object, etag) {
    const url = urlOf(object, 'object');
    const tag = etag ?? (typeof object === 'object' ? object?.etag : undefined);
    if (typeof tag !== 'string') throw invalid('deleteObject needs the ETag the object was read with');
    // The module resolves with the core's write result (a flush's steps read it); the app's
    // contract is `undefined`.
    await this.#call((c) => c.deleteObject(url, tag));
  }

  async postObject(collection, data) {
    const url = typeof collection === 'object' && collection?.addMemberUrl ? collection.addMemberUrl : urlOf(collection, 'collection');
    return this.#call((c) => c.postObject(url, String(data)));
  }

  async sync(collection, state, options = {}) {
    const url = urlOf(collection, 'collection');
    const kind = options.kind ?? kindOf(collection, undefined);
    if (kind === undefined) throw invalid('sync needs the collection kind: pass a Collection or { url, kind }');
    const result = await this.#syncCall(url, state, (c, from, id) => c.sync(url, from, kind, id));
    withState(result);
    return result;
  }

  async syncBatch(collection, state, options = {}) {
    const url = urlOf(collection, 'collection');
    const kind = options.kind ?? kindOf(collection, undefined);
    if (kind === undefined) throw invalid('syncBatch needs the collection kind: pass a Collection or { url, kind }');
    const max = maxMembersOf(options.maxMembers);
    const result = await this.#batch(url, state, kind, max);
    withState(result);
    return result;
  }

  #batch(url, state, kind, max) {
    return this.#syncCall(url, state, (c, from, id) => c.syncBatch(url, from, kind, max, id));
  }

  // One sync or batch from `state`: an unchanged one goes as its text, with its `#kept` number.
  async #syncCall(url, state, send) {
    const text = untouchedText(state);
    const kept = this.#kept.get(url);
    const id = kept !== undefined && text !== undefined && text === kept.text ? kept.id : 0;
    const result = await this.#call((c) => send(c, text ?? state ?? null, id), 'views');
    const stateId = result.stateId;
    delete result.stateId;
    this.#kept.delete(url);
    if (stateId) {
      let older = 0;
      for (const entry of this.#kept.values()) older += entry.text.length;
      this.#kept.set(url, { text: result.state, id: stateId });
      for (const [oldest, entry] of this.#kept) {
        if (this.#kept.size <= KEPT && older <= KEPT_CHARS) break;
        this.#kept.delete(oldest);
        older -= entry.text.length;
      }
    }
    return result;
  }

  // One `syncBatch` per step, each from the state the previous batch left in `batch.state`
  // (read after the loop body ran, so an app may replace it, e.g. with `markPending`; while the
  // body has not touched `batch.state`, the state goes back as the text it came as). The next
  // batch is asked for only when the loop asks. Goes on while that state's `more` is true: the
  // core decides it (false when no member is left, when the same members failed again and
  // nothing else moved, and once `markPending` handed a member back). An untouched state's
  // `more` is the batch's.
  async *syncBatches(collection, state, options = {}) {
    const url = urlOf(collection, 'collection');
    const kind = options.kind ?? kindOf(collection, undefined);
    if (kind === undefined) throw invalid('syncBatches needs the collection kind: pass a Collection or { url, kind }');
    const max = maxMembersOf(options.maxMembers);
    let from = state ?? null;
    for (;;) {
      const batch = await this.#batch(url, from, kind, max);
      const more = batch.more === true;
      const next = withState(batch);
      yield batch;
      from = next();
      if (!(typeof from === 'string' ? more : from?.more)) return;
    }
  }

  // Google Calendar API v3 (serverUrl: GOOGLE_CALENDAR_API, Bearer auth or a token provider).

  async gcalCalendars() {
    needGcal('gcalCalendars');
    return this.#call((c) => c.gcalCalendars());
  }

  async gcalSync(calendarId, state, options = {}) {
    needGcal('gcalSync');
    const id = String(calendarId);
    const result = await this.#call((c) => c.gcalSync(id, options.query ?? null, state ?? null));
    withState(result);
    return result;
  }

  async gcalInsert(calendarId, event) {
    needGcal('gcalInsert');
    return this.#call((c) => c.gcalInsert(String(calendarId), event));
  }

  async gcalPatch(calendarId, eventId, patch, etag) {
    needGcal('gcalPatch');
    if (typeof etag !== 'string') throw invalid('gcalPatch needs the ETag the event was read with');
    return this.#call((c) => c.gcalPatch(String(calendarId), String(eventId), patch, etag));
  }

  async gcalDelete(calendarId, eventId, etag) {
    needGcal('gcalDelete');
    if (typeof etag !== 'string') throw invalid('gcalDelete needs the ETag the event was read with');
    return this.#call((c) => c.gcalDelete(String(calendarId), String(eventId), etag));
  }

  async gcalWatch(calendarId, watch, options = {}) {
    needGcal('gcalWatch');
    return this.#call((c) => c.gcalWatch(String(calendarId), options.query ?? null, watch));
  }

  async gcalStop(channel) {
    needGcal('gcalStop');
    return this.#call((c) => c.gcalStop(channel));
  }

  // Scheduling (RFC 6638, RFC 5546; issue 17): the full entry only.
  async getScheduled(object) {
    needSchedule('getScheduled');
    const url = urlOf(object, 'a scheduling object');
    return this.#call((c) => c.getScheduled(url));
  }

  async updateScheduled(object, data, scheduleTag) {
    needSchedule('updateScheduled');
    const url = urlOf(object, 'a scheduling object');
    const tag = scheduleTag ?? object?.scheduleTag;
    if (typeof tag !== 'string') throw invalid('updateScheduled needs the Schedule-Tag the object was read with');
    return this.#call((c) => c.updateScheduled(url, String(data), tag));
  }

  async respond(object, myAddresses, answer, options = {}) {
    needSchedule('respond');
    const url = urlOf(object, 'an invitation');
    const me = [...myAddresses].map(String);
    const [a, limits] = [answerOf(answer), this.#config.limits];
    return this.#call((c) => runSteps(c, new ext.RespondMachine(url, me, a, options.occurrence ?? undefined, c.profile, limits)), 'extras');
  }

  async pendingInvitations(options) {
    needSchedule('pendingInvitations');
    const calendars = (options?.calendarUrls ?? []).map((c) => urlOf(c, 'a calendar'));
    const me = [...(options?.myAddresses ?? [])].map(String);
    const queries = await this.#call((c) => c.scheduledQueries(options?.inboxUrl ?? undefined, calendars, options?.range ?? null), 'extras');
    return wrap(() => ext.pendingFrom(queries, me, this.#config.limits));
  }

  async freeBusyQuery(calendar, start, end) {
    needSchedule('freeBusyQuery');
    const url = urlOf(calendar, 'a calendar');
    const report = await this.#call((c) => c.freeBusyReport(url, String(start), String(end)), 'extras');
    return wrap(() => ext.readFreeBusy(report, this.#config.limits));
  }

  async outboxFreeBusy(outboxUrl, request) {
    needSchedule('outboxFreeBusy');
    const url = String(outboxUrl);
    const rows = await this.#call((c) => c.outboxPost(url, ext.freeBusyRequestText(request)), 'extras');
    return wrap(() => ext.readOutboxAnswer(request, rows, this.#config.limits));
  }

  async gcalSetAttendees(calendarId, eventId, attendees, etag, options = {}) {
    needGcal('gcalSetAttendees');
    if (typeof etag !== 'string') throw invalid('gcalSetAttendees needs the ETag the event was read with');
    return this.#call((c) => c.gcalSetAttendees(String(calendarId), String(eventId), attendees, etag, options.send ?? 'none'));
  }

  async gcalRespond(calendarId, eventId, myEmail, answer, options = {}) {
    needGcal('gcalRespond');
    return this.#call((c) => c.gcalRespond(String(calendarId), String(eventId), String(myEmail), answerOf(answer), options.send ?? 'none'));
  }

  async gcalFreeBusy(start, end, calendars) {
    needGcal('gcalFreeBusy');
    return this.#call((c) => c.gcalFreeBusy(String(start), String(end), [...calendars].map(String)));
  }
}

/** The Calendar API's base URL: the `serverUrl` for the `gcal*` methods. */
export const GOOGLE_CALENDAR_API = 'https://www.googleapis.com/calendar/v3/';

/** Header pairs from a plain object (node's `req.headers`), a `Headers`, or `[name, value][]`. */
function headerPairs(headers) {
  if (headers == null) return [];
  if (Array.isArray(headers)) return headers.map(([k, v]) => [String(k), String(v)]);
  if (typeof headers.forEach === 'function' && typeof headers.get === 'function') {
    const pairs = [];
    headers.forEach((value, name) => pairs.push([String(name), String(value)]));
    return pairs;
  }
  return Object.entries(headers).flatMap(([k, v]) => (v == null ? [] : [[k, Array.isArray(v) ? v.join(', ') : String(v)]]));
}

export function parseNotification(headers, channel) {
  return wrap(() => wasmFn('parseNotification')(headerPairs(headers), channel));
}

export function channelNeedsRenewal(channel, options = {}) {
  const now = options.now instanceof Date ? options.now.getTime() : (options.now ?? Date.now());
  return wrap(() => wasmFn('channelNeedsRenewal')(channel, Number(now), Number(options.marginMs ?? 3_600_000)));
}

export function wrap(fn) {
  needReady();
  try {
    return fn();
  } catch (e) {
    throw toDavError(e);
  }
}

/** The core's `SyncState::mark_pending` on a copy of `state`: the next sync fetches `href` again. */
export function markPending(state, href) {
  return wrap(() => wasm.editState(state, 0, String(href), ''));
}

/** The core's `SyncState::record_write` on a copy of `state`, for a write's result (`{ url, etag }`). */
export function recordWrite(state, result) {
  const etag = result?.etag;
  return wrap(() => wasm.editState(state, 1, String(result?.url), etag == null ? '' : String(etag)));
}

/** The core's `SyncState::record_delete` on a copy of `state`. */
export function recordDelete(state, url) {
  return wrap(() => wasm.editState(state, 2, String(url), ''));
}

/** The core's `SyncState::record_read` on a copy of `state`, for a version read (`{ url, etag }`). */
export function recordRead(state, object) {
  const etag = object?.etag;
  return wrap(() => wasm.editState(state, 3, String(object?.url), etag == null ? '' : String(etag)));
}

export function parseCalendar(text) {
  return wrap(() => wasmFn('parseCalendar')(String(text)));
}

export function parseContact(text) {
  return wrap(() => wasmFn('parseContact')(String(text)));
}

export function parseContacts(text) {
  return wrap(() => wasmFn('parseContacts')(String(text)));
}

export function expand(text, options) {
  if (!options) throw invalid('expand needs { start, end }');
  const o = {
    start: isoInstant(options.start, 'start'),
    end: isoInstant(options.end, 'end'),
    maxInstances: options.maxInstances,
    floatingTimeZone: options.floatingTimeZone,
    preferVtimezone: options.preferVtimezone ?? false,
  };
  return wrap(() => wasmFn('expand')(String(text), o));
}

export function coreVersion() {
  needReady();
  return wasm.coreVersion();
}

let queueCore;

/**
 * Offline edits (the core's write queue): coalesced per object, stored as JSON text, sent by
 * `DavClient.flush`, conflicts resolved by policy. See index.d.ts.
 */
export class WriteQueue {
  #q;

  static {
    queueCore = (queue) => {
      if (!(queue instanceof WriteQueue)) throw invalid('`queue` must be a WriteQueue');
      return queue.#q;
    };
  }

  constructor(options = {}) {
    this.#q = wrap(() => new (wasmFn('Queue'))(options.policy ?? undefined));
  }

  /** A queue stored earlier (`toJson()` or the text `beginFlush()` returned). */
  static fromJson(text) {
    const queue = new WriteQueue();
    queue.#q = wrap(() => wasmFn('Queue').fromJson(String(text)));
    return queue;
  }

  toJson() {
    return this.#q.toJson();
  }

  get policy() {
    return this.#q.policy;
  }

  set policy(name) {
    wrap(() => this.#q.setPolicy(String(name)));
  }

  get size() {
    return this.#q.size;
  }

  enqueueCreate(collection, name, data) {
    const url = urlOf(collection, 'collection');
    return wrap(() => this.#q.enqueueCreate(url, String(name), String(data)));
  }

  /** `object`: a URL, or the object as read (its `etag` and `data` are the base). */
  enqueueUpdate(object, data, baseEtag, baseData) {
    const [url, etag, base] = based(object, baseEtag, baseData);
    return wrap(() => this.#q.enqueueUpdate(url, String(data), etag, base));
  }

  enqueueDelete(object, baseEtag, baseData) {
    const [url, etag, base] = based(object, baseEtag, baseData);
    return wrap(() => this.#q.enqueueDelete(url, etag, base));
  }

  setEntryPolicy(id, policy) {
    wrap(() => this.#q.setEntryPolicy(Number(id), policy ?? undefined));
  }

  /** Marks the pending entries as being sent: store the returned text before `flush`. */
  beginFlush() {
    return this.#q.beginFlush();
  }

  resolve(id, resolution) {
    return wrap(() => this.#q.resolve(Number(id), resolution));
  }

  entries() {
    return this.#q.entries();
  }

  entryFor(object) {
    const url = typeof object === 'string' ? object : object?.url;
    return this.#q.entryFor(String(url));
  }

  /**
   * A sync's changes split: `apply` to the mirror, `held` back for objects with a queued edit
   * (the core's rule, `WriteQueue::hold_version`: also a create a flush may have posted, listed
   * under the name the server gave it, whose entry then updates that object: store the queue).
   */
  splitChanges(changes) {
    const apply = [];
    const held = [];
    const text = (v) => (typeof v === 'string' ? v : null);
    for (const change of changes ?? []) {
      const entry = this.#q.holdVersion(String(change?.url), text(change?.etag), text(change?.data));
      if (entry === undefined) apply.push(change);
      else held.push({ entry, change });
    }
    return { apply, held };
  }
}

function based(object, baseEtag, baseData) {
  if (typeof object === 'string') return [object, String(baseEtag ?? ''), baseData ?? undefined];
  if (!object || typeof object.url !== 'string') throw invalid('an object URL or a fetched object is required');
  return [object.url, String(baseEtag ?? object.etag ?? ''), baseData ?? object.data ?? undefined];
}

// --- Scheduling without requests (issue 17): the core's rfc5546 on iCalendar text. Full entry only.

function needSchedule(name) {
  if (!split && typeof ext?.RespondMachine !== 'function') throw unsupported(name);
}

/** `'accepted' | 'declined' | 'tentative'`, `{ delegated: 'mailto:..' }`, or the core's `{ answer, to? }`. */
function answerOf(answer) {
  if (typeof answer === 'string') return { answer };
  if (answer && typeof answer.delegated === 'string') return { answer: 'delegated', to: answer.delegated };
  return answer;
}

/** A calendar-user address: `'mailto:bob@example.com'`, `'bob@example.com'` or `{ uri, cn?, role?, ... }`. */
function addressOf(a) {
  if (typeof a !== 'string') return a;
  return { uri: /^[a-z][a-z0-9+.-]*:/i.test(a) ? a : `mailto:${a}` };
}

export function scheduleOrganizerAddress(scheduling) {
  return wrap(() => wasmFn('scheduleOrganizerAddress')(scheduling ?? {}));
}

export function scheduleInvite(ics, organizer, attendees, dtstamp) {
  return wrap(() => wasmFn('scheduleInvite')(String(ics), addressOf(organizer), [...attendees].map(addressOf), String(dtstamp)));
}

export function scheduleUpdate(oldIcs, newIcs, dtstamp, options = {}) {
  return wrap(() => wasmFn('scheduleUpdate')(String(oldIcs), String(newIcs), String(dtstamp), Boolean(options.resetAnswers)));
}

export function scheduleCancel(ics, dtstamp, options = {}) {
  return wrap(() => wasmFn('scheduleCancel')(String(ics), String(dtstamp), options.occurrence ?? undefined));
}

export function scheduleAnswer(ics, myAddresses, answer, options = {}) {
  return wrap(() => wasmFn('scheduleAnswer')(String(ics), [...myAddresses].map(String), answerOf(answer), options.occurrence ?? undefined));
}

export function scheduleNeedsAction(ics, myAddresses) {
  return wrap(() => wasmFn('scheduleNeedsAction')(String(ics), [...myAddresses].map(String)));
}

export function attendeeStatuses(ics) {
  return wrap(() => wasmFn('attendeeStatuses')(String(ics)));
}

export function gcalAttendeeStatuses(event) {
  return wrap(() => wasmFn('gcalAttendeeStatuses')(event));
}

export function itipRequest(ics) {
  return wrap(() => wasmFn('itipRequest')(String(ics)));
}

export function itipReply(ics, myAddresses, dtstamp, options = {}) {
  return wrap(() => wasmFn('itipReply')(String(ics), [...myAddresses].map(String), String(dtstamp), options.occurrence ?? undefined));
}

export function itipCancel(ics, options = {}) {
  return wrap(() => wasmFn('itipCancel')(String(ics), options.occurrence ?? undefined));
}

export function itipParse(text) {
  return wrap(() => wasmFn('itipParse')(String(text)));
}

export function itipApply(storedIcs, message, myAddresses) {
  return wrap(() => wasmFn('itipApply')(String(storedIcs), String(message), [...myAddresses].map(String)));
}

export function freeBusyRequestText(request) {
  return wrap(() => wasmFn('freeBusyRequestText')(request));
}
