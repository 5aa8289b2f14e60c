// The JS API of one entry (scripts/build.mjs): src/api.js without the DavClient methods that the
// entry's module cannot run. Such a method starts by asking for what it needs
// (`needGcal('gcalSync');`: the Google Calendar API, `needSchedule('respond');`: scheduling), which
// throws an `Unsupported` DavError in a module without it, so in that entry its body is dead code
// that every app still downloads (a class's methods are never tree-shaken). Here each is cut out
// and put back as a stub that asks the same and so refuses the same way, before any request.
//
// Measured 2026-12-04 on davkit/protocol (bundled by esbuild, minified, gzip -9): the gcal* and
// scheduling methods were 666 B of its 7,462 B of JS.

/** A method of the DavClient class that opens with `need...('<its name>');`. */
const METHOD = /^ {2}async (\w+)\([^\n]*\) \{\n {4}(need\w+)\('(\w+)'\);\n(?:.*\n)*?^ {2}\}\n\n?/gm;

/**
 * An exported class with its doc comment (on one line or several), to the `}` that closes it at
 * the line's start.
 */
const classSource = (name) => new RegExp(`^/\\*\\*(?: .*\\*/\\n|\\n(?: \\*.*\\n)*? \\*/\\n)export class ${name} \\{\\n(?:.*\\n)*?^\\}\\n\\n?`, 'm');

/**
 * `text` (src/api.js, or src/edit.js with `classes` alone) with the methods that open with one of the `needs` functions (names, e.g.
 * `['needGcal', 'needSchedule']`) cut, and stubs for them after the class; and without the
 * exported `classes` (names) whose module part the entry lacks (`WriteQueue` in
 * davkit/protocol, which does not export it). Throws when a method asks for another name than
 * its own, or when a need or a class cut nothing (the source changed).
 */
export function entryApi(text, needs, classes = []) {
  if (needs.length === 0 && classes.length === 0) return text;
  for (const name of classes) {
    const before = text;
    text = text.replace(classSource(name), '');
    if (text === before) throw new Error(`entry-api: no exported class ${name} with a doc comment`);
  }
  const cut = [];
  const out = text.replace(METHOD, (whole, name, need, asked) => {
    if (!needs.includes(need)) return whole;
    if (asked !== name) throw new Error(`entry-api: ${name} asks ${need}('${asked}'), not its own name`);
    cut.push([name, need]);
    return '';
  });
  for (const need of needs) {
    if (!cut.some(([, n]) => n === need)) throw new Error(`entry-api: no DavClient method opens with ${need}(...)`);
  }
  if (cut.length === 0) return out;
  const list = cut.map(([name, need]) => `['${name}', ${need}]`).join(', ');
  return `${out}
// The methods this entry's module cannot run (cut by scripts/entry-api.mjs): each refuses as it
// did, by asking for what it needs, before any request.
for (const [name, need] of [${list}]) {
  Object.defineProperty(DavClient.prototype, name, {
    value: async function () {
      need(name);
    },
    writable: true,
    configurable: true,
  });
}
`;
}
