//! Running a command: the client, `discover`, `ls` and `get` (printed as they come), `put` and
//! `rm`; `sync` is in [`crate::sync`].

use std::io::IsTerminal as _;
use std::path::Path;

use davkit::{Config, DavClient, Service};
use serde_json::json;

use crate::args::{Cli, Command, credentials};
use crate::error::CliError;
use crate::output::{print_collections, print_discovery, print_json, print_table};
use crate::progress::{CountingTransport, Progress};
use crate::sync::{Batches, sync};

/// The client type every command uses.
pub(crate) type Client = DavClient<CountingTransport>;

/// Runs the command; returns the exit code for outcomes that are printed but still failed
/// (a `sync --all` where some collections failed).
pub(crate) async fn run(cli: Cli) -> Result<i32, CliError> {
    let g = &cli.global;
    // Without a server URL, a command that names an absolute object or collection URL
    // starts there (credentials go to that URL's origin only).
    let Some(url) = g
        .url
        .clone()
        .or_else(|| cli.command.own_url().map(str::to_owned))
    else {
        return Err(CliError::Usage(
            "no server URL: pass --url or set DAVKIT_URL (or name an absolute collection or \
             object URL)"
                .into(),
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
                    println!("({})", crate::output::count(objects.len(), "object"));
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
