//! The app's `auth` function as the core's `TokenProvider`: the core asks it before each
//! operation and again with `{ refresh: true }` after a 401, then runs the operation once more
//! (`DavClient::with_tokens`, the same rule as every other binding's token provider). Nothing
//! here decides when to ask or whether to retry; it converts the question and the answer.

use davkit::{Credentials, Error, ErrorKind, Result, TokenProvider};
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use crate::read;

/// `(context: { refresh }) => Promise<credentials>`: the npm wrapper's adapter around the app's
/// `auth` function, which answers in the shape of the client options' `credentials`
/// (`{ basic }`, `{ digest }` or `{ bearer }`).
#[derive(Debug)]
pub(crate) struct JsTokens(Function);

impl JsTokens {
    /// The provider `function` (`None` for `undefined` or `null`: static credentials).
    pub(crate) fn new(function: Option<Function>) -> Option<JsTokens> {
        function.map(JsTokens)
    }
}

impl TokenProvider for JsTokens {
    /// The Bearer token the provider gave (other credentials are refused here; the client
    /// asks for [`credentials`](TokenProvider::credentials)).
    async fn token(&self, force_refresh: bool) -> Result<String> {
        match self.credentials(force_refresh).await? {
            Credentials::Bearer { token } => Ok(token),
            _ => Err(Error::new(
                ErrorKind::InvalidInput,
                "the auth provider gave credentials that are not a token",
            )),
        }
    }

    async fn credentials(&self, force_refresh: bool) -> Result<Credentials> {
        let context = Object::new();
        crate::convert::set(&context, "refresh", &JsValue::from_bool(force_refresh));
        let called = self
            .0
            .call1(&JsValue::UNDEFINED, &context)
            .map_err(|e| provider_error(&e))?;
        let answer = JsFuture::from(Promise::resolve(&called))
            .await
            .map_err(|e| provider_error(&e))?;
        let v = read::value(&answer);
        if v.is_null() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "the auth provider answered no credentials",
            ));
        }
        crate::client::credentials_in("auth provider answer", &v)
    }
}

/// What the provider threw: a `DavError` (the package's own `OAuthClient.tokenProvider`, or
/// one the app threw) keeps its kind and message; anything else is `Unauthorized`, naming its
/// message.
fn provider_error(e: &JsValue) -> Error {
    let text = |key: &str| {
        Reflect::get(e, &JsValue::from_str(key))
            .ok()
            .and_then(|v| v.as_string())
    };
    let message = crate::transport::js_message(e);
    match text("kind").as_deref().and_then(ErrorKind::from_name) {
        Some(kind) => {
            // A DavError's message starts with its kind ("Unauthorized: ..."): said once.
            let prefix = format!("{}: ", kind.as_str());
            let message = message.strip_prefix(&prefix).unwrap_or(&message);
            Error::new(kind, message)
        }
        None => Error::new(
            ErrorKind::Unauthorized,
            format!("the auth provider failed: {message}"),
        ),
    }
}
