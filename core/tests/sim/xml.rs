//! Just enough XML for the model server: reading the few things it needs from davkit's request
//! bodies (hrefs, the sync token, the page limit) and writing multistatus answers.

/// Escapes text for an XML element. `cr_as_ref` writes CR as `&#13;` (some servers do, so
/// the CRLF of iCalendar survives XML end-of-line handling); otherwise CR is written raw.
pub fn escape(text: &str, cr_as_ref: bool) -> String {
    let special = text.contains(['&', '<', '>']) || (cr_as_ref && text.contains('\r'));
    if !special {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' if cr_as_ref => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The texts of every element with this local name (any prefix), in document order; an empty
/// element (`<x/>` or `<x></x>`) gives an empty string.
pub fn texts(body: &str, local: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in body.match_indices(local) {
        // An opening tag: `<local` or `<prefix:local`, then `>`, `/` or whitespace.
        let before = &body[..at];
        let opens = before.ends_with('<')
            || before
                .rfind(|c: char| c == '<' || c == '>' || c.is_whitespace() || c == '/')
                .is_some_and(|i| {
                    before[i..].starts_with('<')
                        && before[i + 1..].ends_with(':')
                        && !before[i + 1..].starts_with('/')
                });
        let after = &body[at + local.len()..];
        if !opens || !after.starts_with(['>', '/', ' ', '\t', '\r', '\n']) {
            continue;
        }
        let Some(gt) = after.find('>') else { break };
        if after[..gt].ends_with('/') {
            out.push(String::new());
            continue;
        }
        let text = &after[gt + 1..];
        let stop = text.find('<').unwrap_or(text.len());
        out.push(unescape(text[..stop].trim()));
    }
    out
}

/// The first text of an element with this local name.
pub fn text(body: &str, local: &str) -> Option<String> {
    texts(body, local).into_iter().next()
}

/// What one `DAV:response` of a multistatus says about its href.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowBody {
    /// A member with its ETag and, for multiget answers, its data.
    Member { etag: String, data: Option<String> },
    /// A member whose ETag is given but whose data property is missing (404 propstat).
    NoData { etag: String },
    /// A status-only row (404 for a deletion, or an error row).
    Status(u16),
    /// The collection itself, its properties already rendered.
    Collection { props: String },
    /// The collection, truncated (RFC 6578 §3.6 507).
    Truncated,
}

/// One `DAV:response`: the href as the server writes it (an absolute path) and what it says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub href: String,
    pub body: RowBody,
}

/// How a server writes its XML: a `d:` prefix for DAV (most servers) or DAV as the default
/// namespace (iCloud), whether CR is escaped, and how hrefs are spelled (servers differ, and
/// some differ between answers: `@` raw or as `%40`, absolute paths or full URLs).
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub default_ns: bool,
    pub cr_as_ref: bool,
    pub encode_at: bool,
    pub full_urls: bool,
}

/// An href as the server writes it: space always encoded, `@` as the style says, and the
/// origin in front for full URLs. (Rows hold decoded paths; `%` is never re-encoded.)
fn spell_href(href: &str, style: Style) -> String {
    let mut out = String::with_capacity(href.len() + 24);
    if style.full_urls && href.starts_with('/') {
        out.push_str(crate::server::ORIGIN);
    }
    for c in href.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '@' if style.encode_at => out.push_str("%40"),
            c => out.push(c),
        }
    }
    out
}

impl Style {
    fn p(self) -> &'static str {
        if self.default_ns { "" } else { "d:" }
    }
}

fn status_line(status: u16) -> String {
    let reason = match status {
        200 => "OK",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        507 => "Insufficient Storage",
        _ => "Status",
    };
    format!("HTTP/1.1 {status} {reason}")
}

/// Renders a multistatus body. `data_prop` is `c:calendar-data` or `card:address-data`.
pub fn multistatus(
    style: Style,
    rows: &[Row],
    data_prop: &str,
    sync_token: Option<&str>,
) -> String {
    let p = style.p();
    let mut out = String::with_capacity(256 + rows.len() * 200);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    if style.default_ns {
        out.push_str("<multistatus xmlns=\"DAV:\"");
    } else {
        out.push_str("<d:multistatus xmlns:d=\"DAV:\"");
    }
    out.push_str(
        " xmlns:c=\"urn:ietf:params:xml:ns:caldav\" xmlns:card=\"urn:ietf:params:xml:ns:carddav\" \
         xmlns:cs=\"http://calendarserver.org/ns/\">\n",
    );
    for row in rows {
        let href = spell_href(&row.href, style);
        out.push_str(&format!(
            "<{p}response><{p}href>{}</{p}href>",
            escape(&href, false)
        ));
        let ok = |props: &str| {
            format!(
                "<{p}propstat><{p}prop>{props}</{p}prop><{p}status>{}</{p}status></{p}propstat>",
                status_line(200)
            )
        };
        match &row.body {
            RowBody::Member { etag, data } => {
                let mut props = format!("<{p}getetag>{}</{p}getetag>", escape(etag, false));
                if let Some(data) = data {
                    props.push_str(&format!(
                        "<{data_prop}>{}</{data_prop}>",
                        escape(data, style.cr_as_ref)
                    ));
                }
                out.push_str(&ok(&props));
            }
            RowBody::NoData { etag } => {
                out.push_str(&ok(&format!(
                    "<{p}getetag>{}</{p}getetag>",
                    escape(etag, false)
                )));
                out.push_str(&format!(
                    "<{p}propstat><{p}prop><{data_prop}/></{p}prop><{p}status>{}</{p}status></{p}propstat>",
                    status_line(404)
                ));
            }
            RowBody::Status(status) => {
                out.push_str(&format!("<{p}status>{}</{p}status>", status_line(*status)));
            }
            RowBody::Collection { props } => out.push_str(&ok(props)),
            RowBody::Truncated => {
                out.push_str(&format!("<{p}status>{}</{p}status>", status_line(507)));
            }
        }
        out.push_str(&format!("</{p}response>\n"));
    }
    if let Some(token) = sync_token {
        out.push_str(&format!(
            "<{p}sync-token>{}</{p}sync-token>\n",
            escape(token, false)
        ));
    }
    out.push_str(&format!("</{p}multistatus>\n"));
    out
}

/// The properties of a collection's own row in a listing (no `sync-token` when the server
/// has no RFC 6578).
pub fn collection_props(style: Style, calendar: bool, ctag: &str, token: Option<&str>) -> String {
    let p = style.p();
    let kind = if calendar {
        "<c:calendar/>"
    } else {
        "<card:addressbook/>"
    };
    let token = token
        .map(|t| format!("<{p}sync-token>{}</{p}sync-token>", escape(t, false)))
        .unwrap_or_default();
    format!(
        "<{p}resourcetype><{p}collection/>{kind}</{p}resourcetype>\
         <cs:getctag>{}</cs:getctag>{token}",
        escape(ctag, false),
    )
}

/// The properties of a child collection (an inbox, a folder) listed beside the members.
pub fn child_collection_props(style: Style) -> String {
    let p = style.p();
    format!("<{p}resourcetype><{p}collection/></{p}resourcetype>")
}

/// An RFC 4918 `DAV:error` body with one precondition.
pub fn error_body(condition: &str) -> String {
    format!(
        "<?xml version='1.0' encoding='UTF-8'?>\n<error xmlns='DAV:'>\n<{condition}/>\n</error>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_request_bodies() {
        let body = "<?xml version=\"1.0\"?><c:calendar-multiget xmlns:d=\"DAV:\" \
                    xmlns:c=\"urn:ietf:params:xml:ns:caldav\"><d:prop><d:getetag/></d:prop>\
                    <d:href>/dav/c0/a.ics</d:href><d:href>/dav/c0/b&amp;c.ics</d:href>\
                    </c:calendar-multiget>";
        assert_eq!(texts(body, "href"), ["/dav/c0/a.ics", "/dav/c0/b&c.ics"]);
        let sync = "<d:sync-collection xmlns:d=\"DAV:\"><d:sync-token/><d:sync-level>1\
                    </d:sync-level><d:limit><d:nresults>3</d:nresults></d:limit>";
        assert_eq!(text(sync, "sync-token").as_deref(), Some(""));
        assert_eq!(text(sync, "nresults").as_deref(), Some("3"));
    }

    #[test]
    fn spells_hrefs_in_every_style() {
        let style = |encode_at, full_urls| Style {
            default_ns: false,
            cr_as_ref: false,
            encode_at,
            full_urls,
        };
        let path = "/dav/c0/a b@x.ics";
        assert_eq!(spell_href(path, style(false, false)), "/dav/c0/a%20b@x.ics");
        assert_eq!(
            spell_href(path, style(true, true)),
            "https://sim.test/dav/c0/a%20b%40x.ics"
        );
        let body = multistatus(
            style(true, false),
            &[Row {
                href: path.into(),
                body: RowBody::Status(404),
            }],
            "c:calendar-data",
            None,
        );
        assert!(
            body.contains("<d:href>/dav/c0/a%20b%40x.ics</d:href>"),
            "{body}"
        );
    }
}
