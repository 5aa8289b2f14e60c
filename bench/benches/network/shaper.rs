//! The link-shaping proxy (tests/servers/shaper.py) in front of a server, and its byte totals.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};

pub(crate) struct Shaper {
    child: Child,
    pub(crate) url: String,
}

impl Shaper {
    pub(crate) fn start(target: &str, extra: &[String]) -> Shaper {
        let script = std::env::var("DAVKIT_BENCH_SHAPER").unwrap_or_else(|_| {
            concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/servers/shaper.py").to_owned()
        });
        let mut child = Command::new("python3")
            .arg(&script)
            .arg("--target")
            .arg(target)
            .arg("--exit-on-stdin-eof")
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {script}: {e}"));
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .rsplit(' ')
            .next()
            .filter(|u| u.starts_with("http://"))
            .unwrap_or_else(|| panic!("shaper printed {line:?}"))
            .to_owned();
        Shaper { child, url }
    }

    /// Stops the shaper; returns its totals line ("N connections, X bytes up, Y bytes down").
    pub(crate) fn stop(mut self) -> String {
        drop(self.child.stdin.take());
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        let _ = self.child.wait();
        let totals = err
            .lines()
            .find(|l| l.starts_with("shaper: ") && l.contains("connections"));
        match totals {
            Some(line) => line.trim_start_matches("shaper: ").to_owned(),
            None => err.trim().to_owned(),
        }
    }
}

/// "12 connections, 3456 bytes up, 789012 bytes down" per run, in kB.
pub(crate) fn traffic(totals: &str, runs: usize) -> String {
    let numbers: Vec<f64> = totals
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .filter_map(|w| w.parse().ok())
        .collect();
    match numbers.as_slice() {
        [conns, up, down] => {
            let r = runs as f64;
            format!(
                "{:.0} kB down, {:.0} kB up, {:.0} connections per run",
                down / r / 1e3,
                up / r / 1e3,
                conns / r
            )
        }
        _ => format!("shaper said {totals:?}"),
    }
}
