//! The live servers from servers.py, and plain HTTP to them (not through davkit, not through the
//! proxy): requests, member listings, data.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

#[derive(Clone, Debug)]
pub(crate) struct Server {
    pub(crate) name: &'static str,
    /// The server's own URL (ends in `/`).
    pub(crate) url: String,
    pub(crate) auth: Option<(String, String)>,
    /// Where collections are created, relative to the root (`alice/`, `user/calendars/`).
    pub(crate) calendar_home: String,
    pub(crate) addressbook_home: String,
}

pub(crate) fn servers() -> Vec<Server> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let mut found = Vec::new();
    if let Some(url) = var("DAVKIT_RADICALE_URL") {
        found.push(Server {
            name: "radicale",
            url,
            auth: Some((
                var("DAVKIT_RADICALE_USER").unwrap_or_else(|| "alice".into()),
                var("DAVKIT_RADICALE_PASSWORD").unwrap_or_else(|| "alice-pass".into()),
            )),
            calendar_home: "alice/".into(),
            addressbook_home: "alice/".into(),
        });
    }
    if let Some(url) = var("DAVKIT_XANDIKOS_URL") {
        found.push(Server {
            name: "xandikos",
            url,
            auth: None,
            calendar_home: "user/calendars/".into(),
            addressbook_home: "user/contacts/".into(),
        });
    }
    assert!(
        !found.is_empty(),
        "neither DAVKIT_RADICALE_URL nor DAVKIT_XANDIKOS_URL is set: run this test through \
         `python3 tests/servers/servers.py --seed run -- cargo test -p davkit-cli -- --ignored`"
    );
    found
}

// Plain HTTP to the servers (not through davkit, not through the proxy)

pub(crate) struct Response {
    pub(crate) status: u16,
    /// The head of the answer (status line and headers).
    pub(crate) head: String,
    pub(crate) body: Vec<u8>,
}

impl Response {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// `http://host:port/path` -> (`host:port`, `/path`).
pub(crate) fn split_url(url: &str) -> (String, String) {
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("only http:// URLs: {url}"));
    match rest.find('/') {
        Some(i) => (rest[..i].to_owned(), rest[i..].to_owned()),
        None => (rest.to_owned(), "/".to_owned()),
    }
}

pub(crate) fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = body.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = String::from_utf8_lossy(&body[..end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            return out;
        }
        let start = end + 2;
        out.extend_from_slice(&body[start..(start + size).min(body.len())]);
        body = body.get(start + size + 2..).unwrap_or_default();
    }
}

pub(crate) fn http(
    server: &Server,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let (host, path) = split_url(url);
    let mut stream = TcpStream::connect(&host).unwrap_or_else(|e| panic!("connect {host}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some((user, password)) = &server.auth {
        head.push_str(&format!(
            "Authorization: Basic {}\r\n",
            davkit::base64::encode(format!("{user}:{password}").as_bytes())
        ));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("send head");
    stream.write_all(body).expect("send body");
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("{method} {url}: no HTTP answer"));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut rest = raw[split + 4..].to_vec();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{method} {url}: bad status line in {head}"));
    let header = |name: &str| {
        head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    };
    if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        rest = dechunk(&rest);
    } else if let Some(n) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        rest.truncate(n);
    }
    Response {
        status,
        head,
        body: rest,
    }
}

pub(crate) fn expect_status(r: &Response, ok: &[u16], what: &str) {
    assert!(
        ok.contains(&r.status),
        "{what}: status {}: {}",
        r.status,
        r.text()
    );
}

/// A collection's members as the server lists them: href (as sent) to ETag.
pub(crate) fn list_members(server: &Server, collection_url: &str) -> BTreeMap<String, String> {
    let body = br#"<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>"#;
    let r = http(
        server,
        "PROPFIND",
        collection_url,
        &[("Depth", "1"), ("Content-Type", "application/xml")],
        body,
    );
    expect_status(&r, &[207], &format!("PROPFIND {collection_url}"));
    let text = r.text();
    let (_, collection_path) = split_url(collection_url);
    let mut members = BTreeMap::new();
    let (mut href, mut etag) = (None::<String>, None::<String>);
    // A tiny reader for this one answer: tags by local name and the text after each.
    for piece in text.split('<').skip(1) {
        let (tag, after) = piece.split_once('>').unwrap_or((piece, ""));
        let closing = tag.starts_with('/');
        let name = tag
            .trim_start_matches('/')
            .split_whitespace()
            .next()
            .unwrap_or("");
        let local = name.rsplit(':').next().unwrap_or(name);
        let value = || unescape(after.trim());
        match (closing, local) {
            (false, "response") => (href, etag) = (None, None),
            (false, "href") if href.is_none() => href = Some(value()),
            (false, "getetag") => etag = Some(value()),
            (true, "response") => {
                let Some(mut h) = href.take() else { continue };
                if h.starts_with("http") {
                    h = split_url(&h).1;
                }
                let is_member = h.starts_with(&collection_path)
                    && h.trim_end_matches('/') != collection_path.trim_end_matches('/');
                if is_member {
                    members.insert(h, etag.take().unwrap_or_default());
                }
            }
            _ => {}
        }
    }
    members
}

pub(crate) fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

pub(crate) fn get_data(server: &Server, url: &str) -> String {
    let r = http(server, "GET", url, &[], b"");
    expect_status(&r, &[200], &format!("GET {url}"));
    r.text()
}
