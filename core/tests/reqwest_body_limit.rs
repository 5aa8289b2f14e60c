//! `ReqwestTransport` reads at most `max_body_bytes` of decoded body: a gzip bomb (a small
//! compressed body that decodes to far more) and a plain body past the limit both fail with a
//! typed error once the limit is passed, and bodies within it arrive whole.
//!
//! The server is a few lines of HTTP/1.1 over `std::net::TcpListener` on 127.0.0.1 that answers
//! every request with one canned response and closes the connection. The gzip member is built
//! by hand (no compression crate is a dev-dependency): one fixed-Huffman deflate block of a zero
//! byte followed by back-references of 258 bytes at distance 1, 13 bits each, so 26 KB of gzip
//! decode to 4 MiB of zeros.

#![cfg(feature = "reqwest")]
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test code

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use davkit::reqwest_transport::DEFAULT_MAX_BODY_BYTES;
use davkit::{Config, Credentials, DavClient, ErrorKind, ReqwestTransport, Transport};

mod common;
use common::get;

/// Deflate's bit order: values LSB first, Huffman codes MSB first.
struct Bits {
    out: Vec<u8>,
    acc: u32,
    len: u32,
}

impl Bits {
    fn put(&mut self, value: u32, count: u32) {
        for i in 0..count {
            self.acc |= ((value >> i) & 1) << self.len;
            self.len += 1;
            if self.len == 8 {
                self.out.push(self.acc as u8);
                self.acc = 0;
                self.len = 0;
            }
        }
    }

    fn code(&mut self, code: u32, count: u32) {
        for i in (0..count).rev() {
            self.put((code >> i) & 1, 1);
        }
    }
}

fn crc32(data_len: usize) -> u32 {
    // CRC-32 of `data_len` zero bytes
    let mut crc = 0xFFFF_FFFFu32;
    for _ in 0..data_len {
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A gzip member of `1 + 258 * runs` zero bytes; returns it and the decoded length.
fn gzip_zeros(runs: usize) -> (Vec<u8>, usize) {
    let mut bits = Bits {
        out: Vec::new(),
        acc: 0,
        len: 0,
    };
    bits.put(1, 1); // BFINAL
    bits.put(1, 2); // BTYPE = 01, fixed Huffman codes
    bits.code(0x30, 8); // literal 0
    for _ in 0..runs {
        bits.code(0xC5, 8); // length symbol 285: 258 bytes
        bits.code(0, 5); // distance symbol 0: distance 1
    }
    bits.code(0, 7); // end of block (symbol 256)
    if bits.len > 0 {
        bits.out.push(bits.acc as u8);
    }
    let decoded = 1 + 258 * runs;
    let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    gz.extend_from_slice(&bits.out);
    gz.extend_from_slice(&crc32(decoded).to_le_bytes());
    gz.extend_from_slice(&(decoded as u32).to_le_bytes());
    (gz, decoded)
}

/// Serves `body` (with `headers`) to every request; returns the base URL.
fn server(headers: &'static str, body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let body = body.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                        break;
                    }
                }
                let head = format!(
                    "HTTP/1.1 200 OK\r\nConnection: close\r\n{headers}Content-Length: {}\r\n\r\n",
                    body.len()
                );
                // The client may stop reading and close: write errors are expected then.
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
                let _ = stream.flush();
            });
        }
    });
    url
}

const LIMIT: usize = 1024 * 1024;

#[test]
fn the_default_limit_is_64_mib() {
    assert_eq!(DEFAULT_MAX_BODY_BYTES, 64 * 1024 * 1024);
    let transport = ReqwestTransport::new().unwrap();
    assert_eq!(transport.max_body_bytes(), DEFAULT_MAX_BODY_BYTES);
    assert_eq!(transport.with_max_body_bytes(10).max_body_bytes(), 10);
    // `DavClient::connect` reads the limit from the configuration
    let mut config = Config::new("https://dav.example.com/", Credentials::None);
    assert_eq!(config.limits.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
    config.limits.max_body_bytes = 4096;
    let client = DavClient::connect(config).unwrap();
    assert_eq!(client.transport().max_body_bytes(), 4096);
}

#[tokio::test]
async fn a_gzip_bomb_stops_at_the_decoded_limit() {
    // 16,257 runs: 26 KB on the wire, 4 MiB decoded, four times the 1 MiB limit
    let (gz, decoded) = gzip_zeros(16_257);
    assert!(gz.len() < 27_000, "{} bytes of gzip", gz.len());
    assert!(decoded > 4 * LIMIT - 300);
    let url = server("Content-Encoding: gzip\r\n", gz);
    let transport = ReqwestTransport::new().unwrap().with_max_body_bytes(LIMIT);
    let err = transport.send(get(&url)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
    assert!(err.message().contains("larger than 1048576 bytes"), "{err}");
    assert_eq!(err.status(), Some(200));
}

#[tokio::test]
async fn a_gzip_body_within_the_limit_arrives_decoded() {
    // the same construction, 258,001 bytes decoded: the bomb above is valid gzip
    let (gz, decoded) = gzip_zeros(1000);
    let url = server("Content-Encoding: gzip\r\n", gz);
    let transport = ReqwestTransport::new().unwrap().with_max_body_bytes(LIMIT);
    let response = transport.send(get(&url)).await.unwrap();
    assert_eq!(response.body.len(), decoded);
    assert!(response.body.iter().all(|&b| b == 0));
}

#[tokio::test]
async fn a_plain_body_past_the_limit_is_refused_and_one_at_it_is_read() {
    let url = server("", vec![b'x'; LIMIT + 1]);
    let transport = ReqwestTransport::new().unwrap().with_max_body_bytes(LIMIT);
    let err = transport.send(get(&url)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
    let url = server("", vec![b'x'; LIMIT]);
    let response = transport.send(get(&url)).await.unwrap();
    assert_eq!(response.body.len(), LIMIT);
}
