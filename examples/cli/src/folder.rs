//! A local folder mirroring one collection: one `.ics` / `.vcf` file per member plus the sync
//! state and the members' file names in [`STATE_FILE`].
//!
//! Order matters for crash safety. [`Mirror::apply`]:
//! 1. chooses the file names of members new to the folder and, when there are any, saves them
//!    with the *old* sync state, so that a run interrupted after writing a file finds that
//!    file under the same name when the changes come again;
//! 2. applies every change (each file written to a temporary name and renamed into place);
//!    a member whose file cannot be written or removed is reported, skipped, and marked
//!    pending in the new state ([`SyncState::mark_pending`]) so the next sync fetches it again;
//! 3. saves the new state, also by rename.
//!
//! An interrupted sync therefore leaves the old state, and the next run delivers the same
//! changes again.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use davkit::{Change, CollectionKind, SyncState};
use serde::{Deserialize, Serialize};

use crate::error::CliError;
use crate::names::FileNames;

/// The state file's name inside the folder (a leading dot: member files never start with one).
pub const STATE_FILE: &str = ".davkit-state.json";

/// The state file: the core's [`SyncState`] (its fields at the top level, so the file is still
/// a valid `SyncState` JSON) plus the file name of every member.
#[derive(Debug, Serialize, Deserialize)]
struct StateFile {
    #[serde(flatten)]
    sync: SyncState,
    /// Absent in files written before names were recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    files: Option<FileNames>,
}

/// What applying the changes did to the folder.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Files written (added or changed members).
    pub written: usize,
    /// Files removed (deleted members whose file existed).
    pub removed: usize,
    /// Members that could not be written or removed; each is pending in the saved state.
    pub problems: Vec<LocalProblem>,
}

/// A member the folder could not take: its file could not be written or removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocalProblem {
    /// The member's URL.
    pub url: String,
    /// Its file name in the folder.
    pub file: Option<String>,
    /// What went wrong.
    pub message: String,
}

/// One collection's folder: its sync state and the file of each member.
#[derive(Debug)]
pub struct Mirror {
    dir: PathBuf,
    kind: CollectionKind,
    state: SyncState,
    files: FileNames,
}

impl Mirror {
    /// Opens the folder: reads the stored state, or starts fresh when there is none. Fails when
    /// the folder holds the state of a different collection. A state written before file names
    /// were recorded gets the names that version used; members that shared a file there are
    /// marked pending, so the next sync fetches them into files of their own.
    pub fn open(dir: &Path, collection_url: &str, kind: CollectionKind) -> Result<Self, CliError> {
        let path = dir.join(STATE_FILE);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Mirror {
                    dir: dir.to_path_buf(),
                    kind,
                    state: SyncState::new(collection_url),
                    files: FileNames::default(),
                });
            }
            Err(e) => return Err(CliError::io("read", &path, e)),
        };
        let stored: StateFile = serde_json::from_str(&text).map_err(|e| {
            CliError::Dav(davkit::Error::new(
                davkit::ErrorKind::InvalidInput,
                format!("not a davkit sync state: {e}"),
            ))
        })?;
        let mut state = stored.sync;
        if !davkit::href::same_resource(&state.collection_url, collection_url) {
            return Err(CliError::Usage(format!(
                "{} holds the sync state of {}, not of {collection_url}; use another folder",
                path.display(),
                state.collection_url
            )));
        }
        let files = match stored.files {
            Some(files) => files,
            None => {
                // The state file exists, so its upper-case name resolves only on a file system
                // that ignores case.
                let case_insensitive = dir.join(STATE_FILE.to_uppercase()).exists();
                let hrefs: Vec<String> = state
                    .etags
                    .keys()
                    .chain(state.pending.iter())
                    .cloned()
                    .collect();
                let (files, refetch) = FileNames::from_legacy(
                    hrefs.iter().map(String::as_str),
                    kind,
                    case_insensitive,
                );
                for href in refetch {
                    state.mark_pending(&href);
                }
                files
            }
        };
        Ok(Mirror {
            dir: dir.to_path_buf(),
            kind,
            state,
            files,
        })
    }

    /// The state to sync from.
    pub fn state(&self) -> &SyncState {
        &self.state
    }

    /// The file of each member.
    #[cfg(test)]
    pub fn files(&self) -> &FileNames {
        &self.files
    }

    /// Saves the state and the file names atomically.
    fn save(&self) -> Result<(), CliError> {
        let stored = StateFile {
            sync: self.state.clone(),
            files: Some(self.files.clone()),
        };
        // Plain strings and maps: serialising cannot fail.
        let text = serde_json::to_string(&stored).unwrap_or_default();
        write_atomic(&self.dir.join(STATE_FILE), text.as_bytes())
    }

    /// Applies a sync's changes to the folder and then stores `new_state` (the state the sync
    /// returned), with every member that could not be written or removed marked pending.
    /// `on_file` is called after each change with (done, total). Fails only when the state
    /// file cannot be saved; then the old state stays and the next run delivers the same
    /// changes again.
    pub fn apply(
        &mut self,
        changes: &[Change],
        mut new_state: SyncState,
        mut on_file: impl FnMut(usize, usize),
    ) -> Result<Applied, CliError> {
        let dir = self.dir.clone();
        let on_disk = |name: &str| dir.join(name).symlink_metadata().is_ok();
        let mut new_names = false;
        for change in changes {
            if let Change::Added(o) | Change::Changed(o) = change {
                new_names |= self.files.assign(&o.url, self.kind, on_disk).1;
            }
        }
        if new_names {
            self.save()?;
        }

        let mut applied = Applied::default();
        for (i, change) in changes.iter().enumerate() {
            match change {
                Change::Added(object) | Change::Changed(object) => {
                    let name = self.files.assign(&object.url, self.kind, on_disk).0;
                    let outcome = match &object.data {
                        None => Err("the sync delivered the member without its data".to_owned()),
                        Some(data) => write_atomic(&self.dir.join(&name), data.as_bytes())
                            .map_err(|e| e.to_string()),
                    };
                    match outcome {
                        Ok(()) => applied.written += 1,
                        Err(message) => {
                            new_state.mark_pending(&object.url);
                            applied.problems.push(LocalProblem {
                                url: object.url.clone(),
                                file: Some(name),
                                message,
                            });
                        }
                    }
                }
                Change::Deleted { url } => {
                    // Only the file this href was written to; an href never written has none.
                    if let Some(name) = self.files.get(url).map(str::to_owned) {
                        let path = self.dir.join(&name);
                        match fs::remove_file(&path) {
                            Ok(()) => {
                                applied.removed += 1;
                                self.files.remove(url);
                            }
                            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                                self.files.remove(url);
                            }
                            Err(e) => {
                                new_state.mark_pending(url);
                                applied.problems.push(LocalProblem {
                                    url: url.clone(),
                                    file: Some(name),
                                    message: CliError::io("remove", &path, e).to_string(),
                                });
                            }
                        }
                    }
                }
            }
            on_file(i + 1, changes.len());
        }

        // Forget names of members the state no longer has and whose file is gone (a file
        // that could not be written the first time).
        let known: std::collections::HashSet<String> = new_state
            .etags
            .keys()
            .chain(new_state.pending.iter())
            .map(|h| FileNames::key(h))
            .collect();
        let dir = self.dir.clone();
        self.files
            .retain(|key, name| known.contains(key) || dir.join(name).symlink_metadata().is_ok());
        self.state = new_state;
        self.save()?;
        Ok(applied)
    }
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

    const CAL: &str = "http://h/cal/";

    fn obj(url: &str, data: &str) -> DavObject {
        DavObject {
            url: url.into(),
            etag: Some(format!("\"{}\"", data.len())),
            data: Some(data.into()),
            json: None,
        }
    }

    fn added(url: &str, data: &str) -> Change {
        Change::Added(obj(url, data))
    }

    fn deleted(url: &str) -> Change {
        Change::Deleted { url: url.into() }
    }

    /// The state a sync would return after `changes` (ETags of additions and changes in,
    /// deletions out).
    fn next_state(old: &SyncState, changes: &[Change], token: &str) -> SyncState {
        let mut state = old.clone();
        state.sync_token = Some(token.into());
        for c in changes {
            match c {
                Change::Added(o) | Change::Changed(o) => {
                    state.pending.remove(&o.url);
                    state
                        .etags
                        .insert(o.url.clone(), o.etag.clone().unwrap_or_default());
                }
                Change::Deleted { url } => {
                    state.pending.remove(url);
                    state.etags.remove(url);
                }
            }
        }
        state
    }

    /// Opens the folder, applies the changes as one sync, and returns what happened.
    fn sync(dir: &Path, changes: &[Change], token: &str) -> Applied {
        let mut mirror = Mirror::open(dir, CAL, CollectionKind::Calendar).expect("open");
        let state = next_state(mirror.state(), changes, token);
        mirror.apply(changes, state, |_, _| {}).expect("apply")
    }

    fn listing(dir: &Path) -> Vec<(String, String)> {
        let mut files: Vec<(String, String)> = fs::read_dir(dir)
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .map(|n| {
                let text = fs::read_to_string(dir.join(&n)).unwrap_or_else(|_| "<dir>".into());
                (n, text)
            })
            .collect();
        files.sort();
        files
    }

    fn stored(dir: &Path) -> SyncState {
        let text = fs::read_to_string(dir.join(STATE_FILE)).expect("state file");
        SyncState::from_json(&text).expect("the state file is a SyncState")
    }

    #[test]
    fn applies_changes_and_round_trips_state() {
        let tmp = TempDir::new("apply");
        let dir = &tmp.0;
        let fresh = Mirror::open(dir, CAL, CollectionKind::Calendar).expect("fresh state");
        assert_eq!(fresh.state(), &SyncState::new(CAL));

        let changes = vec![
            added("http://h/cal/a.ics", "A"),
            added("http://h/cal/b", "B"),
        ];
        let mut mirror = Mirror::open(dir, CAL, CollectionKind::Calendar).expect("open");
        let state = next_state(mirror.state(), &changes, "t1");
        let mut calls = Vec::new();
        let applied = mirror
            .apply(&changes, state, |d, n| calls.push((d, n)))
            .expect("apply");
        assert_eq!((applied.written, applied.removed), (2, 0));
        assert!(applied.problems.is_empty());
        assert_eq!(calls, vec![(1, 2), (2, 2)]);
        assert_eq!(
            listing(dir),
            vec![("a.ics".into(), "A".into()), ("b.ics".into(), "B".into())]
        );

        let changes = vec![
            Change::Changed(obj("http://h/cal/a.ics", "A2")),
            deleted("http://h/cal/b"),
            deleted("http://h/cal/never-written.ics"),
        ];
        let applied = sync(dir, &changes, "t2");
        assert_eq!((applied.written, applied.removed), (1, 1));
        assert_eq!(listing(dir), vec![("a.ics".into(), "A2".into())]);

        // The state file is still a plain SyncState (for other tools), and reopens whole.
        let state = stored(dir);
        assert_eq!(state.sync_token.as_deref(), Some("t2"));
        assert_eq!(state.etags.len(), 1);
        let reopened = Mirror::open(dir, "http://h/cal", CollectionKind::Calendar).expect("load");
        assert_eq!(reopened.state(), &state);
        assert_eq!(reopened.files().get("http://h/cal/a.ics"), Some("a.ics"));
        assert_eq!(reopened.files().len(), 1);
        // No temporary files are left behind.
        let mut names: Vec<String> = fs::read_dir(dir)
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, vec![".davkit-state.json", "a.ics"]);
    }

    #[test]
    fn hrefs_sharing_a_name_get_files_of_their_own() {
        let tmp = TempDir::new("collide");
        let dir = &tmp.0;
        // `x` gets `.ics` added; `X.ICS` differs only in case; all three keep apart.
        let changes = vec![
            added("http://h/cal/x.ics", "dotted"),
            added("http://h/cal/x", "bare"),
            added("http://h/cal/X.ICS", "upper"),
        ];
        sync(dir, &changes, "t1");
        let files = listing(dir);
        assert_eq!(files.len(), 3, "{files:?}");
        assert_eq!(files.iter().filter(|(_, t)| t == "dotted").count(), 1);
        assert!(
            files.contains(&("x.ics".into(), "dotted".into())),
            "{files:?}"
        );
        let folded: std::collections::HashSet<String> =
            files.iter().map(|(n, _)| n.to_lowercase()).collect();
        assert_eq!(folded.len(), 3, "distinct even without case: {files:?}");
        let mirror = Mirror::open(dir, CAL, CollectionKind::Calendar).expect("open");
        let bare = mirror
            .files()
            .get("http://h/cal/x")
            .expect("bare")
            .to_owned();
        let upper = mirror
            .files()
            .get("http://h/cal/X.ICS")
            .expect("upper")
            .to_owned();
        assert!(bare.ends_with(".ics") && bare.starts_with("x-"), "{bare}");
        assert!(
            upper.starts_with("X-") && upper.ends_with(".ICS"),
            "{upper}"
        );

        // Changing one rewrites its own file only; names are stable across runs.
        sync(
            dir,
            &[Change::Changed(obj("http://h/cal/x", "bare2"))],
            "t2",
        );
        assert!(listing(dir).contains(&(bare.clone(), "bare2".into())));
        assert!(listing(dir).contains(&("x.ics".into(), "dotted".into())));

        // Deleting `x.ics` leaves `x` and `X.ICS` alone, and the reverse.
        sync(dir, &[deleted("http://h/cal/x.ics")], "t3");
        assert_eq!(
            listing(dir),
            vec![
                (upper.clone(), "upper".into()),
                (bare.clone(), "bare2".into())
            ]
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
        );
        sync(
            dir,
            &[deleted("http://h/cal/x"), deleted("http://h/cal/X.ICS")],
            "t4",
        );
        assert!(listing(dir).is_empty());
        assert!(
            Mirror::open(dir, CAL, CollectionKind::Calendar)
                .expect("open")
                .files()
                .is_empty()
        );

        // The same href in another encoding is the same member (the core's comparison).
        sync(dir, &[added("http://h/cal/a%3Ab.ics", "colon")], "t5");
        sync(
            dir,
            &[Change::Changed(obj("http://h/cal/a:b.ics", "colon2"))],
            "t6",
        );
        let files = listing(dir);
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(files[0].1, "colon2");
        sync(dir, &[deleted("http://h/cal/a%3ab.ics")], "t7");
        assert!(listing(dir).is_empty());
    }

    #[test]
    fn a_file_the_folder_did_not_write_is_never_touched() {
        let tmp = TempDir::new("foreign");
        let dir = &tmp.0;
        fs::write(dir.join("notes.ics"), "mine").expect("write");
        // A member whose name is taken by a file of the user's gets another name ...
        sync(dir, &[added("http://h/cal/notes.ics", "server")], "t1");
        let files = listing(dir);
        assert_eq!(files.len(), 2, "{files:?}");
        assert!(files.contains(&("notes.ics".into(), "mine".into())));
        // ... and its deletion removes its own file, not the user's.
        sync(dir, &[deleted("http://h/cal/notes.ics")], "t2");
        assert_eq!(listing(dir), vec![("notes.ics".into(), "mine".into())]);
        // A deletion of a member never written removes nothing.
        sync(dir, &[deleted("http://h/cal/other.ics")], "t3");
        assert_eq!(listing(dir), vec![("notes.ics".into(), "mine".into())]);
    }

    #[test]
    fn a_member_that_cannot_be_written_is_skipped_and_fetched_again() {
        let tmp = TempDir::new("unwritable");
        let dir = &tmp.0;
        sync(dir, &[added("http://h/cal/a.ics", "A1")], "t1");
        // Something the file cannot replace now sits at a.ics (a non-empty directory).
        fs::remove_file(dir.join("a.ics")).expect("rm");
        fs::create_dir(dir.join("a.ics")).expect("mkdir");
        fs::write(dir.join("a.ics").join("keep"), "x").expect("write");

        let changes = vec![
            Change::Changed(obj("http://h/cal/a.ics", "A2")),
            added("http://h/cal/b.ics", "B"),
            Change::Added(DavObject {
                data: None,
                ..obj("http://h/cal/c.ics", "")
            }),
        ];
        let applied = sync(dir, &changes, "t2");
        assert_eq!(applied.written, 1);
        let urls: Vec<&str> = applied.problems.iter().map(|p| p.url.as_str()).collect();
        assert_eq!(urls, vec!["http://h/cal/a.ics", "http://h/cal/c.ics"]);
        assert!(
            applied.problems[0].message.contains("a.ics"),
            "{:?}",
            applied.problems
        );
        // The rest is applied and the state moved on, with the two pending.
        assert_eq!(fs::read_to_string(dir.join("b.ics")).expect("b"), "B");
        let state = stored(dir);
        assert_eq!(state.sync_token.as_deref(), Some("t2"));
        assert!(state.pending.contains("http://h/cal/a.ics"), "{state:?}");
        assert!(state.pending.contains("http://h/cal/c.ics"), "{state:?}");
        assert!(!state.etags.contains_key("http://h/cal/a.ics"));
        assert!(state.etags.contains_key("http://h/cal/b.ics"));

        // Once the obstacle is gone, the next sync (which fetches pending members) writes it.
        fs::remove_dir_all(dir.join("a.ics")).expect("rmdir");
        let changes = vec![Change::Changed(obj("http://h/cal/a.ics", "A3"))];
        let applied = sync(dir, &changes, "t3");
        assert!(applied.problems.is_empty(), "{:?}", applied.problems);
        assert_eq!(fs::read_to_string(dir.join("a.ics")).expect("a"), "A3");
        let state = stored(dir);
        assert!(!state.pending.contains("http://h/cal/a.ics"));
        assert!(state.pending.contains("http://h/cal/c.ics"));
    }

    #[test]
    fn a_rerun_after_an_interrupted_apply_reuses_the_names() {
        let tmp = TempDir::new("rerun");
        let dir = &tmp.0;
        let changes = vec![
            added("http://h/cal/n.ics", "N"),
            added("http://h/cal/n", "bare"),
        ];
        let mut mirror = Mirror::open(dir, CAL, CollectionKind::Calendar).expect("open");
        let state = next_state(mirror.state(), &changes, "t1");
        // What the state file holds while the files are being written.
        let mut during = None;
        mirror
            .apply(&changes, state, |_, _| {
                during.get_or_insert_with(|| fs::read_to_string(dir.join(STATE_FILE)));
            })
            .expect("apply");
        let during = during.expect("called").expect("the names were saved first");
        let before = listing(dir);
        assert_eq!(before.len(), 2, "{before:?}");
        // It still holds the old sync state: a crash here makes the next run deliver the
        // same changes again ...
        let interrupted: StateFile = serde_json::from_str(&during).expect("state");
        assert_eq!(interrupted.sync, SyncState::new(CAL));
        fs::write(dir.join(STATE_FILE), during).expect("crash before the final save");
        // ... which land in the same files (n.ics exists on disk, but it is n.ics's own).
        sync(dir, &changes, "t1");
        assert_eq!(listing(dir), before);
    }

    #[test]
    fn an_older_state_without_names_is_migrated() {
        let tmp = TempDir::new("legacy");
        let dir = &tmp.0;
        // Written by a CLI that mapped both `x` and `x.ics` to x.ics.
        let mut old = SyncState::new(CAL);
        old.sync_token = Some("t0".into());
        for href in ["http://h/cal/x", "http://h/cal/x.ics", "http://h/cal/y.ics"] {
            old.etags.insert(href.into(), "\"1\"".into());
        }
        fs::write(dir.join(STATE_FILE), old.to_json()).expect("state");
        fs::write(dir.join("x.ics"), "one of them").expect("x");
        fs::write(dir.join("y.ics"), "Y").expect("y");

        let mirror = Mirror::open(dir, CAL, CollectionKind::Calendar).expect("open");
        // Both members of the shared file are fetched again; y keeps its file.
        let pending: Vec<&str> = mirror.state().pending.iter().map(String::as_str).collect();
        assert_eq!(pending, vec!["http://h/cal/x", "http://h/cal/x.ics"]);
        assert_eq!(mirror.state().etags.len(), 1);
        assert_eq!(mirror.files().get("http://h/cal/y.ics"), Some("y.ics"));

        // The next sync brings both back, each into its own file.
        let changes = vec![
            added("http://h/cal/x", "bare"),
            added("http://h/cal/x.ics", "dotted"),
        ];
        sync(dir, &changes, "t1");
        let files = listing(dir);
        assert_eq!(files.len(), 3, "{files:?}");
        assert!(files.iter().any(|(_, t)| t == "bare"));
        assert!(files.iter().any(|(_, t)| t == "dotted"));
        assert!(stored(dir).pending.is_empty());
    }

    #[test]
    fn refuses_another_collections_state() {
        let tmp = TempDir::new("other");
        sync(&tmp.0, &[], "t1");
        let err = Mirror::open(&tmp.0, "http://h/other/", CollectionKind::Calendar)
            .expect_err("must refuse");
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("http://h/cal/"), "{err}");
    }

    #[test]
    fn a_corrupt_state_file_is_an_error() {
        let tmp = TempDir::new("corrupt");
        fs::write(tmp.0.join(STATE_FILE), "{not json").expect("write");
        let err = Mirror::open(&tmp.0, CAL, CollectionKind::Calendar).expect_err("must fail");
        assert!(err.to_string().contains("not a davkit sync state"), "{err}");
    }
}
