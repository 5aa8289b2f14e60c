//! The CLI's errors and their exit codes.

use std::fmt;
use std::path::{Path, PathBuf};

use davkit::ErrorKind;
use serde_json::{Value, json};

/// Exit code for an `If-Match` / `If-None-Match` failure (nothing was overwritten).
pub const EXIT_PRECONDITION: i32 = 3;
/// Exit code for rejected credentials.
pub const EXIT_UNAUTHORIZED: i32 = 4;
/// Exit code for a sync that completed but could not deliver some members into the folder
/// (reported as problems; the next sync fetches them again).
pub const EXIT_INCOMPLETE: i32 = 5;
/// Exit code of a sync stopped by `DAVKIT_STOP_AFTER_BATCHES` (for tests), as after Ctrl-C:
/// the folder and its state file hold the last stored batch, and a rerun continues from it.
pub const EXIT_INTERRUPTED: i32 = 130;
/// Exit code for a usage mistake found after argument parsing (clap uses 2 as well).
pub const EXIT_USAGE: i32 = 2;

/// Everything a command can fail with. None of the variants holds credentials.
#[derive(Debug)]
pub enum CliError {
    /// An error from davkit (already free of credentials).
    Dav(davkit::Error),
    /// A local file operation failed.
    Io {
        /// What was being done (`write`, `read`, ...).
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The arguments do not make sense together.
    Usage(String),
}

impl CliError {
    /// An I/O error about a path.
    pub fn io(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        CliError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    /// The process exit code: 3 for a failed precondition, 4 for rejected credentials, 2 for
    /// usage mistakes, 1 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Dav(e) => match e.kind() {
                ErrorKind::PreconditionFailed => EXIT_PRECONDITION,
                ErrorKind::Unauthorized => EXIT_UNAUTHORIZED,
                _ => 1,
            },
            CliError::Io { .. } => 1,
            CliError::Usage(_) => EXIT_USAGE,
        }
    }

    /// The error as JSON, for `--json` output.
    pub fn to_json(&self) -> Value {
        match self {
            CliError::Dav(e) => json!({
                "kind": e.kind(),
                "message": e.message(),
                "status": e.status(),
                "url": e.url(),
                "body_excerpt": e.body_excerpt(),
                "retry_after": e.retry_after(),
            }),
            CliError::Io { .. } => json!({ "kind": "Io", "message": self.to_string() }),
            CliError::Usage(m) => json!({ "kind": "Usage", "message": m }),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Dav(e) => write!(f, "{e}"),
            CliError::Io {
                action,
                path,
                source,
            } => write!(f, "cannot {action} {}: {source}", path.display()),
            CliError::Usage(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for CliError {}

impl From<davkit::Error> for CliError {
    fn from(e: davkit::Error) -> Self {
        CliError::Dav(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        let dav = |kind| CliError::Dav(davkit::Error::new(kind, "x"));
        assert_eq!(dav(ErrorKind::PreconditionFailed).exit_code(), 3);
        assert_eq!(dav(ErrorKind::Unauthorized).exit_code(), 4);
        assert_eq!(dav(ErrorKind::NotFound).exit_code(), 1);
        assert_eq!(CliError::Usage("u".into()).exit_code(), 2);
        let io = CliError::io("read", Path::new("f"), std::io::Error::other("boom"));
        assert_eq!(io.exit_code(), 1);
        assert_eq!(io.to_string(), "cannot read f: boom");
    }
}
