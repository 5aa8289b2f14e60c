//! Keeping credentials out of `Debug` output, error messages and logs.

/// Headers whose values are secrets and must never be shown.
pub(crate) fn is_secret_header(name: &str) -> bool {
    [
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
    ]
    .iter()
    .any(|s| name.eq_ignore_ascii_case(s))
}

/// A URL fit for messages: any `user:password@` part is removed, and so is the value of each
/// query parameter whose name says it may be a secret ([`secret_query_name`]).
pub(crate) fn url_for_display(url: &str) -> String {
    let shown = match crate::url::Url::parse(url) {
        Ok(mut u) => {
            if !u.username().is_empty() || u.password().is_some() {
                // Both calls only fail for URLs that cannot carry credentials at all.
                let _ = u.set_username("");
                let _ = u.set_password(None);
            }
            u.to_string()
        }
        Err(_) => without_userinfo(url.trim()),
    };
    without_secret_query_values(shown)
}

/// Whether a query parameter's name says its value may be a secret: in any case, one of
/// `token`, `key`, `apikey`, `secret`, `password`, `passwd`, `pass`, `pwd`, `sig`,
/// `signature`, `auth`, `session`, `sid`, `code`, `credential`, `accesstoken`, or a name whose
/// last part after `_` or `-` is one of the first twelve (`access_token`, `api_key`,
/// `client_secret`, `X-Amz-Signature`). A Calendar API `pageToken` or `syncToken` is not one.
fn secret_query_name(name: &[u8]) -> bool {
    const WORDS: [&str; 16] = [
        "token",
        "key",
        "apikey",
        "secret",
        "password",
        "passwd",
        "pass",
        "pwd",
        "sig",
        "signature",
        "auth",
        "session",
        "sid",
        "code",
        "credential",
        "accesstoken",
    ];
    let last = match name.iter().rposition(|b| matches!(b, b'_' | b'-')) {
        Some(at) => &name[at + 1..],
        None => &[],
    };
    WORDS.iter().enumerate().any(|(i, word)| {
        word.as_bytes().eq_ignore_ascii_case(name)
            || i < 12 && word.as_bytes().eq_ignore_ascii_case(last)
    })
}

/// `url` with the value of each query parameter named by [`secret_query_name`] replaced by
/// `REDACTED` (the fragment, after `#`, is left as it is: it is never sent).
fn without_secret_query_values(url: String) -> String {
    let end = url.find('#').unwrap_or(url.len());
    let Some(start) = url[..end].find('?') else {
        return url;
    };
    let bytes = url.as_bytes();
    let mut out = String::with_capacity(url.len());
    let mut copied = 0;
    let mut pair = start + 1;
    for i in start + 1..=end {
        if i < end && bytes[i] != b'&' {
            continue;
        }
        if let Some(eq) = bytes[pair..i].iter().position(|&b| b == b'=')
            && secret_query_name(&bytes[pair..pair + eq])
        {
            out.push_str(&url[copied..=pair + eq]);
            out.push_str("REDACTED");
            copied = i;
        }
        pair = i + 1;
    }
    out.push_str(&url[copied..]);
    out
}

/// Text that does not parse as a URL, for messages: everything up to its last `@` is dropped,
/// but for a leading scheme and its slashes. Where the user-info ends cannot be told from
/// such text (a password may hold `@`, `/`, `?` or `#`, and the scheme may be missing, as in
/// `alice:pw@host`, which reads as the scheme `alice`), so a path's `@` may take some of the
/// path with it: a message shows less, never a password.
fn without_userinfo(text: &str) -> String {
    let Some(at) = text.rfind('@') else {
        return text.to_owned();
    };
    let scheme = text.find(':').filter(|&end| {
        let name = &text[..end];
        name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    });
    let prefix = match scheme {
        // Only `http` and `https` are read with an authority; any other "scheme" may be a
        // user name (`alice:pw@host`) and goes with the rest.
        Some(end) if matches!(text[..end].to_ascii_lowercase().as_str(), "http" | "https") => {
            let slashes = text[end + 1..]
                .bytes()
                .take_while(|b| matches!(b, b'/' | b'\\'))
                .count();
            &text[..end + 1 + slashes]
        }
        _ => "",
    };
    format!("{prefix}{}", &text[at + 1..])
}

/// `secret` and the other forms a server may echo it in: escaped for XML or HTML (`&amp;`,
/// `&lt;`, `&gt;`, `&quot;`, and `'` as `&apos;`, `&#39;` or `&#x27;`), for a JSON string
/// (`\"`, `\\`, and `/` as it is or as `\/`) and percent-encoded (every byte but RFC 3986's
/// unreserved ones, in upper and lower case hex, and with `+` for a space); each form once,
/// the secret first.
pub(crate) fn encoded_forms(secret: &str) -> Vec<String> {
    let mut forms: Vec<String> = Vec::new();
    for form in 0..9u8 {
        let mut out = String::with_capacity(secret.len());
        for c in secret.chars() {
            push_encoded(&mut out, c, form);
        }
        if !forms.contains(&out) {
            forms.push(out);
        }
    }
    forms
}

/// `c` written in form `form` of [`encoded_forms`]: 0 as it is; 1-3 XML with `'` as
/// `&apos;`, `&#39;` or `&#x27;`; 4-5 JSON with `/` as it is or as `\/`; 6-8 percent-encoded
/// in upper case hex, lower case hex, and upper case with `+` for a space.
fn push_encoded(out: &mut String, c: char, form: u8) {
    let text = match (form, c) {
        (1..=3, '&') => "&amp;",
        (1..=3, '<') => "&lt;",
        (1..=3, '>') => "&gt;",
        (1..=3, '"') => "&quot;",
        (1, '\'') => "&apos;",
        (2, '\'') => "&#39;",
        (3, '\'') => "&#x27;",
        (4..=5, '"') => "\\\"",
        (4..=5, '\\') => "\\\\",
        (5, '/') => "\\/",
        (8, ' ') => "+",
        (6..=8, c) if !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')) => {
            let digits: &[u8; 16] = if form == 7 {
                b"0123456789abcdef"
            } else {
                b"0123456789ABCDEF"
            };
            for b in c.encode_utf8(&mut [0; 4]).bytes() {
                out.push('%');
                out.push(char::from(digits[usize::from(b >> 4)]));
                out.push(char::from(digits[usize::from(b & 15)]));
            }
            return;
        }
        _ => {
            out.push(c);
            return;
        }
    };
    out.push_str(text);
}

/// At most `max` characters of a body, for error messages.
pub(crate) fn excerpt(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    match trimmed.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &trimmed[..cut]),
        None => trimmed.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_userinfo() {
        assert_eq!(
            url_for_display("https://alice:pw@example.com/x/"),
            "https://example.com/x/"
        );
        // Not URLs: everything before the last `@` goes, but for an http(s) scheme.
        assert_eq!(url_for_display("not a url alice:pw@host"), "host");
        assert_eq!(url_for_display("weird://a:b@%%%"), "%%%");
        assert_eq!(
            url_for_display("https://alice:p@ss@dav example.com/x"),
            "https://dav example.com/x"
        );
        assert_eq!(
            url_for_display("alice:pw@dav.example.com/x"),
            "dav.example.com/x"
        );
        assert_eq!(
            url_for_display("HTTPS:\\\\alice:pw@dav example.com/"),
            "HTTPS:\\\\dav example.com/"
        );
        assert_eq!(
            url_for_display("https://dav example.com/"),
            "https://dav example.com/"
        );
    }

    #[test]
    fn hides_the_values_of_secret_query_parameters() {
        assert_eq!(
            url_for_display("https://h/cal/?access_token=ya29.x&view=1&API_KEY=k#tok=en"),
            "https://h/cal/?access_token=REDACTED&view=1&API_KEY=REDACTED#tok=en"
        );
        assert_eq!(
            url_for_display("https://a:b@h/x?sig=abc&X-Amz-Signature=def&password"),
            "https://h/x?sig=REDACTED&X-Amz-Signature=REDACTED&password"
        );
        // Not a URL: the same, after the user-info is dropped.
        assert_eq!(
            url_for_display("alice:pw@h x/?pwd=1&a=2"),
            "h x/?pwd=REDACTED&a=2"
        );
        assert_eq!(url_for_display("https://h/x?a=1&b"), "https://h/x?a=1&b");
        // Not secrets: a Calendar API page or sync token, a parameter that only ends so.
        assert_eq!(
            url_for_display("https://h/x?pageToken=p&syncToken=s&monkey=m&Code=c"),
            "https://h/x?pageToken=p&syncToken=s&monkey=m&Code=REDACTED"
        );
        assert_eq!(
            url_for_display("https://h/x#?token=1"),
            "https://h/x#?token=1"
        );
    }

    #[test]
    fn a_secret_comes_with_the_forms_a_server_may_echo_it_in() {
        let forms = encoded_forms("S3cr&t<pw>\"Zq9 '/\\");
        let expected = [
            "S3cr&t<pw>\"Zq9 '/\\",
            "S3cr&amp;t&lt;pw&gt;&quot;Zq9 &apos;/\\",
            "S3cr&amp;t&lt;pw&gt;&quot;Zq9 &#39;/\\",
            "S3cr&amp;t&lt;pw&gt;&quot;Zq9 &#x27;/\\",
            "S3cr&t<pw>\\\"Zq9 '/\\\\",
            "S3cr&t<pw>\\\"Zq9 '\\/\\\\",
            "S3cr%26t%3Cpw%3E%22Zq9%20%27%2F%5C",
            "S3cr%26t%3cpw%3e%22Zq9%20%27%2f%5c",
            "S3cr%26t%3Cpw%3E%22Zq9+%27%2F%5C",
        ];
        assert_eq!(forms, expected);
        // A secret with nothing to escape is itself only.
        assert_eq!(encoded_forms("abc-123_x.y~z"), ["abc-123_x.y~z"]);
    }

    #[test]
    fn excerpt_cuts_at_characters() {
        assert_eq!(excerpt("  héllo wörld ".as_bytes(), 5), "héllo…");
        assert_eq!(excerpt(b"short", 50), "short");
        assert_eq!(excerpt(&[0xff, 0xfe, b'a'], 10), "\u{fffd}\u{fffd}a");
    }
}
