//! The check after every round: the folder against the server's collection.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use davkit::href::percent_decode;
use serde_json::Value;

use crate::changes::Coll;
use crate::servers::{Server, get_data, list_members, split_url};

/// Line endings differ between GET (CRLF) and XML-carried data (LF after XML's end-of-line
/// handling); nothing else may.
pub(crate) fn normal(text: &str) -> String {
    text.replace("\r\n", "\n")
}

/// The path of a URL (`http://h:p/a%20b` -> `/a%20b`), decoded.
pub(crate) fn decoded_path(url: &str) -> String {
    let path = if url.starts_with("http") {
        split_url(url).1
    } else {
        url.to_owned()
    };
    percent_decode(&path)
}

#[derive(Default)]
pub(crate) struct Divergence {
    pub(crate) lost: Vec<String>,
    pub(crate) diverged: Vec<String>,
    pub(crate) stale: Vec<String>,
    pub(crate) state: Vec<String>,
}

impl Divergence {
    pub(crate) fn is_empty(&self) -> bool {
        self.lost.is_empty()
            && self.diverged.is_empty()
            && self.stale.is_empty()
            && self.state.is_empty()
    }

    pub(crate) fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (what, list) in [
            ("lost", &self.lost),
            ("diverged", &self.diverged),
            ("kept after deletion", &self.stale),
            ("state", &self.state),
        ] {
            if !list.is_empty() {
                parts.push(format!("{what}: {}", list.join(", ")));
            }
        }
        parts.join("; ")
    }
}

/// Compares the folder with the collection on the server (read directly, not through the
/// proxy): every member has its own file with the server's data, no other file is there, and
/// the stored state holds exactly the server's members with nothing pending.
/// The folder's stored state (JSON; `null` when there is none).
pub(crate) fn stored_state(dir: &Path) -> Value {
    std::fs::read_to_string(dir.join(".davkit-state.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// The state's file names by decoded href path.
pub(crate) fn recorded_files(state: &Value) -> BTreeMap<String, String> {
    state["files"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (decoded_path(k), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// Members of the server (decoded paths) that have a file in the folder now.
pub(crate) fn present(dir: &Path, on_server: &BTreeSet<String>) -> BTreeMap<String, String> {
    recorded_files(&stored_state(dir))
        .into_iter()
        .filter(|(path, name)| on_server.contains(path) && dir.join(name).is_file())
        .collect()
}

pub(crate) fn compare(server: &Server, coll: &Coll, dir: &Path) -> Divergence {
    let mut d = Divergence::default();
    let members = list_members(server, &coll.url);
    let state = stored_state(dir);
    let files = recorded_files(&state);
    let mut expected_files = BTreeSet::new();
    for href in members.keys() {
        let key = decoded_path(href);
        let Some(name) = files.get(&key) else {
            d.lost.push(format!("{href} (no file recorded)"));
            continue;
        };
        expected_files.insert(name.clone());
        let Ok(local) = std::fs::read_to_string(dir.join(name)) else {
            d.lost.push(format!("{href} (file {name} missing)"));
            continue;
        };
        let remote = get_data(
            server,
            &format!("{}{}", server.url.trim_end_matches('/'), href),
        );
        if normal(&local) != normal(&remote) {
            d.diverged.push(format!("{href} (file {name})"));
        }
    }
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if !name.starts_with('.') && !expected_files.contains(&name) {
            d.stale.push(name);
        }
    }
    let stored: BTreeSet<String> = state["etags"]
        .as_object()
        .map(|m| m.keys().map(|k| decoded_path(k)).collect())
        .unwrap_or_default();
    let on_server: BTreeSet<String> = members.keys().map(|h| decoded_path(h)).collect();
    if stored != on_server {
        d.state.push(format!(
            "stored ETags for {:?}, server has {:?}",
            stored.difference(&on_server).collect::<Vec<_>>(),
            on_server.difference(&stored).collect::<Vec<_>>()
        ));
    }
    if state["pending"].as_array().is_some_and(|p| !p.is_empty()) {
        d.state.push(format!("still pending: {}", state["pending"]));
    }
    d
}
