//! Which format a text is in, by its first content line: the one rule every binding uses to pick
//! the parsed view of an object's data (iCalendar summaries or a vCard summary).

/// The content format a text's first content line names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// `BEGIN:VCALENDAR`: iCalendar (RFC 5545).
    ICalendar,
    /// `BEGIN:VCARD`: vCard (4.0, 3.0 or 2.1).
    VCard,
}

const VCALENDAR: &[u8] = b"BEGIN:VCALENDAR";
const VCARD: &[u8] = b"BEGIN:VCARD";

impl Format {
    /// The format the text starts with: `BEGIN:VCALENDAR` or `BEGIN:VCARD`, compared ASCII
    /// case-insensitively, after any byte order marks (U+FEFF) and white space. `None` for
    /// anything else (JSON, HTML, an empty body), which callers leave unparsed. This does not
    /// check that the rest parses: the parse says that.
    ///
    /// ```
    /// use davkit_formats::contentline::Format;
    ///
    /// assert_eq!(Format::sniff("\u{feff}\r\nbegin:vcard\r\n"), Some(Format::VCard));
    /// assert_eq!(Format::sniff("BEGIN:VCALENDAR\r\n"), Some(Format::ICalendar));
    /// assert_eq!(Format::sniff("{\"kind\":\"calendar#event\"}"), None);
    /// ```
    pub fn sniff(text: &str) -> Option<Format> {
        Format::sniff_chars(text.chars())
    }

    /// [`Format::sniff`] over characters, for text that is not a `&str` at hand (a JS string
    /// read one UTF-16 unit at a time): it takes only the leading marks and white space and at
    /// most 15 characters after them.
    pub fn sniff_chars(chars: impl IntoIterator<Item = char>) -> Option<Format> {
        let mut head = [0u8; VCALENDAR.len()];
        let mut len = 0;
        let rest = chars
            .into_iter()
            .skip_while(|&c| c == '\u{feff}' || c.is_whitespace());
        for c in rest.take(VCALENDAR.len()) {
            if !c.is_ascii() {
                break;
            }
            head[len] = c.to_ascii_uppercase() as u8;
            len += 1;
        }
        let head = &head[..len];
        if head.starts_with(VCALENDAR) {
            Some(Format::ICalendar)
        } else if head.starts_with(VCARD) {
            Some(Format::VCard)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_content_line_names_the_format() {
        let cases = [
            (
                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n",
                Some(Format::ICalendar),
            ),
            ("begin:vCalendar\r\n", Some(Format::ICalendar)),
            ("BEGIN:VCARD\r\nVERSION:3.0\r\n", Some(Format::VCard)),
            ("Begin:VCard", Some(Format::VCard)),
            // Byte order marks and white space (line breaks, tabs, Unicode spaces) before it.
            ("\u{feff}BEGIN:VCARD\r\n", Some(Format::VCard)),
            (
                "\u{feff} \r\n\t\u{feff}\u{3000}BEGIN:VCALENDAR",
                Some(Format::ICalendar),
            ),
            // Anything else is no format: left alone, not parsed.
            ("", None),
            ("\u{feff}  \r\n", None),
            ("BEGIN:VCAL", None),
            ("BEGIN:VCAR", None),
            ("BEGIN:VEVENT\r\n", None),
            ("BEGIN VCARD", None),
            ("X-BEGIN:VCARD", None),
            ("{\"kind\":\"calendar#event\"}", None),
            ("<html>BEGIN:VCALENDAR", None),
            ("BEGİN:VCARD", None),
        ];
        for (text, want) in cases {
            assert_eq!(Format::sniff(text), want, "{text:?}");
        }
    }

    #[test]
    fn only_the_head_is_read() {
        // An endless text after the first line: sniffing stops after 15 characters.
        let endless = "BEGIN:VCALENDAR".chars().chain(std::iter::repeat('x'));
        assert_eq!(Format::sniff_chars(endless), Some(Format::ICalendar));
        let endless = "\u{feff}\nBEGIN:VCARD\r\n"
            .chars()
            .chain(std::iter::repeat('x'));
        assert_eq!(Format::sniff_chars(endless), Some(Format::VCard));
        let mut taken = 0;
        let counted = "  BEGIN:VCARD\r\nVERSION:4.0\r\nFN:A\r\nEND:VCARD\r\n"
            .chars()
            .inspect(|_| taken += 1);
        assert_eq!(Format::sniff_chars(counted), Some(Format::VCard));
        assert_eq!(taken, 2 + 15, "two spaces skipped, then 15 characters");
    }
}
