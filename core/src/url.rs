//! The core's own URL type: absolute `http` and `https` URLs, parsed and resolved as the WHATWG
//! URL Standard does for these two schemes (the rules the `url` crate follows), and nothing more.
//!
//! It replaces `url::Url` to keep the WebAssembly modules small: the core only ever handles the
//! URLs of DAV servers and the RFC 3986 references they send. The serialization is the same as
//! the `url` crate's for every input, and an input the `url` crate refuses is refused; an input
//! the `url` crate would parse into another scheme (`mailto:`, `ftp:`, `data:`…) is refused here
//! (differential tests in `tests/url_diff.rs`). Hosts with non-ASCII characters or `xn--`
//! labels go through the `idna` crate on native targets; the WebAssembly build refuses them (its
//! JS layer hands the core ASCII hosts, as the `url` crate with the ASCII-only `idna_adapter`
//! did).
//!
//! Parsing is one pass over the input (linear time) and never panics.

use std::fmt;

/// Why an input is not an http(s) URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// A relative reference with no base URL to resolve it against.
    RelativeUrlWithoutBase,
    /// A scheme other than `http` or `https`.
    UnsupportedScheme,
    /// A missing or empty host.
    EmptyHost,
    /// A host that is not a valid domain, IPv4 or IPv6 address.
    InvalidHost,
    /// A port that is not a number below 65536.
    InvalidPort,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParseError::RelativeUrlWithoutBase => "relative URL without a base",
            ParseError::UnsupportedScheme => "scheme other than http or https",
            ParseError::EmptyHost => "empty host",
            ParseError::InvalidHost => "invalid host",
            ParseError::InvalidPort => "invalid port number",
        })
    }
}

impl std::error::Error for ParseError {}

/// An absolute `http` or `https` URL in its normalised serialization.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Url {
    s: String,
    /// End of the username (after `scheme://`).
    user_end: u32,
    host_start: u32,
    host_end: u32,
    port: Option<u16>,
    path_start: u32,
    query_start: Option<u32>,
    fragment_start: Option<u32>,
}

/// The parts of a URL before serialization.
struct Parts {
    https: bool,
    user: String,
    pass: String,
    host: String,
    port: Option<u16>,
    path: String,
    query: Option<String>,
    fragment: Option<String>,
}

// Percent-encode sets (WHATWG), as bit tests over ASCII; C0 controls, DEL and non-ASCII are
// always encoded.
const FRAGMENT: &[u8] = b" \"<>`";
const QUERY: &[u8] = b" \"#<>'";
const PATH: &[u8] = b" \"<>`#?{}";
const USERINFO: &[u8] = b" \"<>`#?{}/:;=@[\\]^|";
const SEGMENT: &[u8] = b" \"<>`#?{}/%\\";
// application/x-www-form-urlencoded keeps alphanumerics and `*-._`.

fn encode_into(out: &mut String, text: &str, set: &[u8]) {
    // Byte by byte (a non-ASCII character's UTF-8 bytes are each encoded), copying the runs
    // that stay as they are in one piece. A run is ASCII, so its ends are character boundaries.
    let mut start = 0;
    for (i, &b) in text.as_bytes().iter().enumerate() {
        if b.is_ascii() && !b.is_ascii_control() && !set.contains(&b) {
            continue;
        }
        if start < i {
            out.push_str(&text[start..i]);
        }
        push_hex(out, b);
        start = i + 1;
    }
    if start < text.len() {
        out.push_str(&text[start..]);
    }
}

/// Appends `n` in decimal (without the formatting machinery, which costs in WebAssembly).
pub(crate) fn push_decimal(out: &mut String, n: u32) {
    let mut digits = [0u8; 10];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        out.push(char::from(d));
    }
}

fn push_hex(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(HEX[usize::from(b >> 4)] as char);
    out.push(HEX[usize::from(b & 15)] as char);
}

/// `text` with every character in `set` (ASCII), every control, DEL and every non-ASCII
/// character percent-encoded (UTF-8 bytes, upper-case hex); the others stay as they are.
pub(crate) fn encoded(text: &str, set: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    encode_into(&mut out, text, set);
    out
}

fn is_slash(c: u8) -> bool {
    c == b'/' || c == b'\\'
}

impl Url {
    /// Parses an absolute http(s) URL.
    pub fn parse(input: &str) -> Result<Url, ParseError> {
        parse(input, None)
    }

    /// Resolves a reference against this URL (RFC 3986 §5.2 with the WHATWG rules for http(s):
    /// backslashes count as slashes, `%2e` as a dot).
    pub fn join(&self, input: &str) -> Result<Url, ParseError> {
        parse(input, Some(self))
    }

    /// The whole serialization.
    pub fn as_str(&self) -> &str {
        &self.s
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &str {
        &self.s[..self.scheme_end()]
    }

    fn scheme_end(&self) -> usize {
        if self.s.as_bytes()[4] == b's' { 5 } else { 4 }
    }

    fn is_https(&self) -> bool {
        self.scheme_end() == 5
    }

    /// The host as serialized: a lower-case ASCII domain, a dotted IPv4 address or a
    /// bracketed IPv6 address. Always `Some` (kept optional for the `url` crate's shape).
    pub fn host_str(&self) -> Option<&str> {
        Some(&self.s[self.host_start as usize..self.host_end as usize])
    }

    /// The explicit port, `None` when absent or equal to the scheme's default.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The port, or the scheme's default (80 or 443).
    pub fn port_or_known_default(&self) -> Option<u16> {
        Some(self.port.unwrap_or(if self.is_https() { 443 } else { 80 }))
    }

    /// The percent-encoded path, starting with `/`.
    pub fn path(&self) -> &str {
        let end = self
            .query_start
            .or(self.fragment_start)
            .map_or(self.s.len(), |e| e as usize);
        &self.s[self.path_start as usize..end]
    }

    /// The percent-encoded query without `?`.
    pub fn query(&self) -> Option<&str> {
        let start = self.query_start? as usize + 1;
        let end = self.fragment_start.map_or(self.s.len(), |e| e as usize);
        Some(&self.s[start..end])
    }

    /// The percent-encoded fragment without `#`.
    pub fn fragment(&self) -> Option<&str> {
        Some(&self.s[self.fragment_start? as usize + 1..])
    }

    /// The percent-encoded username, empty when absent.
    pub fn username(&self) -> &str {
        &self.s[self.scheme_end() + 3..self.user_end as usize]
    }

    /// The percent-encoded password.
    pub fn password(&self) -> Option<&str> {
        let u = self.user_end as usize;
        if self.s.as_bytes().get(u) == Some(&b':') {
            Some(&self.s[u + 1..self.host_start as usize - 1])
        } else {
            None
        }
    }

    /// `scheme://userinfo@host:port`: everything before the path.
    pub fn before_path(&self) -> &str {
        &self.s[..self.path_start as usize]
    }

    /// The decoded query as `application/x-www-form-urlencoded` pairs.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (form_decode(k), form_decode(v)),
                None => (form_decode(p), String::new()),
            })
            .collect()
    }

    fn parts(&self) -> Parts {
        Parts {
            https: self.is_https(),
            user: self.username().to_owned(),
            pass: self.password().unwrap_or("").to_owned(),
            host: self.host_str().unwrap_or("").to_owned(),
            port: self.port,
            path: self.path().to_owned(),
            query: self.query().map(str::to_owned),
            fragment: self.fragment().map(str::to_owned),
        }
    }

    /// Sets the username (percent-encoded as in userinfo). Never fails on an http(s) URL.
    #[allow(clippy::result_unit_err)]
    pub fn set_username(&mut self, user: &str) -> Result<(), ()> {
        let mut p = self.parts();
        p.user = encoded(user, USERINFO);
        *self = p.build();
        Ok(())
    }

    /// Sets or removes the password. Never fails on an http(s) URL.
    #[allow(clippy::result_unit_err)]
    pub fn set_password(&mut self, pass: Option<&str>) -> Result<(), ()> {
        let mut p = self.parts();
        p.pass = pass.map(|s| encoded(s, USERINFO)).unwrap_or_default();
        *self = p.build();
        Ok(())
    }

    /// Replaces the path (percent-encoded, dot segments removed; `?` and `#` are encoded).
    pub fn set_path(&mut self, path: &str) {
        let mut p = self.parts();
        p.path.clear();
        let path = strip_tabs(path);
        let path = path.strip_prefix(['/', '\\']).unwrap_or(&path);
        parse_path(&mut p.path, path, false);
        *self = p.build();
    }

    /// Sets or removes the query (percent-encoded; `#` is encoded).
    pub fn set_query(&mut self, query: Option<&str>) {
        let mut p = self.parts();
        p.query = query.map(|q| encoded(&strip_tabs(q), QUERY));
        *self = p.build();
    }

    /// Sets or removes the fragment (percent-encoded).
    pub fn set_fragment(&mut self, fragment: Option<&str>) {
        let mut p = self.parts();
        p.fragment = fragment.map(|f| encoded(&strip_tabs(f), FRAGMENT));
        *self = p.build();
    }

    /// Appends form-encoded pairs to the query; the query exists (possibly empty) from here on.
    pub fn query_pairs_mut(&mut self) -> QueryPairsMut<'_> {
        if self.query_start.is_none() {
            self.set_query(Some(""));
        }
        QueryPairsMut { url: self }
    }

    /// Appends path segments. `Err` never happens for http(s); kept for the `url` crate's shape.
    #[allow(clippy::result_unit_err)]
    pub fn path_segments_mut(&mut self) -> Result<PathSegmentsMut<'_>, ()> {
        Ok(PathSegmentsMut { url: self })
    }
}

/// Appends pairs to a URL's query (see [`Url::query_pairs_mut`]).
pub struct QueryPairsMut<'a> {
    url: &'a mut Url,
}

impl QueryPairsMut<'_> {
    /// Appends `name=value`, form-encoded, separated by `&`.
    pub fn append_pair(&mut self, name: &str, value: &str) -> &mut Self {
        let mut p = self.url.parts();
        let q = p.query.get_or_insert_with(String::new);
        if !q.is_empty() {
            q.push('&');
        }
        form_encode_into(q, name);
        q.push('=');
        form_encode_into(q, value);
        *self.url = p.build();
        self
    }
}

/// Appends segments to a URL's path (see [`Url::path_segments_mut`]).
pub struct PathSegmentsMut<'a> {
    url: &'a mut Url,
}

impl PathSegmentsMut<'_> {
    /// Appends one segment, percent-encoding `/`, `\` and `%` in it; `.` and `..` are skipped.
    pub fn push(&mut self, segment: &str) -> &mut Self {
        if matches!(segment, "." | "..") {
            return self;
        }
        let mut p = self.url.parts();
        if p.path.len() > 1 {
            p.path.push('/');
        }
        let seg = encoded(&strip_tabs(segment), SEGMENT);
        if !is_dot(&seg) && !is_dot_dot(&seg) {
            p.path.push_str(&seg);
        }
        *self.url = p.build();
        self
    }
}

fn is_dot(seg: &str) -> bool {
    matches!(seg, "." | "%2e" | "%2E")
}

fn is_dot_dot(seg: &str) -> bool {
    matches!(
        seg,
        ".." | "%2e%2e" | "%2e%2E" | "%2E%2e" | "%2E%2E" | "%2e." | "%2E." | ".%2e" | ".%2E"
    )
}

/// One name or value of an `application/x-www-form-urlencoded` text, decoded (`+` is a
/// space, then `%XX` escapes), the inverse of [`FormSerializer`].
pub(crate) fn form_decode(s: &str) -> String {
    crate::href::percent_decode(&s.replace('+', " "))
}

/// `application/x-www-form-urlencoded` serialization of pairs (the `form_urlencoded` crate's
/// `Serializer`).
#[derive(Default)]
pub struct FormSerializer(String);

impl FormSerializer {
    /// An empty form.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `name=value`, separated by `&`.
    pub fn append_pair(&mut self, name: &str, value: &str) -> &mut Self {
        if !self.0.is_empty() {
            self.0.push('&');
        }
        form_encode_into(&mut self.0, name);
        self.0.push('=');
        form_encode_into(&mut self.0, value);
        self
    }

    /// The serialized form.
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.0)
    }
}

fn form_encode_into(out: &mut String, text: &str) {
    for b in text.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => push_hex(out, b),
        }
    }
}

impl Parts {
    fn build(self) -> Url {
        let mut s = String::with_capacity(
            12 + self.user.len() + self.pass.len() + self.host.len() + self.path.len(),
        );
        s.push_str(if self.https { "https://" } else { "http://" });
        s.push_str(&self.user);
        let user_end = s.len() as u32;
        if !self.pass.is_empty() {
            s.push(':');
            s.push_str(&self.pass);
        }
        if !self.user.is_empty() || !self.pass.is_empty() {
            s.push('@');
        }
        let host_start = s.len() as u32;
        s.push_str(&self.host);
        let host_end = s.len() as u32;
        if let Some(port) = self.port {
            s.push(':');
            push_decimal(&mut s, port.into());
        }
        let path_start = s.len() as u32;
        if self.path.is_empty() {
            s.push('/');
        } else {
            s.push_str(&self.path);
        }
        let query_start = self.query.map(|q| {
            let at = s.len() as u32;
            s.push('?');
            s.push_str(&q);
            at
        });
        let fragment_start = self.fragment.map(|f| {
            let at = s.len() as u32;
            s.push('#');
            s.push_str(&f);
            at
        });
        Url {
            s,
            user_end,
            host_start,
            host_end,
            port: self.port,
            path_start,
            query_start,
            fragment_start,
        }
    }
}

fn strip_tabs(s: &str) -> std::borrow::Cow<'_, str> {
    if s.bytes().any(|b| matches!(b, b'\t' | b'\n' | b'\r')) {
        s.replace(['\t', '\n', '\r'], "").into()
    } else {
        s.into()
    }
}

fn parse(input: &str, base: Option<&Url>) -> Result<Url, ParseError> {
    let input = input.trim_matches(|c: char| c <= ' ');
    let input = strip_tabs(input);
    let input: &str = &input;
    let b = input.as_bytes();

    // Scheme.
    let mut scheme = None;
    if b.first().is_some_and(u8::is_ascii_alphabetic) {
        let end = b
            .iter()
            .position(|&c| !(c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.')))
            .unwrap_or(b.len());
        if b.get(end) == Some(&b':') {
            let name = &input[..end];
            scheme = Some((name, &input[end + 1..]));
        }
    }
    match scheme {
        Some((name, rest)) => {
            let https = if name.eq_ignore_ascii_case("https") {
                true
            } else if name.eq_ignore_ascii_case("http") {
                false
            } else {
                return Err(ParseError::UnsupportedScheme);
            };
            match base {
                Some(base) if base.is_https() == https && !rest.starts_with("//") => {
                    relative(rest, base)
                }
                _ => authority(https, rest.trim_start_matches(['/', '\\'])),
            }
        }
        None => match base {
            Some(base) => relative(input, base),
            None => Err(ParseError::RelativeUrlWithoutBase),
        },
    }
}

fn relative(rest: &str, base: &Url) -> Result<Url, ParseError> {
    let b = rest.as_bytes();
    if b.first().copied().is_some_and(is_slash) {
        if b.get(1).copied().is_some_and(is_slash) {
            // As the `url` crate: after a literal `//` the authority starts (`///h` has an empty
            // host); other mixes of `/` and `\\` are all skipped.
            let after = rest
                .strip_prefix("//")
                .unwrap_or_else(|| rest.trim_start_matches(['/', '\\']));
            return authority(base.is_https(), after);
        }
        let mut p = base.parts();
        p.path.clear();
        p.query = None;
        p.fragment = None;
        finish_path(p, &rest[1..])
    } else {
        let mut p = base.parts();
        p.fragment = None;
        match b.first() {
            None => Ok(p.build()),
            Some(b'?') | Some(b'#') => {
                if b[0] == b'?' {
                    p.query = None;
                }
                finish_query(p, rest)
            }
            Some(_) => {
                p.query = None;
                // Shorten the path: drop the last segment.
                let cut = p.path.rfind('/').unwrap_or(0);
                p.path.truncate(cut);
                finish_path(p, rest)
            }
        }
    }
}

fn authority(https: bool, rest: &str) -> Result<Url, ParseError> {
    let end = rest
        .bytes()
        .position(|c| matches!(c, b'/' | b'\\' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let auth = &rest[..end];
    let (userinfo, hostport) = match auth.rfind('@') {
        Some(at) => (Some(&auth[..at]), &auth[at + 1..]),
        None => (None, auth),
    };
    let (mut user, mut pass) = (String::new(), String::new());
    if let Some(info) = userinfo {
        let (u, p) = info.split_once(':').unwrap_or((info, ""));
        user = encoded(u, USERINFO);
        pass = encoded(p, USERINFO);
    }
    // Host and port: the first `:` outside brackets.
    let mut in_brackets = false;
    let mut colon = None;
    for (i, c) in hostport.bytes().enumerate() {
        match c {
            b'[' => in_brackets = true,
            b']' => in_brackets = false,
            b':' if !in_brackets => {
                colon = Some(i);
                break;
            }
            _ => {}
        }
    }
    let (host, port) = match colon {
        Some(i) => (&hostport[..i], Some(&hostport[i + 1..])),
        None => (hostport, None),
    };
    if host.is_empty() {
        return Err(ParseError::EmptyHost);
    }
    let host = parse_host(host)?;
    let mut port_num = None;
    if let Some(digits) = port
        && !digits.is_empty()
    {
        let mut n: u32 = 0;
        for c in digits.bytes() {
            if !c.is_ascii_digit() {
                return Err(ParseError::InvalidPort);
            }
            n = n * 10 + u32::from(c - b'0');
            if n > 65535 {
                return Err(ParseError::InvalidPort);
            }
        }
        let default = if https { 443 } else { 80 };
        if n != default {
            port_num = Some(n as u16);
        }
    }
    let p = Parts {
        https,
        user,
        pass,
        host,
        port: port_num,
        path: String::new(),
        query: None,
        fragment: None,
    };
    let rest = &rest[end..];
    let rest = match rest.as_bytes().first() {
        Some(&c) if is_slash(c) => &rest[1..],
        _ => rest,
    };
    finish_path(p, rest)
}

/// Parses path segments from `rest` onto `p.path`, then the query and fragment.
fn finish_path(mut p: Parts, rest: &str) -> Result<Url, ParseError> {
    let tail = parse_path(&mut p.path, rest, true);
    p.query = None;
    finish_query(p, tail)
}

/// `rest` starts with `?`, `#` or is empty.
fn finish_query(mut p: Parts, rest: &str) -> Result<Url, ParseError> {
    let mut rest = rest;
    if let Some(q) = rest.strip_prefix('?') {
        let end = q.find('#').unwrap_or(q.len());
        p.query = Some(encoded(&q[..end], QUERY));
        rest = &q[end..];
    }
    if let Some(f) = rest.strip_prefix('#') {
        p.fragment = Some(encoded(f, FRAGMENT));
    }
    Ok(p.build())
}

/// The WHATWG path state for special URLs: appends `/segment`s to `path` (which holds
/// `/`-prefixed segments), removing dot segments. In a URL (`in_url`), `?` and `#` end the path
/// and the rest is returned; in a setter they are encoded.
fn parse_path<'a>(path: &mut String, input: &'a str, in_url: bool) -> &'a str {
    let mut rest = input;
    loop {
        let end = rest
            .bytes()
            .position(|c| is_slash(c) || (in_url && (c == b'?' || c == b'#')))
            .unwrap_or(rest.len());
        let slash = rest.as_bytes().get(end).copied().is_some_and(is_slash);
        // The segment is encoded onto the path, then taken back off if it is a dot segment.
        let mark = path.len();
        path.push('/');
        encode_into(path, &rest[..end], PATH);
        let seg = &path[mark + 1..];
        if is_dot_dot(seg) {
            path.truncate(mark);
            let cut = path.rfind('/').unwrap_or(0);
            path.truncate(cut);
            if !slash {
                path.push('/');
            }
        } else if is_dot(seg) {
            path.truncate(mark);
            if !slash {
                path.push('/');
            }
        }
        if slash {
            rest = &rest[end + 1..];
        } else {
            return &rest[end..];
        }
    }
}

fn parse_host(input: &str) -> Result<String, ParseError> {
    if let Some(inner) = input.strip_prefix('[') {
        let inner = inner.strip_suffix(']').ok_or(ParseError::InvalidHost)?;
        let pieces = parse_ipv6(inner.as_bytes()).ok_or(ParseError::InvalidHost)?;
        return Ok(format!("[{}]", write_ipv6(&pieces)));
    }
    let decoded: std::borrow::Cow<'_, str> = if input.contains('%') {
        crate::href::percent_decode(input).into()
    } else {
        input.into()
    };
    let domain = domain_to_ascii(&decoded)?;
    if domain.is_empty() {
        return Err(ParseError::EmptyHost);
    }
    if ends_in_a_number(&domain) {
        let v4 = parse_ipv4(&domain).ok_or(ParseError::InvalidHost)?;
        let mut out = String::with_capacity(15);
        for (i, part) in v4.to_be_bytes().into_iter().enumerate() {
            if i > 0 {
                out.push('.');
            }
            push_decimal(&mut out, part.into());
        }
        return Ok(out);
    }
    Ok(domain)
}

fn domain_to_ascii(domain: &str) -> Result<String, ParseError> {
    // Punycode labels are checked by `idna` where it is linked; the WebAssembly build takes
    // them as they are (its JS layer already turned IDNs into them).
    let needs_idna = !domain.is_ascii()
        || (cfg!(not(target_arch = "wasm32"))
            && domain
                .split('.')
                .any(|l| l.len() >= 4 && l[..4].eq_ignore_ascii_case("xn--")));
    if needs_idna {
        return idna_to_ascii(domain);
    }
    let forbidden = |c: u8| c <= b' ' || c == 0x7f || b"%#/:<>?@[\\]^|".contains(&c);
    if domain.bytes().any(forbidden) {
        return Err(ParseError::InvalidHost);
    }
    Ok(domain.to_ascii_lowercase())
}

#[cfg(not(target_arch = "wasm32"))]
fn idna_to_ascii(domain: &str) -> Result<String, ParseError> {
    idna::domain_to_ascii_cow(domain.as_bytes(), idna::AsciiDenyList::URL)
        .map(std::borrow::Cow::into_owned)
        .map_err(|_| ParseError::InvalidHost)
}

#[cfg(target_arch = "wasm32")]
fn idna_to_ascii(_domain: &str) -> Result<String, ParseError> {
    Err(ParseError::InvalidHost)
}

fn ends_in_a_number(input: &str) -> bool {
    let mut parts = input.rsplit('.');
    let mut last = parts.next().unwrap_or("");
    if last.is_empty() {
        match parts.next() {
            Some(l) => last = l,
            None => return false,
        }
    }
    (!last.is_empty() && last.bytes().all(|c| c.is_ascii_digit())) || ipv4_number(last).is_ok()
}

/// `Ok(None)`: a valid number that overflows `u32`.
fn ipv4_number(input: &str) -> Result<Option<u32>, ()> {
    if input.is_empty() {
        return Err(());
    }
    let (digits, radix) = if let Some(h) = input
        .strip_prefix("0x")
        .or_else(|| input.strip_prefix("0X"))
    {
        (h, 16)
    } else if input.len() >= 2 && input.starts_with('0') {
        (&input[1..], 8)
    } else {
        (input, 10)
    };
    if digits.is_empty() {
        return Ok(Some(0));
    }
    if !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(());
    }
    Ok(u32::from_str_radix(digits, radix).ok())
}

fn parse_ipv4(input: &str) -> Option<u32> {
    let mut parts = Vec::new();
    for part in input.split('.') {
        parts.push(part);
    }
    if parts.last() == Some(&"") {
        parts.pop();
    }
    if parts.len() > 4 {
        return None;
    }
    let mut numbers = Vec::with_capacity(4);
    for part in parts {
        numbers.push(ipv4_number(part).ok()??);
    }
    let mut v4 = numbers.pop()?;
    if v4 > u32::MAX >> (8 * numbers.len() as u32) || numbers.iter().any(|&n| n > 255) {
        return None;
    }
    for (i, n) in numbers.iter().enumerate() {
        v4 += n << (8 * (3 - i as u32));
    }
    Some(v4)
}

fn parse_ipv6(input: &[u8]) -> Option<[u16; 8]> {
    let len = input.len();
    let mut pieces = [0u16; 8];
    let mut piece = 0;
    let mut compress = None;
    let mut i = 0;
    let mut v4 = false;
    if len < 2 {
        return None;
    }
    if input[0] == b':' {
        if input[1] != b':' {
            return None;
        }
        i = 2;
        piece = 1;
        compress = Some(1);
    }
    while i < len {
        if piece == 8 {
            return None;
        }
        if input[i] == b':' {
            if compress.is_some() {
                return None;
            }
            i += 1;
            piece += 1;
            compress = Some(piece);
            continue;
        }
        let start = i;
        let end = len.min(start + 4);
        let mut value = 0u16;
        while i < end {
            match (input[i] as char).to_digit(16) {
                Some(d) => {
                    value = value * 16 + d as u16;
                    i += 1;
                }
                None => break,
            }
        }
        if i < len {
            match input[i] {
                b'.' => {
                    if i == start || piece > 6 {
                        return None;
                    }
                    i = start;
                    v4 = true;
                }
                b':' => {
                    i += 1;
                    if i == len {
                        return None;
                    }
                }
                _ => return None,
            }
        }
        if v4 {
            break;
        }
        pieces[piece] = value;
        piece += 1;
    }
    if v4 {
        if piece > 6 {
            return None;
        }
        let mut seen = 0;
        while i < len {
            if seen > 0 {
                if seen < 4 && input[i] == b'.' {
                    i += 1;
                } else {
                    return None;
                }
            }
            let mut num: Option<u16> = None;
            while i < len && input[i].is_ascii_digit() {
                let d = u16::from(input[i] - b'0');
                num = match num {
                    None => Some(d),
                    Some(0) => return None,
                    Some(v) if v * 10 + d > 255 => return None,
                    Some(v) => Some(v * 10 + d),
                };
                i += 1;
            }
            pieces[piece] = pieces[piece] * 0x100 + num?;
            seen += 1;
            if seen == 2 || seen == 4 {
                piece += 1;
            }
        }
        if seen != 4 {
            return None;
        }
    }
    if i < len {
        return None;
    }
    match compress {
        Some(c) => {
            let mut swaps = piece - c;
            piece = 7;
            while swaps > 0 {
                pieces.swap(piece, c + swaps - 1);
                swaps -= 1;
                piece -= 1;
            }
        }
        None if piece != 8 => return None,
        None => {}
    }
    Some(pieces)
}

fn write_ipv6(p: &[u16; 8]) -> String {
    // The first longest run of two or more zero pieces is compressed.
    let (mut best, mut best_len, mut i) = (8, 1, 0);
    while i < 8 {
        if p[i] == 0 {
            let start = i;
            while i < 8 && p[i] == 0 {
                i += 1;
            }
            if i - start > best_len {
                best = start;
                best_len = i - start;
            }
        } else {
            i += 1;
        }
    }
    let mut out = String::new();
    let mut i = 0;
    while i < 8 {
        if i == best {
            out.push_str(if i == 0 { "::" } else { ":" });
            i += best_len;
            continue;
        }
        out.push_str(&format!("{:x}", p[i]));
        if i < 7 {
            out.push(':');
        }
        i += 1;
    }
    out
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.s)
    }
}

/// Shows the URL without its userinfo: credentials never reach logs.
impl fmt::Debug for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Url({}{})",
            &self.s[..self.scheme_end() + 3],
            &self.s[self.host_start as usize..]
        )
    }
}

impl AsRef<str> for Url {
    fn as_ref(&self) -> &str {
        &self.s
    }
}

impl From<Url> for String {
    fn from(u: Url) -> String {
        u.s
    }
}

impl std::str::FromStr for Url {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Url, ParseError> {
        Url::parse(s)
    }
}
