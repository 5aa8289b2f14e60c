//! `ReqwestTransport` and kept-alive connections a server closes without notice: a safe request
//! (GET, PROPFIND) that fails on the reused connection before any response is sent once more on
//! a new connection; a write (PUT) is not, and its error reaches the caller.
//!
//! The server is a few lines of HTTP/1.1 over `std::net::TcpListener` on 127.0.0.1: its first
//! connection answers one request with `Connection: keep-alive` and a `Content-Length`, then
//! reads the next request and closes the socket without answering (what an idle-timeout proxy
//! does when the close races the client's next request). Every later connection answers
//! normally.
//!
//! The second server is SOGo's `sogod` as it answers here: an error answer (404, 412) carries
//! no `Connection: close`, yet the connection is closed a moment later, and a request the
//! client wrote on it meanwhile is reset unread. A create there checks the name first (SOGo
//! ignores `If-None-Match`), and that check's answer is a 404: the PUT after it must not ride
//! on the doomed connection, nor must the PUT sent again after a read that resolved a lost one,
//! nor a write after a REPORT, whose 207 SOGo also follows with a close.

#![cfg(feature = "reqwest")]
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test code

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use davkit::{
    Config, Credentials, DavClient, ErrorKind, HttpRequest, Method, RequestId, ReqwestTransport,
    Transport,
};

/// What the server saw: for each request, the connection number (from 1) and the method.
type Log = Arc<Mutex<Vec<(usize, String)>>>;

/// One request as the servers read it.
struct Request {
    method: String,
    body: Vec<u8>,
    /// Whether it has an `If-Match` header.
    if_match: bool,
}

/// Reads one request (head and `Content-Length` body), `None` when the peer closed first.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let method = line.split(' ').next()?.to_owned();
    let mut length = 0usize;
    let mut if_match = false;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
            if_match |= name.eq_ignore_ascii_case("if-match");
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        body,
        if_match,
    })
}

fn answer(stream: &mut TcpStream, body: &str) {
    let head = format!(
        "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Type: text/plain\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body.as_bytes()).unwrap();
    stream.flush().unwrap();
}

/// Starts the server; returns its base URL and the log of requests it read.
fn server() -> (String, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let log: Log = Arc::default();
    let seen = Arc::clone(&log);
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { return };
            let connection = n + 1;
            let seen = Arc::clone(&seen);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut served = 0;
                while let Some(Request { method, .. }) = read_request(&mut reader) {
                    seen.lock().unwrap().push((connection, method.clone()));
                    if connection == 1 && served == 1 {
                        // The idle timeout fired: close without a word.
                        let _ = stream.shutdown(std::net::Shutdown::Both);
                        return;
                    }
                    answer(&mut stream, &format!("{method} on connection {connection}"));
                    served += 1;
                }
            });
        }
    });
    (url, log)
}

fn request(method: Method, url: &str, body: Option<&str>) -> HttpRequest {
    HttpRequest {
        id: RequestId(1),
        method,
        url: url.to_owned(),
        headers: vec![("Content-Type".into(), "application/xml".into())],
        body: body.map(|b| b.as_bytes().to_vec()),
    }
}

/// The first request, answered on connection 1, which then sits idle in reqwest's pool.
async fn warm_up(transport: &ReqwestTransport, url: &str) {
    let first = transport
        .send(request(Method::Get, url, None))
        .await
        .unwrap();
    assert_eq!(first.status, 200);
    assert_eq!(first.body, b"GET on connection 1");
    // Let the pool take the connection back before the next request.
    tokio::time::sleep(Duration::from_millis(100)).await;
}

fn log_of(log: &Log) -> Vec<(usize, String)> {
    log.lock().unwrap().clone()
}

#[tokio::test]
async fn safe_requests_are_sent_again_on_a_new_connection() {
    for method in [Method::Get, Method::Propfind] {
        let (url, log) = server();
        let transport = ReqwestTransport::new().unwrap();
        warm_up(&transport, &url).await;
        let body = (method == Method::Propfind).then_some("<d:propfind xmlns:d=\"DAV:\"/>");
        let response = transport
            .send(request(method, &format!("{url}x"), body))
            .await
            .unwrap_or_else(|e| panic!("{method} was not retried: {e}"));
        assert_eq!(response.status, 200);
        let expected = format!("{method} on connection 2");
        assert_eq!(String::from_utf8_lossy(&response.body), expected);
        // The dead connection really was reused (the case under test), then a new one.
        let name = method.as_str().to_owned();
        assert_eq!(
            log_of(&log),
            vec![(1, "GET".into()), (1, name.clone()), (2, name)]
        );
    }
}

#[tokio::test]
async fn writes_are_not_sent_again() {
    let (url, log) = server();
    let transport = ReqwestTransport::new().unwrap();
    warm_up(&transport, &url).await;
    let put = request(
        Method::Put,
        &format!("{url}event.ics"),
        Some("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),
    );
    let error = transport.send(put).await.expect_err("the PUT must fail");
    assert_eq!(error.kind(), ErrorKind::Transport);
    let puts: Vec<_> = log_of(&log)
        .into_iter()
        .filter(|(_, m)| m == "PUT")
        .collect();
    assert_eq!(
        puts,
        vec![(1, "PUT".to_owned())],
        "exactly one PUT was sent"
    );
}

/// A server that closes a connection shortly after each error answer and each REPORT's 207,
/// as `sogod` does (one object store, at any path; a PUT with `If-Match` finds no object it
/// matches, a REPORT lists nothing). With `lose_first_put`, the first PUT is read and its
/// connection closed unanswered (a write lost in transit, not applied).
fn sogo_like_server(lose_first_put: bool) -> (String, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let log: Log = Arc::default();
    let seen = Arc::clone(&log);
    let stored: Arc<Mutex<Option<Vec<u8>>>> = Arc::default();
    let lost = Arc::new(Mutex::new(!lose_first_put));
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { return };
            let connection = n + 1;
            let (seen, stored, lost) = (Arc::clone(&seen), Arc::clone(&stored), Arc::clone(&lost));
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                while let Some(Request {
                    method,
                    body,
                    if_match,
                }) = read_request(&mut reader)
                {
                    seen.lock().unwrap().push((connection, method.clone()));
                    let object = stored.lock().unwrap().clone();
                    let (status, body): (&str, Vec<u8>) = match (method.as_str(), object) {
                        ("PUT", _) if if_match => ("412 Precondition Failed", Vec::new()),
                        ("PUT", _) if !std::mem::replace(&mut *lost.lock().unwrap(), true) => {
                            let _ = stream.shutdown(std::net::Shutdown::Both);
                            return;
                        }
                        ("PUT", _) => {
                            *stored.lock().unwrap() = Some(body);
                            ("201 Created", Vec::new())
                        }
                        ("GET", Some(object)) => ("200 OK", object),
                        ("REPORT", _) => ("207 Multi-Status", SYNC_ANSWER.as_bytes().to_vec()),
                        _ => ("404 Not Found", Vec::new()),
                    };
                    let head = format!(
                        "HTTP/1.1 {status}\r\nETag: \"1\"\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    );
                    stream.write_all(head.as_bytes()).unwrap();
                    stream.write_all(&body).unwrap();
                    stream.flush().unwrap();
                    if status.starts_with('4') || method == "REPORT" {
                        // Closed a moment after the error answer or the REPORT's; whatever the
                        // client wrote meanwhile is not read (the close resets it).
                        std::thread::sleep(Duration::from_millis(300));
                        return;
                    }
                }
            });
        }
    });
    (url, log)
}

/// A sync-collection answer with no changes.
const SYNC_ANSWER: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
                           <d:multistatus xmlns:d=\"DAV:\"><d:sync-token>http://t/1</d:sync-token>\
                           </d:multistatus>";

const EVENT: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n\
                     UID:u1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260301T090000Z\r\n\
                     END:VEVENT\r\nEND:VCALENDAR\r\n";

/// A create on the SOGo-like server, through the whole client.
async fn sogo_create(lose_first_put: bool) -> (davkit::Result<davkit::WriteResult>, Log) {
    let (url, log) = sogo_like_server(lose_first_put);
    let client =
        DavClient::connect(Config::new(format!("{url}SOGo/dav/"), Credentials::None)).unwrap();
    let calendar = format!("{url}SOGo/dav/alice/Calendar/personal/");
    let result = client.create_object(&calendar, "e.ics", EVENT).await;
    (result, log)
}

#[tokio::test]
async fn a_create_after_the_name_check_does_not_ride_on_the_connection_its_404_closes() {
    let (result, log) = sogo_create(false).await;
    let written = result.expect("the create");
    assert!(written.url.ends_with("/e.ics"), "{}", written.url);
    assert_eq!(written.etag.as_deref(), Some("\"1\""));
    // The name check (its 404 closes connection 1), then the PUT and the read-back on a new one.
    assert_eq!(
        log_of(&log),
        vec![(1, "PROPFIND".into()), (2, "PUT".into()), (2, "GET".into())]
    );
}

#[tokio::test]
async fn a_lost_create_is_sent_again_on_a_new_connection_after_the_404_that_resolved_it() {
    let (result, log) = sogo_create(true).await;
    result.expect("the create, sent again once the read showed it was not applied");
    // PUT lost on 2; the read that resolves it (404) on 3, which that 404 closes; the name
    // checked again before the PUT is sent again (SOGo ignores If-None-Match, and the read may
    // come from a replica behind the write) on 4, whose 404 closes it too; the PUT again and
    // the read-back on 5. Exactly two PUTs reached the server.
    assert_eq!(
        log_of(&log),
        vec![
            (1, "PROPFIND".into()),
            (2, "PUT".into()),
            (3, "GET".into()),
            (4, "PROPFIND".into()),
            (5, "PUT".into()),
            (5, "GET".into()),
        ]
    );
}

#[tokio::test]
async fn a_write_after_a_report_does_not_ride_on_the_connection_the_report_closes() {
    let (url, log) = sogo_like_server(false);
    let client =
        DavClient::connect(Config::new(format!("{url}SOGo/dav/"), Credentials::None)).unwrap();
    let calendar = format!("{url}SOGo/dav/alice/Calendar/personal/");
    let synced = client
        .sync(
            davkit::SyncState::new(&calendar),
            davkit::CollectionKind::Calendar,
        )
        .await
        .expect("the sync");
    assert!(synced.changes.is_empty(), "{:?}", synced.changes);
    // An update under an ETag the server does not hold: its 412, not a reset connection.
    let stale = client
        .update_object(&format!("{calendar}e.ics"), EVENT, "\"stale\"")
        .await
        .expect_err("a stale ETag must fail");
    assert_eq!(stale.kind(), ErrorKind::PreconditionFailed, "{stale}");
    // The REPORT on connection 1 (which its answer closes), the PUT on a new one.
    assert_eq!(log_of(&log), vec![(1, "REPORT".into()), (2, "PUT".into())]);
}
