//! Parsing text into components: a cursor that unfolds one logical line at a time, and a parser
//! that nests components, strictly or repairing what it can, within the limits.

use std::borrow::Cow;
use std::sync::Arc;

use super::component::Component;
use super::error::{
    MAX_DEPTH, MAX_LINES, MAX_REPAIRS, ParseError, ParseErrorKind, ParseLimits, err, reported_name,
};
use super::fold::unfold_bytes;
use super::property::{Property, lex};

/// Parses every top-level component in `input` (CRLF, LF or a mix; folded lines joined).
///
/// The unfolded text is stored once, shared by all properties, which keep ranges into it.
pub fn parse(input: &str) -> Result<Vec<Component>, ParseError> {
    let mut parser = Parser::default();
    parse_into(input, &mut parser)?;
    parser.finish().map(|(comps, _)| comps)
}

/// Parses like [`parse`] but repairs what it can, the way most calendar clients do, and reports
/// each repair: a line without `:` or with a broken parameter is dropped, a property outside
/// any component is dropped, an `END` that closes an outer component also closes the inner ones,
/// a stray `END` is dropped and components left open at the end are closed. Only input with no
/// component at all, or more than 4 GiB, is an error.
pub fn parse_lenient(input: &str) -> Result<(Vec<Component>, Vec<ParseError>), ParseError> {
    let mut parser = Parser {
        lenient: true,
        ..Parser::default()
    };
    parse_into(input, &mut parser)?;
    parser.finish()
}

/// [`parse`] with at most [`ParseLimits::max_content_lines`] content lines; more is a
/// [`ParseErrorKind::TooManyLines`] error.
pub fn parse_with_limits(
    input: &str,
    limits: impl Into<ParseLimits>,
) -> Result<Vec<Component>, ParseError> {
    let mut parser = Parser {
        max_lines: limits.into().max_content_lines,
        ..Parser::default()
    };
    parse_into(input, &mut parser)?;
    parser.finish().map(|(comps, _)| comps)
}

/// [`parse_lenient`] for bytes; invalid UTF-8 is still an error.
pub fn parse_bytes_lenient(input: &[u8]) -> Result<(Vec<Component>, Vec<ParseError>), ParseError> {
    let text = bytes_to_text(input)?;
    parse_lenient(&text)
}

fn parse_into(input: &str, parser: &mut Parser) -> Result<(), ParseError> {
    let mut cursor = Cursor::new(input);
    while cursor.step(parser)? {}
    Ok(())
}

/// Reads one logical line at a time (unfolded into the parser's current chunk) and feeds it to
/// the parser, so that each component's text is kept as soon as it is complete and nothing
/// per line is held beyond the properties themselves.
pub(crate) struct Cursor<'t> {
    input: &'t str,
    pos: usize,
    lineno: usize,
}

impl<'t> Cursor<'t> {
    pub(crate) fn new(input: &'t str) -> Cursor<'t> {
        Cursor {
            input: input.strip_prefix('\u{feff}').unwrap_or(input),
            pos: 0,
            lineno: 0,
        }
    }

    /// Feeds the next non-empty logical line to `parser`; `false` at the end of the input.
    pub(crate) fn step(&mut self, parser: &mut Parser) -> Result<bool, ParseError> {
        let input = self.input;
        let bytes = input.as_bytes();
        let len = input.len();
        loop {
            if self.pos >= len {
                return Ok(false);
            }
            self.lineno += 1;
            let start_line = self.lineno;
            let chunk = &mut parser.chunk;
            let start = chunk.len();
            let mut next;
            loop {
                let rest = input.get(self.pos..).unwrap_or("");
                let (seg, n) = match memchr_newline(rest) {
                    Some(i) => (rest.get(..i).unwrap_or(""), self.pos + i + 1),
                    None => (rest, len),
                };
                let seg = seg.strip_suffix('\r').unwrap_or(seg);
                // A CR that ends no line (a lone CR) is no content: left out, as the writer
                // never writes one (some readers end a line there, vobject among them).
                if seg.as_bytes().contains(&b'\r') {
                    for part in seg.split('\r') {
                        chunk.push_str(part);
                    }
                } else {
                    chunk.push_str(seg);
                }
                next = n;
                if matches!(bytes.get(next), Some(b' ' | b'\t')) {
                    self.lineno += 1;
                    self.pos = next + 1;
                } else if cfg!(feature = "quoted-printable")
                    && next < len
                    && soft_break(chunk.get(start..).unwrap_or(""))
                    && !starts_ignore_case(input.get(next..).unwrap_or(""), "END:")
                {
                    // A quoted-printable soft line break: the value goes on at the start of
                    // the next line, without the `=` (never into an `END` line: a stray `=`
                    // does not take the end of the card with it).
                    chunk.pop();
                    self.lineno += 1;
                    self.pos = next;
                } else {
                    break;
                }
            }
            self.pos = next;
            let end = chunk.len();
            // A logical line that starts with white space (the first line of the input, or the
            // fold of a blank line: "A\r\n\r\n  B" unfolds to "A" and " B") continues nothing:
            // its white space is dropped. Kept, it would be written back at the start of a
            // line, where a reader takes it as a fold of the line before (found by the
            // `contentline` fuzz target: a property joined to the one above it).
            let line_start = start;
            let mut start = start;
            while start < end && matches!(chunk.as_bytes().get(start), Some(b' ' | b'\t')) {
                start += 1;
            }
            if end == start {
                chunk.truncate(line_start);
                continue;
            }
            if parser.lines >= parser.max_lines {
                return Err(err(ParseErrorKind::TooManyLines, start_line));
            }
            parser.lines += 1;
            parser.unfolded += end - start;
            if parser.unfolded > u32::MAX as usize {
                return Err(err(ParseErrorKind::TooLarge, 0));
            }
            parser.line(start, end, start_line)?;
            return Ok(true);
        }
    }
}

/// Whether a line so far ends in a quoted-printable soft line break (RFC 2045 §6.7 rule 5, as
/// vCard 2.1 §2.1.3 uses it): an `=` at the end of a value whose property names the encoding
/// (`ENCODING=QUOTED-PRINTABLE`, or 2.1's bare `QUOTED-PRINTABLE`). Such a value encodes a
/// literal `=` as `=3D`, so its last `=` is always a break. (With the `quoted-printable`
/// feature, which decodes such values: without it they are read as written, and so are
/// their lines.)
fn soft_break(line: &str) -> bool {
    if !line.ends_with('=') {
        return false;
    }
    let head = line.split(':').next().unwrap_or("");
    head.len() < line.len() && contains_ignore_case(head, "QUOTED-PRINTABLE")
}

fn starts_ignore_case(text: &str, prefix: &str) -> bool {
    text.as_bytes()
        .get(..prefix.len())
        .is_some_and(|b| b.eq_ignore_ascii_case(prefix.as_bytes()))
}

fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

fn memchr_newline(s: &str) -> Option<usize> {
    s.find('\n')
}

/// Parses bytes: UTF-8 is checked after unfolding, so a fold that splits a multi-byte
/// character is accepted.
pub fn parse_bytes(input: &[u8]) -> Result<Vec<Component>, ParseError> {
    parse(&bytes_to_text(input)?)
}

fn bytes_to_text(input: &[u8]) -> Result<Cow<'_, str>, ParseError> {
    if let Ok(s) = std::str::from_utf8(input) {
        return Ok(Cow::Borrowed(s));
    }
    let unfolded = unfold_bytes(input);
    match String::from_utf8(unfolded) {
        Ok(s) => Ok(Cow::Owned(s)),
        Err(e) => {
            let upto = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let line = bytes
                .get(..upto)
                .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
                + 1;
            Err(err(ParseErrorKind::InvalidUtf8, line))
        }
    }
}

pub(crate) struct Parser {
    stack: Vec<Component>,
    done: Vec<Component>,
    lenient: bool,
    /// At most [`MAX_REPAIRS`]; the rest are counted in `omitted`.
    repairs: Vec<ParseError>,
    omitted: usize,
    /// [`MAX_LINES`], or the configured [`ParseLimits::max_content_lines`].
    max_lines: usize,
    /// Content lines read so far.
    lines: usize,
    /// Unfolded bytes read so far.
    unfolded: usize,
    /// The unfolded property lines since the last component that closed at depth 1 or 2; the
    /// properties read from it point at `pending` until then, when it becomes their text.
    chunk: String,
    pending: Arc<String>,
    /// How many properties of the open top-level component already have their text.
    root_done: usize,
    /// Hand each component that closes directly under a top-level one to `ready` instead of
    /// adding it to its parent (see [`Parser::streaming`]).
    detach: bool,
    /// Detached components, each with whether its parent is the first VCALENDAR.
    ready: Vec<(bool, Component)>,
    /// A top-level VCALENDAR has been closed.
    vcalendar_done: bool,
}

impl Default for Parser {
    fn default() -> Self {
        Parser {
            stack: Vec::new(),
            done: Vec::new(),
            lenient: false,
            repairs: Vec::new(),
            omitted: 0,
            max_lines: MAX_LINES,
            lines: 0,
            unfolded: 0,
            chunk: String::new(),
            pending: Arc::new(String::new()),
            root_done: 0,
            detach: false,
            ready: Vec::new(),
            vcalendar_done: false,
        }
    }
}

fn begin_end(line: &str) -> Option<(bool, &str)> {
    let b = line.as_bytes();
    if b.len() >= 6
        && b.get(5) == Some(&b':')
        && line
            .get(..5)
            .is_some_and(|s| s.eq_ignore_ascii_case("BEGIN"))
    {
        return Some((true, line.get(6..).unwrap_or("")));
    }
    if b.len() >= 4
        && b.get(3) == Some(&b':')
        && line.get(..3).is_some_and(|s| s.eq_ignore_ascii_case("END"))
    {
        return Some((false, line.get(4..).unwrap_or("")));
    }
    None
}

/// Gives every property of `c` and its sub-components that still points at `pending` its
/// text, `doc`.
fn give_text(c: &mut Component, pending: &Arc<String>, doc: &Arc<String>) {
    for p in &mut c.properties {
        if Arc::ptr_eq(&p.doc, pending) {
            p.doc = Arc::clone(doc);
        }
    }
    for sub in &mut c.components {
        give_text(sub, pending, doc);
    }
}

impl Parser {
    /// A strict parser that hands over each component directly under a top-level one as soon
    /// as it closes (in [`Parser::take_ready`]) instead of keeping it, so a caller can read a
    /// large calendar one event at a time.
    pub(crate) fn streaming(max_lines: usize) -> Parser {
        Parser {
            detach: true,
            max_lines,
            ..Parser::default()
        }
    }

    /// The components detached since the last call, each with whether its parent is the first
    /// top-level VCALENDAR.
    pub(crate) fn take_ready(&mut self) -> std::vec::Drain<'_, (bool, Component)> {
        self.ready.drain(..)
    }

    /// One logical line, unfolded at `start..end` of the chunk.
    fn line(&mut self, start: usize, end: usize, lineno: usize) -> Result<(), ParseError> {
        let line = self.chunk.get(start..end).unwrap_or("");
        if let Some((begin, name)) = begin_end(line) {
            let name = name.to_owned();
            // BEGIN and END lines are not kept: the component keeps its name
            self.chunk.truncate(start);
            return self.structural(begin, &name, lineno);
        }
        let spans = match lex(line) {
            Ok(s) => s,
            Err(k) => {
                self.chunk.truncate(start);
                return self.fail(err(k, lineno));
            }
        };
        let Some(top) = self.stack.last_mut() else {
            self.chunk.truncate(start);
            return self.fail(err(ParseErrorKind::PropertyOutsideComponent, lineno));
        };
        // both fit: the whole input unfolds to at most u32::MAX bytes (checked by the cursor)
        top.properties.push(Property::from_spans(
            Arc::clone(&self.pending),
            start as u32,
            (end - start) as u32,
            spans,
        ));
        Ok(())
    }

    /// Strict: the error. Lenient: note the repair (or count it past [`MAX_REPAIRS`]) and go on.
    fn fail(&mut self, e: ParseError) -> Result<(), ParseError> {
        if !self.lenient {
            return Err(e);
        }
        if self.repairs.len() < MAX_REPAIRS {
            self.repairs.push(e);
        } else {
            self.omitted += 1;
        }
        Ok(())
    }

    /// The chunk as the text of the properties read from it; a new, empty chunk.
    fn take_chunk(&mut self) -> Arc<String> {
        let doc = if self.chunk.len() < 1 << 20 {
            // one exact allocation; the chunk's buffer is reused for the next one
            let doc = self.chunk.as_str().to_owned();
            self.chunk.clear();
            doc
        } else {
            let mut doc = std::mem::take(&mut self.chunk);
            doc.shrink_to_fit();
            doc
        };
        Arc::new(doc)
    }

    fn close_top(&mut self) {
        let Some(mut c) = self.stack.pop() else {
            return;
        };
        c.properties.shrink_to_fit();
        c.components.shrink_to_fit();
        if self.stack.len() <= 1 && !self.chunk.is_empty() {
            let doc = self.take_chunk();
            give_text(&mut c, &self.pending, &doc);
            if let Some(root) = self.stack.first_mut() {
                for p in root.properties.iter_mut().skip(self.root_done) {
                    p.doc = Arc::clone(&doc);
                }
                self.root_done = root.properties.len();
            }
        }
        let detach = self.detach && self.stack.len() == 1;
        match self.stack.last_mut() {
            Some(parent) if detach => {
                let first = parent.is("VCALENDAR") && !self.vcalendar_done;
                self.ready.push((first, c));
            }
            Some(parent) => parent.components.push(c),
            None => {
                self.root_done = 0;
                self.vcalendar_done |= c.is("VCALENDAR");
                self.done.push(c);
            }
        }
    }

    fn structural(&mut self, begin: bool, name: &str, lineno: usize) -> Result<(), ParseError> {
        let name = name.trim();
        if begin {
            if self.stack.len() >= MAX_DEPTH {
                return Err(err(ParseErrorKind::TooDeep, lineno));
            }
            self.stack.push(Component::new(name));
            return Ok(());
        }
        let Some(top) = self.stack.last() else {
            return self.fail(err(ParseErrorKind::UnexpectedEnd, lineno));
        };
        if !top.name.eq_ignore_ascii_case(name) {
            let e = err(
                ParseErrorKind::MismatchedEnd {
                    expected: reported_name(&top.name),
                    found: reported_name(name),
                },
                lineno,
            );
            self.fail(e)?;
            // lenient: close up to the matching component, or drop a stray END
            if self.stack.iter().any(|c| c.name.eq_ignore_ascii_case(name)) {
                while self
                    .stack
                    .last()
                    .is_some_and(|c| !c.name.eq_ignore_ascii_case(name))
                {
                    self.close_top();
                }
                self.close_top();
            }
            return Ok(());
        }
        self.close_top();
        Ok(())
    }

    pub(crate) fn finish(mut self) -> Result<(Vec<Component>, Vec<ParseError>), ParseError> {
        if let Some(c) = self.stack.last() {
            let e = err(
                ParseErrorKind::MissingEnd {
                    name: reported_name(&c.name),
                },
                0,
            );
            self.fail(e)?;
            while !self.stack.is_empty() {
                self.close_top();
            }
        }
        if self.omitted > 0 {
            self.repairs.push(err(
                ParseErrorKind::RepairsOmitted {
                    count: self.omitted,
                },
                0,
            ));
        }
        if self.done.is_empty() {
            return Err(err(ParseErrorKind::Empty, 0));
        }
        Ok((self.done, self.repairs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_content_lines() {
        let parse_with = |text: &str, max_lines: usize, lenient: bool| {
            let mut parser = Parser {
                lenient,
                max_lines,
                ..Parser::default()
            };
            parse_into(text, &mut parser)?;
            parser
                .finish()
                .map(|(comps, _)| comps[0].properties().len())
        };
        // BEGIN, eight properties (one folded over two physical lines), END: ten content lines
        let text = "BEGIN:A\nX:1\nX:2\nX:3\nX:4\nX:5\nX:6\nX:7\nX:8\n 9\nEND:A\n";
        assert_eq!(parse_with(text, 10, false), Ok(8));
        for lenient in [false, true] {
            assert_eq!(
                parse_with(text, 9, lenient),
                Err(ParseError {
                    kind: ParseErrorKind::TooManyLines,
                    line: 11
                })
            );
        }
        assert_eq!(MAX_LINES, 2_000_000);
    }
}
