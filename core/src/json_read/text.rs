//! JSON text (RFC 8259) into a [`Json`], by hand: the one JSON parser of the core and the wasm
//! binding (stored sync states and write queues, servers' answers, the binding's arguments).
//! serde_json stays for its `Number` and for the Calendar API's events (`Value`); its own
//! parser (its `Deserializer` with serde's visitors, its number and string readers) is not
//! linked into the npm modules.
//!
//! It accepts and refuses what `serde_json::from_str::<Value>` (and `from_slice`) do, and reads
//! the same values (a [`Json`]'s [`into_value`](Json::into_value) is serde_json's `Value`);
//! `text/tests.rs` checks that on generated and mutated texts:
//! - whitespace is space, tab, line feed and carriage return only; nothing may follow the
//!   value (a byte order mark, a trailing comma, a comment: refused);
//! - strings: every escape of RFC 8259 §7, `\uXXXX` surrogates only as a high-low pair (a lone
//!   one refused), no control character (below U+0020) unescaped;
//! - a key given twice: both members kept, [`Json::get`] finding the last (the value
//!   `serde_json::Value` and `JSON.parse` keep);
//! - numbers: an integer is a `u64` (or an `i64` below zero) when it fits, otherwise (`-0`
//!   included) an `f64`; a fraction or exponent makes an `f64`, computed as serde_json without
//!   its `float_roundtrip` feature does (the significant digits that fit in a `u64`, as an
//!   `f64`, times or divided by the nearest `f64` to a power of ten: the same bits as before,
//!   not always the nearest `f64` to a long fraction);
//!   a number beyond `f64` (`1e400`) is refused, one below it (`1e-400`) is zero;
//! - containers nest at most 127 deep (serde_json's recursion limit of 128), so hostile text
//!   cannot exhaust the stack; the time is linear in the text.
//!
//! A server's answer is first weighed by [`weight_within`], a scan that allocates nothing:
//! parsed, a value costs 10 to 100 times its text (`[0,0]` is 5 bytes and three values of 32
//! bytes each), so a body within `Limits::max_body_bytes` could still cost gigabytes.
//!
//! Bytes ([`parse_bytes`]) must be UTF-8, checked first: serde_json's `from_slice` refuses
//! the same texts (outside strings every non-ASCII byte is a syntax error, inside it checks
//! them). Messages are short, with the byte offset: `EOF while parsing a string at byte 7`.

use std::fmt;

use serde_json::Number;

use super::Json;

/// Why a text is not JSON, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// What is wrong (`expected value`).
    pub what: &'static str,
    /// The offset of the byte where it was found (the text's length when it ended early).
    pub at: usize,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.what, self.at)
    }
}

impl std::error::Error for SyntaxError {}

type Result<T> = std::result::Result<T, SyntaxError>;

/// Containers open at once that are refused (serde_json's limit).
const DEPTH_LIMIT: u32 = 128;

const EOF_VALUE: &str = "EOF while parsing a value";
const EOF_STRING: &str = "EOF while parsing a string";
const EOF_LIST: &str = "EOF while parsing a list";
const EOF_OBJECT: &str = "EOF while parsing an object";
const INVALID_NUMBER: &str = "invalid number";
const INVALID_ESCAPE: &str = "invalid escape";
const LONE_SURROGATE: &str = "lone surrogate in \\u escape";
const OUT_OF_RANGE: &str = "number out of range";

/// JSON text as a value.
pub fn parse(text: &str) -> Result<Json> {
    let mut p = Parser {
        text,
        at: 0,
        depth: 0,
        powers: [0.0; 309],
    };
    let value = p.value()?;
    match p.peek() {
        None => Ok(value),
        Some(_) => Err(p.error("trailing characters")),
    }
}

/// JSON text given as bytes (a response body) as a value; bytes that are not UTF-8 are
/// refused.
pub fn parse_bytes(bytes: &[u8]) -> Result<Json> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(text),
        Err(e) => Err(SyntaxError {
            what: "invalid UTF-8",
            at: e.valid_up_to(),
        }),
    }
}

/// What an object that has members weighs in [`weight_within`], besides its members: the
/// B-tree node it becomes as serde_json's `Value` (about 640 bytes for one to eleven members).
pub const OBJECT_WEIGHT: usize = 12;

/// What an array that has items weighs in [`weight_within`], besides its items: its two
/// allocations (parsed, then as a `Value`).
pub const ARRAY_WEIGHT: usize = 2;

/// What an object's key weighs in [`weight_within`]: its string, held in the parse and in the
/// `Value`'s map, costs about what two values do.
pub const KEY_WEIGHT: usize = 2;

/// Whether the JSON text `bytes` weighs at most `max`, by what it costs parsed: every value
/// (string, number, literal, array, object) weighs 1, an object's key [`KEY_WEIGHT`], and an
/// object with members [`OBJECT_WEIGHT`] more, an array with items [`ARRAY_WEIGHT`] more.
/// The weights make each kind of text cost about the same per unit (30 to 70 bytes parsed,
/// `scripts/bench-hostile.sh`): counted as one value each, an object of one member or a
/// one-item array cost 10 and 3 times what an honest page's values do, and a page of
/// `{"a":0}` held 472 MB where an honest one of as many values held 170 MB.
///
/// Counted by one scan that parses nothing: a value is the text's first, one after each comma,
/// or the first in a container that is not empty; a key is one before each colon (commas,
/// colons and brackets in strings skipped). Exact for JSON; for other bytes some count that
/// the parse refusing them makes moot. Linear in the text, stopping at the first weight past
/// `max`.
pub fn weight_within(bytes: &[u8], max: usize) -> bool {
    let mut weight = 1;
    let mut in_string = false;
    let mut escaped = false;
    // The bracket just opened, until the next byte that is not whitespace (else 0).
    let mut opened = 0;
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            continue;
        }
        if opened != 0 && b != b']' && b != b'}' {
            weight += 1 + if opened == b'{' {
                OBJECT_WEIGHT
            } else {
                ARRAY_WEIGHT
            };
        }
        opened = if matches!(b, b'[' | b'{') { b } else { 0 };
        match b {
            b'"' => in_string = true,
            b',' => weight += 1,
            b':' => weight += KEY_WEIGHT,
            _ => {}
        }
        if weight > max {
            return false;
        }
    }
    weight <= max
}

struct Parser<'a> {
    text: &'a str,
    /// The offset of the next byte to read.
    at: usize,
    /// Containers open.
    depth: u32,
    /// `10^e` for `e` up to 308, each computed ([`pow10`], up to about 2,000 multiplications)
    /// the first time a number of this text needs it; 0 until then. Computed for every
    /// number, an array of `1e308` took 0.6 microseconds a byte, 20 times plain numbers.
    powers: [f64; 309],
}

impl Parser<'_> {
    /// [`pow10`], computed once per text for each exponent.
    fn pow10(&mut self, e: u32) -> f64 {
        match self.powers.get_mut(e as usize) {
            Some(slot) if *slot != 0.0 => *slot,
            Some(slot) => {
                *slot = pow10(e);
                *slot
            }
            None => pow10(e),
        }
    }

    fn error(&self, what: &'static str) -> SyntaxError {
        SyntaxError { what, at: self.at }
    }

    /// The byte at the cursor, if any.
    fn byte(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    /// The next byte that is not whitespace (the cursor left on it).
    fn peek(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.byte() {
            self.at += 1;
        }
        self.byte()
    }

    /// The byte at the cursor (the cursor moved past it), or `eof` at the end.
    fn next(&mut self, eof: &'static str) -> Result<u8> {
        let b = self.byte().ok_or_else(|| self.error(eof))?;
        self.at += 1;
        Ok(b)
    }

    /// Moves past `b` if it is at the cursor.
    fn eat(&mut self, b: u8) -> bool {
        let found = self.byte() == Some(b);
        if found {
            self.at += 1;
        }
        found
    }

    fn value(&mut self) -> Result<Json> {
        let Some(b) = self.peek() else {
            return Err(self.error(EOF_VALUE));
        };
        match b {
            b'"' => self.string().map(Json::String),
            b'[' | b'{' => self.container(b == b'{'),
            b't' => self.word("true", Json::Bool(true)),
            b'f' => self.word("false", Json::Bool(false)),
            b'n' => self.word("null", Json::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(self.error("expected value")),
        }
    }

    /// `true`, `false` or `null`.
    fn word(&mut self, word: &str, value: Json) -> Result<Json> {
        for &w in word.as_bytes() {
            if self.next(EOF_VALUE)? != w {
                self.at -= 1;
                return Err(self.error("expected ident"));
            }
        }
        Ok(value)
    }

    /// An array or (`object`) an object, the cursor on its opening bracket.
    fn container(&mut self, object: bool) -> Result<Json> {
        self.depth += 1;
        if self.depth >= DEPTH_LIMIT {
            return Err(self.error("recursion limit exceeded"));
        }
        self.at += 1;
        let (close, eof) = if object {
            (b'}', EOF_OBJECT)
        } else {
            (b']', EOF_LIST)
        };
        let mut members = Vec::new();
        let mut items = Vec::new();
        if self.peek() == Some(close) {
            self.at += 1;
        } else {
            loop {
                if object {
                    match self.peek() {
                        Some(b'"') => {}
                        Some(_) => return Err(self.error("key must be a string")),
                        None => return Err(self.error(eof)),
                    }
                    let key = self.string()?;
                    match self.peek() {
                        Some(b':') => self.at += 1,
                        Some(_) => return Err(self.error("expected `:`")),
                        None => return Err(self.error(eof)),
                    }
                    let value = self.value()?;
                    members.push((key, value));
                } else {
                    items.push(self.value()?);
                }
                match self.peek() {
                    Some(b',') => self.at += 1,
                    Some(b) if b == close => {
                        self.at += 1;
                        break;
                    }
                    Some(_) if object => return Err(self.error("expected `,` or `}`")),
                    Some(_) => return Err(self.error("expected `,` or `]`")),
                    None => return Err(self.error(eof)),
                }
            }
        }
        self.depth -= 1;
        Ok(if object {
            Json::Object(members)
        } else {
            Json::Array(items)
        })
    }

    /// A string, the cursor on its opening quote.
    fn string(&mut self) -> Result<String> {
        self.at += 1;
        let mut out = String::new();
        loop {
            // The run up to a quote, a backslash or a control character, copied at once (the
            // three are ASCII: the run is whole characters).
            let start = self.at;
            let rest = self.text.as_bytes().get(start..).unwrap_or_default();
            self.at += rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(rest.len());
            out.push_str(self.text.get(start..self.at).unwrap_or_default());
            let c = match self.next(EOF_STRING)? {
                b'"' => return Ok(out),
                b'\\' => match self.next(EOF_STRING)? {
                    b'"' => '"',
                    b'\\' => '\\',
                    b'/' => '/',
                    b'b' => '\u{8}',
                    b'f' => '\u{c}',
                    b'n' => '\n',
                    b'r' => '\r',
                    b't' => '\t',
                    b'u' => self.unicode_escape()?,
                    _ => {
                        self.at -= 1;
                        return Err(self.error(INVALID_ESCAPE));
                    }
                },
                _ => {
                    self.at -= 1;
                    return Err(self.error("control character while parsing a string"));
                }
            };
            out.push(c);
        }
    }

    /// The character of a `\u` escape (the cursor after the `u`), with the low surrogate's
    /// escape that must follow a high one.
    fn unicode_escape(&mut self) -> Result<char> {
        let high = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&high) {
            if !(self.eat(b'\\') && self.eat(b'u')) {
                return Err(self.error(LONE_SURROGATE));
            }
            let low = self.hex4()?;
            if !(0xDC00..0xE000).contains(&low) {
                return Err(self.error(LONE_SURROGATE));
            }
            0x1_0000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        } else {
            high
        };
        // Only a low surrogate on its own is no character.
        char::from_u32(code).ok_or_else(|| self.error(LONE_SURROGATE))
    }

    /// Four hex digits.
    fn hex4(&mut self) -> Result<u32> {
        let mut n = 0;
        for _ in 0..4 {
            let b = self.next(EOF_STRING)?;
            let Some(d) = char::from(b).to_digit(16) else {
                self.at -= 1;
                return Err(self.error(INVALID_ESCAPE));
            };
            n = n * 16 + d;
        }
        Ok(n)
    }

    /// The digit at the cursor, if any (the cursor moved past it).
    fn digit(&mut self) -> Option<u64> {
        let d = char::from(self.byte()?).to_digit(10)?;
        self.at += 1;
        Some(u64::from(d))
    }

    /// A number, the cursor on its first byte (`-` or a digit): serde_json's reading, step
    /// for step (see the module docs).
    fn number(&mut self) -> Result<Json> {
        let negative = self.eat(b'-');
        let mut significand = match self.next(EOF_VALUE)? {
            b @ b'0'..=b'9' => u64::from(b - b'0'),
            _ => {
                self.at -= 1;
                return Err(self.error(INVALID_NUMBER));
            }
        };
        // The power of ten the significand is multiplied by, and whether the number is an f64.
        let mut exponent: i32 = 0;
        let mut float = false;
        if significand == 0 {
            if matches!(self.byte(), Some(b'0'..=b'9')) {
                return Err(self.error(INVALID_NUMBER));
            }
        } else {
            // Digits past u64 count as powers of ten (an f64 then).
            while let Some(d) = self.digit() {
                match significand.checked_mul(10).and_then(|s| s.checked_add(d)) {
                    Some(s) if !float => significand = s,
                    _ => {
                        float = true;
                        exponent = exponent.saturating_add(1);
                    }
                }
            }
        }
        if self.eat(b'.') {
            float = true;
            let mut digits = false;
            let mut full = false;
            while let Some(d) = self.digit() {
                digits = true;
                // Digits past u64 are dropped.
                match significand.checked_mul(10).and_then(|s| s.checked_add(d)) {
                    Some(s) if !full => {
                        significand = s;
                        exponent = exponent.saturating_sub(1);
                    }
                    _ => full = true,
                }
            }
            if !digits {
                return Err(self.error(if self.byte().is_some() {
                    INVALID_NUMBER
                } else {
                    EOF_VALUE
                }));
            }
        }
        if self.eat(b'e') || self.eat(b'E') {
            float = true;
            let positive = !self.eat(b'-');
            if positive {
                self.eat(b'+');
            }
            let mut exp = match self.next(EOF_VALUE)? {
                b @ b'0'..=b'9' => i32::from(b - b'0'),
                _ => {
                    self.at -= 1;
                    return Err(self.error(INVALID_NUMBER));
                }
            };
            let mut overflow = false;
            while let Some(d) = self.digit() {
                match exp.checked_mul(10).and_then(|e| e.checked_add(d as i32)) {
                    Some(e) if !overflow => exp = e,
                    _ => overflow = true,
                }
            }
            if overflow {
                // serde_json: an exponent past i32 is out of range upwards, zero downwards.
                if positive && significand != 0 {
                    return Err(self.error(OUT_OF_RANGE));
                }
                return Ok(float_value(if negative { -0.0 } else { 0.0 }));
            }
            exponent = if positive {
                exponent.saturating_add(exp)
            } else {
                exponent.saturating_sub(exp)
            };
        }
        if !float {
            return Ok(if !negative {
                Json::Number(significand.into())
            } else {
                // Below i64::MIN, and -0, are f64s.
                match i64::try_from(significand) {
                    Ok(0) => float_value(-0.0),
                    Ok(n) => Json::Number((-n).into()),
                    Err(_) if significand == 1 << 63 => Json::Number(i64::MIN.into()),
                    Err(_) => float_value(-(significand as f64)),
                }
            });
        }
        // serde_json's f64_from_parts (without float_roundtrip).
        let mut f = significand as f64;
        loop {
            match Some(exponent.unsigned_abs()).filter(|e| *e <= 308) {
                Some(e) => {
                    let pow = self.pow10(e);
                    if exponent >= 0 {
                        f *= pow;
                        if f.is_infinite() {
                            return Err(self.error(OUT_OF_RANGE));
                        }
                    } else {
                        f /= pow;
                    }
                    break;
                }
                None => {
                    if f == 0.0 {
                        break;
                    }
                    if exponent >= 0 {
                        return Err(self.error(OUT_OF_RANGE));
                    }
                    f /= 1e308;
                    exponent += 308;
                }
            }
        }
        Ok(float_value(if negative { -f } else { f }))
    }
}

/// A finite `f64` as a value.
fn float_value(f: f64) -> Json {
    Number::from_f64(f).map_or(Json::Null, Json::Number)
}

/// 10^`e` (at most 308) as the nearest `f64` (what the literal `1e<e>` is, and serde_json's
/// table holds), from 5^`e` computed exactly: a table of the 309 values would be 2.4 KB of the
/// module that gzip cannot shrink.
fn pow10(e: u32) -> f64 {
    // 5^e in 64-bit limbs, least significant first (5^308 has 716 bits).
    let mut limbs = [0u64; 12];
    limbs[0] = 1;
    let mut len = 1;
    for _ in 0..e {
        let mut carry = 0;
        for l in &mut limbs[..len] {
            let p = u128::from(*l) * 5 + carry;
            *l = p as u64;
            carry = p >> 64;
        }
        if carry != 0 && len < limbs.len() {
            limbs[len] = carry as u64;
            len += 1;
        }
    }
    // The top 64 bits, with a bit set at the bottom when any bit below them is (so that the
    // conversion to f64, which rounds to nearest, even on a tie, rounds as the whole would).
    let top = limbs[len - 1];
    let next = if len > 1 { limbs[len - 2] } else { 0 };
    let shift = top.leading_zeros();
    let high = if shift == 0 {
        top
    } else {
        (top << shift) | (next >> (64 - shift))
    };
    let sticky = (next << shift) != 0 || limbs[..len.saturating_sub(2)].iter().any(|&l| l != 0);
    // 10^e = 5^e * 2^e = high * 2^(bits of 5^e - 64 + e), a power of two from 2^-63 to 2^960.
    let scale = 64 * len as i32 - shift as i32 - 64 + e as i32;
    (high | u64::from(sticky)) as f64 * f64::from_bits(((1023 + scale) as u64) << 52)
}

#[cfg(test)]
mod tests;
