//! # davkit-formats: iCalendar and vCard, usable alone
//!
//! The content formats under davkit, as a crate of their own: any Rust app that reads or writes
//! calendars and contacts can use it without the DAV side (no HTTP, no XML, no sync state; it
//! does not depend on `davkit`). Like the core it is sans-IO: no files, sockets or clock are
//! touched, and it builds for `wasm32-unknown-unknown`.
//!
//! - [`contentline`]: the lossless layer (RFC 5545 §3.1, RFC 6350 §3.3): unfolding, content
//!   lines, parameters and components kept byte for byte, folded writing.
//! - [`icalendar`]: calendars, events, to-dos and journals (RFC 5545, RFC 7986) with typed
//!   accessors and setters, alarms, attendees, recurrence expansion in a window with time
//!   zones, and the edits of a series (override or cancel one occurrence, split a series).
//! - [`vcard`]: vCard 4.0, 3.0 and 2.1 (RFC 6350, RFC 2426) with typed accessors and setters
//!   and 3.0 <-> 4.0 conversion.
//! - [`base64`]: RFC 4648's standard and URL-safe alphabets (vCard inline data, HTTP Basic
//!   credentials, PKCE).
//!
//! Unknown properties, parameters and components survive an edit untouched. Every parse is
//! bounded ([`contentline::ParseLimits`], [`icalendar::ExpandOptions`]): bad input gives a
//! typed error, never a panic.
//!
//! davkit (the CalDAV/CardDAV client core) depends on this crate and re-exports its modules
//! as `davkit::contentline`, `davkit::icalendar` and `davkit::vcard`, so the same types come
//! through either path.
//!
//! ```
//! use davkit_formats::icalendar::{Calendar, ExpandOptions};
//! use davkit_formats::vcard::VCard;
//!
//! let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//example//EN\r\n\
//! BEGIN:VEVENT\r\nUID:yoga@example.com\r\nDTSTAMP:20250101T000000Z\r\n\
//! DTSTART:20250106T180000Z\r\nDURATION:PT1H\r\nSUMMARY:Yoga\r\n\
//! RRULE:FREQ=WEEKLY;COUNT=4\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
//! let cal = Calendar::parse(ics)?;
//! let window = ("2025-01-01T00:00:00Z".parse()?, "2025-02-01T00:00:00Z".parse()?);
//! let expanded = cal.expand(window, &ExpandOptions::default())?;
//! assert_eq!(expanded.occurrences.len(), 4);
//! assert_eq!(expanded.occurrences[3].start_utc.to_string(), "2025-01-27T18:00:00Z");
//!
//! let card = VCard::parse("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann Example\r\nEND:VCARD\r\n")?;
//! assert_eq!(card.full_name().as_deref(), Some("Ann Example"));
//! assert!(card.to_v4().to_vcf().contains("VERSION:4.0\r\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Features
//!
//! - `bundled-tzdb` (default): the IANA time zone database compiled in (jiff's bundle), for
//!   TZIDs that come without a VTIMEZONE. Without it (a smaller wasm), such zones come from
//!   [`icalendar::set_zone_source`], or times fall back to floating time with a warning.
//! - `uniffi`: uniffi derives on the plain records and enums (summaries, alarms, vCard values),
//!   in the uniffi namespace `davkit_formats`, for davkit's mobile bindings.

// The uniffi scaffolding of the plain data types (namespace `davkit_formats`), only with the
// `uniffi` feature that the mobile bindings turn on (through davkit's `uniffi` feature).
#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!("davkit_formats");

pub mod base64;
pub mod contentline;
pub mod icalendar;
pub mod quoted;
pub mod vcard;

/// The date-time crate behind recurrence expansion and zoned times, re-exported so callers use
/// the same version (`davkit_formats::jiff::Timestamp` for expansion windows).
pub use jiff;
