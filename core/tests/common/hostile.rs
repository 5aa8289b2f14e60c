//! The hostile inputs of `tests/hostile/`, shared by their three runners (`hostile.rs` for
//! `.ics`, `hostile_xml.rs` for `.xml` and `.vcf`, `hostile_json.rs` for `.json`): each file is
//! made by its runner's generator and committed, so the inputs can be read and replayed by
//! other tools without running Rust.

use std::path::{Path, PathBuf};

/// The folder `tests/hostile/`.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/hostile")
}

/// The name of a file, as its runner's expectations name it.
pub fn name_of(path: &Path) -> String {
    path.file_name()
        .expect("a file name")
        .to_string_lossy()
        .into_owned()
}

/// Every committed file whose extension is one of `extensions`, sorted by name.
pub fn committed(extensions: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir()).expect("tests/hostile/") {
        let path = entry.expect("a directory entry").path();
        if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| extensions.contains(&e))
        {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Runs `check` on every committed file whose extension is one of `extensions`, with its name
/// and text, and asserts that the generator made as many (`generated`): a file added by hand
/// or left behind by a removed case is caught.
pub fn replay_each(extensions: &[&str], generated: usize, mut check: impl FnMut(&str, &str)) {
    let found = committed(extensions);
    for path in &found {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("tests/hostile/{}: {e}", name_of(path)));
        check(&name_of(path), &text);
    }
    assert_eq!(
        found.len(),
        generated,
        "tests/hostile/ holds {} files with extensions {extensions:?}; the generator makes {generated}",
        found.len()
    );
}

/// Asserts that each generated file is committed as it is generated.
pub fn assert_committed<N: AsRef<str>>(generated: Vec<(N, String)>) {
    for (name, text) in generated {
        let name = name.as_ref();
        let committed = std::fs::read_to_string(dir().join(name))
            .unwrap_or_else(|e| panic!("tests/hostile/{name}: {e}"));
        assert!(
            committed == text,
            "tests/hostile/{name} differs from what its generator makes (run the ignored \
             write_files test of its runner)"
        );
    }
}

/// Writes the generated files into `tests/hostile/`.
pub fn write(generated: Vec<(impl AsRef<str>, String)>) {
    for (name, text) in generated {
        std::fs::write(dir().join(name.as_ref()), text).expect("tests/hostile/ is writable");
    }
}
