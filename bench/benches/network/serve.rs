//! `DAVKIT_BENCH_SERVE=1`: the native client as a peer of the npm bench (bench/npm/network.mjs
//! with `DAVKIT_BENCH_NATIVE=1`), so that the npm package, tsdav and the native client run each
//! step in turn on the same servers in one run, rather than in two runs minutes apart on
//! servers of their own (the figures moved between such runs by more than the clients differ).
//!
//! One command per stdin line, one answer per stdout line:
//!
//! - `client <server> <url>`: a new native client (as each run of the bench makes) for the
//!   server of that name (`Radicale`, `Xandikos`, `DAViCal`; user and collection from the same
//!   environment as the bench), connecting to `url` (the server, or a shaper in front of it);
//!   answers `ok`.
//! - `step <n>`: runs step `n` (0 discover, 1 full fetch, 2 initial sync, 3 incremental sync)
//!   with that client, timed here by the wall clock as the bench times it; answers
//!   `ok <ms> <requests>` or `error <message>`.
//!
//! The runtime keeps running between commands (stdin is read on tokio's blocking pool), so the
//! client's pooled connections are looked after as in an app.

use std::io::Write;

use crate::davkit_client::Davkit;
use crate::{Settings, Target};

/// Reads commands until stdin ends.
pub(crate) async fn serve(targets: &[Target], s: &Settings) {
    let mut current: Option<(Davkit, Target)> = None;
    loop {
        let line = tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            match std::io::stdin().read_line(&mut line) {
                Ok(0) | Err(_) => None,
                Ok(_) => Some(line),
            }
        })
        .await
        .ok()
        .flatten();
        let Some(line) = line else { return };
        let answer = answer(line.trim(), targets, s, &mut current).await;
        let mut out = std::io::stdout().lock();
        // The peer reads one line per command: an answer never spans two.
        let _ = writeln!(out, "{}", answer.replace('\n', " "));
        let _ = out.flush();
    }
}

async fn answer(
    line: &str,
    targets: &[Target],
    s: &Settings,
    current: &mut Option<(Davkit, Target)>,
) -> String {
    let mut words = line.split_whitespace();
    match (words.next(), words.next(), words.next()) {
        (Some("client"), Some(name), Some(url)) => {
            let Some(target) = targets.iter().find(|t| t.name == name) else {
                return format!("error no server {name} in the environment");
            };
            let target = target.with_url(url);
            *current = Some((Davkit::new(&target, s), target));
            "ok".to_owned()
        }
        (Some("step"), Some(n), None) => {
            let Some((davkit, target)) = current.as_mut() else {
                return "error no client yet".to_owned();
            };
            match n.parse::<usize>() {
                Ok(step @ 0..=3) => match davkit.step(step, target, s).await {
                    Ok((ms, requests)) => format!("ok {ms} {requests}"),
                    Err(e) => format!("error {e}"),
                },
                _ => format!("error no step {n}"),
            }
        }
        _ => format!("error unknown command {line:?}"),
    }
}
