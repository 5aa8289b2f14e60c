//! Text from the outside shown in a message: [`Quoted`].

use std::fmt;

/// Displays its text in double quotes, as Rust's `{:?}` writes ordinary text: `"` and `\`
/// escaped with a backslash, `\n`, `\r`, `\t` and `\0` by name, other control characters as
/// `\u{..}`, everything else as it is. For messages that show text a server or a file gave
/// (a UID, a TZID, a refused value), so that a line break or a quote in it cannot change what
/// the message seems to say.
///
/// Not `{:?}` itself: its tables of printable characters and grapheme extenders, and its
/// escaping code, were 4.5 KB of each WebAssembly module (it also escapes Unicode format
/// characters and a leading combining mark, which this leaves as they are).
///
/// ```
/// use davkit_formats::quoted::Quoted;
/// assert_eq!(Quoted("a\"b\nc").to_string(), r#""a\"b\nc""#);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        let mut rest = self.0;
        while let Some(at) = rest.find(|c: char| c.is_control() || c == '"' || c == '\\') {
            f.write_str(rest.get(..at).unwrap_or_default())?;
            let c = rest
                .get(at..)
                .and_then(|t| t.chars().next())
                .unwrap_or_default();
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                '\0' => f.write_str("\\0")?,
                c => write!(f, "\\u{{{:x}}}", u32::from(c))?,
            }
            rest = rest.get(at + c.len_utf8()..).unwrap_or_default();
        }
        f.write_str(rest)?;
        f.write_str("\"")
    }
}

#[cfg(test)]
mod tests {
    use super::Quoted;

    /// The same text as `{:?}` for text of printable characters, quotes, backslashes and
    /// control characters (every control character included).
    #[test]
    fn is_debugs_form_for_ordinary_text() {
        let controls: String = (0u32..0x20)
            .chain(0x7f..0xa0)
            .filter_map(char::from_u32)
            .collect();
        for s in [
            "",
            "abc",
            "a\"b\\c'd",
            "line\nbreak\r\t\0",
            controls.as_str(),
            "é 日本 🎉",
            "https://h/cal/a%20b.ics",
        ] {
            assert_eq!(Quoted(s).to_string(), format!("{s:?}"), "{s:?}");
        }
    }

    /// Unicode format characters and a leading combining mark stay as they are.
    #[test]
    fn leaves_format_characters() {
        assert_eq!(Quoted("\u{ad}\u{200b}").to_string(), "\"\u{ad}\u{200b}\"");
        assert_eq!(Quoted("\u{301}e").to_string(), "\"\u{301}e\"");
    }
}
