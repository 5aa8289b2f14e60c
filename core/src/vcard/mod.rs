//! vCard: RFC 6350 §6 (vCard 4.0 properties) and RFC 2426 §3 (vCard 3.0), with 3.0 <-> 4.0
//! conversion.
//!
//! [`VCard`] owns the lossless [`Component`] from [`crate::contentline`]; getters read from it,
//! setters write into it, and everything not modelled (X- properties, Apple `item1.X-ABLabel`
//! groups, unknown parameters) is kept as written.
//!
//! Every getter, [`VCard::to_summary`] and the 3.0 <-> 4.0 conversion are linear in the card:
//! duplicate TYPE values and groups are found through sets, and the Apple `X-ABLabel` of each
//! group is looked up in a map built once per call.
//!
//! ```
//! use davkit::vcard::VCard;
//!
//! let text = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann Example\r\nN:Example;Ann;;;\r\n\
//! TEL;TYPE=CELL,PREF:+1 555 0100\r\nBDAY:--04-15\r\n\
//! PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQ\r\nEND:VCARD\r\n";
//! let card = VCard::parse(text)?;
//! assert_eq!(card.full_name().as_deref(), Some("Ann Example"));
//! assert_eq!(card.birthday().map(|b| (b.year, b.month, b.day)), Some((None, Some(4), Some(15))));
//!
//! let v4 = card.to_v4();
//! let out = v4.to_vcf();
//! assert!(out.contains("TEL;TYPE=cell;PREF=1:+1 555 0100\r\n"));
//! assert!(out.contains("PHOTO:data:image/jpeg;base64,/9j/4AAQ\r\n"));
//! assert!(out.contains("BDAY:--0415\r\n"));
//! # Ok::<(), davkit::vcard::Error>(())
//! ```

mod convert;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;

use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::contentline::{
    self, Component, ParseError, Property, escape_text, split_unescaped, unescape_text,
};

/// Why a vCard text could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The content lines or component structure are malformed.
    Parse(ParseError),
    /// The text holds components but no VCARD.
    NotAVCard,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Parse(e) => write!(f, "vCard: {e}"),
            Error::NotAVCard => f.write_str("vCard: no VCARD component"),
        }
    }
}

impl Error {
    /// The core [`ErrorKind`](crate::ErrorKind) for this error:
    /// [`LimitExceeded`](crate::ErrorKind::LimitExceeded) for more content lines than the
    /// limit, [`VCard`](crate::ErrorKind::VCard) otherwise.
    pub fn error_kind(&self) -> crate::ErrorKind {
        match self {
            Error::Parse(e) if e.is_limit() => crate::ErrorKind::LimitExceeded,
            _ => crate::ErrorKind::VCard,
        }
    }
}

impl std::error::Error for Error {}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Self {
        Error::Parse(e)
    }
}

/// The VERSION of a card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[cfg_attr(feature = "uniffi", uniffi(name = "VCardVersion"))]
pub enum Version {
    /// vCard 2.1 (read tolerantly, never written).
    V2_1,
    /// vCard 3.0 (RFC 2426).
    V3,
    /// vCard 4.0 (RFC 6350).
    V4,
}

/// N: the structured name (each part may hold several comma-separated values).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct StructuredName {
    /// Family names.
    pub family: String,
    /// Given names.
    pub given: String,
    /// Additional names.
    pub additional: String,
    /// Honorific prefixes.
    pub prefixes: String,
    /// Honorific suffixes.
    pub suffixes: String,
}

/// A TEL, EMAIL, URL or IMPP value with its TYPEs, preference and group.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TypedValue {
    /// The value (for TEL a leading `tel:` is removed).
    pub value: String,
    /// TYPE values, lower-cased (`pref` is reported in `pref` instead).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub types: Vec<String>,
    /// PREF (4.0) or 1 for a 3.0 `TYPE=PREF`.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub pref: Option<u8>,
    /// The group (`item1`), if any.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub group: Option<String>,
    /// The Apple `X-ABLabel` of the same group, if any.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub label: Option<String>,
}

/// ADR: a structured postal address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "uniffi", uniffi(name = "PostalAddress"))]
pub struct Address {
    /// Post office box.
    pub po_box: String,
    /// Extended address (apartment, suite).
    pub extended: String,
    /// Street address.
    pub street: String,
    /// Locality (city).
    pub locality: String,
    /// Region (state, province).
    pub region: String,
    /// Postal code.
    pub postal_code: String,
    /// Country name.
    pub country: String,
    /// TYPE values, lower-cased.
    pub types: Vec<String>,
    /// PREF.
    pub pref: Option<u8>,
    /// LABEL parameter (4.0), if any.
    pub label: Option<String>,
    /// The group, if any.
    pub group: Option<String>,
}

/// BDAY or ANNIVERSARY: a date that may lack the year (`--0415`), or free text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialDate {
    /// Year, when known.
    pub year: Option<i16>,
    /// Month, when known.
    pub month: Option<u8>,
    /// Day, when known.
    pub day: Option<u8>,
    /// The value as text when it is not a date (`VALUE=text`) or cannot be read.
    pub text: Option<String>,
}

impl PartialDate {
    /// Reads the value forms seen in 3.0 and 4.0 cards: `19850415`, `1985-04-15`, `--0415`,
    /// `--04-15`, `---15`, a date-time (its date is taken), Apple's `X-APPLE-OMIT-YEAR`.
    pub fn from_property(p: &Property) -> PartialDate {
        let raw = p.raw_value().trim();
        if p.param_value("VALUE")
            .is_some_and(|v| v.eq_ignore_ascii_case("text"))
        {
            return PartialDate {
                text: Some(unescape_text(raw).into_owned()),
                ..PartialDate::default()
            };
        }
        let mut d = PartialDate::parse(raw);
        if let (Some(omit), Some(y)) = (p.param_value("X-APPLE-OMIT-YEAR"), d.year)
            && omit.trim().parse::<i16>().ok() == Some(y)
        {
            d.year = None;
        }
        d
    }

    /// Parses a date value (see [`PartialDate::from_property`]).
    pub fn parse(raw: &str) -> PartialDate {
        let date_part = raw.split(['T', 't']).next().unwrap_or(raw);
        let num = |s: &str| -> Option<i64> {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                None
            } else {
                s.parse().ok()
            }
        };
        let (y, m, d) = if let Some(rest) = date_part.strip_prefix("---") {
            (None, None, num(rest))
        } else if let Some(rest) = date_part.strip_prefix("--") {
            let rest = rest.replace('-', "");
            (
                None,
                rest.get(0..2).and_then(num),
                rest.get(2..4).and_then(num),
            )
        } else {
            let compact = date_part.replace('-', "");
            match compact.len() {
                8 => (
                    compact.get(0..4).and_then(num),
                    compact.get(4..6).and_then(num),
                    compact.get(6..8).and_then(num),
                ),
                6 if date_part.contains('-') => (
                    compact.get(0..4).and_then(num),
                    compact.get(4..6).and_then(num),
                    None,
                ),
                4 => (compact.get(0..4).and_then(num), None, None),
                _ => (None, None, None),
            }
        };
        let month_ok = m.is_none_or(|m| (1..=12).contains(&m));
        let day_ok = d.is_none_or(|d| (1..=31).contains(&d));
        if (y.is_none() && m.is_none() && d.is_none()) || !month_ok || !day_ok {
            return PartialDate {
                text: Some(raw.to_owned()),
                ..PartialDate::default()
            };
        }
        PartialDate {
            year: y.and_then(|y| i16::try_from(y).ok()),
            month: m.map(|m| m as u8),
            day: d.map(|d| d as u8),
            text: None,
        }
    }

    /// The vCard 4.0 form: `19850415`, `--0415`, `---15`, `1985-04`, or the text.
    pub fn to_v4(&self) -> String {
        match (self.year, self.month, self.day) {
            (Some(y), Some(m), Some(d)) => format!("{y:04}{m:02}{d:02}"),
            (None, Some(m), Some(d)) => format!("--{m:02}{d:02}"),
            (None, None, Some(d)) => format!("---{d:02}"),
            (Some(y), Some(m), None) => format!("{y:04}-{m:02}"),
            (Some(y), None, None) => format!("{y:04}"),
            (None, Some(m), None) => format!("--{m:02}"),
            _ => self.text.clone().unwrap_or_default(),
        }
    }

    /// ISO 8601 text: `1985-04-15` or `--04-15` for a birthday without year.
    pub fn to_iso(&self) -> String {
        match (self.year, self.month, self.day) {
            (Some(y), Some(m), Some(d)) => format!("{y:04}-{m:02}-{d:02}"),
            (None, Some(m), Some(d)) => format!("--{m:02}-{d:02}"),
            _ => self.to_v4(),
        }
    }
}

/// PHOTO (or LOGO): inline data or a URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Photo {
    /// Inline bytes (3.0 `ENCODING=b` or a 4.0 `data:` URI).
    Inline {
        /// The media type (`image/jpeg`), when known.
        media_type: Option<String>,
        /// The decoded bytes.
        data: Vec<u8>,
    },
    /// A reference to an image elsewhere.
    Uri(String),
}

fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let cleaned: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(cleaned.as_bytes())
        .ok()
        .or_else(|| {
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(cleaned.trim_end_matches('=').as_bytes())
                .ok()
        })
}

pub(crate) fn b64_encode(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// `JPEG` -> `image/jpeg`; a value with a `/` is kept.
pub(crate) fn media_type_from_3(t: &str, kind: &str) -> String {
    if t.contains('/') {
        t.to_ascii_lowercase()
    } else {
        format!("{kind}/{}", t.to_ascii_lowercase())
    }
}

impl Photo {
    /// Reads a PHOTO/LOGO property in either version.
    pub fn from_property(p: &Property) -> Option<Photo> {
        let raw = p.raw_value().trim();
        let encoded = p
            .param_value("ENCODING")
            .is_some_and(|e| e.eq_ignore_ascii_case("b") || e.eq_ignore_ascii_case("BASE64"));
        if encoded {
            let media_type = p
                .param_value("TYPE")
                .map(|t| media_type_from_3(&t, "image"));
            return b64_decode(raw).map(|data| Photo::Inline { media_type, data });
        }
        if let Some(rest) = raw
            .get(..5)
            .filter(|s| s.eq_ignore_ascii_case("data:"))
            .and_then(|_| raw.get(5..))
        {
            let (meta, payload) = rest.split_once(',')?;
            let is_b64 = meta.to_ascii_lowercase().ends_with(";base64");
            let mt = meta
                .split(';')
                .next()
                .filter(|s| !s.is_empty())
                .map(str::to_owned);
            let data = if is_b64 {
                b64_decode(payload)?
            } else {
                payload.as_bytes().to_vec()
            };
            return Some(Photo::Inline {
                media_type: mt,
                data,
            });
        }
        if raw.is_empty() {
            return None;
        }
        Some(Photo::Uri(raw.to_owned()))
    }
}

/// A vCard: the lossless component plus typed access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VCard {
    comp: Component,
}

fn types_of(p: &Property) -> (Vec<String>, Option<u8>) {
    let mut types = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut pref = p
        .param_value("PREF")
        .and_then(|v| v.trim().parse::<u8>().ok());
    for param in p.params() {
        let is_type = param.name().eq_ignore_ascii_case("TYPE");
        let bare = param.raw_value().is_none();
        if !is_type && !bare {
            continue;
        }
        for vs in param.values() {
            // RFC 6350 examples quote a list: TYPE="voice,home"
            for v in vs.split(',') {
                let v = v.trim().to_ascii_lowercase();
                if v.is_empty() {
                    continue;
                }
                if v == "pref" {
                    pref = pref.or(Some(1));
                } else if seen.insert(v.clone()) {
                    types.push(v);
                }
            }
        }
    }
    (types, pref)
}

impl VCard {
    /// Parses the first VCARD in `text`.
    pub fn parse(text: &str) -> Result<VCard, Error> {
        contentline::parse(text)?
            .into_iter()
            .find(|c| c.is("VCARD"))
            .map(|comp| VCard { comp })
            .ok_or(Error::NotAVCard)
    }

    /// [`VCard::parse`] with at most
    /// [`Limits::max_content_lines`](crate::Limits::max_content_lines) content lines (a
    /// [`TooManyLines`](contentline::ParseErrorKind::TooManyLines) error past it).
    pub fn parse_with_limits(text: &str, limits: &crate::Limits) -> Result<VCard, Error> {
        contentline::parse_with_limits(text, limits)?
            .into_iter()
            .find(|c| c.is("VCARD"))
            .map(|comp| VCard { comp })
            .ok_or(Error::NotAVCard)
    }

    /// Parses bytes (UTF-8 checked after unfolding).
    pub fn parse_bytes(bytes: &[u8]) -> Result<VCard, Error> {
        contentline::parse_bytes(bytes)?
            .into_iter()
            .find(|c| c.is("VCARD"))
            .map(|comp| VCard { comp })
            .ok_or(Error::NotAVCard)
    }

    /// Parses every VCARD in `text` (a `.vcf` file often holds many).
    pub fn parse_all(text: &str) -> Result<Vec<VCard>, Error> {
        let cards: Vec<VCard> = contentline::parse(text)?
            .into_iter()
            .filter(|c| c.is("VCARD"))
            .map(|comp| VCard { comp })
            .collect();
        if cards.is_empty() {
            return Err(Error::NotAVCard);
        }
        Ok(cards)
    }

    /// Parses every VCARD, repairing what it can (see [`contentline::parse_lenient`]); the
    /// repairs come back beside the cards.
    pub fn parse_all_lenient(text: &str) -> Result<(Vec<VCard>, Vec<ParseError>), Error> {
        let (comps, repairs) = contentline::parse_lenient(text)?;
        let cards: Vec<VCard> = comps
            .into_iter()
            .filter(|c| c.is("VCARD"))
            .map(|comp| VCard { comp })
            .collect();
        if cards.is_empty() {
            return Err(Error::NotAVCard);
        }
        Ok((cards, repairs))
    }

    /// An empty card of this version with FN (and for 3.0 an empty N, which 3.0 requires).
    pub fn new(version: Version, full_name: &str) -> VCard {
        let mut comp = Component::new("VCARD");
        comp.push_property(Property::new(
            "VERSION",
            match version {
                Version::V4 => "4.0",
                Version::V3 => "3.0",
                Version::V2_1 => "2.1",
            },
        ));
        comp.push_property(Property::text("FN", full_name));
        if version != Version::V4 {
            comp.push_property(Property::new("N", ";;;;"));
        }
        VCard { comp }
    }

    /// Wraps an existing VCARD component.
    pub fn from_component(comp: Component) -> Result<VCard, Error> {
        if comp.is("VCARD") {
            Ok(VCard { comp })
        } else {
            Err(Error::NotAVCard)
        }
    }

    /// The lossless component.
    pub fn component(&self) -> &Component {
        &self.comp
    }

    /// The lossless component, mutable.
    pub fn component_mut(&mut self) -> &mut Component {
        &mut self.comp
    }

    /// Serialises with CRLF and 75-octet folding.
    pub fn to_vcf(&self) -> String {
        self.comp.to_string()
    }

    fn text(&self, name: &str) -> Option<Cow<'_, str>> {
        self.comp.property(name).map(Property::text_value)
    }

    fn texts(&self, name: &str) -> Vec<String> {
        self.comp
            .properties_named(name)
            .flat_map(|p| split_unescaped(p.raw_value(), ','))
            .map(|s| unescape_text(s.trim()).into_owned())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// VERSION.
    pub fn version(&self) -> Option<Version> {
        match self.comp.property("VERSION").map(|p| p.raw_value().trim()) {
            Some("4.0") => Some(Version::V4),
            Some("3.0") => Some(Version::V3),
            Some("2.1") => Some(Version::V2_1),
            _ => None,
        }
    }

    /// UID (a `urn:uuid:` prefix is kept as written).
    pub fn uid(&self) -> Option<Cow<'_, str>> {
        self.text("UID")
    }

    /// FN.
    pub fn full_name(&self) -> Option<Cow<'_, str>> {
        self.text("FN")
    }

    /// N.
    pub fn name(&self) -> Option<StructuredName> {
        let p = self.comp.property("N")?;
        let parts: Vec<String> = split_unescaped(p.raw_value(), ';')
            .into_iter()
            .map(|s| unescape_text(s).into_owned())
            .collect();
        let get = |i: usize| parts.get(i).cloned().unwrap_or_default();
        Some(StructuredName {
            family: get(0),
            given: get(1),
            additional: get(2),
            prefixes: get(3),
            suffixes: get(4),
        })
    }

    /// NICKNAME values.
    pub fn nicknames(&self) -> Vec<String> {
        self.texts("NICKNAME")
    }

    /// CATEGORIES values.
    pub fn categories(&self) -> Vec<String> {
        self.texts("CATEGORIES")
    }

    /// The first `X-ABLabel` of each group, by lower-cased group name (one pass over the card).
    fn labels(&self) -> HashMap<String, &Property> {
        let mut out = HashMap::new();
        for p in self.comp.properties() {
            if let Some(g) = p.group()
                && p.is("X-ABLabel")
            {
                out.entry(g.to_ascii_lowercase()).or_insert(p);
            }
        }
        out
    }

    fn typed(&self, name: &str, strip_tel: bool) -> Vec<TypedValue> {
        let labels = self.labels();
        let label_of = |group: Option<&str>| {
            let g = group?;
            let p = labels.get(&g.to_ascii_lowercase())?;
            Some(p.text_value().into_owned())
        };
        self.comp
            .properties_named(name)
            .map(|p| {
                let (types, pref) = types_of(p);
                let mut value = unescape_text(p.raw_value().trim()).into_owned();
                if strip_tel
                    && value
                        .get(..4)
                        .is_some_and(|s| s.eq_ignore_ascii_case("tel:"))
                {
                    value = value.get(4..).unwrap_or("").to_owned();
                }
                TypedValue {
                    value,
                    types,
                    pref,
                    group: p.group().map(str::to_owned),
                    label: label_of(p.group()),
                }
            })
            .collect()
    }

    /// TEL values.
    pub fn tels(&self) -> Vec<TypedValue> {
        self.typed("TEL", true)
    }

    /// EMAIL values.
    pub fn emails(&self) -> Vec<TypedValue> {
        self.typed("EMAIL", false)
    }

    /// URL values.
    pub fn urls(&self) -> Vec<TypedValue> {
        self.typed("URL", false)
    }

    /// ADR values.
    pub fn addresses(&self) -> Vec<Address> {
        self.comp
            .properties_named("ADR")
            .map(|p| {
                let parts: Vec<String> = split_unescaped(p.raw_value(), ';')
                    .into_iter()
                    .map(|s| unescape_text(s).into_owned())
                    .collect();
                let get = |i: usize| parts.get(i).cloned().unwrap_or_default();
                let (types, pref) = types_of(p);
                Address {
                    po_box: get(0),
                    extended: get(1),
                    street: get(2),
                    locality: get(3),
                    region: get(4),
                    postal_code: get(5),
                    country: get(6),
                    types,
                    pref,
                    label: p.param_value("LABEL").map(|l| l.into_owned()),
                    group: p.group().map(str::to_owned),
                }
            })
            .collect()
    }

    /// ORG: organisation name then units.
    pub fn org(&self) -> Option<Vec<String>> {
        let p = self.comp.property("ORG")?;
        Some(
            split_unescaped(p.raw_value(), ';')
                .into_iter()
                .map(|s| unescape_text(s).into_owned())
                .collect(),
        )
    }

    /// TITLE.
    pub fn title(&self) -> Option<Cow<'_, str>> {
        self.text("TITLE")
    }

    /// NOTE.
    pub fn note(&self) -> Option<Cow<'_, str>> {
        self.text("NOTE")
    }

    /// BDAY (a birthday may have no year).
    pub fn birthday(&self) -> Option<PartialDate> {
        self.comp.property("BDAY").map(PartialDate::from_property)
    }

    /// ANNIVERSARY.
    pub fn anniversary(&self) -> Option<PartialDate> {
        self.comp
            .property("ANNIVERSARY")
            .map(PartialDate::from_property)
    }

    /// PHOTO.
    pub fn photo(&self) -> Option<Photo> {
        self.comp.property("PHOTO").and_then(Photo::from_property)
    }

    /// REV as written.
    pub fn rev(&self) -> Option<&str> {
        self.comp.property("REV").map(|p| p.raw_value().trim())
    }

    /// KIND (4.0) or Apple's X-ADDRESSBOOKSERVER-KIND (3.0), lower-cased; `individual` when absent.
    pub fn kind(&self) -> String {
        self.comp
            .property("KIND")
            .or_else(|| self.comp.property("X-ADDRESSBOOKSERVER-KIND"))
            .map(|p| p.raw_value().trim().to_ascii_lowercase())
            .unwrap_or_else(|| "individual".into())
    }

    /// MEMBER (4.0) or X-ADDRESSBOOKSERVER-MEMBER (3.0) URIs.
    pub fn members(&self) -> Vec<String> {
        self.comp
            .properties()
            .iter()
            .filter(|p| p.is("MEMBER") || p.is("X-ADDRESSBOOKSERVER-MEMBER"))
            .map(|p| p.raw_value().trim().to_owned())
            .collect()
    }

    /// The distinct groups used by properties (`item1`, ...).
    pub fn groups(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for p in self.comp.properties() {
            if let Some(g) = p.group()
                && seen.insert(g.to_ascii_lowercase())
            {
                out.push(g);
            }
        }
        out
    }

    /// Every property of a group.
    pub fn group_properties<'a>(
        &'a self,
        group: &'a str,
    ) -> impl Iterator<Item = &'a Property> + 'a {
        self.comp
            .properties()
            .iter()
            .filter(move |p| p.group().is_some_and(|g| g.eq_ignore_ascii_case(group)))
    }

    // ---- setters: each writes into the lossless component ----

    fn set_text_prop(&mut self, name: &str, v: Option<&str>) {
        match v {
            Some(v) => match self.comp.property_mut(name) {
                Some(p) => p.set_text(v),
                None => self.comp.push_property(Property::text(name, v)),
            },
            None => {
                self.comp.remove_properties(name);
            }
        }
    }

    /// Sets UID.
    pub fn set_uid(&mut self, uid: &str) {
        self.set_text_prop("UID", Some(uid));
    }

    /// Sets FN.
    pub fn set_full_name(&mut self, v: &str) {
        self.set_text_prop("FN", Some(v));
    }

    /// Sets N.
    pub fn set_name(&mut self, n: &StructuredName) {
        let v = [&n.family, &n.given, &n.additional, &n.prefixes, &n.suffixes]
            .iter()
            .map(|s| escape_text(s).into_owned())
            .collect::<Vec<_>>()
            .join(";");
        self.comp.set_property(Property::new("N", &v));
    }

    /// Sets or removes NOTE.
    pub fn set_note(&mut self, v: Option<&str>) {
        self.set_text_prop("NOTE", v);
    }

    /// Sets or removes TITLE.
    pub fn set_title(&mut self, v: Option<&str>) {
        self.set_text_prop("TITLE", v);
    }

    /// Sets ORG (name then units) or removes it.
    pub fn set_org(&mut self, parts: Option<&[&str]>) {
        match parts {
            Some(parts) => {
                let v: Vec<String> = parts.iter().map(|s| escape_text(s).into_owned()).collect();
                self.comp.set_property(Property::new("ORG", &v.join(";")));
            }
            None => {
                self.comp.remove_properties("ORG");
            }
        }
    }

    /// Replaces NICKNAME.
    pub fn set_nicknames(&mut self, names: &[&str]) {
        self.set_list("NICKNAME", names);
    }

    /// Replaces CATEGORIES.
    pub fn set_categories(&mut self, cats: &[&str]) {
        self.set_list("CATEGORIES", cats);
    }

    fn set_list(&mut self, name: &str, items: &[&str]) {
        self.comp.remove_properties(name);
        if !items.is_empty() {
            let v: Vec<String> = items.iter().map(|s| escape_text(s).into_owned()).collect();
            self.comp.push_property(Property::new(name, &v.join(",")));
        }
    }

    fn add_typed(&mut self, name: &str, v: &TypedValue) {
        let v4 = self.version() == Some(Version::V4);
        let mut p = Property::text(name, &v.value);
        if let Some(g) = &v.group {
            p.set_group(Some(g));
        }
        let mut types: Vec<String> = v
            .types
            .iter()
            .map(|t| {
                if v4 {
                    t.to_ascii_lowercase()
                } else {
                    t.to_ascii_uppercase()
                }
            })
            .collect();
        if !v4 && v.pref.is_some() {
            types.push("PREF".into());
        }
        if !types.is_empty() {
            let refs: Vec<&str> = types.iter().map(String::as_str).collect();
            p.set_param("TYPE", &refs);
        }
        if v4 && let Some(n) = v.pref {
            p.set_param("PREF", &[&n.to_string()]);
        }
        self.comp.push_property(p);
    }

    /// Adds a TEL.
    pub fn add_tel(&mut self, v: &TypedValue) {
        self.add_typed("TEL", v);
    }

    /// Adds an EMAIL.
    pub fn add_email(&mut self, v: &TypedValue) {
        self.add_typed("EMAIL", v);
    }

    /// Adds a URL.
    pub fn add_url(&mut self, v: &TypedValue) {
        self.add_typed("URL", v);
    }

    /// Removes every property with this name (e.g. `TEL`) and returns how many went.
    pub fn remove_all(&mut self, name: &str) -> usize {
        self.comp.remove_properties(name)
    }

    /// Sets or removes BDAY, in the form of this card's version.
    pub fn set_birthday(&mut self, d: Option<&PartialDate>) {
        match d {
            Some(d) => {
                let v = if self.version() == Some(Version::V4) {
                    d.to_v4()
                } else {
                    d.to_iso()
                };
                self.comp.set_property(Property::new("BDAY", &v));
            }
            None => {
                self.comp.remove_properties("BDAY");
            }
        }
    }

    /// Sets or removes PHOTO, in the form of this card's version.
    pub fn set_photo(&mut self, photo: Option<&Photo>) {
        self.comp.remove_properties("PHOTO");
        let Some(photo) = photo else { return };
        let v4 = self.version() == Some(Version::V4);
        let p = match photo {
            Photo::Uri(u) if v4 => Property::new("PHOTO", u),
            Photo::Uri(u) => {
                let mut p = Property::new("PHOTO", u);
                p.set_param("VALUE", &["uri"]);
                p
            }
            Photo::Inline { media_type, data } if v4 => Property::new(
                "PHOTO",
                &format!(
                    "data:{};base64,{}",
                    media_type.as_deref().unwrap_or("application/octet-stream"),
                    b64_encode(data)
                ),
            ),
            Photo::Inline { media_type, data } => {
                let mut p = Property::new("PHOTO", &b64_encode(data));
                p.set_param("ENCODING", &["b"]);
                if let Some(mt) = media_type {
                    let sub = mt.rsplit('/').next().unwrap_or(mt).to_ascii_uppercase();
                    p.set_param("TYPE", &[&sub]);
                }
                p
            }
        };
        self.comp.push_property(p);
    }

    /// Sets REV.
    pub fn set_rev(&mut self, rev: &str) {
        self.comp.set_property(Property::new("REV", rev));
    }

    /// Sets KIND (4.0) or X-ADDRESSBOOKSERVER-KIND (3.0).
    pub fn set_kind(&mut self, kind: &str) {
        let name = if self.version() == Some(Version::V4) {
            "KIND"
        } else {
            "X-ADDRESSBOOKSERVER-KIND"
        };
        self.comp.set_property(Property::new(name, kind));
    }

    /// Adds a MEMBER (4.0) or X-ADDRESSBOOKSERVER-MEMBER (3.0).
    pub fn add_member(&mut self, uri: &str) {
        let name = if self.version() == Some(Version::V4) {
            "MEMBER"
        } else {
            "X-ADDRESSBOOKSERVER-MEMBER"
        };
        self.comp.push_property(Property::new(name, uri));
    }

    /// A plain summary for serde.
    pub fn to_summary(&self) -> ContactSummary {
        ContactSummary {
            version: self.version(),
            uid: self.uid().map(|s| s.into_owned()),
            full_name: self.full_name().map(|s| s.into_owned()),
            name: self.name(),
            nicknames: self.nicknames(),
            emails: self.emails(),
            tels: self.tels(),
            addresses: self.addresses(),
            org: self.org(),
            title: self.title().map(|s| s.into_owned()),
            birthday: self.birthday().map(|b| b.to_iso()),
            note: self.note().map(|s| s.into_owned()),
            urls: self.urls(),
            categories: self.categories(),
            kind: self.kind(),
            members: self.members(),
            photo_uri: match self.photo() {
                Some(Photo::Uri(u)) => Some(u),
                _ => None,
            },
            has_photo: self.comp.property("PHOTO").is_some(),
            rev: self.rev().map(str::to_owned),
        }
    }
}

/// The fields most apps show for a contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ContactSummary {
    /// VERSION.
    pub version: Option<Version>,
    /// UID.
    pub uid: Option<String>,
    /// FN.
    pub full_name: Option<String>,
    /// N.
    pub name: Option<StructuredName>,
    /// NICKNAME.
    pub nicknames: Vec<String>,
    /// EMAIL.
    pub emails: Vec<TypedValue>,
    /// TEL.
    pub tels: Vec<TypedValue>,
    /// ADR.
    pub addresses: Vec<Address>,
    /// ORG.
    pub org: Option<Vec<String>>,
    /// TITLE.
    pub title: Option<String>,
    /// BDAY as ISO text (`--04-15` without year).
    pub birthday: Option<String>,
    /// NOTE.
    pub note: Option<String>,
    /// URL.
    pub urls: Vec<TypedValue>,
    /// CATEGORIES.
    pub categories: Vec<String>,
    /// KIND.
    pub kind: String,
    /// MEMBER.
    pub members: Vec<String>,
    /// PHOTO when it is a URI.
    pub photo_uri: Option<String>,
    /// True when the card has a PHOTO (inline data is not copied here).
    pub has_photo: bool,
    /// REV.
    pub rev: Option<String>,
}

#[cfg(test)]
mod tests;
