//! OAuth 2.0 with PKCE (RFC 6749, RFC 7636) for JS over the core's `oauth` module: the
//! authorization URL, the code exchange and refreshes sent through the JS `fetch`
//! ([`FetchTransport`]), and the core's `RefreshingTokens` as [`TokenRefresher`]. Nothing is
//! decided here. The objects are opaque to JS; the wrapper (`npm/src/edit.js`) keeps them in
//! private fields so that printing them shows no secret.

use std::rc::Rc;

use davkit::oauth;
use davkit::{HttpRequest, TokenProvider};
use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use crate::promise::spawn;
use crate::{FetchTransport, convert};

fn js<T>(r: davkit::Result<T>) -> Result<T, JsValue> {
    r.map_err(|e| convert::error(&e))
}

/// A PKCE verifier and its S256 challenge.
#[wasm_bindgen(js_name = PkceCore)]
pub struct Pkce(oauth::Pkce);

#[wasm_bindgen(js_class = PkceCore)]
impl Pkce {
    /// A verifier from 32 to 96 random bytes (`crypto.getRandomValues`).
    #[wasm_bindgen(js_name = fromRandomBytes)]
    pub fn from_random_bytes(bytes: &[u8]) -> Result<Pkce, JsValue> {
        Ok(Pkce(js(oauth::Pkce::from_random_bytes(bytes))?))
    }

    /// A verifier given as text (43 to 128 unreserved characters).
    #[wasm_bindgen(js_name = fromVerifier)]
    pub fn from_verifier(verifier: &str) -> Result<Pkce, JsValue> {
        Ok(Pkce(js(oauth::Pkce::from_verifier(verifier))?))
    }

    /// The verifier.
    pub fn verifier(&self) -> String {
        self.0.verifier().to_owned()
    }

    /// `BASE64URL(SHA256(verifier))`.
    pub fn challenge(&self) -> String {
        self.0.challenge()
    }
}

/// What the token endpoint returned.
#[wasm_bindgen(js_name = OAuthTokensCore)]
pub struct OAuthTokens(oauth::TokenResponse);

#[wasm_bindgen(js_class = OAuthTokensCore)]
impl OAuthTokens {
    /// The access token.
    #[wasm_bindgen(js_name = accessToken)]
    pub fn access_token(&self) -> String {
        self.0.access_token.clone()
    }

    /// The refresh token (on the first exchange).
    #[wasm_bindgen(js_name = refreshToken)]
    pub fn refresh_token(&self) -> Option<String> {
        self.0.refresh_token.clone()
    }

    /// Seconds until the access token expires, as the server said.
    #[wasm_bindgen(js_name = expiresIn)]
    pub fn expires_in(&self) -> Option<f64> {
        self.0.expires_in.map(|s| s as f64)
    }

    /// The scopes granted, space-separated.
    pub fn scope(&self) -> Option<String> {
        self.0.scope.clone()
    }
}

/// An OAuth client registration.
#[wasm_bindgen(js_name = OAuthClientCore)]
pub struct OAuthClient(oauth::OAuthClient);

/// The transport for token requests: the JS `fetch` (and `sleep`, unused by these requests).
/// Browsers do not send `User-Agent`. A redirect is never followed, in a browser either: `fetch`
/// would post the form again to wherever it led (a refresh token or an authorization code with
/// its PKCE verifier, and the client secret), on another origin too. A token endpoint answers
/// without redirecting; a redirect is an error (an opaque answer in a browser, a 3xx elsewhere).
fn transport(fetch: Function, sleep: Function, browser: bool) -> FetchTransport {
    FetchTransport::new(fetch, sleep, browser, false)
}

async fn send(transport: FetchTransport, request: HttpRequest) -> davkit::Result<JsValue> {
    let tokens = oauth::send_token_request(&transport, request).await?;
    Ok(OAuthTokens(tokens).into())
}

#[wasm_bindgen(js_class = OAuthClientCore)]
impl OAuthClient {
    /// Google's endpoints for an installed app.
    pub fn google(client_id: String, redirect_uri: String) -> OAuthClient {
        OAuthClient(oauth::OAuthClient::google(client_id, redirect_uri))
    }

    /// Any provider's endpoints; `client_secret` only for a confidential client.
    #[wasm_bindgen(constructor)]
    pub fn new(
        client_id: String,
        redirect_uri: String,
        auth_url: String,
        token_url: String,
        client_secret: Option<String>,
    ) -> OAuthClient {
        OAuthClient(oauth::OAuthClient::new(
            client_id,
            redirect_uri,
            auth_url,
            token_url,
            client_secret,
        ))
    }

    /// The URL to open in the browser.
    #[wasm_bindgen(js_name = authorizationUrl)]
    pub fn authorization_url(&self, scopes: Vec<String>, pkce: &Pkce, state: &str) -> String {
        let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
        self.0.authorization_url(&scopes, &pkce.0, state)
    }

    /// Trades the code for tokens; resolves to an `OAuthTokensCore`.
    #[wasm_bindgen(js_name = exchangeCode)]
    pub fn exchange_code(
        &self,
        fetch: Function,
        sleep: Function,
        browser: bool,
        code: &str,
        pkce: &Pkce,
    ) -> Promise {
        let request = self.0.exchange_code_request(code, &pkce.0);
        spawn(Box::pin(send(transport(fetch, sleep, browser), request)))
    }

    /// Trades a refresh token for a fresh access token; resolves to an `OAuthTokensCore`.
    pub fn refresh(
        &self,
        fetch: Function,
        sleep: Function,
        browser: bool,
        refresh_token: &str,
    ) -> Promise {
        let request = self.0.refresh_request(refresh_token);
        spawn(Box::pin(send(transport(fetch, sleep, browser), request)))
    }

    /// The core's refreshing token provider for a stored refresh token.
    #[wasm_bindgen(js_name = tokenProvider)]
    pub fn token_provider(
        &self,
        fetch: Function,
        sleep: Function,
        browser: bool,
        refresh_token: String,
        access_token: Option<String>,
    ) -> TokenRefresher {
        let mut tokens = oauth::RefreshingTokens::new(
            self.0.clone(),
            transport(fetch, sleep, browser),
            refresh_token,
        );
        if let Some(token) = access_token {
            tokens = tokens.with_access_token(token);
        }
        TokenRefresher(Rc::new(tokens))
    }
}

/// The core's `RefreshingTokens` over `fetch`.
#[wasm_bindgen(js_name = TokenRefresherCore)]
pub struct TokenRefresher(Rc<oauth::RefreshingTokens<FetchTransport>>);

#[wasm_bindgen(js_class = TokenRefresherCore)]
impl TokenRefresher {
    /// The access token (a fresh one with `force_refresh`); resolves to a string.
    pub fn token(&self, force_refresh: bool) -> Promise {
        let tokens = self.0.clone();
        spawn(Box::pin(async move {
            Ok(JsValue::from(tokens.token(force_refresh).await?))
        }))
    }
}
