//! A local folder mirroring one collection: one `.ics` / `.vcf` file per member plus the sync
//! state in [`STATE_FILE`].
//!
//! Order matters for crash safety: every change is applied first (each file written to a
//! temporary name and renamed into place), and only then is the new state saved, also by
//! rename. An interrupted sync therefore leaves the old state, and the next run delivers the
//! same changes again.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use davkit::{Change, CollectionKind, SyncState};

use crate::error::CliError;
use crate::names::object_file_name;

/// The state file's name inside the folder (a leading dot: member files never start with one).
pub const STATE_FILE: &str = ".davkit-state.json";

/// What applying the changes did to the folder.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// Files written (added or changed members).
    pub written: usize,
    /// Files removed (deleted members whose file existed).
    pub removed: usize,
}

/// Reads the stored state, or a fresh one when the folder has none. Fails when the folder
/// holds the state of a different collection.
pub fn load_state(dir: &Path, collection_url: &str) -> Result<SyncState, CliError> {
    let path = dir.join(STATE_FILE);
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(SyncState::new(collection_url));
        }
        Err(e) => return Err(CliError::io("read", &path, e)),
    };
    let state = SyncState::from_json(&text)?;
    if !davkit::href::same_resource(&state.collection_url, collection_url) {
        return Err(CliError::Usage(format!(
            "{} holds the sync state of {}, not of {collection_url}; use another folder",
            path.display(),
            state.collection_url
        )));
    }
    Ok(state)
}

/// Saves the state atomically.
pub fn save_state(dir: &Path, state: &SyncState) -> Result<(), CliError> {
    write_atomic(&dir.join(STATE_FILE), state.to_json().as_bytes())
}

/// Writes every added or changed member to its file and removes the files of deleted ones.
/// `on_file` is called after each change with (done, total).
pub fn apply(
    dir: &Path,
    kind: CollectionKind,
    changes: &[Change],
    mut on_file: impl FnMut(usize, usize),
) -> Result<Applied, CliError> {
    let mut applied = Applied::default();
    for (i, change) in changes.iter().enumerate() {
        let path = dir.join(object_file_name(change.url(), kind));
        match change {
            Change::Added(object) | Change::Changed(object) => {
                let Some(data) = &object.data else {
                    return Err(CliError::Dav(
                        davkit::Error::new(
                            davkit::ErrorKind::Protocol,
                            "the sync returned a changed member without its data",
                        )
                        .with_url(&object.url),
                    ));
                };
                write_atomic(&path, data.as_bytes())?;
                applied.written += 1;
            }
            Change::Deleted { .. } => match fs::remove_file(&path) {
                Ok(()) => applied.removed += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(CliError::io("remove", &path, e)),
            },
        }
        on_file(i + 1, changes.len());
    }
    Ok(applied)
}

/// Writes `bytes` to a temporary file next to `path`, flushes it to disk and renames it over
/// `path`, so readers see either the old or the new content, never a partial file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        CliError::io("write", path, e)
    })
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.davkit-tmp-{}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use davkit::DavObject;

    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> Self {
            let dir = std::env::temp_dir().join(format!(
                "davkit-cli-unit-{tag}-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).expect("temp dir");
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn obj(url: &str, data: &str) -> DavObject {
        DavObject {
            url: url.into(),
            etag: Some("\"1\"".into()),
            data: Some(data.into()),
            json: None,
        }
    }

    #[test]
    fn applies_changes_and_round_trips_state() {
        let tmp = TempDir::new("apply");
        let dir = &tmp.0;
        let url = "http://h/cal/";
        let fresh = load_state(dir, url).expect("fresh state");
        assert_eq!(fresh, SyncState::new(url));

        let changes = vec![
            Change::Added(obj("http://h/cal/a.ics", "A")),
            Change::Added(obj("http://h/cal/b", "B")),
        ];
        let mut calls = Vec::new();
        let applied = apply(dir, CollectionKind::Calendar, &changes, |d, n| {
            calls.push((d, n))
        })
        .expect("apply");
        assert_eq!(
            applied,
            Applied {
                written: 2,
                removed: 0
            }
        );
        assert_eq!(calls, vec![(1, 2), (2, 2)]);
        assert_eq!(fs::read_to_string(dir.join("a.ics")).expect("a"), "A");
        assert_eq!(fs::read_to_string(dir.join("b.ics")).expect("b"), "B");

        let changes = vec![
            Change::Changed(obj("http://h/cal/a.ics", "A2")),
            Change::Deleted {
                url: "http://h/cal/b".into(),
            },
            Change::Deleted {
                url: "http://h/cal/never-written.ics".into(),
            },
        ];
        let applied = apply(dir, CollectionKind::Calendar, &changes, |_, _| {}).expect("apply");
        assert_eq!(
            applied,
            Applied {
                written: 1,
                removed: 1
            }
        );
        assert_eq!(fs::read_to_string(dir.join("a.ics")).expect("a"), "A2");
        assert!(!dir.join("b.ics").exists());

        let mut state = SyncState::new(url);
        state.sync_token = Some("t1".into());
        save_state(dir, &state).expect("save");
        assert_eq!(load_state(dir, "http://h/cal").expect("load"), state);
        // No temporary files are left behind.
        let mut names: Vec<String> = fs::read_dir(dir)
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, vec![".davkit-state.json", "a.ics"]);
    }

    #[test]
    fn refuses_another_collections_state() {
        let tmp = TempDir::new("other");
        save_state(&tmp.0, &SyncState::new("http://h/cal/")).expect("save");
        let err = load_state(&tmp.0, "http://h/other/").expect_err("must refuse");
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("http://h/cal/"), "{err}");
    }

    #[test]
    fn a_corrupt_state_file_is_an_error() {
        let tmp = TempDir::new("corrupt");
        fs::write(tmp.0.join(STATE_FILE), "{not json").expect("write");
        let err = load_state(&tmp.0, "http://h/cal/").expect_err("must fail");
        assert!(err.to_string().contains("not a davkit sync state"), "{err}");
    }
}
