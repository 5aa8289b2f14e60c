//! [`Limits`]: the one set of bounds on what hostile or oversized input can make the core
//! hold or compute.
//!
//! Every field has a default (the constant its documentation names), and any of them can be
//! changed through [`Config::limits`](crate::Config::limits) (and the `limits` option of every
//! binding). A limit that is hit gives an [`ErrorKind::LimitExceeded`] error naming the field,
//! never a partial result that looks complete; the recurrence budgets are the exception: an
//! expansion past them returns what it found with [`Expansion::truncated`] set and
//! [`Expansion::truncation`] saying which budget ran out.
//!
//! Limits deserialise from partial JSON: fields left out keep their defaults, and an unknown
//! field is an error (so a misspelt limit is not silently ignored).
//!
//! ```
//! use davkit::{Config, Credentials, Limits};
//!
//! let mut config = Config::new("https://dav.example.com/", Credentials::None);
//! config.limits = serde_json::from_str(r#"{ "max_body_bytes": 1048576 }"#).unwrap();
//! assert_eq!(config.limits.max_body_bytes, 1 << 20);
//! assert_eq!(config.limits.max_xml_depth, davkit::xml::MAX_DEPTH);
//! ```
//!
//! [`ErrorKind::LimitExceeded`]: crate::ErrorKind::LimitExceeded
//! [`Expansion::truncated`]: crate::icalendar::Expansion::truncated
//! [`Expansion::truncation`]: crate::icalendar::Expansion::truncation

use serde::{Deserialize, Serialize};

use crate::contentline::ParseLimits;
use crate::error::{Error, ErrorKind};
use crate::icalendar::ExpandOptions;

/// The default of [`Limits::max_body_bytes`]: 64 MiB.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// The default of [`Limits::max_json_values`]: 2,000,000, the weight of about 7,600 events
/// as the Calendar API sends them (about 260 each, with three attendees; a page holds at most
/// 2,500).
pub const MAX_JSON_VALUES: usize = 2_000_000;

/// Bounds on every response, parse, expansion and operation the core runs.
///
/// `Limits::default()` holds the documented defaults. Each field says what it bounds, its
/// default and what happens when it is hit. A value of 0 refuses anything the limit counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest response body, in bytes after any `Content-Encoding` is decoded. Default
    /// [`MAX_BODY_BYTES`] (64 MiB). Checked on every response an operation receives (the one
    /// place bodies enter the core, for every transport: `fetch` and the mobile transports
    /// hand whole bodies) and while reading by the native transport, which stops decoding at
    /// the limit so a gzip bomb costs at most this much. Hit: a `LimitExceeded` error.
    pub max_body_bytes: usize,
    /// Deepest element nesting in an XML body. Default [`xml::MAX_DEPTH`](crate::xml::MAX_DEPTH)
    /// (128). Hit: a `LimitExceeded` error.
    pub max_xml_depth: usize,
    /// Most elements in one XML body. Default [`xml::MAX_ELEMENTS`](crate::xml::MAX_ELEMENTS)
    /// (1,000,000: a listing of about 160,000 members with ETags). Hit: a `LimitExceeded`
    /// error.
    pub max_xml_elements: usize,
    /// Most bytes of character data directly inside one XML element (counted before entities
    /// are resolved), and the longest attribute value. Default
    /// [`xml::MAX_TEXT_BYTES`](crate::xml::MAX_TEXT_BYTES) (16 MiB). Hit: a `LimitExceeded`
    /// error.
    pub max_xml_text_bytes: usize,
    /// Most attributes on one XML element, namespace declarations not counted. Default
    /// [`xml::MAX_ATTRIBUTES`](crate::xml::MAX_ATTRIBUTES) (256). Hit: a `LimitExceeded` error.
    pub max_xml_attributes: usize,
    /// Most namespace declarations (`xmlns`, `xmlns:p`) on one XML element. Default
    /// [`xml::MAX_NAMESPACE_DECLARATIONS`](crate::xml::MAX_NAMESPACE_DECLARATIONS) (64). Hit: a
    /// `LimitExceeded` error. The declarations of all open elements together have a fixed
    /// bound, [`xml::MAX_NAMESPACES_IN_SCOPE`](crate::xml::MAX_NAMESPACES_IN_SCOPE) (256), or
    /// this limit when it is set higher.
    pub max_xml_namespace_declarations: usize,
    /// Most `DAV:href` elements in one `DAV:response` of a multistatus. Default
    /// [`multistatus::MAX_HREFS_PER_RESPONSE`](crate::rfc4918::multistatus::MAX_HREFS_PER_RESPONSE)
    /// (10,000). Hit: a `LimitExceeded` error.
    pub max_hrefs_per_response: usize,
    /// Most content lines (after unfolding) in one iCalendar or vCard text the core parses
    /// ([`Calendar::parse_with_limits`](crate::icalendar::Calendar::parse_with_limits),
    /// [`VCard::parse_with_limits`](crate::vcard::VCard::parse_with_limits), the objects a write
    /// inspects, the parsed views bindings attach to fetched objects). Default
    /// [`contentline::MAX_LINES`](crate::contentline::MAX_LINES) (2,000,000, about a 100 MB
    /// calendar). Hit: a [`TooManyLines`](crate::contentline::ParseErrorKind::TooManyLines)
    /// parse error (`LimitExceeded` where it ends an operation).
    pub max_content_lines: usize,
    /// Most occurrences one recurrence expansion returns. Default
    /// [`icalendar::MAX_INSTANCES`](crate::icalendar::MAX_INSTANCES) (10,000). Hit: the
    /// expansion is `truncated` with the reason `max-instances`.
    pub max_instances: usize,
    /// Most steps one RRULE may take in an expansion (periods generated, days examined, starts
    /// produced, those before the window included). Default
    /// [`icalendar::MAX_ITERATIONS`](crate::icalendar::MAX_ITERATIONS) (1,000,000). Hit: the
    /// expansion is `truncated` with the reason `rule-iterations`.
    pub max_iterations: usize,
    /// Most steps of all rules together in one expansion. Default
    /// [`icalendar::MAX_TOTAL_ITERATIONS`](crate::icalendar::MAX_TOTAL_ITERATIONS)
    /// (10,000,000). Hit: the expansion is `truncated` with the reason `total-iterations`.
    pub max_total_iterations: usize,
    /// Most home sets one discovery asks for, both services together; each costs one
    /// PROPFIND. Default
    /// [`discover::MAX_HOME_SETS`](crate::ops::discover::MAX_HOME_SETS) (32). Hit: a
    /// `LimitExceeded` error.
    pub max_home_sets: usize,
    /// Most collections one discovery returns. Default
    /// [`discover::MAX_COLLECTIONS`](crate::ops::discover::MAX_COLLECTIONS) (10,000). Hit: a
    /// `LimitExceeded` error.
    pub max_collections: usize,
    /// Most pages one sync fetches: sync-collection pages after a `507` truncation, and
    /// Calendar API pages of one listing or sync. Default
    /// [`sync::MAX_PAGES`](crate::ops::sync::MAX_PAGES) (10,000). Hit: a `LimitExceeded`
    /// error; the stored sync state stays valid.
    pub max_sync_pages: usize,
    /// Most redirects one request follows. Default [`MAX_REDIRECTS`](crate::MAX_REDIRECTS)
    /// (5). Hit: a `LimitExceeded` error.
    pub max_redirects: usize,
    /// Most values in one JSON answer the core reads (a Calendar API page, event or calendar
    /// list, a free/busy or watch answer), weighed by what they cost parsed: a value (string,
    /// number, literal, array, object) 1, an object's key 2, and an object with members 12
    /// more, an array with items 2 more ([`weight_within`](crate::json_read::text::weight_within)).
    /// Default [`MAX_JSON_VALUES`] (2,000,000). Weighed by a scan before the answer is parsed:
    /// a value costs far more parsed than sent (2 bytes of `{}` are 32 bytes parsed, an object
    /// with a member a B-tree node of 600), and a 16 MiB page of hostile JSON held up to 2 GB.
    /// At the default, the costliest page measured held 137 MB, an honest one 64 MB
    /// (`scripts/bench-hostile.sh`). The token endpoint's answers are weighed within the
    /// default (error answers, read only for their reasons, within 64 KiB). Hit: a
    /// `LimitExceeded` error; a sync returns no new state, so the stored one stays valid.
    pub max_json_values: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: MAX_BODY_BYTES,
            max_xml_depth: crate::xml::MAX_DEPTH,
            max_xml_elements: crate::xml::MAX_ELEMENTS,
            max_xml_text_bytes: crate::xml::MAX_TEXT_BYTES,
            max_xml_attributes: crate::xml::MAX_ATTRIBUTES,
            max_xml_namespace_declarations: crate::xml::MAX_NAMESPACE_DECLARATIONS,
            max_hrefs_per_response: crate::rfc4918::multistatus::MAX_HREFS_PER_RESPONSE,
            max_content_lines: crate::contentline::MAX_LINES,
            max_instances: crate::icalendar::MAX_INSTANCES,
            max_iterations: crate::icalendar::MAX_ITERATIONS,
            max_total_iterations: crate::icalendar::MAX_TOTAL_ITERATIONS,
            max_home_sets: crate::ops::discover::MAX_HOME_SETS,
            max_collections: crate::ops::discover::MAX_COLLECTIONS,
            max_sync_pages: crate::ops::sync::MAX_PAGES,
            max_redirects: usize::from(crate::MAX_REDIRECTS),
            max_json_values: MAX_JSON_VALUES,
        }
    }
}

impl Limits {
    /// Expansion options with these recurrence budgets and the default zone handling, for the
    /// expansions an app or binding runs on the data of a configured client.
    pub fn expand_options(&self) -> ExpandOptions {
        ExpandOptions {
            max_instances: self.max_instances,
            max_iterations: self.max_iterations,
            max_total_iterations: self.max_total_iterations,
            ..ExpandOptions::default()
        }
    }

    /// The bounds of the XML reader.
    pub(crate) fn xml(&self) -> crate::xml::reader::Limits {
        crate::xml::reader::Limits {
            depth: self.max_xml_depth,
            elements: self.max_xml_elements,
            text_bytes: self.max_xml_text_bytes,
            attributes: self.max_xml_attributes,
            namespace_declarations: self.max_xml_namespace_declarations,
            namespaces_in_scope: crate::xml::MAX_NAMESPACES_IN_SCOPE
                .max(self.max_xml_namespace_declarations),
        }
    }

    /// The error for a body of `len` bytes when it is past [`Limits::max_body_bytes`].
    pub(crate) fn check_body(&self, len: usize) -> Result<(), Error> {
        if len > self.max_body_bytes {
            return Err(exceeded(format!(
                "the response body has {len} bytes, more than {} (Limits::max_body_bytes)",
                self.max_body_bytes
            )));
        }
        Ok(())
    }
}

/// The most bytes of a JSON answer that is a few hundred bytes when honest, read without
/// counting its values: an error answer read for its reasons (Google's `errors[].reason`; past
/// this, none) and the OAuth token endpoint's answer (past this, refused). A parsed value costs
/// many times its text, so 64 KiB hold a few MB at most.
pub(crate) const MAX_SMALL_ANSWER_BYTES: usize = 64 * 1024;

/// The error for a JSON answer that weighs more than `max` values ([`Limits::max_json_values`]).
pub(crate) fn json_values_exceeded(max: usize) -> Error {
    exceeded(format!(
        "the JSON answer weighs more than {max} values (Limits::max_json_values)"
    ))
}

/// The bound a parse of the formats takes from a client's limits, so
/// `Calendar::parse_with_limits(text, &limits)` applies [`Limits::max_content_lines`].
impl From<&Limits> for ParseLimits {
    fn from(limits: &Limits) -> Self {
        ParseLimits {
            max_content_lines: limits.max_content_lines,
        }
    }
}

/// A [`ErrorKind::LimitExceeded`] error; the message names the limit.
pub(crate) fn exceeded(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::LimitExceeded, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_json_keeps_the_defaults_and_unknown_fields_fail() {
        let l: Limits = serde_json::from_str(r#"{"max_body_bytes": 100}"#).unwrap();
        assert_eq!(l.max_body_bytes, 100);
        assert_eq!(
            Limits {
                max_body_bytes: MAX_BODY_BYTES,
                ..l
            },
            Limits::default()
        );
        let empty: Limits = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, Limits::default());
        assert!(serde_json::from_str::<Limits>(r#"{"max_body_byte": 1}"#).is_err());
        let back: Limits =
            serde_json::from_str(&serde_json::to_string(&Limits::default()).unwrap()).unwrap();
        assert_eq!(back, Limits::default());
    }

    #[test]
    fn defaults_are_the_documented_constants() {
        let l = Limits::default();
        assert_eq!(l.max_body_bytes, 64 * 1024 * 1024);
        assert_eq!(l.max_xml_depth, 128);
        assert_eq!(l.max_xml_elements, 1_000_000);
        assert_eq!(l.max_xml_text_bytes, 16 * 1024 * 1024);
        assert_eq!(l.max_xml_attributes, 256);
        assert_eq!(l.max_xml_namespace_declarations, 64);
        assert_eq!(l.max_hrefs_per_response, 10_000);
        assert_eq!(l.max_content_lines, 2_000_000);
        assert_eq!(l.max_instances, 10_000);
        assert_eq!(l.max_iterations, 1_000_000);
        assert_eq!(l.max_total_iterations, 10_000_000);
        assert_eq!(l.max_home_sets, 32);
        assert_eq!(l.max_collections, 10_000);
        assert_eq!(l.max_sync_pages, 10_000);
        assert_eq!(l.max_redirects, 5);
        assert_eq!(l.max_json_values, 2_000_000);
        let o = ExpandOptions::default();
        let from_limits = l.expand_options();
        assert_eq!(
            (o.max_instances, o.max_iterations, o.max_total_iterations),
            (
                from_limits.max_instances,
                from_limits.max_iterations,
                from_limits.max_total_iterations
            )
        );
    }

    #[test]
    fn body_check() {
        let l = Limits {
            max_body_bytes: 10,
            ..Limits::default()
        };
        assert!(l.check_body(10).is_ok());
        let e = l.check_body(11).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LimitExceeded);
        assert!(e.message().contains("max_body_bytes"));
    }
}
