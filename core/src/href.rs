//! Hrefs and URLs (RFC 3986 §5 reference resolution, RFC 4918 §8.3 href rules).
//!
//! Hrefs are resolved against the URL of the response that carried them; percent-encoding is
//! preserved as the server sent it. Comparison normalises what servers disagree about:
//! `%40` against `@`, a trailing slash, an explicit default port, the host's case.

use crate::url::Url;

use crate::error::{Error, ErrorKind, Result};

/// Parses an absolute http(s) URL given by a caller.
pub fn parse_url(input: &str) -> Result<Url> {
    Url::parse(input.trim()).map_err(|e| url_error(input, e, "not an absolute URL"))
}

/// The error for a caller's URL that does not parse: another scheme is named as such.
pub(crate) fn url_error(input: &str, e: crate::url::ParseError, what: &str) -> Error {
    let message = match e {
        crate::url::ParseError::UnsupportedScheme => format!(
            "unsupported URL scheme `{}` (expected http or https)",
            scheme_name(input)
        ),
        e => format!("{what}: {e}"),
    };
    Error::new(ErrorKind::InvalidInput, message).with_url(input)
}

/// The lower-case scheme an input names (the text before its first `:`).
pub(crate) fn scheme_name(input: &str) -> String {
    let input = input.trim_start_matches(|c: char| c <= ' ');
    input
        .split_once(':')
        .map_or(input, |(s, _)| s)
        .to_ascii_lowercase()
}

/// Resolves an href from a response body against the URL of that response.
///
/// An absolute href (for example on an iCloud partition host) is kept as given. A relative
/// member name such as `a:b.vcf` is treated as a path, not as a URI scheme.
pub fn resolve(base: &Url, href: &str) -> Result<Url> {
    let href = href.trim();
    let looks_like_scheme = href
        .find(':')
        .is_some_and(|colon| !href[..colon].contains('/'));
    let joined = if looks_like_scheme && !has_web_scheme(href) {
        base.join(&format!("./{href}"))
    } else {
        base.join(href)
    };
    joined.map_err(|e| {
        Error::new(
            ErrorKind::Protocol,
            format!("the server sent an href that is not a URL reference: {e}"),
        )
        .with_url(base.as_str())
    })
}

/// [`resolve`] as a string, with a fast path for the common path-absolute href made of plain
/// path characters (the shape of nearly every href in a large multistatus), which gives
/// exactly what [`Url::join`] gives without parsing.
pub fn resolve_to_string(base: &Url, href: &str) -> Result<String> {
    let href = href.trim();
    if is_plain_absolute_path(href) {
        let origin = base.before_path();
        let mut out = String::with_capacity(origin.len() + href.len());
        out.push_str(origin);
        out.push_str(href);
        return Ok(out);
    }
    resolve(base, href).map(String::from)
}

/// A path the URL parser keeps as it is and `percent_decode` leaves alone: `/`-separated
/// segments of [`is_path_char`]s (no `%` escapes, `?` or `#`), none of them `.` or `..`.
///
/// One pass over the bytes (it runs for every href of a large answer and every member of a
/// stored sync state; `split` and a check per segment cost several times as much in the wasm
/// module).
pub(crate) fn is_plain_path(path: &str) -> bool {
    // The current segment's length, and how many of its bytes are dots.
    let (mut len, mut dots) = (0usize, 0usize);
    let dot_segment = |len: usize, dots: usize| len == dots && (len == 1 || len == 2);
    for &b in path.as_bytes() {
        if !is_path_char(b) {
            return false;
        }
        if b == b'/' {
            if dot_segment(len, dots) {
                return false;
            }
            (len, dots) = (0, 0);
        } else {
            len += 1;
            dots += usize::from(b == b'.');
        }
    }
    !dot_segment(len, dots)
}

/// A byte that stands for itself in a URL path (RFC 3986 `pchar` without `%`-escapes, and
/// `/`): unreserved, sub-delims, `:` and `@`. `.` counts; dot segments are checked apart.
pub(crate) fn is_path_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'/' | b'-'
                | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
        )
}

fn is_plain_absolute_path(href: &str) -> bool {
    let bytes = href.as_bytes();
    if bytes.first() != Some(&b'/') || bytes.get(1) == Some(&b'/') {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' => {
                // Dot segments need the full algorithm.
                let rest = &bytes[i + 1..];
                let dot_segment = rest == b"."
                    || rest == b".."
                    || rest.starts_with(b"./")
                    || rest.starts_with(b"../");
                if dot_segment {
                    return false;
                }
            }
            b'%' => {
                let hex = |b: Option<&u8>| b.is_some_and(u8::is_ascii_hexdigit);
                if !hex(bytes.get(i + 1)) || !hex(bytes.get(i + 2)) {
                    return false;
                }
                i += 2;
            }
            b if is_path_char(b) => {}
            _ => return false,
        }
        i += 1;
    }
    true
}

fn has_web_scheme(href: &str) -> bool {
    let lower = href.get(..8).unwrap_or(href).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Whether two URLs name the same resource, ignoring the differences servers are known to make.
pub fn same_resource(a: &str, b: &str) -> bool {
    normalize(a) == normalize(b)
}

/// A comparison key for a URL: decoded path without a trailing slash, lower-case host,
/// default port dropped, no query or fragment.
pub fn normalize(input: &str) -> String {
    if is_plain_url(input) {
        // Already in the form parsing would give, but for trailing slashes.
        return input.trim_end_matches('/').to_owned();
    }
    parsed_normalize(input)
}

/// Whether `input` is an `http`/`https` URL that `href::normalize` would give back as it is
/// (but for trailing slashes): lower-case scheme and host name (not a number, no IDNA label),
/// no user, a port other than the scheme's default and written without leading zeros, a path
/// of unreserved and sub-delimiter characters without `%` escapes or dot segments, and no
/// query or fragment.
pub(crate) fn is_plain_url(input: &str) -> bool {
    let (rest, default_port) = if let Some(r) = input.strip_prefix("http://") {
        (r, "80")
    } else if let Some(r) = input.strip_prefix("https://") {
        (r, "443")
    } else {
        return false;
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    plain_host(host) && port.is_none_or(|p| plain_port(p, default_port)) && is_plain_path(path)
}

/// A lower-case ASCII host name the URL parser keeps as it is: labels of `a-z`, digits and
/// `-`, none empty, none an IDNA `xn--` label, and the last not starting with a digit (the
/// parser reads such a host as an IPv4 address, in any of its forms), or a dotted quad
/// written the canonical way.
fn plain_host(host: &str) -> bool {
    let bytes = host.as_bytes();
    if bytes.windows(4).any(|w| w == b"xn--") {
        return false;
    }
    // One pass: the labels' bytes, no label empty; `label` ends as the last label's length.
    let mut label = 0;
    for &b in bytes {
        if b == b'.' {
            if label == 0 {
                return false;
            }
            label = 0;
        } else if b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' {
            label += 1;
        } else {
            return false;
        }
    }
    if label == 0 {
        return false; // empty, or a trailing dot
    }
    if !bytes[bytes.len() - label].is_ascii_digit() {
        return true;
    }
    canonical_dotted_quad(bytes)
}

/// Four decimal numbers up to 255 without leading zeros, separated by dots (one pass, no
/// `str::parse`: it runs for every member of a stored state on a server named by its address).
fn canonical_dotted_quad(host: &[u8]) -> bool {
    let mut parts = 0;
    for label in host.split(|&b| b == b'.') {
        parts += 1;
        if parts > 4 || label.is_empty() || label.len() > 3 || (label.len() > 1 && label[0] == b'0')
        {
            return false;
        }
        match decimal(label) {
            Some(n) if n <= 255 => {}
            _ => return false,
        }
    }
    parts == 4
}

/// The value of at most 9 ASCII digits; `None` for any other byte.
fn decimal(digits: &[u8]) -> Option<u32> {
    let mut n = 0u32;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(b - b'0');
    }
    Some(n)
}

/// A port the parser keeps as written: digits without a leading zero, at most 65535, not the
/// scheme's default (which it drops).
fn plain_port(port: &str, default_port: &str) -> bool {
    let digits = port.as_bytes();
    !digits.is_empty()
        && digits.len() <= 5
        && digits[0] != b'0'
        && decimal(digits).is_some_and(|n| n <= 65535)
        && port != default_port
}

/// [`normalize`] by parsing.
fn parsed_normalize(input: &str) -> String {
    match Url::parse(input) {
        Ok(u) => {
            let path = percent_decode(u.path());
            let path = path.trim_end_matches('/');
            let host = u.host_str().unwrap_or("");
            let mut out = String::with_capacity(16 + host.len() + path.len());
            out.push_str(u.scheme());
            out.push_str("://");
            // The host is already lower-case but for IDNA's output; the port is dropped when it
            // is the scheme's default.
            out.extend(host.chars().map(|c| c.to_ascii_lowercase()));
            if let Some(port) = u.port() {
                out.push(':');
                crate::url::push_decimal(&mut out, port.into());
            }
            out.push_str(path);
            out
        }
        Err(_) => percent_decode(input).trim_end_matches('/').to_owned(),
    }
}

/// Decodes `%XX` escapes; invalid escapes stay as they are, invalid UTF-8 is replaced.
pub fn percent_decode(path: &str) -> String {
    if !path.contains('%') {
        return path.to_owned();
    }
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether two URLs share scheme, host and port (the origin, RFC 6454).
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The printable ASCII characters [`encode_segment`] encodes: all but the unreserved ones
/// (RFC 3986 §2.3: letters, digits, `-._~`) and `@`. Controls, DEL and non-ASCII characters are
/// always encoded.
const SEGMENT_ENCODED: &[u8] = b" !\"#$%&'()*+,/:;<=>?[\\]^`{|}";

/// Percent-encodes a resource name for use as the last path segment of a new member.
pub fn encode_segment(name: &str) -> String {
    crate::url::encoded(name, SEGMENT_ENCODED)
}

/// Makes sure a collection URL ends with a slash, so that member names resolve inside it.
pub fn as_collection(url: &Url) -> Url {
    if url.path().ends_with('/') {
        url.clone()
    } else {
        let mut u = url.clone();
        let path = format!("{}/", u.path());
        u.set_path(&path);
        u
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://caldav.example.com/17149682/calendars/").expect("static URL")
    }

    #[test]
    fn resolves_relative_absolute_and_scheme_like() -> Result<()> {
        let b = base();
        assert_eq!(
            resolve(&b, "/17149682/principal/")?.as_str(),
            "https://caldav.example.com/17149682/principal/"
        );
        assert_eq!(
            resolve(&b, "https://p62-caldav.icloud.com:443/17149682/calendars/")?.as_str(),
            "https://p62-caldav.icloud.com/17149682/calendars/"
        );
        assert_eq!(
            resolve(&b, "work/a%40b.ics")?.as_str(),
            "https://caldav.example.com/17149682/calendars/work/a%40b.ics"
        );
        assert_eq!(
            resolve(&b, "a:b.vcf")?.as_str(),
            "https://caldav.example.com/17149682/calendars/a:b.vcf"
        );
        assert_eq!(
            resolve(&b, "  /x/y@z.ics \n")?.as_str(),
            "https://caldav.example.com/x/y@z.ics"
        );
        Ok(())
    }

    #[test]
    fn fast_path_equals_url_join() -> Result<()> {
        let bases = [
            "https://caldav.example.com/17149682/calendars/",
            "http://127.0.0.1:5232/alice/work/",
            "https://p62-caldav.icloud.com:443/x/y",
        ];
        let hrefs = [
            "/a/b.ics",
            "/alice/work/a%40b.ics",
            "/calendars/x/event-00001.ics",
            "/a/./b",
            "/a/../b",
            "/a/..",
            "/a/.",
            "/a/.hidden/b..c.ics",
            "//other/x",
            "/a b",
            "/a%zz",
            "/a%4",
            "/é.ics",
            "/a?b",
            "/a#b",
            "/~user/(1)+[2].ics",
            "/a;b=c:d@e!$&'*,",
            "relative.ics",
            "/",
        ];
        for base in bases {
            let b = Url::parse(base).map_err(|e| Error::new(ErrorKind::Protocol, e.to_string()))?;
            for h in hrefs {
                assert_eq!(
                    resolve_to_string(&b, h)?,
                    resolve(&b, h)?.to_string(),
                    "{base} + {h}"
                );
            }
        }
        Ok(())
    }

    /// `normalize` and `parsed_normalize` give the same key for every URL made of one scheme,
    /// host, port and path of the lists.
    fn agrees_on_every_combination(
        schemes: &[&str],
        hosts: &[&str],
        ports: &[&str],
        paths: &[&str],
    ) {
        let mut checked = 0;
        for scheme in schemes {
            for host in hosts {
                for port in ports {
                    for path in paths {
                        let url = format!("{scheme}{host}{port}{path}");
                        assert_eq!(normalize(&url), parsed_normalize(&url), "{url:?}");
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(
            checked,
            schemes.len() * hosts.len() * ports.len() * paths.len()
        );
    }

    #[test]
    fn plain_urls_are_kept() {
        for (input, plain) in [
            ("http://127.0.0.1:5232/alice/cal/e1.ics", true),
            ("https://dav.example.com/cal/", true),
            ("https://dav.example.com", true),
            ("http://localhost:8080/a/b;c=d/e@f:g", true),
            ("http://Example.com/a", false),
            ("HTTP://example.com/a", false),
            ("http://example.com:80/a", false),
            ("https://example.com:443/a", false),
            ("http://example.com:0080/a", false),
            ("http://example.com:/a", false),
            ("http://user@example.com/a", false),
            ("http://example.com/a%20b", false),
            ("http://example.com/a/../b", false),
            ("http://example.com/a/./b", false),
            ("http://example.com/a/..", false),
            ("http://example.com/.", false),
            ("http://example.com/a/.../b", true),
            ("http://example.com/.a/..b/", true),
            ("http://example.com./a", false),
            ("http://a..example.com/a", false),
            ("http://axn--b.example/a", false),
            ("http://example.com/a?x=1", false),
            ("http://example.com/a#f", false),
            ("http://example.com/a b", false),
            ("http://127.1/a", false),
            ("http://0x7f.0.0.1/a", false),
            ("http://010.0.0.1/a", false),
            ("http://example.123/a", false),
            ("http://xn--bcher-kva.example/a", false),
            ("http://[::1]/a", false),
            ("/relative/path", false),
            ("mailto:a@example.com", false),
        ] {
            assert_eq!(is_plain_url(input), plain, "{input}");
            assert_eq!(normalize(input), parsed_normalize(input), "{input}");
        }
    }

    /// Generated URLs from pieces chosen to hit every rule: `normalize` (which takes
    /// plain URLs as they are) and `parsed_normalize` agree on all of them.
    #[test]
    fn normalize_without_parsing_is_the_parsed_one_on_more_urls() {
        let schemes = ["http://", "https://", "HTTP://", "ftp://", ""];
        let hosts = [
            "example.com",
            "EXAMPLE.com",
            "127.0.0.1",
            "127.1",
            "1.2.3.4.5",
            "256.0.0.1",
            "0.0.0.0",
            "01.2.3.4",
            "a.b-c.d",
            "a..b",
            ".a",
            "a.",
            "xn--nxasmq6b",
            "ex_ample.com",
            "",
            "user@host",
            "[::1]",
            "9host",
            "host9",
            "0x10",
        ];
        let ports = [
            "", ":80", ":443", ":8080", ":08080", ":", ":65536", ":99999", ":1",
        ];
        let paths = [
            "",
            "/",
            "//",
            "/a/b.ics",
            "/a/b/",
            "/a//b",
            "/a/%41",
            "/a/./b",
            "/a/../b",
            "/.",
            "/..",
            "/.a/b..",
            "/a b",
            "/a?q",
            "/a#f",
            "/a\\b",
            "/ä",
            "/a;b=c,d!$&'()*+:@~",
            "/a\tb",
            "/a|b",
            "/a{b}",
        ];
        agrees_on_every_combination(&schemes, &hosts, &ports, &paths);
    }

    #[test]
    fn normalize_without_parsing_is_the_parsed_one() {
        let schemes = ["http://", "https://", "HTTP://", "ftp://", ""];
        let hosts = [
            "h.example.com",
            "H.example.com",
            "127.0.0.1",
            "127.1",
            "127.000.0.1",
            "0x7f.0.0.1",
            "256.0.0.1",
            "1.2.3",
            "example.123",
            "example.0x1",
            "a..b",
            "xn--bcher-kva.example",
            "host.",
            "a_b",
            "h%41",
            "[::1]",
            "user@h",
            "",
            "localhost",
            "a-b.c-d",
        ];
        let ports = [
            "", ":", ":80", ":443", ":5232", ":0", ":08080", ":65535", ":65536", ":1x",
        ];
        let paths = [
            "",
            "/",
            "/a/b.ics",
            "/a/b/",
            "/a//",
            "/a/./b",
            "/a/../b",
            "/a%40b",
            "/a b",
            "/é",
            "/a?b",
            "/a#b",
            "/~u/(1)+[2].ics",
            "/a;b=c:d@e!$&'*,",
            "/a\\b",
        ];
        agrees_on_every_combination(&schemes, &hosts, &ports, &paths);
        // The inputs that take the fast path are among them.
        assert!(is_plain_url("http://127.0.0.1:5232/alice/cal/"));
        assert!(is_plain_url("https://h.example.com/a/b.ics"));
    }

    #[test]
    fn compares_like_servers_mean() {
        assert!(same_resource(
            "https://H.example.com:443/cal/a%40b/",
            "https://h.example.com/cal/a@b"
        ));
        assert!(!same_resource("https://h/cal/a", "https://h/cal/b"));
        assert!(!same_resource("https://h:8443/x", "https://h/x"));
        assert!(!same_resource("http://h/x", "https://h/x"));
        assert_eq!(normalize("%zz%4"), "%zz%4");
    }

    #[test]
    fn origins() -> Result<()> {
        let a = parse_url("https://h.example.com/a")?;
        assert!(same_origin(&a, &parse_url("https://H.example.com:443/b")?));
        assert!(!same_origin(&a, &parse_url("http://h.example.com/a")?));
        assert!(!same_origin(&a, &parse_url("https://p1-h.example.com/a")?));
        Ok(())
    }

    #[test]
    fn rejects_bad_urls() {
        assert_eq!(
            parse_url("ftp://x/").err().map(|e| e.kind()),
            Some(ErrorKind::InvalidInput)
        );
        assert_eq!(
            parse_url("/relative").err().map(|e| e.kind()),
            Some(ErrorKind::InvalidInput)
        );
    }

    #[test]
    fn encodes_segments() {
        assert_eq!(encode_segment("a b%c/d@e.ics"), "a%20b%25c%2Fd@e.ics");
        assert_eq!(encode_segment("ü"), "%C3%BC");
        assert_eq!(encode_segment("~Az09-._"), "~Az09-._");
        assert_eq!(
            encode_segment("\0\t\x7f !\"#$&'()*+,:;<=>?[\\]^`{|}"),
            "%00%09%7F%20%21%22%23%24%26%27%28%29%2A%2B%2C%3A%3B%3C%3D%3E%3F%5B%5C%5D%5E%60%7B%7C%7D"
        );
        assert_eq!(encode_segment("€😀"), "%E2%82%AC%F0%9F%98%80");
        assert_eq!(encode_segment(""), "");
    }

    /// The byte-wise encoder `encode_segment` had before it used the url module's.
    fn encode_segment_bytewise(name: &str) -> String {
        let mut out = String::new();
        for b in name.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                    out.push(b as char)
                }
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    }

    #[test]
    fn encodes_segments_as_the_bytewise_encoder_did() {
        // Every character of one, two, three and four UTF-8 bytes up to U+FFFF, then a sample
        // above, alone and after each ASCII character.
        let chars = (0..=0xFFFF_u32)
            .chain((0x10000..=0x10FFFF).step_by(97))
            .filter_map(char::from_u32);
        for c in chars {
            let one = c.to_string();
            assert_eq!(encode_segment(&one), encode_segment_bytewise(&one), "{c:?}");
            if c.is_ascii() {
                for d in (0..=0x7F_u8).map(char::from) {
                    let two: String = [c, d].into_iter().collect();
                    assert_eq!(encode_segment(&two), encode_segment_bytewise(&two));
                }
            }
        }
        // Longer names mixing all of them (a fixed xorshift sequence).
        let mut x = 0x9E37_79B9_7F4A_7C15_u64;
        for _ in 0..2000 {
            let name: String = (0..x % 24)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let code = match x % 4 {
                        0 | 1 => (x >> 8) % 0x80,
                        2 => (x >> 8) % 0x800,
                        _ => (x >> 8) % 0x11_0000,
                    };
                    char::from_u32(code as u32).unwrap_or('\u{FFFD}')
                })
                .collect();
            assert_eq!(
                encode_segment(&name),
                encode_segment_bytewise(&name),
                "{name:?}"
            );
        }
    }
}
