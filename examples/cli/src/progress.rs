//! The progress display and the transport that feeds it.
//!
//! davkit's operations run to completion inside one call, so the CLI measures progress where it
//! can see it: every HTTP exchange goes through [`CountingTransport`], which counts it on the
//! spinner, and `sync --all` advances a bar per collection.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use davkit::{HttpRequest, HttpResponse, ReqwestTransport, Transport};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A spinner or bar on standard error; invisible unless enabled and started.
#[derive(Clone, Debug)]
pub struct Progress {
    bar: ProgressBar,
    visible: bool,
    requests: Arc<AtomicU64>,
}

impl Progress {
    /// A display that stays hidden until started, and for good when `visible` is false.
    pub fn new(visible: bool) -> Self {
        Progress {
            bar: ProgressBar::hidden(),
            visible,
            requests: Arc::new(AtomicU64::new(0)),
        }
    }

    fn show(&self, template: &str) {
        if !self.visible {
            return;
        }
        if let Ok(style) = ProgressStyle::with_template(template) {
            self.bar.set_style(style.progress_chars("=> "));
        }
        if self.bar.is_hidden() {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.bar.enable_steady_tick(Duration::from_millis(100));
        }
    }

    /// Shows a spinner with a message.
    pub fn start_spinner(&self, message: &str) {
        self.show("{spinner} {prefix}{msg}");
        self.bar.set_message(message.to_owned());
    }

    /// Shows a bar of `len` steps (collections).
    pub fn start_bar(&self, len: u64) {
        self.bar.set_length(len);
        self.bar.set_position(0);
        self.show("{spinner} [{bar:24}] {pos}/{len} {prefix}{msg}");
    }

    /// Names what is being worked on; resets the request count.
    pub fn set_label(&self, label: &str) {
        self.requests.store(0, Ordering::Relaxed);
        self.bar.set_prefix(format!("{label}: "));
        self.bar.set_message("starting");
    }

    /// Replaces the message.
    pub fn set_message(&self, message: &str) {
        self.bar.set_message(message.to_owned());
    }

    /// One step of the bar done.
    pub fn inc(&self) {
        self.bar.inc(1);
    }

    fn request_done(&self) {
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        self.bar
            .set_message(format!("{n} request{} done", if n == 1 { "" } else { "s" }));
    }

    /// Prints a line on standard error (above the bar while it is shown).
    pub fn log(&self, line: &str) {
        if self.visible && !self.bar.is_hidden() {
            self.bar.println(line);
        } else {
            eprintln!("{line}");
        }
    }

    /// Removes the display.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// The reqwest transport, counting finished exchanges on a [`Progress`].
#[derive(Debug)]
pub struct CountingTransport {
    inner: ReqwestTransport,
    progress: Progress,
}

impl CountingTransport {
    /// A fresh reqwest transport reporting to `progress`.
    pub fn new(progress: Progress) -> davkit::Result<Self> {
        Ok(CountingTransport {
            inner: ReqwestTransport::new()?,
            progress,
        })
    }
}

impl Transport for CountingTransport {
    async fn send(&self, request: HttpRequest) -> davkit::Result<HttpResponse> {
        let response = self.inner.send(request).await;
        self.progress.request_done();
        response
    }

    /// Waits with the inner transport's timer: without this the default (`false`, "cannot
    /// wait") would turn the core's rate-limit retries off.
    async fn sleep(&self, ms: u64) -> bool {
        self.progress
            .set_message(&format!("rate limited: waiting {ms} ms"));
        self.inner.sleep(ms).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_transport_can_wait_so_rate_limits_are_retried() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let transport = CountingTransport::new(Progress::new(false)).expect("transport");
        assert!(rt.block_on(transport.sleep(1)));
    }
}
