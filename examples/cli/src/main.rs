//! `davkit`: a small CalDAV/CardDAV command-line client built on the davkit core with its
//! `reqwest` transport. It discovers collections, lists them, mirrors a collection into a local
//! folder of `.ics` / `.vcf` files with a persisted sync state, and reads, writes and deletes
//! single objects. `--json` prints one JSON document per command for scripts.
//!
//! `sync` works in batches (`--batch N` members fetched at a time, default 500): each batch is
//! written to the folder and its state stored before the next is fetched, so memory is bounded
//! by the batch and a sync stopped at any point (Ctrl-C, a crash) continues from the last
//! stored batch when run again, losing and repeating nothing.
//!
//! Exit codes: 0 success, 1 failure, 2 usage, 3 precondition failed (an ETag or
//! `If-None-Match` check: nothing was overwritten), 4 credentials rejected, 5 a sync that
//! completed but could not deliver some members (listed as problems; the next sync fetches them
//! again), 130 a sync stopped by `DAVKIT_STOP_AFTER_BATCHES`.
//!
//! For tests: `DAVKIT_STOP_AFTER_BATCHES=N` makes `sync` exit (130, no summary) right after the
//! Nth batch of the run was stored, as an interrupt at that point would; a rerun continues.

mod error;
mod folder;
mod names;
mod progress;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use davkit::{
    Collection, CollectionKind, Config, Credentials, DavClient, Discovery, Service, SyncMethod,
};
use serde::Serialize;
use serde_json::json;

use crate::error::{CliError, EXIT_INCOMPLETE, EXIT_INTERRUPTED};
use crate::folder::Mirror;
use crate::progress::{CountingTransport, Progress};

/// The client type every command uses.
type Client = DavClient<CountingTransport>;

/// Members fetched per `sync` batch unless `--batch` says otherwise.
const DEFAULT_BATCH: u32 = 500;

/// The environment variable (for tests) that stops `sync` after that many stored batches.
const STOP_AFTER_BATCHES: &str = "DAVKIT_STOP_AFTER_BATCHES";

/// A CalDAV/CardDAV client: discover, list, sync a collection into a folder, get, put, rm.
///
/// URLs given to commands may be absolute or relative to --url (e.g. `/alice/work/`).
#[derive(Debug, Parser)]
#[command(name = "davkit", version, about, long_about = None)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options shared by every command.
#[derive(Debug, Args)]
struct Global {
    /// The server, principal or collection URL to start from.
    #[arg(long, env = "DAVKIT_URL", global = true, hide_env_values = true)]
    url: Option<String>,
    /// User name for HTTP Basic authentication.
    #[arg(long, env = "DAVKIT_USER", global = true, hide_env_values = true)]
    user: Option<String>,
    /// Password for --user (visible to other local users in the process list: prefer the
    /// environment variable or --password-stdin).
    #[arg(long, env = "DAVKIT_PASSWORD", global = true, hide_env_values = true)]
    password: Option<String>,
    /// Read the password for --user from the first line of standard input.
    #[arg(long, global = true)]
    password_stdin: bool,
    /// An OAuth 2.0 access token (Bearer), instead of --user.
    #[arg(long, env = "DAVKIT_BEARER", global = true, hide_env_values = true)]
    bearer: Option<String>,
    /// Print one JSON document instead of text (and no progress bar).
    #[arg(long, global = true)]
    json: bool,
    /// How many times a rate-limited request (429, 503) is retried.
    #[arg(long, env = "DAVKIT_RETRIES", global = true, default_value_t = 3)]
    retries: u32,
    /// The first wait before such a retry, in milliseconds; doubled on each retry, and a
    /// longer `Retry-After` from the server wins.
    #[arg(
        long,
        env = "DAVKIT_RETRY_DELAY_MS",
        global = true,
        default_value_t = 1000
    )]
    retry_delay_ms: u64,
}

#[derive(Debug, Subcommand)]
enum Command {
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

fn main() {
    let cli = Cli::parse();
    let json_mode = cli.global.json;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let code = match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            report_error(&e, json_mode);
            e.exit_code()
        }
    };
    let _ = std::io::stdout().flush();
    std::process::exit(code);
}

fn report_error(e: &CliError, json_mode: bool) {
    if json_mode {
        println!("{}", json!({ "error": e.to_json() }));
    }
    eprintln!("error: {e}");
}

/// Runs the command; returns the exit code for outcomes that are printed but still failed
/// (a `sync --all` where some collections failed).
async fn run(cli: Cli) -> Result<i32, CliError> {
    let g = &cli.global;
    let Some(url) = g.url.clone() else {
        return Err(CliError::Usage(
            "no server URL: pass --url or set DAVKIT_URL".into(),
        ));
    };
    let show_progress = !g.json && std::io::stdout().is_terminal();
    let progress = Progress::new(show_progress);
    let transport = CountingTransport::new(progress.clone())?;
    let mut config = Config::new(url, credentials(g)?);
    config.retry.max_retries = g.retries;
    config.retry.initial_delay_ms = g.retry_delay_ms;
    config.retry.max_delay_ms = config.retry.max_delay_ms.max(g.retry_delay_ms);
    let client = DavClient::new(config, transport)?;
    let json_mode = g.json;
    match cli.command {
        Command::Discover => {
            let found = client.discover(Service::Both).await?;
            if json_mode {
                print_json(&found);
            } else {
                print_discovery(&found);
            }
        }
        Command::Ls { collection_url } => match collection_url {
            None => {
                let found = client.discover(Service::Both).await?;
                if json_mode {
                    print_json(&found.collections);
                } else {
                    print_collections(&found.collections);
                }
            }
            Some(collection) => {
                let objects = client.list_objects(&collection).await?;
                if json_mode {
                    print_json(&objects);
                } else {
                    let rows = objects
                        .iter()
                        .map(|o| vec![o.etag.clone().unwrap_or_else(|| "-".into()), o.url.clone()])
                        .collect();
                    print_table(&["ETAG", "URL"], rows);
                    println!("({} objects)", objects.len());
                }
            }
        },
        Command::Get { url } => {
            let object = client.get_object(&url).await?;
            if json_mode {
                print_json(&object);
            } else {
                print!("{}", object.data.as_deref().unwrap_or_default());
            }
        }
        Command::Put {
            url,
            file,
            name,
            etag,
        } => put(&client, &url, &file, name, etag, json_mode).await?,
        Command::Rm { url, etag } => rm(&client, &url, etag, json_mode).await?,
        Command::Sync {
            all,
            targets,
            batch,
        } => {
            let mut batches = Batches::new(batch, json_mode)?;
            return sync(&client, &progress, all, targets, &mut batches, json_mode).await;
        }
    }
    Ok(0)
}

/// Builds the credentials from the global options. Never echoes a secret.
fn credentials(g: &Global) -> Result<Credentials, CliError> {
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

fn print_json<T: Serialize + ?Sized>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        // davkit's types are plain data; this cannot happen, but never panic over output.
        Err(e) => eprintln!("error: cannot print JSON: {e}"),
    }
}

fn kind_name(kind: CollectionKind) -> &'static str {
    match kind {
        CollectionKind::Calendar => "calendar",
        CollectionKind::AddressBook => "address book",
        CollectionKind::Other => "other",
    }
}

fn method_name(method: SyncMethod) -> &'static str {
    match method {
        SyncMethod::SyncCollection => "sync-collection",
        SyncMethod::CtagUnchanged => "ctag unchanged",
        SyncMethod::EtagListing => "etag listing",
    }
}

fn yes_no(present: bool) -> String {
    if present { "yes" } else { "-" }.to_owned()
}

fn print_discovery(found: &Discovery) {
    let list = |v: &[String]| {
        if v.is_empty() {
            "-".to_owned()
        } else {
            v.join(", ")
        }
    };
    println!(
        "principal:          {}",
        found.principal.as_deref().unwrap_or("-")
    );
    println!("calendar homes:     {}", list(&found.calendar_home_sets));
    println!("address book homes: {}", list(&found.addressbook_home_sets));
    println!();
    print_collections(&found.collections);
}

fn print_collections(collections: &[Collection]) {
    let rows = collections
        .iter()
        .map(|c| {
            vec![
                kind_name(c.kind).to_owned(),
                c.display_name.clone().unwrap_or_else(|| "-".into()),
                c.url.clone(),
                if c.components.is_empty() {
                    "-".to_owned()
                } else {
                    c.components.join(",")
                },
                yes_no(c.ctag.is_some()),
                yes_no(c.sync_token.is_some()),
            ]
        })
        .collect();
    print_table(
        &["KIND", "NAME", "URL", "COMPONENTS", "CTAG", "SYNC-TOKEN"],
        rows,
    );
    println!("({} collections)", collections.len());
}

/// Prints rows in left-aligned columns separated by two spaces.
fn print_table(headers: &[&str], rows: Vec<Vec<String>>) {
    println!("{}", format_table(headers, &rows));
}

fn format_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                let pad = widths[i].saturating_sub(cell.chars().count());
                out.push_str(cell);
                out.push_str(&" ".repeat(pad + 2));
            }
        }
        out.trim_end().to_owned()
    };
    let mut lines = vec![line(headers.to_vec())];
    for row in rows {
        lines.push(line(row.iter().map(String::as_str).collect()));
    }
    lines.join("\n")
}

async fn put(
    client: &Client,
    url: &str,
    file: &Path,
    name: Option<String>,
    etag: Option<String>,
    json_mode: bool,
) -> Result<(), CliError> {
    let data = std::fs::read_to_string(file).map_err(|e| CliError::io("read", file, e))?;
    let (verb, result) = match &etag {
        Some(etag) => ("updated", client.update_object(url, &data, etag).await?),
        None => {
            let name = match name {
                Some(n) => n,
                None => file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .ok_or_else(|| {
                        CliError::Usage(format!("{} has no file name: pass --name", file.display()))
                    })?,
            };
            ("created", client.create_object(url, &name, &data).await?)
        }
    };
    if json_mode {
        print_json(&json!({
            "action": verb,
            "url": result.url,
            "etag": result.etag,
        }));
    } else {
        println!("{verb} {}", result.url);
        println!(
            "etag    {}",
            result.etag.as_deref().unwrap_or("(none returned)")
        );
    }
    Ok(())
}

async fn rm(
    client: &Client,
    url: &str,
    etag: Option<String>,
    json_mode: bool,
) -> Result<(), CliError> {
    let (etag, fetched) = match etag {
        Some(e) => (e, false),
        None => {
            let current = client.get_object(url).await?;
            let Some(e) = current.etag else {
                return Err(CliError::Usage(format!(
                    "the server sent no ETag for {url}; cannot delete safely without --etag"
                )));
            };
            if !json_mode {
                eprintln!("no --etag given: deleting the current version (ETag {e})");
            }
            (e, true)
        }
    };
    client.delete_object(url, &etag).await?;
    if json_mode {
        print_json(&json!({
            "action": "deleted",
            "url": url,
            "etag": etag,
            "etag_fetched": fetched,
        }));
    } else {
        println!("deleted {url}");
    }
    Ok(())
}

/// One collection's line in the sync summary.
#[derive(Debug, Serialize)]
struct CollectionReport {
    collection_url: String,
    kind: CollectionKind,
    display_name: Option<String>,
    dir: String,
    added: usize,
    changed: usize,
    deleted: usize,
    method: Option<SyncMethod>,
    token_was_reset: bool,
    files_written: usize,
    files_removed: usize,
    /// Batches fetched, applied and stored (each a checkpoint a later run continues from).
    batches: usize,
    /// Members this run could not deliver into the folder; the next sync fetches them again.
    problems: Vec<ProblemReport>,
    error: Option<serde_json::Value>,
    #[serde(skip)]
    error_text: Option<String>,
}

/// A member a sync listed but could not deliver into the folder.
#[derive(Debug, Serialize)]
struct ProblemReport {
    url: String,
    /// `server` when the sync could not fetch it, `local` when its file could not be written
    /// or removed.
    source: &'static str,
    /// The error kind (`Http`, `Protocol`, ... or `Io`).
    kind: String,
    /// The status the server gave for it.
    status: Option<u16>,
    message: String,
    /// Its file in the folder.
    file: Option<String>,
}

impl ProblemReport {
    fn server(p: &davkit::MemberProblem) -> Self {
        ProblemReport {
            url: p.url.clone(),
            source: "server",
            kind: p.kind.to_string(),
            status: p.status,
            message: p.message.clone(),
            file: None,
        }
    }

    fn local(p: &folder::LocalProblem) -> Self {
        ProblemReport {
            url: p.url.clone(),
            source: "local",
            kind: "Io".to_owned(),
            status: None,
            message: p.message.clone(),
            file: p.file.clone(),
        }
    }
}

/// The summary of a `sync` run.
#[derive(Debug, Serialize)]
struct SyncReport {
    collections: Vec<CollectionReport>,
}

async fn sync(
    client: &Client,
    progress: &Progress,
    all: bool,
    targets: Vec<String>,
    batches: &mut Batches,
    json_mode: bool,
) -> Result<i32, CliError> {
    let mut first_error: Option<CliError> = None;
    let mut reports = Vec::new();
    match (all, targets.as_slice()) {
        (false, [collection_url, dir]) => {
            progress.start_spinner("reading the collection");
            let collection = client.get_collection(collection_url).await;
            let collection = match collection {
                Ok(c) => c,
                Err(e) => {
                    progress.finish();
                    return Err(e.into());
                }
            };
            if collection.kind == CollectionKind::Other {
                progress.finish();
                return Err(CliError::Usage(format!(
                    "{} is not a calendar or address book",
                    collection.url
                )));
            }
            let dir = PathBuf::from(dir);
            let result = sync_one(client, progress, &collection, &dir, batches).await;
            progress.finish();
            reports.push(result?);
        }
        (true, [dir]) => {
            progress.start_spinner("discovering collections");
            let found = match client.discover(Service::Both).await {
                Ok(f) => f,
                Err(e) => {
                    progress.finish();
                    return Err(e.into());
                }
            };
            let collections: Vec<&Collection> =
                found.calendars().chain(found.address_books()).collect();
            let slugs = unique_slugs(&collections);
            progress.start_bar(collections.len() as u64);
            for (collection, slug) in collections.iter().zip(&slugs) {
                let dir = Path::new(dir).join(slug);
                match sync_one(client, progress, collection, &dir, batches).await {
                    Ok(r) => reports.push(r),
                    Err(e) => {
                        reports.push(failed_report(collection, &dir, &e));
                        first_error.get_or_insert(e);
                    }
                }
                progress.inc();
            }
            progress.finish();
        }
        (false, [_]) => {
            return Err(CliError::Usage(
                "sync needs COLLECTION_URL and DIR (or --all DIR)".into(),
            ));
        }
        _ => {
            return Err(CliError::Usage(
                "sync --all takes only DIR: every collection goes into DIR/<name>/".into(),
            ));
        }
    }
    let report = SyncReport {
        collections: reports,
    };
    if json_mode {
        print_json(&report);
    } else {
        print_sync_report(&report);
    }
    let mut problems = 0;
    for r in &report.collections {
        for p in &r.problems {
            problems += 1;
            let status = p.status.map(|s| format!(" {s}")).unwrap_or_default();
            eprintln!(
                "problem: {}: {}{status}: {} (fetched again on the next sync)",
                p.url, p.kind, p.message
            );
        }
    }
    Ok(match first_error {
        Some(e) => {
            // The summary above already names each failure; end with the first one.
            eprintln!("error: {e}");
            e.exit_code()
        }
        None if problems > 0 => EXIT_INCOMPLETE,
        None => 0,
    })
}

/// Folder names for collections: their last path segment, with a short hash of the URL added
/// where two collections share one (Baikal's calendar and address book are both `default`).
/// Depends only on the set of URLs, not on their order.
fn unique_slugs(collections: &[&Collection]) -> Vec<String> {
    let slugs: Vec<String> = collections
        .iter()
        .map(|c| names::collection_slug(&c.url))
        .collect();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for s in &slugs {
        *counts.entry(s.as_str()).or_default() += 1;
    }
    slugs
        .iter()
        .zip(collections)
        .map(|(s, c)| {
            if counts.get(s.as_str()).copied().unwrap_or(0) > 1 {
                format!("{s}-{}", names::short_hash(&c.url))
            } else {
                s.clone()
            }
        })
        .collect()
}

fn collection_label(c: &Collection) -> String {
    c.display_name
        .clone()
        .unwrap_or_else(|| names::collection_slug(&c.url))
}

/// How `sync` fetches: the batch size, and (for tests) a stop after that many batches.
#[derive(Debug)]
struct Batches {
    /// Members fetched per batch.
    size: usize,
    /// Stop the run after this many stored batches (`DAVKIT_STOP_AFTER_BATCHES`).
    stop_after: Option<usize>,
    /// Batches stored so far in this run (all collections).
    done: usize,
    /// Print a line per batch (not with --json).
    log: bool,
}

impl Batches {
    fn new(size: u32, json_mode: bool) -> Result<Self, CliError> {
        let stop_after = match std::env::var(STOP_AFTER_BATCHES) {
            Ok(v) => Some(
                v.trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| {
                        CliError::Usage(format!(
                            "{STOP_AFTER_BATCHES} must be a whole number from 1, not `{v}`"
                        ))
                    })?,
            ),
            Err(_) => None,
        };
        Ok(Batches {
            size: usize::try_from(size).unwrap_or(usize::MAX),
            stop_after,
            done: 0,
            log: !json_mode,
        })
    }
}

/// Syncs one collection into `dir` batch by batch: each batch is applied to the folder and its
/// state stored (by [`Mirror::apply`]) before the next one is fetched.
async fn sync_one(
    client: &Client,
    progress: &Progress,
    collection: &Collection,
    dir: &Path,
    batches: &mut Batches,
) -> Result<CollectionReport, CliError> {
    std::fs::create_dir_all(dir).map_err(|e| CliError::io("create", dir, e))?;
    let mut mirror = Mirror::open(dir, &collection.url, collection.kind)?;
    let label = collection_label(collection);
    progress.set_label(&label);
    let mut report = CollectionReport {
        collection_url: collection.url.clone(),
        kind: collection.kind,
        display_name: collection.display_name.clone(),
        dir: dir.display().to_string(),
        added: 0,
        changed: 0,
        deleted: 0,
        method: None,
        token_was_reset: false,
        files_written: 0,
        files_removed: 0,
        batches: 0,
        problems: Vec::new(),
        error: None,
        error_text: None,
    };
    loop {
        let result = match client
            .sync_batch(mirror.state().clone(), collection.kind, batches.size)
            .await
        {
            Ok(r) => r,
            Err(e) => {
                if report.batches > 0 && batches.log {
                    progress.log(&format!(
                        "{label}: {} batch{} stored before this error; the next sync continues from there",
                        report.batches,
                        if report.batches == 1 { "" } else { "es" }
                    ));
                }
                return Err(e.into());
            }
        };
        let n = report.batches + 1;
        let applied = mirror.apply(&result.changes, result.state.clone(), |done, total| {
            progress.set_message(&format!("batch {n}: writing files {done}/{total}"));
        })?;
        // The state of this batch is stored: a checkpoint.
        report.batches = n;
        batches.done += 1;
        let count = |f: fn(&davkit::Change) -> bool| result.changes.iter().filter(|c| f(c)).count();
        let (added, changed, deleted) = (
            count(|c| matches!(c, davkit::Change::Added(_))),
            count(|c| matches!(c, davkit::Change::Changed(_))),
            count(|c| matches!(c, davkit::Change::Deleted { .. })),
        );
        report.added += added;
        report.changed += changed;
        report.deleted += deleted;
        report.method.get_or_insert(result.method);
        report.token_was_reset |= result.token_was_reset;
        report.files_written += applied.written;
        report.files_removed += applied.removed;
        // A member retried by a later batch counts by its last outcome.
        let settled: HashSet<String> = result
            .changes
            .iter()
            .map(|c| davkit::href::normalize(change_url(c)))
            .chain(
                result
                    .problems
                    .iter()
                    .map(|p| davkit::href::normalize(&p.url)),
            )
            .collect();
        report
            .problems
            .retain(|p| !settled.contains(&davkit::href::normalize(&p.url)));
        report
            .problems
            .extend(result.problems.iter().map(ProblemReport::server));
        report
            .problems
            .extend(applied.problems.iter().map(ProblemReport::local));

        let owed = mirror.state().pending.len();
        // The core's one loop rule: the stored state's `more` (the batch's, cleared when a file
        // could not be written and its member was handed back).
        let more = mirror.state().more;
        if batches.log && (result.more || n > 1) {
            let rest = if more {
                format!("{owed} members still to fetch")
            } else if owed > 0 {
                format!("{owed} still owed: stopping here, the next sync tries them again")
            } else {
                "done".to_owned()
            };
            progress.log(&format!(
                "{label}: batch {n}: {added} added, {changed} changed, {deleted} deleted; state stored; {rest}"
            ));
        }
        if batches.stop_after.is_some_and(|stop| batches.done >= stop) {
            progress.finish();
            eprintln!(
                "stopped after {} stored batch{} ({STOP_AFTER_BATCHES}); run the same sync again to continue",
                batches.done,
                if batches.done == 1 { "" } else { "es" }
            );
            let _ = std::io::stdout().flush();
            std::process::exit(EXIT_INTERRUPTED);
        }
        if !more {
            break;
        }
    }
    Ok(report)
}

/// The URL a change is about.
fn change_url(change: &davkit::Change) -> &str {
    match change {
        davkit::Change::Added(o) | davkit::Change::Changed(o) => &o.url,
        davkit::Change::Deleted { url } => url,
    }
}

fn failed_report(collection: &Collection, dir: &Path, e: &CliError) -> CollectionReport {
    CollectionReport {
        collection_url: collection.url.clone(),
        kind: collection.kind,
        display_name: collection.display_name.clone(),
        dir: dir.display().to_string(),
        added: 0,
        changed: 0,
        deleted: 0,
        method: None,
        token_was_reset: false,
        files_written: 0,
        files_removed: 0,
        batches: 0,
        problems: Vec::new(),
        error: Some(e.to_json()),
        error_text: Some(e.to_string()),
    }
}

fn print_sync_report(report: &SyncReport) {
    let n = report.collections.len();
    println!("Synced {n} collection{}:", if n == 1 { "" } else { "s" });
    let rows: Vec<Vec<String>> = report
        .collections
        .iter()
        .map(|r| {
            let name = r
                .display_name
                .clone()
                .unwrap_or_else(|| names::collection_slug(&r.collection_url));
            let method = match (&r.error_text, r.method) {
                (Some(_), _) => "FAILED".to_owned(),
                (None, Some(m)) if r.token_was_reset => {
                    format!("{} (token was reset)", method_name(m))
                }
                (None, Some(m)) => method_name(m).to_owned(),
                (None, None) => "-".to_owned(),
            };
            vec![
                name,
                kind_name(r.kind).to_owned(),
                r.added.to_string(),
                r.changed.to_string(),
                r.deleted.to_string(),
                method,
                r.dir.clone(),
            ]
        })
        .collect();
    let table = format_table(
        &[
            "COLLECTION",
            "KIND",
            "ADDED",
            "CHANGED",
            "DELETED",
            "METHOD",
            "FOLDER",
        ],
        &rows,
    );
    for line in table.lines() {
        println!("  {line}");
    }
    let sum = |f: fn(&CollectionReport) -> usize| report.collections.iter().map(f).sum::<usize>();
    let written = sum(|r| r.files_written);
    println!(
        "Total: {} added, {} changed, {} deleted; {written} file{} written, {} removed.",
        sum(|r| r.added),
        sum(|r| r.changed),
        sum(|r| r.deleted),
        if written == 1 { "" } else { "s" },
        sum(|r| r.files_removed),
    );
    let problems = sum(|r| r.problems.len());
    if problems > 0 {
        println!(
            "Not delivered: {problems} member{} (listed on stderr; the next sync fetches {} again).",
            if problems == 1 { "" } else { "s" },
            if problems == 1 { "it" } else { "them" },
        );
    }
    for r in &report.collections {
        if r.token_was_reset {
            println!(
                "note: {}: the server rejected the stored sync token; the changes come from a full listing.",
                r.collection_url
            );
        }
        if let Some(e) = &r.error_text {
            println!("failed: {}: {e}", r.collection_url);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collection(url: &str, kind: CollectionKind) -> Collection {
        Collection {
            url: url.into(),
            kind,
            display_name: None,
            description: None,
            color: None,
            ctag: None,
            sync_token: None,
            components: Vec::new(),
            privileges: Vec::new(),
            resource_types: Vec::new(),
            add_member_url: None,
            supports_sync_collection: None,
        }
    }

    #[test]
    fn slugs_are_unique_and_order_independent() {
        let a = collection("https://h/calendars/u/default/", CollectionKind::Calendar);
        let b = collection(
            "https://h/addressbooks/u/default/",
            CollectionKind::AddressBook,
        );
        let c = collection("https://h/calendars/u/work/", CollectionKind::Calendar);
        let forward = unique_slugs(&[&a, &b, &c]);
        assert_eq!(forward[2], "work");
        assert_ne!(forward[0], forward[1]);
        assert!(forward[0].starts_with("default-") && forward[1].starts_with("default-"));
        let backward = unique_slugs(&[&c, &b, &a]);
        assert_eq!(
            backward,
            vec![forward[2].clone(), forward[1].clone(), forward[0].clone()]
        );
    }

    #[test]
    fn table_aligns_columns_by_characters() {
        let rows = vec![
            vec!["일정".to_owned(), "x".to_owned()],
            vec!["ab".to_owned(), "y".to_owned()],
        ];
        assert_eq!(
            format_table(&["NAME", "URL"], &rows),
            "NAME  URL\n일정    x\nab    y"
        );
    }

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
