// Editing events and contacts, vCard 3.0 <-> 4.0, and OAuth 2.0 with PKCE: thin wrappers over
// the core's editors and oauth module (bindings-wasm/src/edit.rs and oauth.rs). Every method
// converts its arguments and calls the core; the edited text is the core's. In the full entry
// (`davkit`) only: `davkit/protocol` stays small.
import { idleOption, invalid, loadMain, platform, toDavError, wasmFn, wrap, watched } from './api.js';

/** Module-private: lets a class wrap a core object it did not parse (a split-off series). */
const CORE = Symbol('core');
const inspect = Symbol.for('nodejs.util.inspect.custom');

/** `'uid'` or `{ uid, recurrenceId?, tzid? }` -> the core's three target arguments. */
function target(t) {
  if (typeof t === 'string') return [t, undefined, undefined];
  if (!t || typeof t.uid !== 'string') throw invalid('an event target is a UID or { uid, recurrenceId?, tzid? }');
  return [t.uid, t.recurrenceId ?? undefined, t.tzid ?? undefined];
}

/** `'2025-03-10T12:30:00'` or `{ value, tzid? }` -> the core's two time arguments. */
function time(t) {
  if (typeof t === 'string') return [t, undefined];
  if (!t || typeof t.value !== 'string') throw invalid('a time is ISO text or { value, tzid? }');
  return [t.value, t.tzid ?? undefined];
}

function optional(value) {
  return value == null ? undefined : String(value);
}

/** Where an object was read from, for `save`: `{ url, etag }` of a fetched object. */
function originOf(object, what) {
  if (!object || typeof object.url !== 'string') throw invalid(`${what}.fromObject needs an object with \`url\` and \`data\` (getObject, a sync change)`);
  if (typeof object.data !== 'string') throw invalid(`${object.url} was listed without its data: get it first`);
  return { url: object.url, etag: object.etag ?? null };
}

/**
 * PUTs `text` where the editor's object was read from, with the ETag it was read with. The one
 * decision here is that an editor not made by `fromObject` has nowhere to go; an object read
 * without an ETag is passed on with an empty one, which the core refuses (`InvalidInput`).
 */
async function save(client, origin, text) {
  if (!origin) throw invalid('this editor was not read from the server: make it with fromObject');
  const result = await client.updateObject(origin.url, text, origin.etag ?? '');
  origin.url = result.url || origin.url;
  origin.etag = result.etag ?? null;
  return result;
}

/**
 * One iCalendar object to read and edit. A target with `recurrenceId` edits that occurrence's
 * override (made from the series the first time); the series is untouched.
 */
export class EventEditor {
  #core;
  #origin = null;

  /** Parses an iCalendar text (`ICalendar` error when it is not one). */
  constructor(ics, core) {
    this.#core = ics === CORE ? core : wrap(() => wasmFn('EventEditorCore').parse(String(ics)));
  }

  /** Parses an object read from the server and remembers its URL and ETag for `save`. */
  static fromObject(object) {
    const origin = originOf(object, 'EventEditor');
    const editor = new EventEditor(object.data);
    editor.#origin = origin;
    return editor;
  }

  /** The URL and ETag `save` writes with (null for an editor made from text). */
  get origin() {
    return this.#origin && { ...this.#origin };
  }

  toIcs() {
    return this.#core.toIcs();
  }

  events() {
    return this.#core.events();
  }

  #edit(method, t, ...args) {
    return wrap(() => this.#core[method](...target(t), ...args));
  }

  setSummary(t, value) {
    this.#edit('setSummary', t, optional(value));
  }

  setDescription(t, value) {
    this.#edit('setDescription', t, optional(value));
  }

  setLocation(t, value) {
    this.#edit('setLocation', t, optional(value));
  }

  setStatus(t, value) {
    this.#edit('setStatus', t, optional(value));
  }

  setStart(t, start) {
    this.#edit('setStart', t, ...time(start));
  }

  setEnd(t, end) {
    this.#edit('setEnd', t, ...(end == null ? [undefined, undefined] : time(end)));
  }

  addAttendee(t, email, options = {}) {
    this.#edit('addAttendee', t, String(email), optional(options.commonName), optional(options.partstat));
  }

  removeAttendee(t, address) {
    return this.#edit('removeAttendee', t, String(address));
  }

  setPartstat(t, email, partstat) {
    return this.#edit('setPartstat', t, String(email), String(partstat));
  }

  alarms(t) {
    return this.#edit('alarms', t);
  }

  addAlarm(t, alarm) {
    if (!alarm || typeof alarm.trigger !== 'string') throw invalid('addAlarm needs { trigger, action?, relatedToEnd?, description? }');
    this.#edit('addAlarm', t, String(alarm.action ?? 'display'), alarm.trigger, alarm.relatedToEnd === true, optional(alarm.description));
  }

  removeAlarms(t) {
    return this.#edit('removeAlarms', t);
  }

  cancelOccurrence(t) {
    this.#edit('cancelOccurrence', t);
  }

  splitSeries(t, newUid) {
    return new EventEditor(CORE, this.#edit('splitSeries', t, String(newUid)));
  }

  /** Writes the edited object back with the ETag it was read with (`If-Match`). */
  save(client) {
    return save(client, this.#origin, this.toIcs());
  }
}

/** One vCard to read and edit. */
export class ContactEditor {
  #core;
  #origin = null;

  /** Parses a vCard (`VCard` error when it is not one). */
  constructor(vcf) {
    this.#core = wrap(() => wasmFn('ContactEditorCore').parse(String(vcf)));
  }

  /** Parses a contact read from the server and remembers its URL and ETag for `save`. */
  static fromObject(object) {
    const origin = originOf(object, 'ContactEditor');
    const editor = new ContactEditor(object.data);
    editor.#origin = origin;
    return editor;
  }

  get origin() {
    return this.#origin && { ...this.#origin };
  }

  toVcf() {
    return this.#core.toVcf();
  }

  toVersion(version) {
    return wrap(() => this.#core.toVersion(String(version)));
  }

  summary() {
    return this.#core.summary();
  }

  setFullName(value) {
    this.#core.setFullName(String(value));
  }

  setName(name) {
    const n = name ?? {};
    this.#core.setName(...['family', 'given', 'additional', 'prefixes', 'suffixes'].map((k) => String(n[k] ?? '')));
  }

  setNote(value) {
    this.#core.setNote(optional(value));
  }

  setTitle(value) {
    this.#core.setTitle(optional(value));
  }

  setOrg(parts) {
    this.#core.setOrg(parts == null ? undefined : [...parts].map(String));
  }

  setCategories(categories) {
    this.#core.setCategories([...categories].map(String));
  }

  setBirthday(value) {
    this.#core.setBirthday(optional(value));
  }

  #addTyped(name, value) {
    const v = typeof value === 'string' ? { value } : value ?? {};
    const types = Array.isArray(v.types) ? v.types.map(String) : [];
    wrap(() => this.#core.addTyped(name, String(v.value ?? ''), types, v.pref ?? undefined, optional(v.group), optional(v.label)));
  }

  /** Adds an EMAIL: an address, or `{ value, types?, pref?, group?, label? }`. */
  addEmail(value) {
    this.#addTyped('EMAIL', value);
  }

  /** Adds a TEL, like `addEmail`. */
  addTel(value) {
    this.#addTyped('TEL', value);
  }

  /** Adds a URL, like `addEmail`. */
  addUrl(value) {
    this.#addTyped('URL', value);
  }

  removeAll(name) {
    return this.#core.removeAll(String(name));
  }

  save(client) {
    return save(client, this.#origin, this.toVcf());
  }
}

/** A vCard converted to `'3.0'` or `'4.0'`. */
export function convertContact(text, version) {
  return wrap(() => wasmFn('convertContact')(String(text), String(version)));
}

// OAuth 2.0 with PKCE. The objects that hold a secret keep it in private fields, and print (and
// serialise) without it.

let pkceCore;
let tokensOf;

/** A PKCE verifier and its S256 challenge. Prints `Pkce { <redacted> }`. */
export class Pkce {
  #core;

  /** From a verifier stored while the user was in the browser (43 to 128 characters). */
  constructor(verifier, core) {
    this.#core = verifier === CORE ? core : wrap(() => wasmFn('PkceCore').fromVerifier(String(verifier)));
  }

  /** A new verifier from 32 bytes of `crypto.getRandomValues`. */
  static random() {
    return Pkce.fromRandomBytes(globalThis.crypto.getRandomValues(new Uint8Array(32)));
  }

  /** A verifier from 32 to 96 random bytes. */
  static fromRandomBytes(bytes) {
    return new Pkce(CORE, wrap(() => wasmFn('PkceCore').fromRandomBytes(Uint8Array.from(bytes))));
  }

  static {
    pkceCore = (p) => {
      if (!(p instanceof Pkce)) throw invalid('pkce must be a Pkce');
      return p.#core;
    };
  }

  /** The verifier (secret until the code exchange). */
  verifier() {
    return this.#core.verifier();
  }

  /** `BASE64URL(SHA256(verifier))`. */
  challenge() {
    return this.#core.challenge();
  }

  toString() {
    return 'Pkce { <redacted> }';
  }

  toJSON() {
    return { challenge: this.challenge() };
  }

  [inspect]() {
    return this.toString();
  }
}

/** What the token endpoint returned. Prints and serialises without the tokens. */
export class OAuthTokens {
  #core;

  constructor(core) {
    if (!(core instanceof wasmFn('OAuthTokensCore'))) throw invalid('OAuthTokens come from OAuthClient.exchangeCode or refresh');
    this.#core = core;
  }

  static {
    tokensOf = (core) => new OAuthTokens(core);
  }

  accessToken() {
    return this.#core.accessToken();
  }

  refreshToken() {
    return this.#core.refreshToken() ?? null;
  }

  expiresIn() {
    return this.#core.expiresIn() ?? null;
  }

  scope() {
    return this.#core.scope() ?? null;
  }

  toString() {
    return `OAuthTokens { expiresIn: ${this.expiresIn()}, scope: ${JSON.stringify(this.scope())}, tokens: <redacted> }`;
  }

  toJSON() {
    return { expiresIn: this.expiresIn(), scope: this.scope() };
  }

  [inspect]() {
    return this.toString();
  }
}

/** An OAuth client registration; token requests go through `fetch`. Prints without secrets. */
export class OAuthClient {
  #args;
  #core = null;
  #fetch;
  #sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  /** Any provider: `{ clientId, redirectUri, authUrl, tokenUrl, clientSecret?, fetch?, idleTimeoutMs? }`. */
  constructor(options) {
    const o = options ?? {};
    const google = o.google === true;
    for (const k of google ? ['clientId', 'redirectUri'] : ['clientId', 'redirectUri', 'authUrl', 'tokenUrl']) {
      if (typeof o[k] !== 'string') throw invalid(`OAuthClient needs \`${k}\``);
    }
    const fetchFn = o.fetch ?? globalThis.fetch;
    if (typeof fetchFn !== 'function') throw invalid('no `fetch` in this runtime: pass the `fetch` option');
    // Token requests get the same wait for progress as DavClient's (an `auth` waiting on a
    // silent token endpoint would hold every call of its client).
    const idle = idleOption(o);
    this.#fetch = watched(fetchFn, () => idle ?? wasmFn('requestIdleTimeoutMs')());
    this.#args = google ? [o.clientId, o.redirectUri] : [o.clientId, o.redirectUri, o.authUrl, o.tokenUrl, optional(o.clientSecret)];
  }

  /** Google's endpoints for an installed app's client id and redirect URI. */
  static google(clientId, redirectUri, options = {}) {
    return new OAuthClient({ ...options, google: true, clientId, redirectUri });
  }

  #get() {
    this.#core ??= wrap(() => {
      const Core = wasmFn('OAuthClientCore');
      return this.#args.length === 2 ? Core.google(...this.#args) : new Core(...this.#args);
    });
    return this.#core;
  }

  #transport() {
    return [this.#fetch, this.#sleep, platform.browser];
  }

  /** The URL to open in the browser (scopes, the PKCE challenge, `state`). */
  authorizationUrl(scopes, pkce, state) {
    const core = pkceCore(pkce);
    return wrap(() => this.#get().authorizationUrl([...scopes].map(String), core, String(state)));
  }

  async #tokens(call) {
    await loadMain(); // the module with OAuth (in `davkit`, its first)
    try {
      return tokensOf(await call(this.#get()));
    } catch (e) {
      throw toDavError(e);
    }
  }

  /** Trades the code the redirect brought back for tokens. */
  exchangeCode(code, pkce) {
    const core = pkceCore(pkce);
    return this.#tokens((c) => c.exchangeCode(...this.#transport(), String(code), core));
  }

  /** Trades a refresh token for a fresh access token. */
  refresh(refreshToken) {
    return this.#tokens((c) => c.refresh(...this.#transport(), String(refreshToken)));
  }

  /**
   * An `auth` provider for `DavClient` (the core's `RefreshingTokens`): it refreshes with the
   * stored refresh token when it has no access token or a 401 asks for a new one.
   */
  tokenProvider(refreshToken, options = {}) {
    let refresher = null;
    const get = async () => {
      await loadMain();
      refresher ??= wrap(() => this.#get().tokenProvider(...this.#transport(), String(refreshToken), optional(options.accessToken)));
      return refresher;
    };
    return async function token({ refresh = false } = {}) {
      const r = await get();
      try {
        return await r.token(refresh === true);
      } catch (e) {
        throw toDavError(e);
      }
    };
  }

  toString() {
    return 'OAuthClient { <redacted> }';
  }

  toJSON() {
    return {};
  }

  [inspect]() {
    return this.toString();
  }
}
