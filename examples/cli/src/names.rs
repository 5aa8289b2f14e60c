//! Local file and folder names for server resources.
//!
//! A member's preferred file name ([`object_file_name`]) is the last segment of its href,
//! percent-decoded and made safe for a file system: never empty, never `.` or `..`, no path
//! separators or control characters, no leading dot (so nothing can overwrite the state file or
//! hide), and at most [`MAX_NAME_BYTES`] bytes. Whenever a name had to be changed, a short hash
//! of the original segment is appended.
//!
//! Different hrefs can still share a preferred name (`x` and `x.ics`, `A.ics` and `a.ics` on a
//! case-insensitive file system, `a%3Ab.ics` and `a:b.ics`), so the names actually used are
//! recorded in [`FileNames`], kept in the folder's state file: an href keeps the name it got
//! the first time, and a new href whose preferred name is taken (compared without case, or
//! present on disk) gets a short stable hash of its href appended. Distinct hrefs therefore
//! always have distinct files, and a deletion removes only the file of its own href.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use davkit::CollectionKind;

/// The longest file name produced, in bytes (most file systems allow 255).
pub const MAX_NAME_BYTES: usize = 200;

/// The file name for a collection member: `weekly-standup.ics`, `bob%40example.vcf` ->
/// `bob@example.vcf`, `a%2Fb` -> `a_b-1c2d3e4f.ics`.
pub fn object_file_name(href: &str, kind: CollectionKind) -> String {
    let segment = last_segment(href);
    let mut name = safe_name(&segment, "object");
    if let Some(ext) = extension(kind) {
        let has_ext = name.len() > ext.len()
            && name
                .get(name.len() - ext.len()..)
                .is_some_and(|tail| tail.eq_ignore_ascii_case(ext));
        if !has_ext {
            name.push_str(ext);
        }
    }
    name
}

/// The folder name for a collection: its last path segment, made safe the same way.
pub fn collection_slug(url: &str) -> String {
    safe_name(&last_segment(url), "collection")
}

/// The extension a member of this kind gets when its name has none.
pub fn extension(kind: CollectionKind) -> Option<&'static str> {
    match kind {
        CollectionKind::Calendar => Some(".ics"),
        CollectionKind::AddressBook => Some(".vcf"),
        _ => None,
    }
}

/// The last non-empty path segment of a URL or href, percent-decoded (query and fragment
/// dropped). Empty when there is none.
pub fn last_segment(href: &str) -> String {
    let without_scheme = match href.find("://") {
        Some(i) => {
            let rest = &href[i + 3..];
            // Drop the authority: the path starts at the first '/'.
            rest.find('/').map_or("", |p| &rest[p..])
        }
        None => href,
    };
    let path = without_scheme
        .split(['?', '#'])
        .next()
        .unwrap_or(without_scheme);
    let segment = path.split('/').rev().find(|s| !s.is_empty()).unwrap_or("");
    percent_decode(segment)
}

pub use davkit::href::percent_decode;

/// Makes one decoded segment safe as a file or folder name. `fallback` names a segment with
/// nothing usable in it (`object-<hash>`).
pub fn safe_name(segment: &str, fallback: &str) -> String {
    let hash = short_hash(segment);
    if segment.is_empty() || segment == "." || segment == ".." {
        return format!("{fallback}-{hash}");
    }
    let mut changed = false;
    let mut name: String = segment
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c == ':' || c.is_control() {
                changed = true;
                '_'
            } else {
                c
            }
        })
        .collect();
    if name.starts_with('.') {
        changed = true;
        name = format!("_{}", name.trim_start_matches('.'));
    }
    if name.len() > MAX_NAME_BYTES {
        changed = true;
        let mut end = MAX_NAME_BYTES;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name.truncate(end);
    }
    if name.trim_matches(['_', ' ']).is_empty() {
        return format!("{fallback}-{hash}");
    }
    if changed {
        // Keep a known extension at the end so the file still opens as what it is.
        let (stem, ext) = split_extension(&name);
        name = format!("{stem}-{hash}{ext}");
    }
    name
}

fn split_extension(name: &str) -> (&str, &str) {
    for ext in [".ics", ".vcf"] {
        if name.len() > ext.len() {
            let at = name.len() - ext.len();
            if name.is_char_boundary(at) && name[at..].eq_ignore_ascii_case(ext) {
                return (&name[..at], &name[at..]);
            }
        }
    }
    (name, "")
}

/// FNV-1a (64-bit) of the text, as 8 hex digits: stable across Rust versions and platforms,
/// unlike `DefaultHasher`.
pub fn short_hash(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", (h >> 32) ^ (h & 0xffff_ffff))
}

/// The key two file names collide on: case-insensitive file systems (macOS, Windows) treat
/// `A.ics` and `a.ics` as one file, so names are compared lower-cased everywhere.
pub fn fold(name: &str) -> String {
    name.to_lowercase()
}

/// `stem-suffix.ext` for a name ending in a known extension, else `name-suffix`.
fn with_suffix(name: &str, suffix: &str) -> String {
    let (stem, ext) = split_extension(name);
    format!("{stem}-{suffix}{ext}")
}

/// A 64-bit FNV-1a hash of the text as 16 hex digits (for the rare second collision).
fn long_hash(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The file of each member of a folder: the member's href (compared as
/// [`davkit::href::normalize`] does, so the encodings of one href share an entry) to its file
/// name. Stored in the folder's state file; serialised as a plain JSON object.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "BTreeMap<String, String>", into = "BTreeMap<String, String>")]
pub struct FileNames {
    /// Normalised href to file name.
    by_href: BTreeMap<String, String>,
    /// Folded file name to how many hrefs use it (normally one).
    used: HashMap<String, usize>,
}

impl From<BTreeMap<String, String>> for FileNames {
    fn from(by_href: BTreeMap<String, String>) -> Self {
        let mut used = HashMap::new();
        for name in by_href.values() {
            *used.entry(fold(name)).or_insert(0) += 1;
        }
        FileNames { by_href, used }
    }
}

impl From<FileNames> for BTreeMap<String, String> {
    fn from(names: FileNames) -> Self {
        names.by_href
    }
}

impl FileNames {
    /// The key an href is stored under.
    pub fn key(href: &str) -> String {
        davkit::href::normalize(href)
    }

    /// The file recorded for an href, if any.
    pub fn get(&self, href: &str) -> Option<&str> {
        self.by_href.get(&Self::key(href)).map(String::as_str)
    }

    /// How many hrefs have a file name.
    pub fn len(&self) -> usize {
        self.by_href.len()
    }

    /// Whether no href has a file name.
    pub fn is_empty(&self) -> bool {
        self.by_href.is_empty()
    }

    /// Every (normalised href, file name) pair.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.by_href.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Whether a file name is in use by some href (compared without case).
    pub fn is_used(&self, name: &str) -> bool {
        self.used.get(&fold(name)).is_some_and(|n| *n > 0)
    }

    /// The file name of `href`: the recorded one, or a new one that no other href uses and
    /// for which `exists_on_disk` is false (a file this map does not know: the user's own, or
    /// another name the file system treats as the same). The new name is recorded.
    /// Returns the name and whether it is new.
    pub fn assign(
        &mut self,
        href: &str,
        kind: CollectionKind,
        exists_on_disk: impl Fn(&str) -> bool,
    ) -> (String, bool) {
        let key = Self::key(href);
        if let Some(name) = self.by_href.get(&key) {
            return (name.clone(), false);
        }
        let preferred = object_file_name(href, kind);
        let free = |n: &str| !self.is_used(n) && !exists_on_disk(n);
        let name = if free(&preferred) {
            preferred
        } else {
            let short = with_suffix(&preferred, &short_hash(&key));
            if free(&short) {
                short
            } else {
                let long = with_suffix(&preferred, &long_hash(&key));
                (0u32..)
                    .map(|i| {
                        if i == 0 {
                            long.clone()
                        } else {
                            with_suffix(&long, &i.to_string())
                        }
                    })
                    .find(|n| free(n))
                    .unwrap_or(long)
            }
        };
        self.insert_key(key, name.clone());
        (name, true)
    }

    fn insert_key(&mut self, key: String, name: String) {
        *self.used.entry(fold(&name)).or_insert(0) += 1;
        if let Some(old) = self.by_href.insert(key, name) {
            self.release(&old);
        }
    }

    fn release(&mut self, name: &str) {
        let folded = fold(name);
        if let Some(n) = self.used.get_mut(&folded) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.used.remove(&folded);
            }
        }
    }

    /// Forgets an href's file name (after its file was removed); returns it.
    pub fn remove(&mut self, href: &str) -> Option<String> {
        let name = self.by_href.remove(&Self::key(href))?;
        self.release(&name);
        Some(name)
    }

    /// Keeps only the entries for which `keep(normalised href, file name)` holds.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &str) -> bool) {
        let dropped: Vec<String> = self
            .by_href
            .iter()
            .filter(|(k, v)| !keep(k, v))
            .map(|(k, _)| k.clone())
            .collect();
        for key in dropped {
            if let Some(name) = self.by_href.remove(&key) {
                self.release(&name);
            }
        }
    }

    /// The names an older CLI used (a pure function of the href, [`object_file_name`]) for a
    /// state without a recorded map. Hrefs that shared one file there (the same name, or names
    /// differing only in case when `case_insensitive`: the folder's file system treats them as
    /// one) cannot be told apart: the first (in order) keeps the file, and all of them are
    /// returned so that the caller fetches them again into files of their own.
    pub fn from_legacy<'a>(
        hrefs: impl IntoIterator<Item = &'a str>,
        kind: CollectionKind,
        case_insensitive: bool,
    ) -> (FileNames, Vec<String>) {
        let mut groups: BTreeMap<String, Vec<(&str, String)>> = BTreeMap::new();
        let mut seen = std::collections::HashSet::new();
        for href in hrefs {
            if seen.insert(Self::key(href)) {
                let name = object_file_name(href, kind);
                let group = if case_insensitive {
                    fold(&name)
                } else {
                    name.clone()
                };
                groups.entry(group).or_default().push((href, name));
            }
        }
        let mut names = FileNames::default();
        let mut refetch = Vec::new();
        for hrefs in groups.into_values() {
            if let Some((first, name)) = hrefs.first() {
                names.insert_key(Self::key(first), name.clone());
            }
            if hrefs.len() > 1 {
                refetch.extend(hrefs.iter().map(|(h, _)| (*h).to_owned()));
            }
        }
        (names, refetch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use davkit::CollectionKind::{AddressBook, Calendar, Other};

    #[test]
    fn plain_names_are_kept() {
        assert_eq!(
            object_file_name("http://h:5232/alice/work/weekly-standup.ics", Calendar),
            "weekly-standup.ics"
        );
        assert_eq!(
            object_file_name("/alice/contacts/bob-v4.vcf", AddressBook),
            "bob-v4.vcf"
        );
        assert_eq!(
            object_file_name("/alice/work/UPPER.ICS", Calendar),
            "UPPER.ICS"
        );
    }

    #[test]
    fn missing_extension_is_added_by_kind() {
        assert_eq!(
            object_file_name("/cal/3f1a-77c2", Calendar),
            "3f1a-77c2.ics"
        );
        assert_eq!(object_file_name("/ab/card", AddressBook), "card.vcf");
        assert_eq!(object_file_name("/x/thing", Other), "thing");
        // A calendar member that happens to end in .vcf still gets .ics.
        assert_eq!(object_file_name("/cal/odd.vcf", Calendar), "odd.vcf.ics");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(
            object_file_name("/ab/bob%40example.com.vcf", AddressBook),
            "bob@example.com.vcf"
        );
        assert_eq!(
            object_file_name("/cal/caf%C3%A9%20offsite.ics", Calendar),
            "café offsite.ics"
        );
        // Invalid escapes are kept literally.
        assert_eq!(object_file_name("/cal/100%zz.ics", Calendar), "100%zz.ics");
        assert_eq!(object_file_name("/cal/tail%4", Calendar), "tail%4.ics");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("a%41"), "aA");
    }

    #[test]
    fn query_fragment_and_trailing_slash_are_ignored() {
        assert_eq!(
            object_file_name("https://h/cal/ev.ics?x=1#f", Calendar),
            "ev.ics"
        );
        assert_eq!(collection_slug("http://127.0.0.1:5232/alice/work/"), "work");
        assert_eq!(collection_slug("/user/calendars/calendar"), "calendar");
    }

    #[test]
    fn separators_and_traversal_are_neutralised() {
        let slash = object_file_name("/cal/a%2Fb.ics", Calendar);
        assert!(!slash.contains('/'), "{slash}");
        assert!(
            slash.starts_with("a_b-") && slash.ends_with(".ics"),
            "{slash}"
        );
        let up = object_file_name("/cal/%2E%2E", Calendar);
        assert!(up.starts_with("object-") && up.ends_with(".ics"), "{up}");
        assert!(!up.contains(".."), "{up}");
        let up_slash = object_file_name("/cal/..%2F..%2Fetc%2Fpasswd", Calendar);
        assert!(
            !up_slash.contains('/') && !up_slash.starts_with('.'),
            "{up_slash}"
        );
        let backslash = object_file_name("/cal/..%5C..%5Cx.ics", Calendar);
        assert!(!backslash.contains('\\') && !backslash.starts_with('.'));
        let control = object_file_name("/cal/a%0Ab%00.ics", Calendar);
        assert!(!control.chars().any(char::is_control), "{control:?}");
    }

    #[test]
    fn hidden_names_cannot_hit_the_state_file() {
        let name = object_file_name("/cal/.davkit-state.json", Calendar);
        assert_ne!(name, ".davkit-state.json");
        assert!(!name.starts_with('.'), "{name}");
        assert!(name.ends_with(".ics"));
    }

    #[test]
    fn empty_segments_fall_back_to_a_hash() {
        let a = object_file_name("https://h/", Calendar);
        assert!(a.starts_with("object-") && a.ends_with(".ics"), "{a}");
        let b = object_file_name("%2F%2F", Calendar);
        assert!(b.starts_with("object-"), "{b}");
        assert_eq!(
            collection_slug("https://h/"),
            format!("collection-{}", short_hash(""))
        );
    }

    #[test]
    fn changed_names_do_not_collide() {
        // "a/b" and "a:b" both sanitise to "a_b", but keep apart by their hash.
        let x = object_file_name("/cal/a%2Fb.ics", Calendar);
        let y = object_file_name("/cal/a:b.ics", Calendar);
        let z = object_file_name("/cal/a_b.ics", Calendar);
        assert_ne!(x, y);
        assert_ne!(x, z);
        assert_ne!(y, z);
        assert_eq!(z, "a_b.ics");
    }

    #[test]
    fn long_names_are_cut_on_a_char_boundary() {
        let long = format!("/cal/{}.ics", "가".repeat(200));
        let name = object_file_name(&long, Calendar);
        assert!(name.len() <= MAX_NAME_BYTES + 16, "{}", name.len());
        assert!(name.ends_with(".ics"));
        // Deterministic: the same href gives the same name every time.
        assert_eq!(name, object_file_name(&long, Calendar));
    }

    #[test]
    fn hash_is_stable() {
        // Pinned so that a later sync maps deleted hrefs to the files an earlier one wrote.
        assert_eq!(short_hash(""), "4fd0bfc1");
        assert_eq!(short_hash("a"), short_hash("a"));
        assert_ne!(short_hash("a"), short_hash("b"));
    }

    fn nothing_on_disk(_: &str) -> bool {
        false
    }

    #[test]
    fn distinct_hrefs_get_distinct_names() {
        let hrefs = [
            "http://h/cal/x.ics",
            "http://h/cal/x",
            "http://h/cal/X.ics",
            "http://h/cal/x.ICS",
            "http://h/cal/a%3Ab.ics",
            "http://h/cal/a_b.ics",
            "http://h/cal/caf%C3%A9.ics",
            "http://h/cal/CAF%C3%89.ics",
            "http://h/cal/x.ics.ics",
        ];
        let mut names = FileNames::default();
        let assigned: Vec<String> = hrefs
            .iter()
            .map(|h| names.assign(h, Calendar, nothing_on_disk).0)
            .collect();
        let folded: std::collections::HashSet<String> = assigned.iter().map(|n| fold(n)).collect();
        assert_eq!(folded.len(), hrefs.len(), "{assigned:?}");
        // The first of each colliding group keeps the plain name; the others get a hash.
        assert_eq!(assigned[0], "x.ics");
        assert_eq!(assigned[6], "café.ics");
        assert_eq!(assigned[8], "x.ics.ics");
        assert!(assigned[1].starts_with("x-") && assigned[1].ends_with(".ics"));
        assert!(assigned[7].starts_with("CAFÉ-"), "{}", assigned[7]);
        // Asking again gives the recorded name, not a new one.
        for (h, n) in hrefs.iter().zip(&assigned) {
            assert_eq!(
                &names.assign(h, Calendar, nothing_on_disk),
                &(n.clone(), false)
            );
        }
        // Another encoding of a recorded href is the same member.
        assert_eq!(
            names.get("http://h/cal/a:b.ics"),
            Some(assigned[4].as_str())
        );
        assert_eq!(names.get("http://h/cal/caf%c3%a9.ics"), Some("café.ics"));
    }

    #[test]
    fn the_collision_suffix_is_stable() {
        // Whoever comes second, the suffix depends only on its own href.
        let mut one = FileNames::default();
        one.assign("http://h/cal/x.ics", Calendar, nothing_on_disk);
        let a = one.assign("http://h/cal/x", Calendar, nothing_on_disk).0;
        let mut two = FileNames::default();
        two.assign("http://h/cal/X.ICS", Calendar, nothing_on_disk);
        let b = two.assign("http://h/cal/x", Calendar, nothing_on_disk).0;
        assert_eq!(a, b);
        assert_eq!(
            a,
            format!("x-{}.ics", short_hash(&FileNames::key("http://h/cal/x")))
        );
    }

    #[test]
    fn names_on_disk_are_not_taken() {
        let mut names = FileNames::default();
        let on_disk = |n: &str| n == "mine.ics" || n.to_lowercase() == "other.ics";
        let a = names.assign("http://h/cal/mine.ics", Calendar, on_disk).0;
        assert_ne!(a, "mine.ics");
        let b = names.assign("http://h/cal/OTHER.ics", Calendar, on_disk).0;
        assert!(b.starts_with("OTHER-"), "{b}");
        // Even a taken hash suffix is avoided.
        let taken = format!("y-{}.ics", short_hash(&FileNames::key("http://h/cal/y")));
        let mut names = FileNames::default();
        names.assign("http://h/cal/y.ics", Calendar, nothing_on_disk);
        let c = names
            .assign("http://h/cal/y", Calendar, |n: &str| n == taken)
            .0;
        assert!(c != taken && c != "y.ics" && c.ends_with(".ics"), "{c}");
    }

    #[test]
    fn long_names_sharing_a_prefix_keep_apart() {
        let stem = "e".repeat(300);
        let mut names = FileNames::default();
        let a = names
            .assign(&format!("/cal/{stem}1.ics"), Calendar, nothing_on_disk)
            .0;
        let b = names
            .assign(&format!("/cal/{stem}2.ics"), Calendar, nothing_on_disk)
            .0;
        assert_ne!(a, b);
        assert!(a.len() <= MAX_NAME_BYTES + 40 && b.len() <= MAX_NAME_BYTES + 40);
    }

    #[test]
    fn removing_frees_the_name_and_json_round_trips() {
        let mut names = FileNames::default();
        names.assign("http://h/cal/x.ics", Calendar, nothing_on_disk);
        let bare = names.assign("http://h/cal/x", Calendar, nothing_on_disk).0;
        let json = serde_json::to_string(&names).expect("json");
        assert!(
            json.starts_with('{') && json.contains("\"x.ics\""),
            "{json}"
        );
        let back: FileNames = serde_json::from_str(&json).expect("back");
        assert_eq!(back, names);
        assert!(back.is_used("X.ICS"));
        assert_eq!(names.remove("http://h/cal/x.ics").as_deref(), Some("x.ics"));
        assert!(!names.is_used("x.ics"));
        assert_eq!(names.get("http://h/cal/x"), Some(bare.as_str()));
        // A new member may now take the freed name.
        assert_eq!(
            names
                .assign("http://h/cal/x%2Eics", Calendar, nothing_on_disk)
                .0,
            "x.ics"
        );
    }

    #[test]
    fn legacy_names_split_shared_files() {
        let hrefs = ["/c/x", "/c/x.ics", "/c/Y.ics", "/c/y.ics", "/c/z.ics"];
        let (names, refetch) = FileNames::from_legacy(hrefs, Calendar, false);
        assert_eq!(refetch, vec!["/c/x", "/c/x.ics"]);
        assert_eq!(names.get("/c/x"), Some("x.ics"));
        assert_eq!(names.get("/c/x.ics"), None);
        assert_eq!(names.get("/c/Y.ics"), Some("Y.ics"));
        assert_eq!(names.get("/c/y.ics"), Some("y.ics"));
        // On a file system that ignores case, Y.ics and y.ics were one file too.
        let (names, refetch) = FileNames::from_legacy(hrefs, Calendar, true);
        assert_eq!(refetch, vec!["/c/x", "/c/x.ics", "/c/Y.ics", "/c/y.ics"]);
        assert_eq!(names.get("/c/z.ics"), Some("z.ics"));
        assert_eq!(names.len(), 3);
    }
}
