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
        // Not a URL we can parse: drop everything before an '@' in the authority, to be safe.
        Err(_) => match (url.find("://"), url.find('@')) {
            (Some(scheme_end), Some(at)) if at > scheme_end => {
                format!("{}{}", &url[..scheme_end + 3], &url[at + 1..])
            }
            _ => url.to_owned(),
        },
    }
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
        assert_eq!(
            url_for_display("not a url alice:pw@host"),
            "not a url alice:pw@host"
        );
        assert_eq!(url_for_display("weird://a:b@%%%"), "weird://%%%");
    }

    #[test]
    fn excerpt_cuts_at_characters() {
        assert_eq!(excerpt("  héllo wörld ".as_bytes(), 5), "héllo…");
        assert_eq!(excerpt(b"short", 50), "short");
        assert_eq!(excerpt(&[0xff, 0xfe, b'a'], 10), "\u{fffd}\u{fffd}a");
    }
}
