//! The fault-injecting proxy (tests/servers/faultproxy.py) and runs of the CLI through it.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::RUN_TIMEOUT;
use crate::servers::Server;

pub(crate) struct Proxy {
    pub(crate) child: Child,
    pub(crate) stdin: Option<ChildStdin>,
    pub(crate) url: String,
    pub(crate) log: PathBuf,
}

impl Proxy {
    pub(crate) fn start(target: &str, seed: u64, dir: &Path) -> Proxy {
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/servers/faultproxy.py");
        let log = dir.join(format!("faults-{seed}.jsonl"));
        let stderr = std::fs::File::create(dir.join(format!("proxy-{seed}.stderr"))).expect("log");
        let mut child = Command::new("python3")
            .arg(&script)
            .args(["--target", target, "--seed", &seed.to_string(), "--log"])
            .arg(&log)
            .arg("--exit-on-stdin-eof")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("python3 {}: {e}", script.display()));
        let stdin = child.stdin.take();
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the proxy's first line");
        let url = line
            .trim()
            .strip_prefix("faultproxy: listening on ")
            .unwrap_or_else(|| panic!("faultproxy did not start: {line:?}"))
            .to_owned();
        Proxy {
            child,
            stdin,
            url,
            log,
        }
    }

    /// Faults injected so far, per kind.
    pub(crate) fn faults(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        for line in text.lines() {
            let v: Value = serde_json::from_str(line).unwrap_or_default();
            if let Some(kind) = v["kind"].as_str() {
                *counts.entry(kind.to_owned()).or_insert(0) += 1;
            }
        }
        counts
    }
}

impl Proxy {
    /// The logged faults whose path ends with `tail`, for failure messages.
    pub(crate) fn faults_at(&self, tail: &str) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().filter(|l| l.contains(tail)).collect();
        if lines.is_empty() {
            "no fault logged there".to_owned()
        } else {
            format!("faults there: {}", lines.join(" "))
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one CLI run ended with.
pub(crate) struct Run {
    /// The exit code; `None` when it was killed after [`RUN_TIMEOUT`].
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

pub(crate) fn davkit(server: &Server, proxy: &Proxy, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_davkit"));
    cmd.args(args)
        .env("DAVKIT_URL", &proxy.url)
        .env("DAVKIT_RETRY_DELAY_MS", "20")
        .env_remove("DAVKIT_BEARER")
        .env_remove("DAVKIT_USER")
        .env_remove("DAVKIT_PASSWORD")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some((user, password)) = &server.auth {
        cmd.env("DAVKIT_USER", user)
            .env("DAVKIT_PASSWORD", password);
    }
    let mut child = cmd.spawn().expect("the davkit binary runs");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let code = loop {
        match child.try_wait().expect("wait") {
            Some(status) => break status.code(),
            None if started.elapsed() > RUN_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    Run {
        code,
        stdout: reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
    }
}
