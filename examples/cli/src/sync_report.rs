//! The summary of a `sync` run: per collection, what changed, the members not delivered and the
//! error if it failed; printed as a table or JSON.

use std::path::Path;

use davkit::{Collection, CollectionKind, SyncMethod};
use serde::Serialize;

use crate::error::CliError;
use crate::folder;
use crate::names;
use crate::output::{format_table, kind_name, method_name};

/// One collection's line in the sync summary.
#[derive(Debug, Serialize)]
pub(crate) struct CollectionReport {
    pub(crate) collection_url: String,
    pub(crate) kind: CollectionKind,
    pub(crate) display_name: Option<String>,
    pub(crate) dir: String,
    pub(crate) added: usize,
    pub(crate) changed: usize,
    pub(crate) deleted: usize,
    pub(crate) method: Option<SyncMethod>,
    pub(crate) token_was_reset: bool,
    pub(crate) files_written: usize,
    pub(crate) files_removed: usize,
    /// Batches fetched, applied and stored (each a checkpoint a later run continues from).
    pub(crate) batches: usize,
    /// Members this run could not deliver into the folder; the next sync fetches them again.
    pub(crate) problems: Vec<ProblemReport>,
    pub(crate) error: Option<serde_json::Value>,
    #[serde(skip)]
    pub(crate) error_text: Option<String>,
}

/// A member a sync listed but could not deliver into the folder.
#[derive(Debug, Serialize)]
pub(crate) struct ProblemReport {
    pub(crate) url: String,
    /// `server` when the sync could not fetch it, `local` when its file could not be written
    /// or removed.
    pub(crate) source: &'static str,
    /// The error kind (`Http`, `Protocol`, ... or `Io`).
    pub(crate) kind: String,
    /// The status the server gave for it.
    pub(crate) status: Option<u16>,
    pub(crate) message: String,
    /// Its file in the folder.
    pub(crate) file: Option<String>,
}

impl ProblemReport {
    pub(crate) fn server(p: &davkit::MemberProblem) -> Self {
        ProblemReport {
            url: p.url.clone(),
            source: "server",
            kind: p.kind.to_string(),
            status: p.status,
            message: p.message.clone(),
            file: None,
        }
    }

    pub(crate) fn local(p: &folder::LocalProblem) -> Self {
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
pub(crate) struct SyncReport {
    pub(crate) collections: Vec<CollectionReport>,
}

impl CollectionReport {
    /// The report of a collection before its first batch: nothing counted, no error.
    pub(crate) fn new(collection: &Collection, dir: &Path) -> Self {
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
            error: None,
            error_text: None,
        }
    }
}

/// The report of a collection whose sync failed with `e`.
pub(crate) fn failed_report(collection: &Collection, dir: &Path, e: &CliError) -> CollectionReport {
    CollectionReport {
        error: Some(e.to_json()),
        error_text: Some(e.to_string()),
        ..CollectionReport::new(collection, dir)
    }
}

pub(crate) fn print_sync_report(report: &SyncReport) {
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
