//! The typed values of a vCard (RFC 6350 §6, RFC 2426 §3): N, TEL/EMAIL/URL with their TYPEs,
//! ADR, dates with missing parts, and PHOTO as inline data or a URI.

use serde::{Deserialize, Serialize};

use crate::contentline::{Property, unescape_text};

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
    crate::base64::decode(&cleaned)
}

pub(crate) fn b64_encode(data: &[u8]) -> String {
    crate::base64::encode(data)
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
