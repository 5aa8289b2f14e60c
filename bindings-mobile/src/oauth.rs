//! OAuth 2.0 with PKCE (RFC 6749, RFC 7636) over the core's `oauth` module: the authorization
//! URL, the code exchange and refreshes, sent through the app's [`HttpTransport`], and a
//! [`TokenProvider`] that refreshes by itself. Everything that holds a secret (the client
//! secret, the PKCE verifier, tokens) is an opaque object that prints redacted.

use std::sync::Arc;

use davkit::oauth;

use crate::error::DavError;
use crate::http::HttpRequest;
use crate::transport::{ForeignTransport, HttpTransport, TokenProvider};

/// A PKCE code verifier and its S256 challenge. Opaque: prints `Pkce { verifier: <redacted> }`.
#[derive(Clone, PartialEq, Eq, uniffi::Object)]
#[uniffi::export(Debug, Display)]
pub struct Pkce(oauth::Pkce);

print_as_core!(Pkce);

#[uniffi::export]
impl Pkce {
    /// A verifier from 32 to 96 random bytes from the platform's secure source
    /// (`SecureRandom`, `SecRandomCopyBytes`, `secrets.token_bytes(32)`).
    #[uniffi::constructor]
    pub fn from_random_bytes(bytes: Vec<u8>) -> Result<Arc<Self>, DavError> {
        Ok(Arc::new(Pkce(oauth::Pkce::from_random_bytes(&bytes)?)))
    }

    /// A verifier given as text (43 to 128 characters of `A-Z a-z 0-9 - . _ ~`), e.g. one the
    /// app stored while the user was in the browser.
    #[uniffi::constructor]
    pub fn from_verifier(verifier: String) -> Result<Arc<Self>, DavError> {
        Ok(Arc::new(Pkce(oauth::Pkce::from_verifier(&verifier)?)))
    }

    /// The verifier (keep it secret; store it only until the code exchange).
    pub fn verifier(&self) -> String {
        self.0.verifier().to_owned()
    }

    /// `BASE64URL(SHA256(verifier))`, the S256 challenge.
    pub fn challenge(&self) -> String {
        self.0.challenge()
    }
}

/// What the token endpoint returned. Opaque: the tokens are read with `accessToken()` and
/// `refreshToken()`, and printing it hides both.
#[derive(Clone, PartialEq, Eq, uniffi::Object)]
#[uniffi::export(Debug, Display)]
pub struct OAuthTokens(oauth::TokenResponse);

print_as_core!(OAuthTokens);

#[uniffi::export]
impl OAuthTokens {
    /// The access token (for `Credentials.bearer`, or let `tokenProvider` handle it).
    pub fn access_token(&self) -> String {
        self.0.access_token.clone()
    }

    /// The refresh token: store it in the platform's keychain. Only on the first exchange.
    pub fn refresh_token(&self) -> Option<String> {
        self.0.refresh_token.clone()
    }

    /// Seconds until the access token expires, as the server said.
    pub fn expires_in(&self) -> Option<u64> {
        self.0.expires_in
    }

    /// The scopes granted, space-separated.
    pub fn scope(&self) -> Option<String> {
        self.0.scope.clone()
    }
}

/// An OAuth client registration. Opaque: prints with the client secret redacted.
#[derive(uniffi::Object)]
#[uniffi::export(Debug, Display)]
pub struct OAuthClient(oauth::OAuthClient);

print_as_core!(OAuthClient);

/// The core's transport over the app's, for the token requests.
fn transport(http: Arc<dyn HttpTransport>) -> ForeignTransport {
    ForeignTransport {
        http,
        sleeper: None,
    }
}

#[uniffi::export]
impl OAuthClient {
    /// Google's endpoints, for an installed app's client id and its redirect URI (a loopback
    /// address or the app's custom scheme).
    #[uniffi::constructor]
    pub fn google(client_id: String, redirect_uri: String) -> Arc<Self> {
        Arc::new(OAuthClient(oauth::OAuthClient::google(
            client_id,
            redirect_uri,
        )))
    }

    /// Any provider's endpoints. `client_secret` only for a confidential (server-side) client.
    #[uniffi::constructor(default(client_secret = None))]
    pub fn new(
        client_id: String,
        redirect_uri: String,
        auth_url: String,
        token_url: String,
        client_secret: Option<String>,
    ) -> Arc<Self> {
        Arc::new(OAuthClient(oauth::OAuthClient::new(
            client_id,
            redirect_uri,
            auth_url,
            token_url,
            client_secret,
        )))
    }

    /// The URL to open in the browser: the scopes, the PKCE challenge and `state` (a random
    /// value the app checks when the user comes back).
    pub fn authorization_url(&self, scopes: Vec<String>, pkce: Arc<Pkce>, state: String) -> String {
        let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
        self.0.authorization_url(&scopes, &pkce.0, &state)
    }

    /// The code-exchange request, for an app that sends it itself (then `parseTokenResponse`).
    pub fn exchange_code_request(&self, code: String, pkce: Arc<Pkce>) -> Arc<HttpRequest> {
        HttpRequest::from_core(self.0.exchange_code_request(&code, &pkce.0))
    }

    /// The refresh request, for an app that sends it itself (then `parseTokenResponse`).
    pub fn refresh_request(&self, refresh_token: String) -> Arc<HttpRequest> {
        HttpRequest::from_core(self.0.refresh_request(&refresh_token))
    }

    /// Reads the token endpoint's answer to a request above (`url` is the request's).
    pub fn parse_token_response(
        &self,
        url: String,
        response: crate::http::HttpResponse,
    ) -> Result<Arc<OAuthTokens>, DavError> {
        let tokens = oauth::parse_token_response(&url, &response.into())?;
        Ok(Arc::new(OAuthTokens(tokens)))
    }

    /// Trades the code the redirect brought back for tokens, through the app's transport.
    pub async fn exchange_code(
        &self,
        transport: Arc<dyn HttpTransport>,
        code: String,
        pkce: Arc<Pkce>,
    ) -> Result<Arc<OAuthTokens>, DavError> {
        let request = self.0.exchange_code_request(&code, &pkce.0);
        send_token_request(transport, request).await
    }

    /// Trades a refresh token for a fresh access token, through the app's transport.
    pub async fn refresh(
        &self,
        transport: Arc<dyn HttpTransport>,
        refresh_token: String,
    ) -> Result<Arc<OAuthTokens>, DavError> {
        let request = self.0.refresh_request(&refresh_token);
        send_token_request(transport, request).await
    }

    /// A `TokenProvider` for `DavClient` that refreshes with the stored refresh token when it
    /// has no access token or a 401 asks for a new one (the core's `RefreshingTokens`).
    #[uniffi::method(default(access_token = None))]
    pub fn token_provider(
        &self,
        transport: Arc<dyn HttpTransport>,
        refresh_token: String,
        access_token: Option<String>,
    ) -> Arc<dyn TokenProvider> {
        let mut tokens =
            oauth::RefreshingTokens::new(self.0.clone(), self::transport(transport), refresh_token);
        if let Some(token) = access_token {
            tokens = tokens.with_access_token(token);
        }
        Arc::new(Refreshing(tokens))
    }
}

async fn send_token_request(
    http: Arc<dyn HttpTransport>,
    request: davkit::HttpRequest,
) -> Result<Arc<OAuthTokens>, DavError> {
    let tokens = oauth::send_token_request(&transport(http), request).await?;
    Ok(Arc::new(OAuthTokens(tokens)))
}

/// The core's refreshing provider, offered to the app as a [`TokenProvider`].
struct Refreshing(oauth::RefreshingTokens<ForeignTransport>);

#[async_trait::async_trait]
impl TokenProvider for Refreshing {
    async fn token(&self, force_refresh: bool) -> Result<String, DavError> {
        Ok(davkit::TokenProvider::token(&self.0, force_refresh).await?)
    }
}
