//! Credentials and where they may go (RFC 7617 Basic, RFC 6750 Bearer, RFC 7616 Digest).
//!
//! The core only writes `Authorization` headers from credentials the caller provides. They are
//! attached only to requests for trusted origins: the origin of the configured server URL, plus
//! origins a provider profile names (iCloud's partition hosts), never over plain http when the
//! server URL was https, and never to another host reached through a redirect.

use std::fmt;

use crate::url::Url;

use crate::hash::{hex, md5, sha256};
use crate::href;

/// Credentials for the server.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum Credentials {
    /// No `Authorization` header.
    #[default]
    None,
    /// HTTP Basic (RFC 7617); iCloud wants an app-specific password here.
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
    /// An OAuth 2.0 access token (RFC 6750), as Google requires.
    Bearer {
        /// The access token.
        token: String,
    },
    /// HTTP Digest (RFC 7616: MD5 or SHA-256, plain or `-sess`, `qop=auth`), as Baikal and
    /// other SabreDAV servers offer. Nothing is sent until the server's 401 challenge, which
    /// the core answers (once, or once more for `stale=true`) for the origins credentials may
    /// go to; the password itself never travels.
    Digest {
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
}

impl Credentials {
    /// Basic credentials.
    pub fn basic(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials::Basic {
            username: username.into(),
            password: password.into(),
        }
    }

    /// Digest credentials (RFC 7616).
    pub fn digest(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials::Digest {
            username: username.into(),
            password: password.into(),
        }
    }

    /// A bearer token.
    pub fn bearer(token: impl Into<String>) -> Self {
        Credentials::Bearer {
            token: token.into(),
        }
    }

    /// The `Authorization` header value, if any.
    pub(crate) fn header_value(&self) -> Option<String> {
        match self {
            Credentials::None => None,
            Credentials::Basic { username, password } => {
                let raw = format!("{username}:{password}");
                Some(format!("Basic {}", crate::base64::encode(raw.as_bytes())))
            }
            Credentials::Bearer { token } => Some(format!("Bearer {token}")),
            // Answered per request once the server has sent its challenge.
            Credentials::Digest { .. } => None,
        }
    }

    /// What of these credentials is secret, as it could come back in a server's answer: the
    /// password, the token, and Basic's base64 of `user:password` (an echoed
    /// `Authorization` header). Never an empty string.
    pub(crate) fn secrets(&self) -> Vec<String> {
        let mut out = match self {
            Credentials::None => vec![],
            Credentials::Basic { username, password } => vec![
                password.clone(),
                crate::base64::encode(format!("{username}:{password}").as_bytes()),
            ],
            Credentials::Bearer { token } => vec![token.clone()],
            Credentials::Digest { password, .. } => vec![password.clone()],
        };
        out.retain(|s| !s.is_empty());
        out
    }

    /// Refuses credentials that cannot go into an `Authorization` header as they are: a
    /// Bearer token (sent verbatim) holding a control character or a non-ASCII one. CR LF
    /// would end the header and start another; and HTTP stacks that refuse such a value say
    /// so with a message that quotes it (undici's `Headers.append: "Bearer …" is an invalid
    /// header value`, Python's `Invalid header value b'Bearer …'`), which would become the
    /// call's error. The error never shows the token. Basic credentials travel in base64, and
    /// a Digest answer drops control characters from the values it quotes.
    pub(crate) fn check(&self) -> Result<(), crate::Error> {
        match self {
            Credentials::Bearer { token } if !fits_header(token) => Err(crate::Error::new(
                crate::ErrorKind::InvalidInput,
                "the Bearer token holds a character an HTTP header cannot carry (a control \
                 character or a non-ASCII one)",
            )),
            _ => Ok(()),
        }
    }

    /// The scheme's name, for messages.
    pub fn scheme(&self) -> &'static str {
        match self {
            Credentials::None => "none",
            Credentials::Basic { .. } => "Basic",
            Credentials::Bearer { .. } => "Bearer",
            Credentials::Digest { .. } => "Digest",
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::None => f.write_str("None"),
            Credentials::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Credentials::Bearer { .. } => f
                .debug_struct("Bearer")
                .field("token", &"<redacted>")
                .finish(),
            Credentials::Digest { username, .. } => f
                .debug_struct("Digest")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
        }
    }
}

/// Whether `value` is printable ASCII (space included), as a header value davkit writes must be.
pub(crate) fn fits_header(value: &str) -> bool {
    value.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// Decides which URLs receive the credentials.
#[derive(Clone, Debug)]
pub(crate) struct AuthScope {
    server: Url,
    trusted_host_suffixes: Vec<String>,
}

impl AuthScope {
    pub(crate) fn new(server: Url, trusted_host_suffixes: Vec<String>) -> Self {
        AuthScope {
            server,
            trusted_host_suffixes,
        }
    }

    /// Whether credentials may be sent to `url`: the server's origin, or (over https) a host
    /// under a trusted suffix that the server's own host is under too (same site). Never over
    /// plain http to a provider's host, nor from an https server.
    pub(crate) fn allows(&self, url: &Url) -> bool {
        if self.server.scheme() == "https" && url.scheme() != "https" {
            return false;
        }
        if url.scheme() != "https" && crate::profile::is_provider_host(url) {
            return false;
        }
        if href::same_origin(&self.server, url) {
            return true;
        }
        let (Some(host), Some(server_host)) = (url.host_str(), self.server.host_str()) else {
            return false;
        };
        url.scheme() == "https"
            && self.trusted_host_suffixes.iter().any(|suffix| {
                crate::profile::host_under(host, suffix)
                    && crate::profile::host_under(server_host, suffix)
            })
    }
}

/// A Digest challenge (RFC 7616 §3.3) the core can answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DigestChallenge {
    realm: String,
    nonce: String,
    opaque: Option<String>,
    sha256: bool,
    sess: bool,
    /// The server offered `qop=auth` (without a qop the RFC 2069 form is used).
    qop_auth: bool,
    /// The server asks for the user name hashed (RFC 7616 §3.4.4).
    userhash: bool,
    /// The nonce was stale: the credentials were right, the nonce expired.
    pub(crate) stale: bool,
}

/// The Digest state of a session: the server's last challenge and the nonce count.
#[derive(Debug, Default)]
pub(crate) struct DigestSession {
    challenge: Option<DigestChallenge>,
    nc: u32,
    /// Distinguishes client nonces across requests with the same count (a new challenge).
    seq: u64,
}

impl DigestSession {
    /// Takes a new challenge (resetting the nonce count when the nonce is new).
    pub(crate) fn accept(&mut self, challenge: DigestChallenge) {
        if self.challenge.as_ref().map(|c| &c.nonce) != Some(&challenge.nonce) {
            self.nc = 0;
        }
        self.challenge = Some(challenge);
    }

    /// The `Authorization` value for one request (`uri` is its request-target), counting the
    /// nonce; `None` before a challenge.
    pub(crate) fn authorization(
        &mut self,
        username: &str,
        password: &str,
        method: &str,
        uri: &str,
    ) -> Option<String> {
        let c = self.challenge.clone()?;
        self.nc = self.nc.wrapping_add(1);
        self.seq = self.seq.wrapping_add(1);
        let nc = format!("{:08x}", self.nc);
        // The client nonce: unpredictable to anyone without the password (a keyed hash; the
        // core has no random source), and new for every request.
        let cnonce = hex(&sha256(
            format!(
                "davkit-cnonce:{password}:{}:{nc}:{}:{uri}",
                c.nonce, self.seq
            )
            .as_bytes(),
        ))[..32]
            .to_owned();
        let response = digest_response(&c, username, password, method, uri, &nc, &cnonce);
        let shown_user = if c.userhash {
            let text = format!("{username}:{}", c.realm);
            if c.sha256 {
                hex(&sha256(text.as_bytes()))
            } else {
                hex(&md5(text.as_bytes()))
            }
        } else {
            username.to_owned()
        };
        // A name a quoted string cannot carry as it is (not printable ASCII) goes as
        // `username*` (RFC 7616 §3.4.4, RFC 8187's UTF-8 form); its hash is of the name itself.
        let user_param = if fits_header(&shown_user) {
            format!("username=\"{}\"", quote(&shown_user))
        } else {
            format!("username*=UTF-8''{}", ext_value(&shown_user))
        };
        let mut out = format!(
            "Digest {user_param}, realm=\"{}\", nonce=\"{}\", uri=\"{}\", algorithm={}, response=\"{response}\"",
            quote(&c.realm),
            quote(&c.nonce),
            quote(uri),
            algorithm_name(&c)
        );
        if c.qop_auth {
            out.push_str(&format!(", qop=auth, nc={nc}, cnonce=\"{cnonce}\""));
        }
        if let Some(opaque) = &c.opaque {
            out.push_str(&format!(", opaque=\"{}\"", quote(opaque)));
        }
        if c.userhash {
            out.push_str(", userhash=true");
        }
        Some(out)
    }
}

fn algorithm_name(c: &DigestChallenge) -> &'static str {
    match (c.sha256, c.sess) {
        (false, false) => "MD5",
        (false, true) => "MD5-sess",
        (true, false) => "SHA-256",
        (true, true) => "SHA-256-sess",
    }
}

/// `value` as RFC 8187's `value-chars`: UTF-8, each byte but an `attr-char` as `%XX`.
fn ext_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b & 15)]));
        }
    }
    out
}

fn quote(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_control())
        .flat_map(|c| match c {
            '"' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

/// The `response` of RFC 7616 §3.4.1 (with `qop=auth`; RFC 2069's form without a qop).
fn digest_response(
    c: &DigestChallenge,
    username: &str,
    password: &str,
    method: &str,
    uri: &str,
    nc: &str,
    cnonce: &str,
) -> String {
    let h = |text: String| -> String {
        if c.sha256 {
            hex(&sha256(text.as_bytes()))
        } else {
            hex(&md5(text.as_bytes()))
        }
    };
    let mut ha1 = h(format!("{username}:{}:{password}", c.realm));
    if c.sess {
        ha1 = h(format!("{ha1}:{}:{cnonce}", c.nonce));
    }
    let ha2 = h(format!("{method}:{uri}"));
    if c.qop_auth {
        h(format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", c.nonce))
    } else {
        h(format!("{ha1}:{}:{ha2}", c.nonce))
    }
}

/// The Digest challenge to answer among a response's `WWW-Authenticate` headers: SHA-256
/// before MD5 (RFC 7616 §3.7), `-sess` variants included; `None` when there is no Digest
/// challenge davkit can answer (another algorithm, `qop` without `auth`, no nonce).
pub(crate) fn digest_challenge(values: &[&str]) -> Option<DigestChallenge> {
    let mut best: Option<DigestChallenge> = None;
    for value in values {
        for (scheme, params) in parse_challenges(value) {
            if !scheme.eq_ignore_ascii_case("digest") {
                continue;
            }
            let get = |name: &str| {
                params
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.as_str())
            };
            let (Some(realm), Some(nonce)) = (get("realm"), get("nonce")) else {
                continue;
            };
            // Values the answer quotes back must be printable ASCII: a header holding anything
            // else is refused by the HTTP stacks, some of which quote the whole value (the
            // password-derived `response` with it) in their error.
            if !(fits_header(realm) && fits_header(nonce) && get("opaque").is_none_or(fits_header))
            {
                continue;
            }
            let (sha256, sess) = match get("algorithm").map(str::to_ascii_uppercase).as_deref() {
                None | Some("MD5") => (false, false),
                Some("MD5-SESS") => (false, true),
                Some("SHA-256") => (true, false),
                Some("SHA-256-SESS") => (true, true),
                Some(_) => continue,
            };
            let qop_auth = match get("qop") {
                None => false,
                Some(q) => {
                    if !q.split(',').any(|t| t.trim().eq_ignore_ascii_case("auth")) {
                        continue;
                    }
                    true
                }
            };
            let challenge = DigestChallenge {
                realm: realm.to_owned(),
                nonce: nonce.to_owned(),
                opaque: get("opaque").map(str::to_owned),
                sha256,
                sess,
                qop_auth,
                userhash: get("userhash").is_some_and(|v| v.eq_ignore_ascii_case("true")),
                stale: get("stale").is_some_and(|v| v.eq_ignore_ascii_case("true")),
            };
            if best.as_ref().is_none_or(|b| !b.sha256 && challenge.sha256) {
                best = Some(challenge);
            }
        }
    }
    best
}

/// Splits a `WWW-Authenticate` value into challenges (RFC 9110 §11.6.1): each a scheme and
/// its `name=value` parameters (quoted strings unescaped); token68 forms are skipped.
fn parse_challenges(value: &str) -> Vec<(String, Vec<(String, String)>)> {
    let b = value.as_bytes();
    let mut i = 0;
    let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let skip = |i: &mut usize| {
        while *i < b.len() && (b[*i] == b' ' || b[*i] == b'\t' || b[*i] == b',') {
            *i += 1;
        }
    };
    let token = |i: &mut usize| -> String {
        let start = *i;
        while *i < b.len() && !matches!(b[*i], b' ' | b'\t' | b',' | b'=' | b'"') {
            *i += 1;
        }
        value[start..*i].to_owned()
    };
    while i < b.len() {
        skip(&mut i);
        let name = token(&mut i);
        if name.is_empty() {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
            j += 1;
        }
        if j < b.len() && b[j] == b'=' && !out.is_empty() && !name.is_empty() {
            // A parameter of the current challenge.
            i = j + 1;
            while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                i += 1;
            }
            let v = if i < b.len() && b[i] == b'"' {
                i += 1;
                let mut v = String::new();
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' && i + 1 < b.len() {
                        i += 1;
                    }
                    let ch_len = value[i..].chars().next().map_or(1, char::len_utf8);
                    v.push_str(&value[i..i + ch_len]);
                    i += ch_len;
                }
                i += 1;
                v
            } else {
                token(&mut i)
            };
            if let Some(last) = out.last_mut() {
                last.1.push((name, v));
            }
        } else if j < b.len() && b[j] == b'=' {
            // token68 without a scheme, or padding: skip it.
            while i < b.len() && b[i] != b',' {
                i += 1;
            }
        } else {
            out.push((name, Vec::new()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header_is_rfc7617() {
        let c = Credentials::basic("Aladdin", "open sesame");
        assert_eq!(
            c.header_value().as_deref(),
            Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        );
        assert_eq!(
            Credentials::bearer("t0k").header_value().as_deref(),
            Some("Bearer t0k")
        );
        assert_eq!(Credentials::None.header_value(), None);
    }

    /// RFC 7616 §3.9.1: the same request answered with MD5 and with SHA-256.
    #[test]
    fn rfc7616_example() {
        let header = r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;
        let md5_header = r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;
        let cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
        let sha = digest_challenge(&[md5_header, header]).unwrap_or_else(|| panic!("no challenge"));
        assert!(sha.sha256, "SHA-256 is preferred");
        assert_eq!(
            sha.opaque.as_deref(),
            Some("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")
        );
        let r = |c: &DigestChallenge| {
            digest_response(
                c,
                "Mufasa",
                "Circle of Life",
                "GET",
                "/dir/index.html",
                "00000001",
                cnonce,
            )
        };
        assert_eq!(
            r(&sha),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
        let md5c = digest_challenge(&[md5_header]).unwrap_or_else(|| panic!("no challenge"));
        assert_eq!(r(&md5c), "8ca523f5e9506fed4657c9700eebdbec");
    }

    #[test]
    fn challenges_parse_and_count() {
        // Several challenges in one header; Basic first.
        let v = r#"Basic realm="x", Digest realm="SabreDAV", qop="auth", nonce="abc", opaque="o", stale=TRUE"#;
        let c = digest_challenge(&[v]).unwrap_or_else(|| panic!("no digest challenge"));
        assert_eq!((c.realm.as_str(), c.nonce.as_str()), ("SabreDAV", "abc"));
        assert!(c.stale && c.qop_auth && !c.sha256);
        assert!(digest_challenge(&[r#"Digest realm="r", nonce="n", qop="auth-int""#]).is_none());
        assert!(
            digest_challenge(&[r#"Digest realm="r", nonce="n", algorithm=SHA-512-256"#]).is_none()
        );
        assert!(digest_challenge(&[r#"Bearer realm="Google APIs""#]).is_none());
        let mut session = DigestSession::default();
        assert!(session.authorization("u", "p", "GET", "/").is_none());
        session.accept(c);
        let first = session
            .authorization("u", "p", "PROPFIND", "/dav/")
            .unwrap_or_default();
        let second = session
            .authorization("u", "p", "PROPFIND", "/dav/")
            .unwrap_or_default();
        assert!(
            first.contains("nc=00000001") && second.contains("nc=00000002"),
            "{first} {second}"
        );
        assert!(first.contains(r#"uri="/dav/""#) && first.contains(r#"opaque="o""#));
        assert!(
            !first.contains('p') || !first.contains(":p:"),
            "no password"
        );
        let cn = |h: &str| h.split("cnonce=\"").nth(1).map(|r| r[..32].to_owned());
        assert_ne!(cn(&first), cn(&second), "a new client nonce per request");
    }

    /// A user name that is not printable ASCII goes as `username*` (its hash of the name
    /// itself), so the header stays one a transport can send; a challenge whose values are not
    /// printable ASCII is not answered.
    #[test]
    fn digest_user_names_and_challenges_fit_a_header() {
        let challenge = r#"Digest realm="r", nonce="n", qop="auth""#;
        let mut session = DigestSession::default();
        session.accept(digest_challenge(&[challenge]).unwrap_or_else(|| panic!("no challenge")));
        let header = session
            .authorization("jürgen \"j\"", "p", "GET", "/")
            .unwrap_or_default();
        assert!(fits_header(&header), "{header}");
        assert!(
            header.starts_with("Digest username*=UTF-8''j%C3%BCrgen%20%22j%22, realm=\"r\""),
            "{header}"
        );
        assert!(!header.contains("username=\""), "{header}");
        let ascii = session
            .authorization("alice", "p", "GET", "/")
            .unwrap_or_default();
        assert!(ascii.starts_with("Digest username=\"alice\""), "{ascii}");
        for bad in [
            r#"Digest realm="réalm", nonce="n""#,
            r#"Digest realm="r", nonce="nö""#,
            r#"Digest realm="r", nonce="n", opaque="ø""#,
        ] {
            assert!(digest_challenge(&[bad]).is_none(), "{bad}");
        }
    }

    #[test]
    fn debug_never_shows_secrets() {
        let shown = format!(
            "{:?} {:?} {:?}",
            Credentials::basic("alice", "hunter2"),
            Credentials::bearer("ya29.secret"),
            Credentials::digest("alice", "hunter2")
        );
        assert!(
            !shown.contains("hunter2") && !shown.contains("ya29"),
            "{shown}"
        );
        assert!(shown.contains("alice"));
    }

    #[test]
    fn scope_rules() -> Result<(), crate::url::ParseError> {
        let scope = AuthScope::new(
            Url::parse("https://caldav.icloud.com/")?,
            vec![".icloud.com".into()],
        );
        assert!(scope.allows(&Url::parse("https://caldav.icloud.com/x")?));
        assert!(scope.allows(&Url::parse("https://p62-caldav.icloud.com:443/x")?));
        assert!(!scope.allows(&Url::parse("http://p62-caldav.icloud.com/x")?));
        assert!(!scope.allows(&Url::parse("https://evil-icloud.com/x")?));
        assert!(!scope.allows(&Url::parse("https://example.com/x")?));
        // iCloud China: its partition hosts, same site only.
        let china = AuthScope::new(
            Url::parse("https://caldav.icloud.com.cn/")?,
            vec![".icloud.com".into(), ".icloud.com.cn".into()],
        );
        assert!(china.allows(&Url::parse("https://p12-caldav.icloud.com.cn:443/x")?));
        assert!(!china.allows(&Url::parse("https://p12-caldav.icloud.com/x")?));
        assert!(!china.allows(&Url::parse("https://evil.com.cn/x")?));
        let global = AuthScope::new(
            Url::parse("https://caldav.icloud.com/")?,
            vec![".icloud.com".into(), ".icloud.com.cn".into()],
        );
        assert!(!global.allows(&Url::parse("https://p12-caldav.icloud.com.cn/x")?));
        // A suffix trusted by a profile says nothing for a server elsewhere.
        let elsewhere = AuthScope::new(
            Url::parse("https://dav.example.com/")?,
            vec![".icloud.com".into()],
        );
        assert!(!elsewhere.allows(&Url::parse("https://p1-caldav.icloud.com/x")?));
        // Never in clear to a provider's host, even as the configured origin.
        let google = AuthScope::new(
            Url::parse("http://apidata.googleusercontent.com/caldav/v2/a/user")?,
            vec![],
        );
        assert!(!google.allows(&Url::parse(
            "http://apidata.googleusercontent.com/caldav/v2/a/"
        )?));
        let plain = AuthScope::new(Url::parse("http://127.0.0.1:5232/")?, vec![]);
        assert!(plain.allows(&Url::parse("http://127.0.0.1:5232/alice/")?));
        assert!(!plain.allows(&Url::parse("http://127.0.0.1:5233/alice/")?));
        Ok(())
    }
}
