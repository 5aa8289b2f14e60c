//! OAuth 2.0 for Google's CalDAV and CardDAV APIs, sans-IO: the authorization code flow
//! (RFC 6749 §4.1) with PKCE S256 (RFC 7636) for installed and browser apps (RFC 8252), the
//! code exchange and refresh requests as [`HttpRequest`]s, their responses parsed, and a
//! [`TokenProvider`] that refreshes after a 401.
//!
//! No client secret is needed for installed and browser apps; the PKCE verifier's randomness
//! comes from the caller (the core has no randomness).

use std::fmt;
use std::sync::Mutex;

use crate::json_read::Json;
use serde::Deserialize;

use crate::client::TokenProvider;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{HttpRequest, HttpResponse, Method, RequestId};
use crate::json_read::{Fields, Read};
use crate::op::Transport;

/// Google's authorization endpoint.
pub const GOOGLE_AUTH_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
/// Google's token endpoint.
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
/// The scope for Google Calendar over CalDAV.
pub const SCOPE_CALENDAR: &str = "https://www.googleapis.com/auth/calendar";
/// The scope for Google Contacts over CardDAV.
pub const SCOPE_CARDDAV: &str = "https://www.googleapis.com/auth/carddav";

/// An OAuth client registration (Google Cloud "Desktop app" or "Web application" client).
#[derive(Clone)]
pub struct OAuthClient {
    /// The client id.
    pub client_id: String,
    /// Only for confidential (server-side) clients; installed and browser apps use PKCE alone.
    pub client_secret: Option<String>,
    /// Where the authorization server sends the user back (loopback or custom scheme).
    pub redirect_uri: String,
    /// The authorization endpoint.
    pub auth_url: String,
    /// The token endpoint.
    pub token_url: String,
}

impl fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClient")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("redirect_uri", &self.redirect_uri)
            .field("auth_url", &self.auth_url)
            .field("token_url", &self.token_url)
            .finish()
    }
}

/// A PKCE code verifier and its S256 challenge (RFC 7636 §4.1-4.2).
#[derive(Clone, PartialEq, Eq)]
pub struct Pkce {
    verifier: String,
}

impl fmt::Debug for Pkce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pkce { verifier: <redacted> }")
    }
}

impl Pkce {
    /// A verifier from 32 to 96 random bytes the caller draws from a secure source.
    pub fn from_random_bytes(bytes: &[u8]) -> Result<Pkce> {
        if !(32..=96).contains(&bytes.len()) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "a PKCE verifier needs 32 to 96 random bytes",
            ));
        }
        Ok(Pkce {
            verifier: crate::base64::encode_url_safe_unpadded(bytes),
        })
    }

    /// A verifier given as text (43-128 characters of `A-Z a-z 0-9 - . _ ~`).
    pub fn from_verifier(verifier: &str) -> Result<Pkce> {
        let ok_chars = verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        if !(43..=128).contains(&verifier.len()) || !ok_chars {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "a PKCE verifier is 43 to 128 characters of A-Z a-z 0-9 - . _ ~",
            ));
        }
        Ok(Pkce {
            verifier: verifier.to_owned(),
        })
    }

    /// The verifier (sent with the code exchange; keep it secret until then).
    pub fn verifier(&self) -> &str {
        &self.verifier
    }

    /// `BASE64URL(SHA256(verifier))`, the S256 challenge.
    pub fn challenge(&self) -> String {
        crate::base64::encode_url_safe_unpadded(&crate::hash::sha256(self.verifier.as_bytes()))
    }
}

/// What the token endpoint returned. Its `Deserialize` is for Rust callers;
/// [`parse_token_response`] reads the answer by hand ([`crate::json_read`] says why), with the
/// same fields and defaults.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct TokenResponse {
    /// The access token for `Authorization: Bearer`.
    pub access_token: String,
    /// Seconds until the access token expires, as the server said.
    #[serde(default)]
    pub expires_in: Option<u64>,
    /// A refresh token (only on the first exchange, with `access_type=offline`).
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// The scopes granted, space-separated.
    #[serde(default)]
    pub scope: Option<String>,
    /// `Bearer`.
    #[serde(default)]
    pub token_type: Option<String>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("scope", &self.scope)
            .field("token_type", &self.token_type)
            .finish()
    }
}

impl OAuthClient {
    /// Any provider's client: its id, the redirect URI, the authorization and token endpoints,
    /// and `client_secret` only for a confidential (server-side) client. The bindings'
    /// constructors take the same arguments in this order.
    pub fn new(
        client_id: impl Into<String>,
        redirect_uri: impl Into<String>,
        auth_url: impl Into<String>,
        token_url: impl Into<String>,
        client_secret: Option<String>,
    ) -> Self {
        OAuthClient {
            client_id: client_id.into(),
            client_secret,
            redirect_uri: redirect_uri.into(),
            auth_url: auth_url.into(),
            token_url: token_url.into(),
        }
    }

    /// A Google client for installed or browser apps (no client secret).
    pub fn google(client_id: impl Into<String>, redirect_uri: impl Into<String>) -> Self {
        OAuthClient::new(
            client_id,
            redirect_uri,
            GOOGLE_AUTH_URL,
            GOOGLE_TOKEN_URL,
            None,
        )
    }

    /// The URL to open in the user's browser. `state` is the caller's anti-CSRF value; it comes
    /// back on the redirect and must be compared there. Asks for offline access so that the
    /// first exchange also returns a refresh token.
    pub fn authorization_url(&self, scopes: &[&str], pkce: &Pkce, state: &str) -> String {
        let query = crate::url::FormSerializer::new()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("scope", &scopes.join(" "))
            .append_pair("code_challenge", &pkce.challenge())
            .append_pair("code_challenge_method", "S256")
            .append_pair("state", state)
            .append_pair("access_type", "offline")
            .append_pair("prompt", "consent")
            .finish();
        let sep = if self.auth_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!("{}{sep}{query}", self.auth_url)
    }

    /// The request exchanging an authorization code for tokens.
    pub fn exchange_code_request(&self, code: &str, pkce: &Pkce) -> HttpRequest {
        self.token_request(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("code_verifier", pkce.verifier()),
            ("redirect_uri", &self.redirect_uri),
        ])
    }

    /// The request trading a refresh token for a new access token.
    pub fn refresh_request(&self, refresh_token: &str) -> HttpRequest {
        self.token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
    }

    fn token_request(&self, fields: &[(&str, &str)]) -> HttpRequest {
        let mut form = crate::url::FormSerializer::new();
        form.append_pair("client_id", &self.client_id);
        if let Some(secret) = &self.client_secret {
            form.append_pair("client_secret", secret);
        }
        for (k, v) in fields {
            form.append_pair(k, v);
        }
        HttpRequest {
            id: RequestId(1),
            method: Method::Post,
            url: self.token_url.clone(),
            headers: vec![
                (
                    "Content-Type".to_owned(),
                    "application/x-www-form-urlencoded".to_owned(),
                ),
                ("Accept".to_owned(), "application/json".to_owned()),
            ],
            body: Some(form.finish().into_bytes()),
        }
    }
}

/// An error answer's fields (RFC 6749 §5.2).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct OAuthErrorBody {
    pub(crate) error: String,
    pub(crate) error_description: Option<String>,
}

/// A success answer's fields, read by hand as [`TokenResponse`]'s derive read them: unknown
/// fields ignored, the optional ones absent or `null` as `None`, `expires_in` a whole number
/// (a string or a fraction is refused, as before).
pub(crate) fn read_token(v: &Json) -> Read<TokenResponse> {
    let f = Fields::of("", v, "struct TokenResponse")?;
    Ok(TokenResponse {
        access_token: f.string("access_token")?,
        expires_in: f.opt_uint("expires_in", u64::MAX, "u64")?,
        refresh_token: f.opt_string("refresh_token")?,
        scope: f.opt_string("scope")?,
        token_type: f.opt_string("token_type")?,
    })
}

/// An error answer's fields (`error` required, `error_description` optional).
pub(crate) fn read_refusal(v: &Json) -> Read<OAuthErrorBody> {
    let f = Fields::of("", v, "struct OAuthErrorBody")?;
    Ok(OAuthErrorBody {
        error: f.string("error")?,
        error_description: f.opt_string("error_description")?,
    })
}

/// Sends a token request (from [`OAuthClient::exchange_code_request`] or
/// [`OAuthClient::refresh_request`]) through `transport` and reads the answer
/// ([`parse_token_response`]); the one way every binding sends them. A token endpoint that is
/// not https (but for a loopback host, as in tests) is refused with
/// [`ErrorKind::InvalidInput`] before anything is sent: the request carries the refresh token,
/// or the code and its PKCE verifier, and the client secret.
pub async fn send_token_request<T: Transport>(
    transport: &T,
    request: HttpRequest,
) -> Result<TokenResponse> {
    check_token_endpoint(&request.url)?;
    let url = request.url.clone();
    // An endpoint may echo what it was sent in its refusal: none of it reaches the error.
    let secrets = request_secrets(&request);
    let response = transport
        .send(request)
        .await
        .map_err(|e| e.without_secrets(&secrets))?;
    parse_token_response(&url, &response).map_err(|e| e.without_secrets(&secrets))
}

/// The secrets a token request's form carries (the client secret, the refresh token, the
/// code and its PKCE verifier), each as sent and decoded.
fn request_secrets(request: &HttpRequest) -> Vec<String> {
    let mut out = Vec::new();
    for pair in request.body_text().unwrap_or_default().split('&') {
        let Some((name, value)) = pair.split_once('=') else {
            continue;
        };
        if matches!(
            name,
            "client_secret" | "refresh_token" | "code" | "code_verifier"
        ) && !value.is_empty()
        {
            let decoded = crate::url::form_decode(value);
            if decoded != value {
                out.push(decoded);
            }
            out.push(value.to_owned());
        }
    }
    out
}

/// Whether a token endpoint may receive a token request: https, or http to a loopback host.
fn check_token_endpoint(url: &str) -> Result<()> {
    let parsed = crate::url::Url::parse(url).ok();
    let allowed = parsed.as_ref().is_some_and(|u| match u.scheme() {
        "https" => true,
        "http" => is_loopback(u.host_str()),
        _ => false,
    });
    if allowed {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::InvalidInput,
        "the OAuth token endpoint must be an https URL (http only to a loopback host): a token \
         request carries the refresh token or the authorization code, and the client secret",
    )
    .with_url(url))
}

/// Whether `host` (of a parsed URL, so an IPv4 address is in its four-number form) is
/// `localhost`, `[::1]` or an address in 127.0.0.0/8. (Read by hand: std's address parser
/// would be its own code in the WebAssembly modules.)
fn is_loopback(host: Option<&str>) -> bool {
    match host {
        Some("localhost" | "[::1]") => true,
        Some(h) => h
            .strip_prefix("127.")
            .is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_digit() || b == b'.')),
        None => false,
    }
}

/// Reads a token endpoint response (RFC 6749 §5.1 success, §5.2 error).
///
/// `invalid_grant` (a revoked or expired refresh token, a used code) is
/// [`ErrorKind::Unauthorized`]: the user must sign in again.
pub fn parse_token_response(url: &str, response: &HttpResponse) -> Result<TokenResponse> {
    // An answer is a few hundred bytes: past the bound it is not read (a refusal then is its
    // status alone).
    let small = response.body.len() <= crate::limits::MAX_SMALL_ANSWER_BYTES;
    if response.status == 200 && !small {
        return Err(crate::limits::exceeded(
            "the token endpoint's answer is over 64 KiB (limits::MAX_SMALL_ANSWER_BYTES)",
        )
        .with_url(url));
    }
    let body = match small {
        true => crate::json_read::text::parse_bytes(&response.body).map_err(|e| e.to_string()),
        false => Err(String::new()),
    };
    if response.status == 200 {
        return body.and_then(|v| read_token(&v)).map_err(|e| {
            Error::new(
                ErrorKind::Protocol,
                format!("the token endpoint sent an unreadable answer: {e}"),
            )
            .with_url(url)
        });
    }
    let base = Error::from_response(url, response);
    match body.and_then(|v| read_refusal(&v)) {
        Ok(body) => {
            let kind = match body.error.as_str() {
                "invalid_grant" | "invalid_client" | "unauthorized_client" => {
                    ErrorKind::Unauthorized
                }
                "invalid_request" | "unsupported_grant_type" | "invalid_scope" => {
                    ErrorKind::InvalidInput
                }
                _ => base.kind(),
            };
            let detail = body
                .error_description
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            Err(Error::new(
                kind,
                format!("the token endpoint refused ({}){detail}", body.error),
            )
            .with_status(response.status)
            .with_url(url))
        }
        Err(_) => Err(base),
    }
}

/// A [`TokenProvider`] that trades a refresh token for access tokens over a transport.
///
/// It keeps the current access token and asks for a new one only when it has none or a 401
/// forced a refresh; expiry is learned from the server's 401, so no clock is needed.
pub struct RefreshingTokens<T> {
    client: OAuthClient,
    transport: T,
    refresh_token: String,
    current: Mutex<Option<String>>,
}

impl<T> fmt::Debug for RefreshingTokens<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshingTokens")
            .field("client", &self.client)
            .field("refresh_token", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl<T: Transport> RefreshingTokens<T> {
    /// A provider for a stored refresh token.
    pub fn new(client: OAuthClient, transport: T, refresh_token: impl Into<String>) -> Self {
        RefreshingTokens {
            client,
            transport,
            refresh_token: refresh_token.into(),
            current: Mutex::new(None),
        }
    }

    /// Starts with an access token already at hand (from the code exchange).
    pub fn with_access_token(self, access_token: impl Into<String>) -> Self {
        *self
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(access_token.into());
        self
    }
}

impl<T: Transport> TokenProvider for RefreshingTokens<T> {
    async fn token(&self, force_refresh: bool) -> Result<String> {
        if !force_refresh {
            let current = self
                .current
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone();
            if let Some(token) = current {
                return Ok(token);
            }
        }
        let request = self.client.refresh_request(&self.refresh_token);
        let token = send_token_request(&self.transport, request)
            .await?
            .access_token;
        *self
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(token.clone());
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token request goes only to an https endpoint (or http on a loopback host): it carries
    /// the refresh token or the code, and the client secret. Refused before anything is sent.
    #[test]
    fn token_requests_go_to_https_or_loopback_only() {
        /// Answers every request with a token, counting them.
        struct Answers(std::cell::Cell<usize>);
        impl Transport for Answers {
            async fn send(&self, _request: HttpRequest) -> Result<HttpResponse> {
                self.0.set(self.0.get() + 1);
                let body = r#"{"access_token":"a","token_type":"Bearer"}"#;
                let mut r = HttpResponse::new(200, body);
                r.headers = vec![("Content-Type".into(), "application/json".into())];
                Ok(r)
            }
        }
        for (url, allowed) in [
            ("http://dav.example.com/token", false),
            ("ftp://dav.example.com/token", false),
            ("not a url", false),
            ("http://127.example.com/token", false),
            ("https://oauth2.googleapis.com/token", true),
            ("http://127.0.0.1:8080/token", true),
            ("http://localhost:8080/token", true),
            ("http://[::1]:8080/token", true),
        ] {
            let client =
                OAuthClient::new("id", "http://127.0.0.1:1/cb", "https://a/auth", url, None);
            let request = client.refresh_request("1//secret-refresh");
            let transport = Answers(std::cell::Cell::new(0));
            let result = davkit_testkit::block_on(send_token_request(&transport, request));
            if allowed {
                assert_eq!(result.expect(url).access_token, "a");
                assert_eq!(transport.0.get(), 1, "{url}");
            } else {
                let error = result.expect_err(url);
                assert_eq!(error.kind(), ErrorKind::InvalidInput, "{url}");
                assert!(!format!("{error} {error:?}").contains("secret-refresh"));
                assert_eq!(transport.0.get(), 0, "{url}: sent");
            }
        }
    }

    /// A token endpoint that echoes the request in its refusal (in `error_description`, or
    /// an unreadable page): the refresh token and the client secret are not in the error.
    #[test]
    fn token_errors_never_show_what_was_sent() {
        struct Echo(u16, &'static str);
        impl Transport for Echo {
            async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
                let sent = request.body_text().unwrap_or_default().to_owned();
                Ok(HttpResponse::new(self.0, self.1.replace("SENT", &sent)))
            }
        }
        for answer in [
            Echo(
                400,
                r#"{"error":"invalid_grant","error_description":"bad: SENT"}"#,
            ),
            Echo(500, "<html>proxy error for SENT</html>"),
        ] {
            let client = OAuthClient::new(
                "id",
                "http://127.0.0.1:1/cb",
                "https://a/auth",
                "https://oauth2.example.com/token",
                Some("s3cr3t/+x y".to_owned()),
            );
            let request = client.refresh_request("1//secret-refresh");
            let error = davkit_testkit::block_on(send_token_request(&answer, request))
                .expect_err("refused");
            let shown = format!("{error} {error:?} {:?}", error.body_excerpt());
            assert!(shown.contains("<redacted>"), "{shown}");
            for secret in ["secret-refresh", "s3cr3t", "1%2F%2Fsecret"] {
                assert!(!shown.contains(secret), "{secret} in {shown}");
            }
        }
    }

    #[test]
    fn rfc7636_appendix_b() -> Result<()> {
        let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")?;
        assert_eq!(
            pkce.challenge(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        // The same verifier from the appendix's octets.
        let octets = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212,
            37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        assert_eq!(Pkce::from_random_bytes(&octets)?, pkce);
        Ok(())
    }

    #[test]
    fn verifier_rules() {
        assert!(Pkce::from_random_bytes(&[0; 31]).is_err());
        assert!(Pkce::from_verifier("short").is_err());
        assert!(Pkce::from_verifier(&"a".repeat(43)).is_ok());
        assert!(Pkce::from_verifier(&format!("{}+", "a".repeat(43))).is_err());
        assert!(!format!("{:?}", Pkce::from_verifier(&"z".repeat(50))).contains("zzz"));
    }

    #[test]
    fn authorization_url_has_pkce_and_no_secret() -> Result<()> {
        let client =
            OAuthClient::google("123.apps.googleusercontent.com", "http://127.0.0.1:8765/cb");
        let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")?;
        let url = client.authorization_url(&[SCOPE_CALENDAR, SCOPE_CARDDAV], &pkce, "xyz");
        let parsed = crate::url::Url::parse(&url)
            .map_err(|e| Error::new(ErrorKind::Protocol, e.to_string()))?;
        let q: std::collections::HashMap<_, _> = parsed.query_pairs().into_iter().collect();
        assert_eq!(parsed.host_str(), Some("accounts.google.com"));
        assert_eq!(
            q["code_challenge"],
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(
            q["scope"],
            "https://www.googleapis.com/auth/calendar https://www.googleapis.com/auth/carddav"
        );
        assert_eq!(q["redirect_uri"], "http://127.0.0.1:8765/cb");
        assert_eq!(q["state"], "xyz");
        assert!(!q.contains_key("client_secret"));
        Ok(())
    }

    #[test]
    fn exchange_and_refresh_requests() -> Result<()> {
        let client = OAuthClient::google("cid", "com.example.app:/oauth2redirect");
        let pkce = Pkce::from_verifier(&"v".repeat(64))?;
        let req = client.exchange_code_request("4/0Ab-code", &pkce);
        assert_eq!(req.method, Method::Post);
        assert_eq!(req.url, GOOGLE_TOKEN_URL);
        let body = req.body_text().unwrap_or_default();
        assert!(body.contains("grant_type=authorization_code"));
        assert!(body.contains("code=4%2F0Ab-code"));
        assert!(body.contains(&format!("code_verifier={}", "v".repeat(64))));
        let req = client.refresh_request("1//rt");
        let body = req.body_text().unwrap_or_default();
        assert!(
            body.contains("grant_type=refresh_token") && body.contains("refresh_token=1%2F%2Frt")
        );
        Ok(())
    }

    #[test]
    fn any_provider_by_its_endpoints() -> Result<()> {
        let client = OAuthClient::new(
            "cid",
            "http://127.0.0.1:9/cb",
            "https://id.example/authorize?tenant=t",
            "https://id.example/token",
            Some("s3cret".into()),
        );
        let pkce = Pkce::from_verifier(&"v".repeat(64))?;
        let url = client.authorization_url(&["calendar"], &pkce, "st");
        assert!(url.starts_with("https://id.example/authorize?tenant=t&response_type=code"));
        assert!(url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb"));
        let req = client.exchange_code_request("c", &pkce);
        assert_eq!(req.url, "https://id.example/token");
        assert!(
            req.body_text()
                .unwrap_or_default()
                .contains("client_secret=s3cret")
        );
        assert!(!format!("{client:?}").contains("s3cret"));
        Ok(())
    }

    #[test]
    fn token_responses() -> Result<()> {
        let ok = HttpResponse::new(
            200,
            r#"{"access_token":"ya29.x","expires_in":3599,"refresh_token":"1//r","scope":"https://www.googleapis.com/auth/calendar","token_type":"Bearer"}"#,
        );
        let t = parse_token_response(GOOGLE_TOKEN_URL, &ok)?;
        assert_eq!(t.access_token, "ya29.x");
        assert_eq!(t.expires_in, Some(3599));
        assert!(!format!("{t:?}").contains("ya29"));
        let revoked = HttpResponse::new(
            400,
            r#"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#,
        );
        let e = parse_token_response(GOOGLE_TOKEN_URL, &revoked).err();
        assert_eq!(e.as_ref().map(Error::kind), Some(ErrorKind::Unauthorized));
        assert!(e.is_some_and(|e| e.message().contains("expired or revoked")));
        // A token answer past the bound of small answers is refused unread; a refusal past it
        // is its status alone.
        let max = crate::limits::MAX_SMALL_ANSWER_BYTES;
        let padded = |text: &str, len: usize| format!("{text}{}", " ".repeat(len - text.len()));
        let token = r#"{"access_token":"ya29.x"}"#;
        let t = parse_token_response(
            GOOGLE_TOKEN_URL,
            &HttpResponse::new(200, padded(token, max)),
        )?;
        assert_eq!(t.access_token, "ya29.x");
        let e = parse_token_response(
            GOOGLE_TOKEN_URL,
            &HttpResponse::new(200, padded(token, max + 1)),
        )
        .err();
        assert_eq!(e.as_ref().map(Error::kind), Some(ErrorKind::LimitExceeded));
        assert!(e.is_some_and(|e| e.message().contains("MAX_SMALL_ANSWER_BYTES")));
        let refusal = r#"{"error":"invalid_grant"}"#;
        for (len, kind) in [
            (max, ErrorKind::Unauthorized),
            (max + 1, ErrorKind::for_status(400)),
        ] {
            let answer = HttpResponse::new(400, padded(refusal, len));
            let e = parse_token_response(GOOGLE_TOKEN_URL, &answer).err();
            assert_eq!(e.map(|e| e.kind()), Some(kind));
        }
        let garbage = HttpResponse::new(200, "<html>");
        assert_eq!(
            parse_token_response(GOOGLE_TOKEN_URL, &garbage)
                .err()
                .map(|e| e.kind()),
            Some(ErrorKind::Protocol)
        );
        Ok(())
    }
}
