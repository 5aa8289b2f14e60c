//! `ReqwestTransport`'s wait for progress (`REQUEST_IDLE_TIMEOUT_MS`, here set short): a server
//! that never answers, and one that stops in the middle of a body, fail the request with a
//! `Transport` error that says it timed out; a body that keeps coming in small pieces, slower in
//! all than the wait, is read whole (the wait is for progress, not for the whole request).
//!
//! The server is a few lines over `std::net::TcpListener` on 127.0.0.1; each test's answer is a
//! script of pieces with pauses.

#![cfg(feature = "reqwest")]
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test code

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use davkit::{ErrorKind, ReqwestTransport, Transport};

mod common;
use common::get;

const IDLE: Duration = Duration::from_millis(300);

/// Serves one connection: reads the request head, then writes each piece after its pause.
fn server(pieces: Vec<(Duration, Vec<u8>)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/cal/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
        }
        for (pause, piece) in pieces {
            std::thread::sleep(pause);
            if stream
                .write_all(&piece)
                .and_then(|()| stream.flush())
                .is_err()
            {
                return;
            }
        }
        // Hold the connection open, silent, until the client goes.
        std::thread::sleep(Duration::from_secs(5));
    });
    url
}

fn head(length: usize) -> Vec<u8> {
    format!("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {length}\r\n\r\n")
        .into_bytes()
}

async fn timed_out(url: &str) {
    let transport = ReqwestTransport::with_idle_timeout(Some(IDLE)).unwrap();
    let started = Instant::now();
    let error = transport
        .send(get(url))
        .await
        .expect_err("the request must fail");
    let took = started.elapsed();
    assert_eq!(error.kind(), ErrorKind::Transport, "{error}");
    assert!(error.to_string().contains("timed out"), "{error}");
    assert!(took >= IDLE && took < IDLE * 10, "failed after {took:?}");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    timed_out(&server(Vec::new())).await;
}

#[tokio::test]
async fn a_body_that_stops_half_way_times_out() {
    let url = server(vec![
        (Duration::ZERO, head(10)),
        (Duration::ZERO, b"hello".to_vec()),
    ]);
    timed_out(&url).await;
}

#[tokio::test]
async fn a_slow_body_that_keeps_coming_is_read_whole() {
    // Ten pieces 100 ms apart: a second in all, more than three times the wait.
    let mut pieces = vec![(Duration::ZERO, head(10))];
    pieces.extend((0..10).map(|i| (Duration::from_millis(100), vec![b'0' + i])));
    let url = server(pieces);
    let transport = ReqwestTransport::with_idle_timeout(Some(IDLE)).unwrap();
    let started = Instant::now();
    let response = transport.send(get(&url)).await.unwrap();
    assert_eq!(response.body, b"0123456789");
    assert!(started.elapsed() > IDLE * 3, "{:?}", started.elapsed());
}
