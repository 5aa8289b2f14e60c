//! Why content lines could not be read ([`ParseError`], with its [`ParseErrorKind`] and the line),
//! and the bounds the parser keeps, each with the error it gives past it.

use std::fmt;

/// Deepest nesting of components accepted by the parser (guards against stack exhaustion).
pub const MAX_DEPTH: usize = 64;

/// Most content lines (after unfolding) one parse accepts, about a 100 MB calendar; more is a
/// [`ParseErrorKind::TooManyLines`] error, in [`parse_lenient`](super::parse_lenient) too. Each
/// property costs 24 bytes beside its text (a [`Property`](super::Property) is a shared pointer
/// and four offsets), so this bounds what a file of tiny lines can make the parser hold.
/// The default of [`ParseLimits::max_content_lines`], which
/// [`parse_with_limits`](super::parse_with_limits) applies.
pub const MAX_LINES: usize = 2_000_000;

/// The bounds of one parse that a caller can set: [`parse_with_limits`](super::parse_with_limits),
/// [`Calendar::parse_with_limits`](crate::icalendar::Calendar::parse_with_limits) and
/// [`VCard::parse_with_limits`](crate::vcard::VCard::parse_with_limits) take anything that
/// converts into it (davkit's `Limits` does, so a configured client's bound applies).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ParseLimits {
    /// Most content lines (after unfolding) one parse accepts. Default [`MAX_LINES`]. Hit: a
    /// [`ParseErrorKind::TooManyLines`] error.
    pub max_content_lines: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_content_lines: MAX_LINES,
        }
    }
}

/// Most repairs [`parse_lenient`](super::parse_lenient) lists one by one; any more are counted in
/// one final [`ParseErrorKind::RepairsOmitted`], so the report stays small whatever the input.
pub const MAX_REPAIRS: usize = 1000;

/// Longest component name, in bytes, that a [`ParseError`] copies; a longer one is cut (at a
/// character boundary) and ends with `…`.
pub const MAX_REPORTED_NAME: usize = 64;

/// What went wrong while reading content lines.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// A content line has no `:` separating name and value.
    MissingColon,
    /// A content line has an empty property name.
    EmptyName,
    /// A parameter value opened a `"` that never closes.
    UnterminatedQuote,
    /// A property appears outside of any `BEGIN`/`END` block.
    PropertyOutsideComponent,
    /// `END:<found>` closes a component that was opened as `<expected>`.
    MismatchedEnd {
        /// Name given in the `BEGIN` line (at most [`MAX_REPORTED_NAME`] bytes, then `…`).
        expected: String,
        /// Name given in the `END` line (at most [`MAX_REPORTED_NAME`] bytes, then `…`).
        found: String,
    },
    /// An `END` line with no open component.
    UnexpectedEnd,
    /// The input ended while a component was still open.
    MissingEnd {
        /// Name of the component left open (at most [`MAX_REPORTED_NAME`] bytes, then `…`).
        name: String,
    },
    /// Components nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// A line longer than 4 GiB.
    LineTooLong,
    /// An input that unfolds to more than 4 GiB.
    TooLarge,
    /// More content lines than the limit ([`MAX_LINES`], or
    /// [`ParseLimits::max_content_lines`] in [`parse_with_limits`](super::parse_with_limits)).
    TooManyLines,
    /// The bytes are not UTF-8, even after unfolding.
    InvalidUtf8,
    /// The input holds no component at all.
    Empty,
    /// [`parse_lenient`](super::parse_lenient) made more than [`MAX_REPAIRS`] repairs; this many
    /// more were made and are not listed.
    RepairsOmitted {
        /// The repairs made but not listed.
        count: usize,
    },
}

/// A typed parse error with the 1-based physical line where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// 1-based physical line number (0 when not tied to a line).
    pub line: usize,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ParseErrorKind::MissingColon => {
                write!(f, "line {}: content line without ':'", self.line)
            }
            ParseErrorKind::EmptyName => write!(f, "line {}: empty property name", self.line),
            ParseErrorKind::UnterminatedQuote => {
                write!(f, "line {}: unterminated quoted parameter value", self.line)
            }
            ParseErrorKind::PropertyOutsideComponent => {
                write!(f, "line {}: property outside of BEGIN/END", self.line)
            }
            ParseErrorKind::MismatchedEnd { expected, found } => write!(
                f,
                "line {}: END:{found} does not close BEGIN:{expected}",
                self.line
            ),
            ParseErrorKind::UnexpectedEnd => write!(f, "line {}: END without BEGIN", self.line),
            ParseErrorKind::MissingEnd { name } => write!(f, "missing END:{name}"),
            ParseErrorKind::TooDeep => write!(f, "line {}: components nested too deep", self.line),
            ParseErrorKind::LineTooLong => write!(f, "line {}: content line too long", self.line),
            ParseErrorKind::TooLarge => write!(f, "input larger than 4 GiB"),
            ParseErrorKind::TooManyLines => write!(
                f,
                "line {}: more content lines than the limit (Limits::max_content_lines, default \
                 contentline::MAX_LINES = {MAX_LINES})",
                self.line
            ),
            ParseErrorKind::InvalidUtf8 => write!(f, "line {}: invalid UTF-8", self.line),
            ParseErrorKind::Empty => write!(f, "no component found"),
            ParseErrorKind::RepairsOmitted { count } => {
                write!(f, "{count} more repairs not listed")
            }
        }
    }
}

impl std::error::Error for ParseError {}

impl ParseError {
    /// Whether the input passed a size limit (more content lines than the limit, or more than
    /// 4 GiB) rather than being malformed.
    pub fn is_limit(&self) -> bool {
        matches!(
            self.kind,
            ParseErrorKind::TooManyLines | ParseErrorKind::TooLarge
        )
    }
}
pub(super) fn err(kind: ParseErrorKind, line: usize) -> ParseError {
    ParseError { kind, line }
}

/// A component name as a [`ParseError`] keeps it: at most [`MAX_REPORTED_NAME`] bytes.
pub(super) fn reported_name(name: &str) -> String {
    if name.len() <= MAX_REPORTED_NAME {
        return name.to_owned();
    }
    let mut cut = MAX_REPORTED_NAME;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut out = String::with_capacity(cut + 3);
    out.push_str(name.get(..cut).unwrap_or(""));
    out.push('…');
    out
}
