//! RFC 6578 (Collection Synchronization for WebDAV): the sync-collection REPORT body (§3.2),
//! reading its answer into changes, deletions, a new token and truncation (§3.5, §3.6), and
//! recognising a rejected token (§3.2 `DAV:valid-sync-token`, or 410).

use crate::error::{Error, ErrorKind};
use crate::href;
use crate::http::HttpResponse;
use crate::rfc4918::has_condition;
use crate::rfc4918::multistatus::Multistatus;
use crate::xml::writer::{el, to_document};
use crate::xml::{DAV, QName, names};

/// A sync-collection REPORT body. An empty or absent token asks for the initial listing.
pub fn sync_collection_body(token: Option<&str>, limit: Option<u32>, props: &[QName]) -> String {
    let mut root = el(DAV, "sync-collection").with(match token {
        Some(t) if !t.is_empty() => el(DAV, "sync-token").with_text(t.to_owned()),
        _ => el(DAV, "sync-token"),
    });
    root = root.with(el(DAV, "sync-level").with_text("1"));
    if let Some(n) = limit {
        root = root.with(el(DAV, "limit").with(el(DAV, "nresults").with_text(n.to_string())));
    }
    root = root.with(el(DAV, "prop").with_empty(props));
    to_document(&root)
}

/// A member that was added or changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangedMember {
    /// The member's absolute URL.
    pub href: String,
    /// Its ETag, verbatim (quotes included).
    pub etag: Option<String>,
    /// Its size in bytes (`DAV:getcontentlength`), when the server gave it.
    pub size: Option<u64>,
}

/// One page of a sync-collection answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncPage {
    /// Members added or changed since the token.
    pub changed: Vec<ChangedMember>,
    /// Members removed since the token (absolute URLs).
    pub deleted: Vec<String>,
    /// The new token.
    pub token: Option<String>,
    /// The server truncated the answer (507 on the collection): ask again with `token`.
    pub truncated: bool,
}

/// Reads a sync-collection multistatus for the collection at `collection_url`.
///
/// The collection's own href (iCloud lists it with an ETag) is not a member and is dropped;
/// a duplicate href keeps its first occurrence.
pub fn read_sync_page(ms: Multistatus, collection_url: &str) -> SyncPage {
    let mut page = SyncPage {
        token: ms.sync_token,
        ..SyncPage::default()
    };
    let collection_key = href::normalize(collection_url);
    let mut seen = crate::string_set::StringSet::new();
    for response in ms.responses {
        let key = href::normalize(&response.href);
        if key == collection_key {
            if response.status == Some(507) {
                page.truncated = true;
            }
            continue;
        }
        if !seen.insert(key) {
            continue;
        }
        match row(response) {
            SyncRow::Changed(c) => page.changed.push(c),
            SyncRow::Deleted(d) => page.deleted.push(d),
        }
    }
    page
}

/// One row of a sync-collection answer, in the order the server gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncRow {
    /// A member added or changed (an error row too: it is fetched to find out, never skipped).
    Changed(ChangedMember),
    /// A member removed (404/410), as an absolute URL.
    Deleted(String),
}

/// A sync-collection answer read row by row: [`read_sync_rows`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncRows {
    /// The member rows in the server's order; a member may appear more than once (the first
    /// row counts, as in [`read_sync_page`]).
    pub rows: Vec<SyncRow>,
    /// The new token.
    pub token: Option<String>,
    /// The server truncated the answer (507 on the collection): ask again with `token`.
    pub truncated: bool,
}

/// Reads a sync-collection answer straight from its body, one `DAV:response` at a time, so
/// that no more than one response's typed form is held beside the rows (the whole parsed
/// multistatus of a 10,000-member answer is about 2.5 times its body): what a sync keeps of
/// each row is its href, ETag and size. Rows are as in [`read_sync_page`] (the collection's
/// own row dropped, error rows kept as changes), but duplicates are not removed.
pub fn read_sync_rows(
    body: &[u8],
    base_url: &str,
    collection_url: &str,
    limits: &crate::Limits,
) -> crate::Result<SyncRows> {
    let collection_key = href::normalize(collection_url);
    let mut responses = crate::rfc4918::multistatus::Responses::new(body, base_url, limits)?;
    let mut out = SyncRows::default();
    for response in responses.by_ref() {
        let response = response?;
        if href::normalize(&response.href) == collection_key {
            if response.status == Some(507) {
                out.truncated = true;
            }
            continue;
        }
        out.rows.push(row(response));
    }
    out.token = responses.sync_token().map(str::to_owned);
    out.rows.shrink_to_fit();
    Ok(out)
}

/// A member's row: deleted (404/410), changed with its ETag and size, or an error row (changed,
/// with nothing known).
pub(crate) fn row(response: crate::rfc4918::multistatus::Response) -> SyncRow {
    match response.status {
        Some(404) | Some(410) => SyncRow::Deleted(response.href),
        Some(s) if !(200..300).contains(&s) => SyncRow::Changed(ChangedMember {
            href: response.href,
            etag: None,
            size: None,
        }),
        _ => {
            let etag = response.prop_text(&names::GETETAG);
            let size = response.content_length();
            SyncRow::Changed(ChangedMember {
                href: response.href,
                etag,
                size,
            })
        }
    }
}

/// Whether an error answer to a sync-collection REPORT means "your token is no good": a
/// `DAV:valid-sync-token` precondition (403 or 409, as RFC 6578 and iCloud do), or 410 Gone.
pub fn is_invalid_token(response: &HttpResponse) -> bool {
    match response.status {
        410 => true,
        403 | 409 | 412 | 400 => has_condition(&response.body, DAV, "valid-sync-token"),
        _ => false,
    }
}

/// Whether an error answer to a sync-collection REPORT **with a stored token** means the
/// token is refused: [`is_invalid_token`], or one of the profile's `refused_statuses`
/// ([`Profile::refused_token_statuses`](crate::Profile::refused_token_statuses)) with or
/// without a body. A rate limit (429, 503, Google's `usageLimits` 403) or a 401 is never a
/// refused token: those are retried or reported as they are.
pub fn is_refused_token(response: &HttpResponse, refused_statuses: &[u16]) -> bool {
    if is_invalid_token(response) {
        return true;
    }
    refused_statuses.contains(&response.status)
        && !matches!(response.status, 401 | 429 | 503)
        && !crate::error::is_google_usage_limit(&response.body)
}

/// The error to report for a rejected token.
pub fn invalid_token_error(url: &str, response: &HttpResponse) -> Error {
    Error::from_response(url, response).with_kind(ErrorKind::InvalidSyncToken)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rfc4918::multistatus::parse;

    #[test]
    fn body_initial_and_limited() {
        let b = sync_collection_body(None, None, &[names::GETETAG]);
        assert!(b.contains("<d:sync-token/><d:sync-level>1</d:sync-level>"));
        let b = sync_collection_body(Some("http://t/1"), Some(50), &[names::GETETAG]);
        assert!(b.contains("<d:sync-token>http://t/1</d:sync-token>"));
        assert!(b.contains("<d:limit><d:nresults>50</d:nresults></d:limit>"));
    }

    #[test]
    fn icloud_page_drops_collection_and_reads_deletion() -> crate::Result<()> {
        let body = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<multistatus xmlns="DAV:">
<response xmlns="DAV:"><href>/289842362/calendars/work/</href>
 <propstat><prop><getetag xmlns="DAV:">"ldp3blyq"</getetag></prop><status>HTTP/1.1 200 OK</status></propstat></response>
<response xmlns="DAV:"><href>/289842362/calendars/work/plot-sync-probe-97471.ics</href>
 <status>HTTP/1.1 404 Not Found</status></response>
<sync-token>HwoQEgwAAEtvRDAmkwAAAAAYARgAIhUI7YrB98zK+bIDEJml3pqc7L7MhgEoAQ==</sync-token>
</multistatus>"#;
        let url = "https://p62-caldav.icloud.com/289842362/calendars/work/";
        let page = read_sync_page(parse(body, url)?, url);
        assert!(page.changed.is_empty());
        assert_eq!(
            page.deleted,
            ["https://p62-caldav.icloud.com/289842362/calendars/work/plot-sync-probe-97471.ics"]
        );
        assert!(page.token.as_deref().is_some_and(|t| t.ends_with("EoAQ==")));
        assert!(!page.truncated);
        Ok(())
    }

    #[test]
    fn truncation_is_flagged() -> crate::Result<()> {
        let body = br#"<d:multistatus xmlns:d="DAV:">
<d:response><d:href>/cal/a.ics</d:href><d:propstat><d:prop><d:getetag>"1"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
<d:response><d:href>/cal/a.ics</d:href><d:propstat><d:prop><d:getetag>"2"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
<d:response><d:href>/cal/</d:href><d:status>HTTP/1.1 507 Insufficient Storage</d:status></d:response>
<d:sync-token>http://t/2</d:sync-token></d:multistatus>"#;
        let url = "http://h/cal/";
        let page = read_sync_page(parse(body, url)?, url);
        assert!(page.truncated);
        assert_eq!(page.changed.len(), 1);
        assert_eq!(page.changed[0].etag.as_deref(), Some("\"1\""));
        Ok(())
    }

    #[test]
    fn rows_are_read_in_order_without_the_collection() -> crate::Result<()> {
        let body = br#"<d:multistatus xmlns:d="DAV:">
<d:response><d:href>/cal/a.ics</d:href><d:propstat><d:prop><d:getetag>"1"</d:getetag><d:getcontentlength>12</d:getcontentlength></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
<d:response><d:href>/cal/b.ics</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>
<d:response><d:href>/cal/c.ics</d:href><d:status>HTTP/1.1 500 Internal Server Error</d:status></d:response>
<d:response><d:href>/cal/a.ics</d:href><d:propstat><d:prop><d:getetag>"2"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
<d:response><d:href>/cal/</d:href><d:status>HTTP/1.1 507 Insufficient Storage</d:status></d:response>
<d:sync-token>http://t/2</d:sync-token></d:multistatus>"#;
        let url = "http://h/cal/";
        let rows = read_sync_rows(body, url, url, &crate::Limits::default())?;
        let changed = |href: &str, etag: Option<&str>, size| {
            SyncRow::Changed(ChangedMember {
                href: href.into(),
                etag: etag.map(str::to_owned),
                size,
            })
        };
        assert_eq!(
            rows.rows,
            [
                changed("http://h/cal/a.ics", Some("\"1\""), Some(12)),
                SyncRow::Deleted("http://h/cal/b.ics".into()),
                changed("http://h/cal/c.ics", None, None),
                changed("http://h/cal/a.ics", Some("\"2\""), None),
            ]
        );
        assert!(rows.truncated);
        assert_eq!(rows.token.as_deref(), Some("http://t/2"));
        // A body cut short is an error, not the rows before the cut.
        assert!(
            read_sync_rows(
                &body[..body.len() - 20],
                url,
                url,
                &crate::Limits::default()
            )
            .is_err()
        );
        Ok(())
    }

    #[test]
    fn invalid_token_signals() {
        let body = "<error xmlns='DAV:'><valid-sync-token/></error>";
        assert!(is_invalid_token(&HttpResponse::new(403, body)));
        assert!(is_invalid_token(&HttpResponse::new(409, body)));
        assert!(is_invalid_token(&HttpResponse::new(410, "")));
        assert!(!is_invalid_token(&HttpResponse::new(
            403,
            "<D:error xmlns:D=\"DAV:\"/>"
        )));
        assert!(!is_invalid_token(&HttpResponse::new(500, body)));
    }

    #[test]
    fn refused_token_by_profile() {
        let google = [400, 403, 409, 410];
        let empty_error = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<D:error xmlns:D=\"DAV:\"/>";
        assert!(is_refused_token(
            &HttpResponse::new(403, empty_error),
            &google
        ));
        assert!(is_refused_token(&HttpResponse::new(400, ""), &google));
        assert!(is_refused_token(&HttpResponse::new(409, ""), &google));
        assert!(!is_refused_token(
            &HttpResponse::new(403, empty_error),
            &[410]
        ));
        assert!(!is_refused_token(&HttpResponse::new(500, ""), &google));
        let rate = r#"{"error":{"errors":[{"domain":"usageLimits","reason":"rateLimitExceeded"}],"code":403}}"#;
        assert!(!is_refused_token(&HttpResponse::new(403, rate), &google));
        let quota = r#"{"error":{"errors":[{"domain":"usageLimits","reason":"quotaExceeded"}],"code":403}}"#;
        assert!(!is_refused_token(&HttpResponse::new(403, quota), &google));
        assert!(!is_refused_token(&HttpResponse::new(429, ""), &[429]));
        // The precondition counts whatever the profile.
        let body = "<error xmlns='DAV:'><valid-sync-token/></error>";
        assert!(is_refused_token(&HttpResponse::new(403, body), &[]));
    }
}
