//! Character classes and byte scanning: the tables that stop a run of text or classify name
//! bytes, XML name characters, word-at-a-time searches, and character references.

use crate::bytes::{below, find_byte, has_byte, word_at};
use crate::error::Result;

use super::xml_error;

/// Bytes that end a run of character data or need a closer look: `<`, `&`, `]` (for `]]>`),
/// the control characters XML does not allow, and 0xEF (which starts U+FFFE and U+FFFF).
static TEXT_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = !matches!(b, 0x09 | 0x0A | 0x0D);
        b += 1;
    }
    t[b'<' as usize] = true;
    t[b'&' as usize] = true;
    t[b']' as usize] = true;
    t[0xEF] = true;
    t
};

/// The bytes a name may hold: 1 for an ASCII name character, 2 for `:`, 4 for every byte of
/// a non-ASCII character (checked one by one when a name has any), 0 for the rest.
pub(super) static NAME_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = match b as u8 {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'-' | b'.' => 1,
            b':' => 2,
            0x80..=0xFF => 4,
            _ => 0,
        };
        b += 1;
    }
    t
};

pub(super) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// XML 1.0 `NameStartChar`, without `:` (Namespaces in XML: names are NCNames around it).
fn is_name_start_char(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}'
        | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}'
        | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}'
        | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 `NameChar`, without `:`.
fn is_name_char(c: char) -> bool {
    is_name_start_char(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// Whether `name` is an NCName (a name without `:`).
pub(super) fn is_ncname(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(is_name_start_char) && chars.all(is_name_char)
}

/// The position of the next byte of character data from `i` on that [`Reader::scan_text`]
/// must look at (see [`TEXT_STOP`]), or the end: eight bytes at a time while none of them
/// can be one, else byte by byte through that word.
pub(super) fn skip_plain_text(bytes: &[u8], mut i: usize) -> usize {
    loop {
        while let Some(w) = word_at(bytes, i) {
            // a byte below 0x20 (tab, LF and CR too: the byte loop below lets them pass)
            let stop = below(w, 0x20)
                | has_byte(w, b'<')
                | has_byte(w, b'&')
                | has_byte(w, b']')
                | has_byte(w, 0xEF);
            if stop != 0 {
                break;
            }
            i += 8;
        }
        let end = bytes.len().min(i + 8);
        while i < end {
            if TEXT_STOP[usize::from(bytes[i])] {
                return i;
            }
            i += 1;
        }
        if i == bytes.len() {
            return i;
        }
    }
}

/// The position of the first `<` from `i` on, or the end.
pub(super) fn find_lt(bytes: &[u8], i: usize) -> usize {
    bytes
        .get(i..)
        .and_then(|rest| find_byte(rest, b'<'))
        .map_or(bytes.len(), |at| i + at)
}

/// The character of the reference starting at the `&` at `at` and the position after its
/// `;`, as [`unescape`] reads it: a name of at most [`crate::xml::MAX_ENTITY_LEN`] bytes before
/// the `;`, and no `&` or `<` on the way.
pub(super) fn reference_at(text: &str, at: usize) -> Option<(char, usize)> {
    let bytes = text.as_bytes();
    let window = bytes.get(at + 1..)?;
    let window = &window[..window.len().min(crate::xml::MAX_ENTITY_LEN + 1)];
    let semi = window
        .iter()
        .position(|&b| matches!(b, b';' | b'&' | b'<'))?;
    if window[semi] != b';' {
        return None;
    }
    let c = crate::xml::resolve_entity(text.get(at + 1..at + 1 + semi)?)?;
    Some((c, at + 2 + semi))
}

/// Refuses the characters XML does not allow (control characters but tab, LF and CR;
/// U+FFFE, U+FFFF), for CDATA and attribute values (text is checked as it is scanned): eight
/// bytes at a time while none of them can be one, else byte by byte through that word.
pub(super) fn check_chars(text: &str) -> Result<()> {
    let bytes = text.as_bytes();
    let mut i = 0;
    loop {
        while let Some(w) = word_at(bytes, i) {
            if below(w, 0x20) | has_byte(w, 0xEF) != 0 {
                break;
            }
            i += 8;
        }
        let end = bytes.len().min(i + 8);
        while let Some(&b) = bytes.get(i).filter(|_| i < end) {
            let bad = (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
                || (b == 0xEF
                    && bytes.get(i + 1) == Some(&0xBF)
                    && matches!(bytes.get(i + 2), Some(0xBE | 0xBF)));
            if bad {
                return Err(xml_error("malformed XML: a character XML does not allow"));
            }
            i += 1;
        }
        if i >= bytes.len() {
            return Ok(());
        }
    }
}
