// IANA time zone rules from the host's `Intl` (browsers and node know every zone), so the
// WebAssembly module ships without the IANA database. The core asks for a zone by name the
// first time an object names it (bindings-wasm/src/zones.rs turns the answer into TZif).
//
// The answer is text: `initial;t1,o1,d1;t2,o2,d2;...|footer`, offsets in seconds east of UTC,
// transitions in Unix seconds and d = 1 for daylight saving time, from 1970 to 2037 (times before 1970 take the 1970 offset), read
// by sampling the offset every 14 days and bisecting each change to the second (the hour first); `footer` is a POSIX TZ rule for the years after, derived
// from the last year's two transitions when it reproduces the seven years before (else only the
// offset, when there is no change any more, or nothing). Changes that revert within 14 days are
// not seen. Returns null for a name `Intl` does not know.

const FIRST = Date.UTC(1970, 0, 1) / 1000;
const STEP = 14 * 86400;
const LAST_YEAR = 2037;

/** Offset (seconds east of UTC) at Unix second `t`, read from a formatter of the zone. */
function offsetAt(fmt, t) {
  const m = /(\d+)\/(\d+)\/(\d+),? (\d+):(\d+):(\d+)/.exec(fmt.format(t * 1000));
  const local = Date.UTC(Number(m[3]), Number(m[1]) - 1, Number(m[2]), Number(m[4]) % 24, Number(m[5]), Number(m[6])) / 1000;
  return local - t;
}

function hms(seconds) {
  const s = Math.abs(seconds);
  const parts = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60];
  while (parts.length > 1 && parts[parts.length - 1] === 0) parts.pop();
  return (seconds < 0 ? '-' : '') + parts.map((p, i) => (i ? String(p).padStart(2, '0') : String(p))).join(':');
}

/** A POSIX-TZ name for an offset: `<+0530>`. */
function abbr(offset) {
  const s = Math.abs(offset);
  const text = `${offset < 0 ? '-' : '+'}${String(Math.floor(s / 3600)).padStart(2, '0')}${String(Math.floor(s / 60) % 60).padStart(2, '0')}`;
  return `<${text}${s % 60 ? String(s % 60).padStart(2, '0') : ''}>`;
}

/** The Unix second of an `Mm.n.d/time` rule in `year`, at wall-clock offset `before`. */
function ruleInstant(year, rule, before) {
  const first = new Date(Date.UTC(year, rule.month - 1, 1)).getUTCDay();
  let day = 1 + ((rule.weekday - first + 7) % 7) + 7 * (rule.week - 1);
  const days = new Date(Date.UTC(year, rule.month, 0)).getUTCDate();
  while (day > days) day -= 7;
  return Date.UTC(year, rule.month - 1, day) / 1000 + rule.time - before;
}

/**
 * The rules that may describe a transition, likeliest first: `Mm.n.d/time` on its local date
 * (`n` = 5 for the last such weekday of the month), or on the day before at `time` + 24 hours
 * (how POSIX writes "Fri>=23" or "Sun>=2 at 00:00": `M3.4.4/26`, `M9.1.6/24`).
 */
function rulesOf(t, before) {
  const local = new Date((t + before) * 1000);
  const day = local.getUTCDate();
  const days = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth() + 1, 0)).getUTCDate();
  const time = local.getUTCHours() * 3600 + local.getUTCMinutes() * 60 + local.getUTCSeconds();
  const rules = [];
  for (const back of [0, 1]) {
    if (day - back < 1) continue;
    const base = { month: local.getUTCMonth() + 1, weekday: (local.getUTCDay() + 7 - back) % 7, time: time + back * 86400 };
    const nth = Math.ceil((day - back) / 7);
    const weeks = day - back + 7 > days ? [5, nth] : [nth, 5];
    for (const week of weeks) rules.push({ ...base, week });
  }
  return rules;
}

/** The POSIX TZ rule after LAST_YEAR (see the top), or '' when none fits. */
function footerOf(transitions, offsetNow) {
  const year = (t) => new Date(t * 1000).getUTCFullYear();
  const inYear = (y) => transitions.filter(([t]) => year(t) === y);
  const last = inYear(LAST_YEAR);
  if (last.length === 0) return inYear(LAST_YEAR - 1).length ? { text: '' } : { text: `${abbr(offsetNow)}${hms(-offsetNow)}` };
  if (last.length !== 2 || last[0][1] !== last[1][2] || last[0][2] !== last[1][1]) return { text: '' };
  const std = Math.min(last[0][1], last[0][2]);
  const dst = Math.max(last[0][1], last[0][2]);
  const [start, end] = last[0][2] === dst ? last : [last[1], last[0]];
  // the rule gives this year's transition and those of the seven years before (every weekday
  // alignment), all under today's rules in Intl's data
  const fits = (rule, trans) => ruleInstant(LAST_YEAR, rule, trans[1]) === trans[0] && [1, 2, 3, 4, 5, 6, 7].every((k) => {
    const seen = inYear(LAST_YEAR - k).find(([, b, a]) => b === trans[1] && a === trans[2]);
    return seen && seen[0] === ruleInstant(LAST_YEAR - k, rule, trans[1]);
  });
  const pick = (trans) => rulesOf(trans[0], trans[1]).find((r) => fits(r, trans));
  const a = pick(start);
  const b = pick(end);
  if (!a || !b) return { text: '' };
  const m = (r) => `M${r.month}.${r.week}.${r.weekday}/${hms(r.time)}`;
  return { text: `${abbr(std)}${hms(-std)}${abbr(dst)}${hms(-dst)},${m(a)},${m(b)}`, dst };
}

const MAX_NAME = 64;

/** The rules of the zone `name` as text (see above), or null. */
export function zoneRules(name) {
  if (typeof name !== 'string' || name.length > MAX_NAME || !/^[A-Za-z0-9_+\-/]+$/.test(name)) return null;
  let fmt;
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: name, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
  } catch {
    return null; // RangeError: not a zone this host knows
  }
  const end = Date.UTC(LAST_YEAR + 1, 0, 1) / 1000;
  const initial = offsetAt(fmt, FIRST);
  const transitions = [];
  let t = FIRST;
  let offset = initial;
  while (t < end) {
    const next = Math.min(t + STEP, end);
    const after = offsetAt(fmt, next);
    if (after !== offset) {
      // bisect to the first second with the new offset: the hour first (most changes are on one)
      let lo = t;
      let hi = next;
      while (hi - lo > 3600) {
        const mid = lo + 3600 * Math.floor((hi - lo) / 7200);
        if (offsetAt(fmt, mid) === offset) lo = mid;
        else hi = mid;
      }
      if (offsetAt(fmt, hi - 1) !== offset) hi -= 1; // not on the hour: bisect the hour
      else lo = hi - 1;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (offsetAt(fmt, mid) === offset) lo = mid;
        else hi = mid;
      }
      transitions.push([hi, offset, after]);
      offset = after;
    }
    t = next;
  }
  const footer = footerOf(transitions, offset);
  // DST flags: a raise that is undone by the next change; the last change by the footer's rule
  // (TZif readers check that the last transition agrees with the footer)
  const isDst = (i) => {
    const [, before, after] = transitions[i];
    if (i === transitions.length - 1) return footer.dst !== undefined && after === footer.dst;
    return after > before && transitions[i + 1][2] < after;
  };
  return `${initial};${transitions.map(([at, , after], i) => `${at},${after},${isDst(i) ? 1 : 0}`).join(';')}|${footer.text}`;
}
