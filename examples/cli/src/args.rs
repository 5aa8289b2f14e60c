//! The command line: global options, the commands and their arguments, and the credentials
//! built from them.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use davkit::Credentials;

use crate::error::CliError;

/// Members fetched per `sync` batch unless `--batch` says otherwise.
pub(crate) const DEFAULT_BATCH: u32 = 500;

/// A CalDAV/CardDAV client: discover, list, sync a collection into a folder, get, put, rm.
///
/// URLs given to commands may be absolute or relative to --url (e.g. `/alice/work/`).
#[derive(Debug, Parser)]
#[command(name = "davkit", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options shared by every command.
#[derive(Debug, Args)]
pub(crate) struct Global {
    /// The server, principal or collection URL to start from.
    #[arg(long, env = "DAVKIT_URL", global = true, hide_env_values = true)]
    pub(crate) url: Option<String>,
    /// User name for HTTP Basic authentication.
    #[arg(long, env = "DAVKIT_USER", global = true, hide_env_values = true)]
    pub(crate) user: Option<String>,
    /// Password for --user (visible to other local users in the process list: prefer the
    /// environment variable or --password-stdin).
    #[arg(long, env = "DAVKIT_PASSWORD", global = true, hide_env_values = true)]
    pub(crate) password: Option<String>,
    /// Read the password for --user from the first line of standard input.
    #[arg(long, global = true)]
    pub(crate) password_stdin: bool,
    /// An OAuth 2.0 access token (Bearer), instead of --user.
    #[arg(long, env = "DAVKIT_BEARER", global = true, hide_env_values = true)]
    pub(crate) bearer: Option<String>,
    /// Print one JSON document instead of text (and no progress bar).
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// How many times a rate-limited request (429, 503) is retried.
    #[arg(long, env = "DAVKIT_RETRIES", global = true, default_value_t = 3)]
    pub(crate) retries: u32,
    /// The first wait before such a retry, in milliseconds; doubled on each retry, and a
    /// longer `Retry-After` from the server wins.
    #[arg(
        long,
        env = "DAVKIT_RETRY_DELAY_MS",
        global = true,
        default_value_t = 1000
    )]
    pub(crate) retry_delay_ms: u64,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Find the principal, home sets, calendars and address books.
    Discover,
    /// List the collections, or the objects of one collection with their ETags.
    Ls {
        /// A calendar or address book; without it, list the collections.
        collection_url: Option<String>,
    },
    /// Print one object's data (with --json: its URL, ETag and data).
    Get {
        /// The object's URL.
        url: String,
    },
    /// Create an object from a file, or replace one with --etag.
    Put {
        /// The collection to create the object in; with --etag, the object to replace.
        url: String,
        /// The .ics or .vcf file to upload.
        file: PathBuf,
        /// The new object's name in the collection (default: the file's name).
        #[arg(long, conflicts_with = "etag")]
        name: Option<String>,
        /// Replace the object at URL only if its ETag is still this one.
        #[arg(long)]
        etag: Option<String>,
    },
    /// Delete an object (only if its ETag still matches).
    Rm {
        /// The object's URL.
        url: String,
        /// The ETag the object must still have; without it, the current ETag is fetched
        /// first (which only protects against changes made in between).
        #[arg(long)]
        etag: Option<String>,
    },
    /// Mirror a collection into a folder of .ics/.vcf files (state kept in
    /// DIR/.davkit-state.json); with --all, every calendar and address book into DIR/NAME/.
    #[command(
        override_usage = "davkit sync [OPTIONS] COLLECTION_URL DIR\n       davkit sync --all [OPTIONS] DIR"
    )]
    Sync {
        /// Sync every discovered calendar and address book, each into its own sub-folder.
        #[arg(long)]
        all: bool,
        /// `COLLECTION_URL DIR`, or just `DIR` with --all.
        #[arg(value_name = "[COLLECTION_URL] DIR", num_args = 1..=2, required = true)]
        targets: Vec<String>,
        /// Fetch at most N members per batch; each batch is written and its state stored
        /// before the next, so an interrupted sync continues from the last batch.
        #[arg(long, value_name = "N", default_value_t = DEFAULT_BATCH,
              value_parser = clap::value_parser!(u32).range(1..))]
        batch: u32,
    },
}

impl Command {
    /// The URL the command names itself (an object or a collection), which serves as the
    /// server URL when neither `--url` nor `DAVKIT_URL` gives one: only an absolute `http(s)`
    /// URL, and only for a command that needs no discovery.
    pub(crate) fn own_url(&self) -> Option<&str> {
        let url = match self {
            Command::Ls {
                collection_url: Some(url),
            }
            | Command::Get { url }
            | Command::Put { url, .. }
            | Command::Rm { url, .. } => url.as_str(),
            Command::Sync {
                all: false,
                targets,
                ..
            } if targets.len() == 2 => targets[0].as_str(),
            _ => return None,
        };
        (url.starts_with("https://") || url.starts_with("http://")).then_some(url)
    }
}

/// Builds the credentials from the global options. Never echoes a secret.
pub(crate) fn credentials(g: &Global) -> Result<Credentials, CliError> {
    match (&g.user, &g.bearer) {
        (Some(_), Some(_)) => Err(CliError::Usage(
            "give either --user (Basic) or --bearer, not both".into(),
        )),
        (None, Some(token)) => Ok(Credentials::bearer(token.clone())),
        (Some(user), None) => {
            let password = if g.password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .map_err(|e| CliError::io("read the password from", Path::new("stdin"), e))?;
                line.trim_end_matches(['\r', '\n']).to_owned()
            } else if let Some(p) = &g.password {
                p.clone()
            } else {
                return Err(CliError::Usage(
                    "--user needs a password: --password, DAVKIT_PASSWORD or --password-stdin"
                        .into(),
                ));
            };
            Ok(Credentials::basic(user.clone(), password))
        }
        (None, None) => {
            if g.password.is_some() || g.password_stdin {
                Err(CliError::Usage(
                    "a password was given without --user".into(),
                ))
            } else {
                Ok(Credentials::None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_parses_and_hides_env_values() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("DAVKIT_PASSWORD"), "{help}");
    }

    #[test]
    fn batch_size_is_a_whole_number_from_one_with_a_default() {
        let parse = |args: &[&str]| {
            let mut argv = vec!["davkit", "sync"];
            argv.extend_from_slice(args);
            Cli::try_parse_from(argv)
        };
        let batch = |cli: Cli| match cli.command {
            Command::Sync { batch, .. } => batch,
            other => panic!("not sync: {other:?}"),
        };
        assert_eq!(batch(parse(&["u", "d"]).expect("parses")), DEFAULT_BATCH);
        assert_eq!(
            batch(parse(&["--batch", "10", "u", "d"]).expect("parses")),
            10
        );
        assert!(parse(&["--batch", "0", "u", "d"]).is_err());
        assert!(parse(&["--batch", "-3", "u", "d"]).is_err());
    }

    #[test]
    fn credentials_rules() {
        let parse = |args: &[&str]| {
            let mut argv = vec!["davkit"];
            argv.extend_from_slice(args);
            argv.push("discover");
            Cli::try_parse_from(argv).expect("parses")
        };
        let cli = parse(&["--user", "alice", "--password", "pw"]);
        assert!(matches!(
            credentials(&cli.global),
            Ok(Credentials::Basic { .. })
        ));
        let cli = parse(&["--bearer", "tok"]);
        assert!(matches!(
            credentials(&cli.global),
            Ok(Credentials::Bearer { .. })
        ));
        let cli = parse(&["--user", "a", "--password", "p", "--bearer", "t"]);
        assert!(credentials(&cli.global).is_err());
    }
}
