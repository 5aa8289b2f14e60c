//! Server answers decoded from fuzz input, and a bounded driver that feeds them to a sans-IO
//! operation. Shared by the `discover`, `sync`, `schedule`, `gcal` and `queue` targets.
//!
//! The input is text records separated by the line `%%` (`"\n%%\n"`). The first record
//! configures the operation: `key: value` lines (`url`, `profile`, `credentials`, `service`,
//! `kind`, `state`, `batch`, `page-limit`, `multiget`, `limits`; each target reads the keys it
//! knows). Every other record is one answer:
//!
//! ```text
//! 207 @1            status, then optionally `@n`: answer the n-th request in flight (mod their
//! Name: value       count) instead of the oldest; a first token that is no number (`!`) makes
//! :final: URL       the answer a transport error. `:final:` sets `HttpResponse::final_url`.
//!
//! body...           after the first empty line, to the end of the record
//! ```
//!
//! When the records run out, every request still asked for gets a transport error, so any
//! operation has a finite run of answers; one that keeps asking after that is a finding.

use davkit::{
    Credentials, Error, ErrorKind, HttpRequest, HttpResponse, Operation, Poll, Profile, RequestId,
};
use url::Url;

/// The record separator.
pub const SEPARATOR: &[u8] = b"\n%%\n";

/// Requests an operation may still make once the input has no answers left (each answered by a
/// transport error) before the target calls it a hang. Discovery asks at most a few dozen (home
/// sets are capped at 32); a sync a few multigets and GETs per member left.
pub const MAX_REQUESTS_AFTER_INPUT: usize = 20_000;

/// The input split into the configuration and the answers.
pub struct Input<'a> {
    config: Vec<(String, String)>,
    /// The answer records, in order.
    pub answers: Vec<&'a [u8]>,
}

impl<'a> Input<'a> {
    /// Splits fuzz input into records.
    pub fn parse(data: &'a [u8]) -> Input<'a> {
        let mut records = split(data, SEPARATOR);
        let first = if records.is_empty() {
            &[][..]
        } else {
            records.remove(0)
        };
        let config = String::from_utf8_lossy(first)
            .lines()
            .filter_map(|l| {
                let (k, v) = l.split_once(':')?;
                Some((k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            })
            .collect();
        Input {
            config,
            answers: records,
        }
    }

    /// The value of a configuration key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.config
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A configuration number, if it parses.
    pub fn number(&self, key: &str) -> Option<u64> {
        self.get(key)?.parse().ok()
    }

    /// The server URL (default `https://dav.example.com/`).
    /// The input with `value` for `key` when the configuration does not set it.
    #[allow(dead_code)] // not every target has defaults of its own
    pub fn with_default(mut self, key: &str, value: &str) -> Self {
        if self.get(key).is_none() {
            self.config.push((key.to_owned(), value.to_owned()));
        }
        self
    }

    pub fn url(&self) -> String {
        self.get("url")
            .unwrap_or("https://dav.example.com/")
            .to_owned()
    }

    /// The configured profile: a name of [`Profile::by_name`], or none (picked from the URL).
    pub fn profile(&self) -> Option<Profile> {
        Profile::by_name(self.get("profile")?)
    }

    /// Credentials: `basic`, `bearer` or `none`; by default `bearer` for a profile that takes
    /// only tokens, else `basic`.
    pub fn credentials(&self) -> Credentials {
        match self.get("credentials") {
            Some("none") => Credentials::None,
            Some("bearer") => Credentials::bearer("fuzz-token"),
            Some("basic") => Credentials::basic("alice", "fuzz-password"),
            _ if self.profile().is_some_and(|p| p.bearer_only) => Credentials::bearer("fuzz-token"),
            _ => Credentials::basic("alice", "fuzz-password"),
        }
    }

    /// A session for this input: `None` when the configuration is refused (a typed error is
    /// all that is checked then).
    pub fn session(&self) -> Option<davkit::Session> {
        let mut config = davkit::Config::new(self.url(), self.credentials());
        config.profile = self.profile();
        if let Some(n) = self.number("page-limit") {
            config.sync_page_limit = Some(n as u32);
        }
        if let Some(n) = self.number("multiget") {
            config.multiget_batch_size = n as usize;
        }
        if let Some(n) = self.number("parallel") {
            config.max_parallel_requests = n as usize;
        }
        if let Some(json) = self.get("limits") {
            config.limits = serde_json::from_str(json).ok()?;
        }
        // Huge bodies in fuzz input are not the point here (the body limit is checked on entry).
        config.limits.max_body_bytes = config.limits.max_body_bytes.min(1 << 20);
        davkit::Session::new(config).ok()
    }
}

fn split<'a>(data: &'a [u8], sep: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some(i) = rest.windows(sep.len()).position(|w| w == sep) {
        out.push(&rest[..i]);
        rest = &rest[i + sep.len()..];
    }
    out.push(rest);
    out
}

/// One decoded answer.
enum Answer {
    Response(HttpResponse),
    TransportError,
}

fn decode(record: &[u8]) -> (Option<usize>, Answer) {
    let (head, body) = match record.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&record[..i], &record[i + 2..]),
        None => (record, &[][..]),
    };
    let head = String::from_utf8_lossy(head);
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or("");
    let mut tokens = status_line.split_whitespace();
    let status = tokens.next().and_then(|t| t.parse::<u16>().ok());
    let pick = tokens.find_map(|t| t.strip_prefix('@')?.parse::<usize>().ok());
    let Some(status) = status else {
        return (pick, Answer::TransportError);
    };
    let mut response = HttpResponse::new(status, body.to_vec());
    for line in lines {
        if let Some(url) = line.strip_prefix(":final:") {
            response.final_url = Some(url.trim().to_owned());
        } else if let Some((name, value)) = line.split_once(':') {
            response
                .headers
                .push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    (pick, Answer::Response(response))
}

/// Checks what every request must hold: an absolute http(s) URL, and credentials only where
/// the server's origin or a profile's trusted host suffix (over https) allows them, never from
/// https down to http.
pub fn check_request(session: &davkit::Session, request: &HttpRequest) {
    let url = Url::parse(&request.url)
        .unwrap_or_else(|e| panic!("request URL {:?} does not parse: {e}", request.url));
    assert!(
        matches!(url.scheme(), "http" | "https"),
        "request URL scheme {}",
        url.scheme()
    );
    if request.header("authorization").is_none() {
        return;
    }
    let server = Url::parse(session.server_url()).expect("server URL parses");
    assert!(
        !(server.scheme() == "https" && url.scheme() != "https"),
        "credentials sent over http after an https server URL: {}",
        request.url
    );
    let same_origin = server.origin() == url.origin();
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    let trusted = url.scheme() == "https"
        && session
            .profile()
            .trusted_host_suffixes
            .iter()
            .any(|s| host.ends_with(s.as_str()));
    assert!(
        same_origin || trusted,
        "credentials sent to {} (server {})",
        request.url,
        server
    );
}

/// Runs `op` to completion, answering its requests from `answers` (then with transport
/// errors); answers it does not use stay for the next operation. Panics when the operation
/// waits with nothing in flight or keeps asking after the answers ran out.
pub fn drive<'a, O: Operation>(
    session: &davkit::Session,
    mut op: O,
    answers: &mut impl Iterator<Item = &'a &'a [u8]>,
) -> davkit::Result<O::Output> {
    let mut in_flight: Vec<RequestId> = Vec::new();
    let mut after_input = 0usize;
    loop {
        loop {
            match op.poll() {
                Poll::Send(request) => {
                    check_request(session, &request);
                    assert!(
                        !in_flight.contains(&request.id),
                        "request id {:?} reused while in flight",
                        request.id
                    );
                    in_flight.push(request.id);
                }
                Poll::Wait => break,
                Poll::Done(result) => return result,
            }
        }
        assert!(
            !in_flight.is_empty(),
            "the operation waits with no request in flight"
        );
        match answers.next() {
            Some(record) => {
                let (pick, answer) = decode(record);
                let id = in_flight.remove(pick.unwrap_or(0) % in_flight.len());
                match answer {
                    Answer::Response(response) => op.handle_response(id, response),
                    Answer::TransportError => op.handle_transport_error(
                        id,
                        Error::new(ErrorKind::Transport, "fuzz: connection reset"),
                    ),
                }
            }
            None => {
                after_input += 1;
                assert!(
                    after_input <= MAX_REQUESTS_AFTER_INPUT,
                    "the operation asked more than {MAX_REQUESTS_AFTER_INPUT} times after the \
                     answers ran out (every one a transport error)"
                );
                let id = in_flight.remove(0);
                op.handle_transport_error(
                    id,
                    Error::new(ErrorKind::Transport, "fuzz: no more answers"),
                );
            }
        }
    }
}

/// A sync's new state is for `collection` and survives a JSON round trip, so the app can store
/// it and resume from it.
#[allow(dead_code)] // for the targets that sync
pub fn check_state(state: &davkit::SyncState, collection: &str) {
    assert_eq!(
        state.collection_url, collection,
        "the new state is for another collection"
    );
    let json = serde_json::to_string(state).expect("state serialises");
    let again: davkit::SyncState = serde_json::from_str(&json).expect("stored state reads back");
    assert_eq!(&again, state, "state JSON round trip");
}
