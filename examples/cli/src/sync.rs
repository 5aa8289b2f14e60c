//! `sync`: one collection or every discovered one (`--all`) mirrored into folders, batch by
//! batch, each batch stored before the next is fetched.

use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use davkit::{Collection, CollectionKind, Service};

use crate::commands::Client;
use crate::error::{CliError, EXIT_INCOMPLETE, EXIT_INTERRUPTED};
use crate::folder::Mirror;
use crate::names;
use crate::output::print_json;
use crate::progress::Progress;
use crate::sync_report::{
    CollectionReport, ProblemReport, SyncReport, failed_report, print_sync_report,
};

/// The environment variable (for tests) that stops `sync` after that many stored batches.
const STOP_AFTER_BATCHES: &str = "DAVKIT_STOP_AFTER_BATCHES";

pub(crate) async fn sync(
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
pub(crate) struct Batches {
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
    pub(crate) fn new(size: u32, json_mode: bool) -> Result<Self, CliError> {
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
    let mut report = CollectionReport::new(collection, dir);
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
}
