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

/// A URL fit for messages: any `user:password@` part is removed.
pub(crate) fn url_for_display(url: &str) -> String {
    match crate::url::Url::parse(url) {
        Ok(mut u) => {
            if !u.username().is_empty() || u.password().is_some() {
                // Both calls only fail for URLs that cannot carry credentials at all.
                let _ = u.set_username("");
                let _ = u.set_password(None);
            }
            u.to_string()
        }
        Err(_) => without_userinfo(url.trim()),
    }
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
    fn excerpt_cuts_at_characters() {
        assert_eq!(excerpt("  héllo wörld ".as_bytes(), 5), "héllo…");
        assert_eq!(excerpt(b"short", 50), "short");
        assert_eq!(excerpt(&[0xff, 0xfe, b'a'], 10), "\u{fffd}\u{fffd}a");
    }
}
