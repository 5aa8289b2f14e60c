//! # davkit-mobile: uniffi bindings of davkit for Kotlin, Swift and Python
//!
//! A thin layer over the core's [`davkit::DavClient`]: the app implements [`HttpTransport`]
//! (one async `send(request) -> response`) with its own HTTP stack, and [`DavClient`] offers
//! one async method per operation. Every method converts its arguments, calls the core and
//! converts the result or the error ([`DavError`]); there is no DAV logic here and no async
//! runtime: the foreign language's executor polls the futures.
//!
//! Parsed content: [`parse_events`], [`expand_events`], [`parse_contact`],
//! [`parse_contacts`] and [`convert_contact`] expose the core's iCalendar and vCard views;
//! [`EventEditor`] and [`ContactEditor`] its edits (one occurrence overridden or cancelled, a
//! series split, vCard 3.0 <-> 4.0), and [`OAuthClient`] with [`Pkce`] its OAuth 2.0 flow.
//!
//! Generate the bindings with the workspace's `uniffi-bindgen` from the unstripped library:
//! `target/debug/uniffi-bindgen generate --library target/debug/libdavkit_mobile.so
//! --language kotlin --out-dir OUT` (also `swift`, `python`); see `bindings-mobile/README.md`.

uniffi::setup_scaffolding!();

/// `Debug` and `Display` of an opaque object around a core value: both print the core's
/// `Debug`, which hides the secrets it holds (passwords, tokens, verifiers, client secrets,
/// secret headers). Written once so that no object prints its own way.
///
/// `print_as_core!(Record => core::Type)` does the same for a record that mirrors a core type:
/// it prints a copy converted to the core's type.
macro_rules! print_as_core {
    ($record:ty => $core:ty) => {
        impl std::fmt::Debug for $record {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(&<$core>::from(self.clone()), f)
            }
        }

        impl std::fmt::Display for $record {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(self, f)
            }
        }
    };
    ($wrapper:ty) => {
        impl std::fmt::Debug for $wrapper {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(&self.0, f)
            }
        }

        impl std::fmt::Display for $wrapper {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(&self.0, f)
            }
        }
    };
}

mod client;
mod content;
mod edit;
mod error;
mod gcal;
mod http;
#[cfg(feature = "reqwest")]
mod native;
mod oauth;
mod queue;
mod schedule;
mod transport;
mod types;

pub use client::DavClient;
pub use content::*;
pub use edit::{ContactEditor, EventEditor, EventTarget, EventTime};
pub use error::DavError;
pub use gcal::*;
pub use http::{Credentials, HttpHeader, HttpRequest, HttpResponse};
#[cfg(feature = "reqwest")]
pub use native::{reqwest_sleeper, reqwest_transport};
pub use oauth::{OAuthClient, OAuthTokens, Pkce};
pub use schedule::*;
pub use transport::HttpTransport;
pub use types::*;

/// The version of davkit these bindings were built from.
#[uniffi::export]
pub fn davkit_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
