//! vCard: RFC 6350 §6 (vCard 4.0 properties) and RFC 2426 §3 (vCard 3.0), with 3.0 <-> 4.0
//! conversion.
//!
//! [`VCard`] owns the lossless [`Component`] from [`crate::contentline`]; getters read from it,
//! setters write into it, and everything not modelled (X- properties, Apple `item1.X-ABLabel`
//! groups, unknown parameters) is kept as written. Quoted-printable values (vCard 2.1, and
//! 3.0 as some exporters write it) are the one thing decoded when a card is read, to the text
//! they encode (`quoted_printable`): neither 3.0 nor 4.0 allows them.
//!
//! Every getter, [`VCard::to_summary`] and the 3.0 <-> 4.0 conversion are linear in the card:
//! duplicate TYPE values and groups are found through sets, and the Apple `X-ABLabel` of each
//! group is looked up in a map built once per call.
//!
//! ```
//! use davkit_formats::vcard::VCard;
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
//! # Ok::<(), davkit_formats::vcard::Error>(())
//! ```

mod convert;
#[cfg(feature = "quoted-printable")]
mod quoted_printable;
mod read;
mod summary;
mod values;
mod write;

/// The values seen so far, for [`first_time`]: each with the order it was first seen in. The
/// one `String`-keyed map type of the formats module (no hash table code in the WebAssembly
/// module); a sorted list with an insertion per new value was quadratic (100,000 distinct TYPE
/// values in descending order: 2.5 s to read, 3.3 s to convert).
type Seen = std::collections::BTreeMap<String, usize>;

/// Adds `v` to `seen` unless it is there; true when it was not.
fn first_time(seen: &mut Seen, v: String) -> bool {
    let fresh = seen.len();
    *seen.entry(v).or_insert(fresh) == fresh
}

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::contentline::{self, Component, ParseError, Property};

pub use summary::ContactSummary;
pub use values::{Address, PartialDate, Photo, StructuredName, TypedValue};
pub(crate) use values::{b64_encode, media_type_from_3};

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
    /// Whether the text passed a size limit (more content lines than the limit, or more than
    /// 4 GiB: [`ParseError::is_limit`]) rather than being malformed.
    pub fn is_limit(&self) -> bool {
        matches!(self, Error::Parse(e) if e.is_limit())
    }
}

impl std::error::Error for Error {}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Self {
        Error::Parse(e)
    }
}

/// A version davkit reads but never writes (2.1), asked of [`VCard::to_version`]: convert to
/// 3.0 or 4.0, what servers accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnwrittenVersion(pub Version);

impl fmt::Display for UnwrittenVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.0 {
            Version::V2_1 => "2.1",
            Version::V3 => "3.0",
            Version::V4 => "4.0",
        };
        write!(
            f,
            "vCard {name} is read but never written: convert to 3.0 or 4.0"
        )
    }
}

impl std::error::Error for UnwrittenVersion {}

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

/// A vCard: the lossless component plus typed access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VCard {
    comp: Component,
}

impl VCard {
    /// Parses the first VCARD in `text`.
    pub fn parse(text: &str) -> Result<VCard, Error> {
        contentline::parse(text)?
            .into_iter()
            .find(|c| c.is("VCARD"))
            .map(VCard::read)
            .ok_or(Error::NotAVCard)
    }

    /// [`VCard::parse`] with at most
    /// [`ParseLimits::max_content_lines`](contentline::ParseLimits::max_content_lines) content
    /// lines (a [`TooManyLines`](contentline::ParseErrorKind::TooManyLines) error past it).
    pub fn parse_with_limits(
        text: &str,
        limits: impl Into<contentline::ParseLimits>,
    ) -> Result<VCard, Error> {
        contentline::parse_with_limits(text, limits)?
            .into_iter()
            .find(|c| c.is("VCARD"))
            .map(VCard::read)
            .ok_or(Error::NotAVCard)
    }

    /// Parses bytes (UTF-8 checked after unfolding).
    pub fn parse_bytes(bytes: &[u8]) -> Result<VCard, Error> {
        contentline::parse_bytes(bytes)?
            .into_iter()
            .find(|c| c.is("VCARD"))
            .map(VCard::read)
            .ok_or(Error::NotAVCard)
    }

    /// Parses every VCARD in `text` (a `.vcf` file often holds many).
    pub fn parse_all(text: &str) -> Result<Vec<VCard>, Error> {
        let cards: Vec<VCard> = contentline::parse(text)?
            .into_iter()
            .filter(|c| c.is("VCARD"))
            .map(VCard::read)
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
            .map(VCard::read)
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

    /// Wraps an existing VCARD component (its quoted-printable values decoded, as
    /// [`VCard::parse`] does).
    pub fn from_component(comp: Component) -> Result<VCard, Error> {
        if comp.is("VCARD") {
            Ok(VCard::read(comp))
        } else {
            Err(Error::NotAVCard)
        }
    }

    /// A card read: its quoted-printable values (vCard 2.1, and 3.0 as some exporters write
    /// it) decoded to the text they encode, their `ENCODING` and `CHARSET` dropped (with the
    /// `quoted-printable` feature, a default one).
    fn read(comp: Component) -> VCard {
        #[cfg(feature = "quoted-printable")]
        let comp = {
            let mut comp = comp;
            quoted_printable::decode_card(&mut comp);
            comp
        };
        VCard { comp }
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
}

#[cfg(test)]
mod tests;
