//! TEXT escaping (RFC 5545 §3.3.11, RFC 6350 §3.4) and parameter value encoding (RFC 6868).

use std::borrow::Cow;

/// Escapes `\`, `;`, `,` and newlines for a TEXT value.
pub fn escape_text(s: &str) -> Cow<'_, str> {
    escape(s, true)
}

/// Line breaks (CRLF, LF or CR) as `\n`, nothing else escaped: decoded text that is a raw
/// value already but for them (a quoted-printable value's), as a raw value holds none.
#[cfg(feature = "quoted-printable")]
pub(crate) fn escape_line_breaks(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

fn escape(s: &str, separators: bool) -> Cow<'_, str> {
    let special =
        |b: u8| matches!(b, b'\n' | b'\r') || (separators && matches!(b, b'\\' | b';' | b','));
    if !s.bytes().any(special) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if separators => out.push_str("\\\\"),
            ';' if separators => out.push_str("\\;"),
            ',' if separators => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Decodes `\\`, `\;`, `\,`, `\n` and `\N` in a TEXT value; unknown escapes are kept as written.
pub fn unescape_text(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(c @ ('\\' | ';' | ',' | ':' | '"')) => out.push(c),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

/// Splits a raw value at `sep` characters that are not escaped with a backslash
/// (for list and structured values such as `CATEGORIES`, `N` or `ADR`). The parts stay raw.
pub fn split_unescaped(s: &str, sep: char) -> Vec<&str> {
    SplitUnescaped::new(s, sep).collect()
}

/// The parts of [`split_unescaped`] one at a time, so a reader that wants the first few (`N`,
/// `ADR`) or copies them elsewhere (packed summaries) keeps no list of them.
pub(crate) struct SplitUnescaped<'a> {
    rest: Option<&'a str>,
    sep: char,
}

impl<'a> SplitUnescaped<'a> {
    pub(crate) fn new(s: &'a str, sep: char) -> SplitUnescaped<'a> {
        SplitUnescaped { rest: Some(s), sep }
    }
}

impl<'a> Iterator for SplitUnescaped<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let s = self.rest?;
        let mut escaped = false;
        for (i, c) in s.char_indices() {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == self.sep {
                self.rest = s.get(i + c.len_utf8()..);
                return s.get(..i);
            }
        }
        self.rest = None;
        Some(s)
    }
}

/// Encodes one parameter value: RFC 6868 `^` escapes for `^`, newline and `"`, and quotes
/// when the value holds `:`, `;` or `,`.
pub fn escape_param_value(v: &str) -> String {
    let mut enc = String::with_capacity(v.len() + 2);
    for c in v.chars() {
        match c {
            '^' => enc.push_str("^^"),
            '\n' => enc.push_str("^n"),
            '"' => enc.push_str("^'"),
            '\r' => {}
            c => enc.push(c),
        }
    }
    if enc.contains([':', ';', ',']) {
        format!("\"{enc}\"")
    } else {
        enc
    }
}

/// Decodes RFC 6868 `^n`, `^^` and `^'`; other `^` sequences are kept.
pub(crate) fn decode_caret(s: &str) -> Cow<'_, str> {
    if !s.contains('^') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '^' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('^') => out.push('^'),
            Some('\'') => out.push('"'),
            Some(o) => {
                out.push('^');
                out.push(o);
            }
            None => out.push('^'),
        }
    }
    Cow::Owned(out)
}
