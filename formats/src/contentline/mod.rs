//! Content lines and components: RFC 5545 §3.1 (iCalendar) and RFC 6350 §3.3 (vCard).
//!
//! This is the lossless layer under [`crate::icalendar`] and [`crate::vcard`]. A file is unfolded
//! once; each logical line is kept exactly as written (group, name, parameters with their quoting,
//! value with its escapes) and only split into byte ranges, so unknown properties, parameters,
//! `X-` names and components survive untouched. Serialising writes CRLF line endings and folds at
//! 75 octets without splitting a UTF-8 character, so `parse -> serialise -> parse` is identical.
//!
//! ```
//! use davkit_formats::contentline::{parse, Property};
//!
//! let text = "BEGIN:VCALENDAR\nX-FOO;X-P=\"a:b\":v\r\nBEGIN:VEVENT\nSUMMARY:Lun\r\n ch\nEND:VEVENT\nEND:VCALENDAR\n";
//! let comps = parse(text).unwrap();
//! let event = &comps[0].components()[0];
//! assert_eq!(event.property("summary").unwrap().raw_value(), "Lunch");
//! let again = parse(&comps[0].to_string()).unwrap();
//! assert_eq!(comps, again);
//! ```

mod component;
mod error;
mod fold;
mod format;
mod params;
mod parse;
mod property;
mod text;

pub use component::{Component, serialize};
pub use error::{
    MAX_DEPTH, MAX_LINES, MAX_REPAIRS, MAX_REPORTED_NAME, ParseError, ParseErrorKind, ParseLimits,
};
pub use fold::{FOLD_OCTETS, fold_into, unfold_bytes};
pub use format::Format;
pub use params::Param;
pub(crate) use parse::{Cursor, Parser};
pub use parse::{parse, parse_bytes, parse_bytes_lenient, parse_lenient, parse_with_limits};
pub use property::Property;
pub(crate) use text::SplitUnescaped;
#[cfg(feature = "quoted-printable")]
pub(crate) use text::escape_line_breaks;
pub use text::{escape_param_value, escape_text, split_unescaped, unescape_text};

#[cfg(test)]
mod tests;
