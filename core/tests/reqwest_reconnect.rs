//! `ReqwestTransport` and kept-alive connections a server closes without notice: a safe request
//! (GET, PROPFIND) that fails on the reused connection before any response is sent once more on
//! a new connection; a write (PUT) is not, and its error reaches the caller.
//!
//! The server is a few lines of HTTP/1.1 over `std::net::TcpListener` on 127.0.0.1: its first
//! connection answers one request with `Connection: keep-alive` and a `Content-Length`, then
//! reads the next request and closes the socket without answering (what an idle-timeout proxy
//! does when the close races the client's next request). Every later connection answers
//! normally.

#![cfg(feature = "reqwest")]
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test code

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use davkit::{ErrorKind, HttpRequest, Method, RequestId, ReqwestTransport, Transport};

/// What the server saw: for each request, the connection number (from 1) and the method.
type Log = Arc<Mutex<Vec<(usize, String)>>>;

/// Reads one request (head and `Content-Length` body); `None` when the peer closed first.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<String> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let method = line.split(' ').next()?.to_owned();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(method)
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
                while let Some(method) = read_request(&mut reader) {
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
