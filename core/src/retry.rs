//! Backing off from rate limits (RFC 6585 §4 `429`, RFC 9110 §15.6.4 `503` and §10.2.3
//! `Retry-After`, and Google's `403 rateLimitExceeded`).
//!
//! Google's daily quota (`403 quotaExceeded` or `dailyLimitExceeded`) is not a rate limit: no
//! wait of seconds passes it, so it is [`ErrorKind::Forbidden`] and never retried.
//!
//! The core has no clock: this module only computes how long to wait. Drivers that can sleep
//! ([`Transport::sleep`](crate::Transport::sleep)) wait that long and run the operation again.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};

/// How rate-limited operations are retried: bounded exponential backoff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
pub struct RetryPolicy {
    /// How many times an operation is run again after a rate limit (0 turns retries off).
    pub max_retries: u32,
    /// The first delay, doubled on each retry.
    pub initial_delay_ms: u64,
    /// No delay is longer than this, whatever `Retry-After` says.
    pub max_delay_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            initial_delay_ms: 1_000,
            max_delay_ms: 32_000,
        }
    }
}

impl RetryPolicy {
    /// No retries: rate limits come back to the caller at once.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// How long to wait before retry number `attempt` (0-based) after `error`, or `None` when
    /// the error is not a rate limit or the retries are used up.
    pub fn delay_ms(&self, attempt: u32, error: &Error) -> Option<u64> {
        if error.kind() != ErrorKind::RateLimited || attempt >= self.max_retries {
            return None;
        }
        let backoff = self
            .initial_delay_ms
            .saturating_mul(1u64.checked_shl(attempt).unwrap_or(u64::MAX));
        let asked = error.retry_after().map_or(0, |s| s.saturating_mul(1_000));
        Some(backoff.max(asked).min(self.max_delay_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::HttpResponse;

    fn limited(retry_after: Option<&str>) -> Error {
        let mut r = HttpResponse::new(429, "");
        if let Some(v) = retry_after {
            r = r.with_header("Retry-After", v);
        }
        Error::from_response("https://h/", &r)
    }

    #[test]
    fn doubles_and_caps() {
        let p = RetryPolicy::default();
        let e = limited(None);
        assert_eq!(p.delay_ms(0, &e), Some(1_000));
        assert_eq!(p.delay_ms(1, &e), Some(2_000));
        assert_eq!(p.delay_ms(2, &e), Some(4_000));
        assert_eq!(p.delay_ms(3, &e), None);
        let long = RetryPolicy {
            max_retries: 100,
            ..RetryPolicy::default()
        };
        assert_eq!(long.delay_ms(70, &e), Some(32_000));
    }

    #[test]
    fn honours_retry_after_within_the_cap() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay_ms(0, &limited(Some("5"))), Some(5_000));
        assert_eq!(p.delay_ms(0, &limited(Some("3600"))), Some(32_000));
    }

    #[test]
    fn only_rate_limits() {
        let p = RetryPolicy::default();
        let e = Error::from_response("https://h/", &HttpResponse::new(500, ""));
        assert_eq!(p.delay_ms(0, &e), None);
        let quota = r#"{"error":{"errors":[{"domain":"usageLimits","reason":"quotaExceeded"}],"code":403}}"#;
        let e = Error::from_response("https://h/", &HttpResponse::new(403, quota));
        assert_eq!(p.delay_ms(0, &e), None);
        let rate = r#"{"error":{"errors":[{"domain":"usageLimits","reason":"rateLimitExceeded"}],"code":403}}"#;
        let e = Error::from_response("https://h/", &HttpResponse::new(403, rate));
        assert_eq!(p.delay_ms(0, &e), Some(1_000));
        assert_eq!(RetryPolicy::none().delay_ms(0, &limited(None)), None);
    }
}
