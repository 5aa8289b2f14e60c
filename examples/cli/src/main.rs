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

mod args;
mod commands;
mod error;
mod folder;
mod names;
mod output;
mod progress;
mod sync;
mod sync_report;

use std::io::Write as _;

use clap::Parser as _;
use serde_json::json;

use crate::args::Cli;
use crate::commands::run;
use crate::error::CliError;

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
