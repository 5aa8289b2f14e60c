//! Quoted-printable values (RFC 2045 §6.7), as vCard 2.1 writes non-ASCII text (vCard 2.1
//! §2.1.3: `ENCODING=QUOTED-PRINTABLE`, or the bare `QUOTED-PRINTABLE` parameter, with a
//! `CHARSET`) and some 3.0 exporters still do (Android's contacts export among them):
//! `FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=BCrgen`. A card is decoded when it is read
//! ([`decode_card`]): each such value becomes the text it encodes, in the value's raw form (line
//! breaks as `\n`), and its `ENCODING` and `CHARSET` parameters go, so every getter, the
//! summary and the 3.0/4.0 conversions see plain text (neither 3.0 nor 4.0 allows
//! quoted-printable). The soft line breaks (`=` at the end of a line, the value going on at the
//! start of the next) are joined by the content-line parser.
//!
//! Charsets: UTF-8 (also when none is named and the bytes are UTF-8), ISO-8859-1 and US-ASCII
//! (and no charset named with bytes that are not UTF-8: the exporters that omit it wrote
//! Latin-1), and Windows-1252. A value in any other charset is left as written.

use crate::contentline::{Component, Property};

/// Decodes every quoted-printable value of `card` in place (see the module docs).
pub(crate) fn decode_card(card: &mut Component) {
    for p in card.properties_mut() {
        if is_quoted_printable(p)
            && let Some(raw) = decoded(p)
        {
            p.set_raw_value(&raw);
            p.retain_params(|param| {
                let name = param.name();
                !(name.eq_ignore_ascii_case("ENCODING")
                    || name.eq_ignore_ascii_case("CHARSET")
                    || name.eq_ignore_ascii_case("QUOTED-PRINTABLE"))
            });
        }
    }
}

fn is_quoted_printable(p: &Property) -> bool {
    p.params().any(|param| {
        let name = param.name();
        name.eq_ignore_ascii_case("QUOTED-PRINTABLE")
            || (name.eq_ignore_ascii_case("ENCODING")
                && param.value().eq_ignore_ascii_case("QUOTED-PRINTABLE"))
    })
}

/// The value decoded, as a raw vCard value (line breaks written `\n`); `None` in a charset
/// this does not read.
fn decoded(p: &Property) -> Option<String> {
    let bytes = decode(p.raw_value().as_bytes());
    let charset = p
        .param_value("CHARSET")
        .map(|c| c.trim().to_ascii_uppercase());
    let text = match charset.as_deref() {
        None => String::from_utf8(bytes).unwrap_or_else(|e| latin1(e.as_bytes())),
        Some("UTF-8" | "UTF8") => String::from_utf8(bytes).ok()?,
        Some("ISO-8859-1" | "ISO8859-1" | "LATIN1" | "US-ASCII" | "ASCII") => latin1(&bytes),
        Some("WINDOWS-1252" | "CP1252") => windows_1252(&bytes),
        Some(_) => return None,
    };
    Some(crate::contentline::escape_line_breaks(&text).into_owned())
}

/// `=XX` as the byte XX; an `=` not followed by two hex digits (a soft break left at the end)
/// is dropped at the end and kept elsewhere.
fn decode(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while let Some(&b) = value.get(i) {
        if b == b'=' {
            match (hex(value.get(i + 1)), hex(value.get(i + 2))) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                _ if i + 1 == value.len() => break,
                _ => {}
            }
        }
        out.push(b);
        i += 1;
    }
    out
}

fn hex(b: Option<&u8>) -> Option<u8> {
    let b = *b?;
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Windows-1252: Latin-1 but for 0x80-0x9F, where it has printable characters (the five
/// bytes it leaves undefined stay as their Latin-1 control characters).
fn windows_1252(bytes: &[u8]) -> String {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9f => HIGH[usize::from(b - 0x80)],
            _ => char::from(b),
        })
        .collect()
}
