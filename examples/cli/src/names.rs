//! Local file and folder names for server resources.
//!
//! A member's file name is the last segment of its href, percent-decoded and made safe for a
//! file system: never empty, never `.` or `..`, no path separators or control characters, no
//! leading dot (so nothing can overwrite the state file or hide), and at most
//! [`MAX_NAME_BYTES`] bytes. Whenever a name had to be changed, a short hash of the original
//! segment is appended so two different hrefs cannot end up in the same file. The mapping is a
//! pure function of the href, so a later sync finds the file of a deleted href again.

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
}
